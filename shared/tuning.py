"""Hyperparameter search with keras-tuner's Hyperband: a resumable tuner, its schedule, its trials.

- :func:`hyperband_schedule`: how many models Hyperband trains for how many epochs, before running
  it, so that a chapter can state its search budget beside a report's.
- :func:`hyperband`: a ``keras_tuner.Hyperband`` that keeps its state in a folder and, when that
  folder already holds a search, resumes it where it stopped (completed trials are not re-run). It
  prints one line per finished trial.
- :func:`trials_frame`: every trial's hyperparameters, status and score as a table.
- :func:`space_frame`: the search space a hypermodel declares, one row per hyperparameter.
- :func:`search_folder`: where a search keeps its state, under the book's cache, named by its
  settings and its hypermodel's code (so a changed search starts afresh; never committed).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path


def _brackets(max_epochs: int, factor: int, min_epochs: int = 1) -> int:
    epochs, count = max_epochs, 0
    while epochs >= min_epochs:
        epochs /= factor
        count += 1
    return count


def hyperband_schedule(max_epochs: int, factor: int = 3, iterations: int = 1):
    """keras-tuner's Hyperband schedule: one row per (iteration, bracket, round) with the number of
    models trained and the epochs each reaches (``epochs``) and trains anew (``new epochs``: a model
    promoted from the previous round continues from its checkpoint). Returns a DataFrame; its
    ``models`` and ``epochs trained`` columns sum to the search's cost."""
    import pandas as pd

    if max_epochs < 1 or factor < 2 or iterations < 1:
        raise ValueError(f"need max_epochs >= 1, factor >= 2, iterations >= 1; "
                         f"got {max_epochs}, {factor}, {iterations}")
    end_size = math.ceil(1 + math.log(max_epochs, factor))
    rows = []
    for it in range(iterations):
        for bracket in reversed(range(_brackets(max_epochs, factor))):
            for rnd in range(bracket + 1):
                size = math.ceil(end_size / (bracket + 1) * factor ** (bracket - rnd))
                epochs = math.ceil(max_epochs / factor ** (bracket - rnd))
                before = math.ceil(max_epochs / factor ** (bracket - rnd + 1)) if rnd else 0
                rows.append({"iteration": it + 1, "bracket": bracket, "round": rnd + 1,
                             "models": size, "epochs": epochs, "new epochs": epochs - before,
                             "epochs trained": size * (epochs - before)})
    return pd.DataFrame(rows)


def search_folder(name: str, settings: dict, hypermodel=None) -> Path:
    """``<cache>/tuning/<name>-<hash>``: the hash covers ``settings`` and the source code of
    ``hypermodel``, so changing either starts a new search instead of resuming an old one."""
    import hashlib
    import inspect

    from shared.data import cache_dir

    text = json.dumps(settings, sort_keys=True, default=str)
    if hypermodel is not None:
        text += inspect.getsource(hypermodel)
    return cache_dir() / "tuning" / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def hyperband(hypermodel, *, objective: str, max_epochs: int, directory, project: str,
              factor: int = 3, iterations: int = 1, seed: int = 0, log: bool = True):
    """A ``keras_tuner.Hyperband`` whose state lives in ``directory/project``.

    If that folder holds an earlier search with the same settings, the search resumes: finished
    trials are kept and a trial that was interrupted is run again. Call ``search`` on the result as
    usual (``verbose=0`` keeps keras-tuner's own output off; with ``log`` this prints one line per
    trial instead).
    """
    import keras_tuner as kt

    class _Hyperband(kt.Hyperband):
        def on_trial_begin(self, trial):
            self._trial_start = time.perf_counter()
            super().on_trial_begin(trial)

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            if log:
                hp = trial.hyperparameters.values
                score = "none" if trial.score is None else f"{trial.score:.4g}"
                seconds = time.perf_counter() - getattr(self, "_trial_start", time.perf_counter())
                print(f"trial {trial.trial_id}: bracket {hp.get('tuner/bracket')}, round "
                      f"{hp.get('tuner/round')}, to epoch {hp.get('tuner/epochs')}: "
                      f"{objective} {score} ({trial.status.lower()}, {seconds:.0f} s)", flush=True)

    folder = Path(directory) / project
    statuses = [json.loads(p.read_text()).get("status") for p in folder.glob("trial_*/trial.json")]
    done = statuses.count("COMPLETED")
    tuner = _Hyperband(hypermodel, objective=objective, max_epochs=max_epochs, factor=factor,
                       hyperband_iterations=iterations, seed=seed, directory=str(directory),
                       project_name=project, overwrite=False)
    if log and statuses:
        print(f"resuming the search in {folder}: {done} finished trials on record "
              f"(a trial that was running when it stopped is run again)")
    return tuner


def trials_frame(tuner):
    """One row per trial: its id, status, score, the epochs it reached and its hyperparameters."""
    import pandas as pd

    rows = []
    for trial in tuner.oracle.trials.values():
        hp = trial.hyperparameters.values
        rows.append({"trial": trial.trial_id, "status": trial.status.lower(), "score": trial.score,
                     "epochs": hp.get("tuner/epochs"),
                     **{k: v for k, v in hp.items() if not k.startswith("tuner/")}})
    return pd.DataFrame(rows).set_index("trial")


def space_frame(hypermodel):
    """The hyperparameters ``hypermodel`` declares (found by building it once with the defaults):
    one row each with its kind, its values or range, its step and its sampling."""
    import keras_tuner as kt
    import pandas as pd

    hp = kt.HyperParameters()
    hypermodel(hp)
    rows = []
    for p in hp.space:
        c = p.get_config()
        values = (", ".join(map(str, c["values"])) if "values" in c
                  else f"{c['min_value']:g} to {c['max_value']:g}")
        rows.append({"hyperparameter": c["name"], "kind": type(p).__name__.lower(),
                     "values": values, "step": "" if c.get("step") is None else str(c["step"]),
                     "sampling": c.get("sampling", "")})
    return pd.DataFrame(rows).set_index("hyperparameter")
