"""Hyperparameter search with keras-tuner's Hyperband: a resumable tuner, its schedule, its trials.

- :func:`hyperband_schedule`: how many models Hyperband trains for how many epochs, before running
  it, so that a chapter can state its search budget beside a report's.
- :func:`hyperband_draws` and :func:`hyperband_costs`: the models Hyperband will draw at random
  (its draws depend on the seed and the space only) and what its schedule then costs, so that a
  chapter can plan a search from its actual candidates rather than the space's average.
- :func:`hyperband`: a ``keras_tuner.Hyperband`` that keeps its state in a folder and, when that
  folder already holds a search, resumes it where it stopped (completed trials are not re-run). It
  prints one line per finished trial.
- :func:`trials_frame`: every trial's hyperparameters, status and score as a table.
- :func:`space_frame`: the search space a hypermodel declares, one row per hyperparameter.
- :func:`search_folder`: where a search keeps its state, under the book's cache, named by its
  settings and its hypermodel's code (so a changed search starts afresh; never committed).

A search on several machines uses keras-tuner's own distribution: a *chief* holds the oracle (which
trial runs next, every result) and serves it over gRPC; *workers* ask it for trials, train them and
report back. Each process learns its part from ``KERASTUNER_TUNER_ID`` (``chief``, or a worker's
id), ``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT``, which the command line here sets::

    python -m shared.tuning chief --port 8000 book/chapters/31_digit_sums_tuning.py
    python -m shared.tuning worker --chief HOST:8000 --id 1 book/chapters/31_digit_sums_tuning.py

The chief runs the chapter as ``python -m shared.publish`` does (its ``search`` cell serves trials
until the search is done, then the chapter goes on and is written); a worker runs the chapter's
code cells up to its ``search``-tagged cell and stops. Hyperband's later rounds continue from the
checkpoints of earlier trials, which any worker may have run, so every process must see the same
search folder (shared storage; on one machine it is shared already).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
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


def hyperband_draws(hypermodel, n: int, seed: int) -> list[dict]:
    """The hyperparameters of the first ``n`` models that keras-tuner's Hyperband, seeded with
    ``seed``, draws at random, in the order it draws them.

    Hyperband's random draws depend on the seed and the space only, never on a score (a promoted
    model reuses a drawn model's values), so they are known before the search runs: this asks a
    fresh oracle of the same space and seed for them, with the oracle's own sampler. The schedule's
    first rounds take them in order (:func:`hyperband_schedule`'s rows with ``round`` 1). Fewer than
    ``n`` come back only if the space runs out of new points.
    """
    import keras_tuner as kt

    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not seed:  # keras-tuner replaces a seed of 0 or None with a random one
        raise ValueError(f"need a nonzero seed to know the draws in advance, got {seed!r}")
    hp = kt.HyperParameters()
    hypermodel(hp)
    oracle = kt.oracles.HyperbandOracle(objective=kt.Objective("score", "min"), max_epochs=3,
                                        seed=seed, hyperparameters=hp)
    draws = []
    for _ in range(n):
        values = oracle._random_values()  # what HyperbandOracle._random_trial calls
        if values is None:
            break
        oracle._tried_so_far.add(oracle._compute_values_hash(values))  # as a trial records it
        draws.append(dict(values))
    return draws


def hyperband_costs(schedule, per_epoch):
    """``schedule`` (from :func:`hyperband_schedule`) with a ``cost`` column: each row's cost in the
    unit of ``per_epoch``, the cost of one epoch of each randomly drawn model in draw order (one per
    model of the rows with ``round`` 1, as :func:`hyperband_draws` lists them).

    A later round trains models promoted from the round before, which the scores decide; the row is
    costed at the dearest models of that round, so the total bounds the cost so modelled (exact for
    the first rounds); a search's wall time can still differ either way."""
    per_epoch = list(per_epoch)
    needed = int(schedule.loc[schedule["round"] == 1, "models"].sum())
    if len(per_epoch) != needed:
        raise ValueError(f"the schedule draws {needed} models at random; got {len(per_epoch)} costs")
    out, nxt, previous = schedule.copy(), 0, []
    costs = []
    for _, row in schedule.iterrows():
        if row["round"] == 1:
            models = per_epoch[nxt:nxt + row["models"]]
            nxt += row["models"]
        else:
            models = sorted(previous, reverse=True)[: row["models"]]
        costs.append(sum(models) * row["new epochs"])
        previous = models
    out["cost"] = costs
    return out


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
        #: (trial id, score) of every trial this process trained, in order
        trials_run: list
        #: trial id -> seconds this process spent on it, begin to end
        trial_seconds: dict

        def on_trial_begin(self, trial):
            self._trial_start = time.perf_counter()
            super().on_trial_begin(trial)

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            # the oracle's record (on a worker, the chief's): the worker's copy has no score
            trial = self.oracle.get_trial(trial.trial_id)
            self.trials_run.append((trial.trial_id, trial.score))
            hp = trial.hyperparameters.values
            score = "none" if trial.score is None else f"{trial.score:.4g}"
            seconds = time.perf_counter() - getattr(self, "_trial_start", time.perf_counter())
            self.trial_seconds[trial.trial_id] = seconds
            if log:
                print(f"trial {trial.trial_id}: bracket {hp.get('tuner/bracket')}, round "
                      f"{hp.get('tuner/round')}, to epoch {hp.get('tuner/epochs')}: "
                      f"{objective} {score} ({trial.status.lower()}, {seconds:.0f} s)", flush=True)

    folder = Path(directory) / project
    statuses = [json.loads(p.read_text()).get("status") for p in folder.glob("trial_*/trial.json")]
    done = statuses.count("COMPLETED")
    tuner = _Hyperband(hypermodel, objective=objective, max_epochs=max_epochs, factor=factor,
                       hyperband_iterations=iterations, seed=seed, directory=str(directory),
                       project_name=project, overwrite=False)
    tuner.trials_run, tuner.trial_seconds = [], {}
    part = role()
    if log and statuses and part != "worker":
        print(f"resuming the search in {folder}: {done} finished trials on record "
              f"(a trial that was running when it stopped is run again)")
    if log and part == "chief":
        print(f"distributed search: this process is the chief, serving trials on "
              f"{os.environ[ORACLE_IP]}:{os.environ[ORACLE_PORT]}; it trains none itself "
              "(start workers with `python -m shared.tuning worker`)", flush=True)
    elif log and part == "worker":
        print(f"distributed search: worker {os.environ[TUNER_ID]} of the chief at "
              f"{os.environ[ORACLE_IP]}:{os.environ[ORACLE_PORT]}", flush=True)
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


# --- a search on several machines ------------------------------------------------------------------

TUNER_ID, ORACLE_IP, ORACLE_PORT = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP",
                                    "KERASTUNER_ORACLE_PORT")
#: the cell tag that marks a chapter's search cell (a worker runs the chapter up to it)
SEARCH_TAG = "search"


def role() -> str:
    """``"chief"``, ``"worker"`` or ``"alone"`` (no distributed search), from keras-tuner's
    environment variables. Half a configuration is an error, as in keras-tuner."""
    if ORACLE_IP not in os.environ:
        return "alone"
    missing = [k for k in (ORACLE_PORT, TUNER_ID) if not os.environ.get(k)]
    if missing:
        raise RuntimeError(f"{ORACLE_IP} is set but {' and '.join(missing)} not: a distributed "
                           "search needs all three (use `python -m shared.tuning`)")
    return "chief" if "chief" in os.environ[TUNER_ID] else "worker"


def chief_env(port: int, host: str = "0.0.0.0") -> dict[str, str]:
    """The environment of a chief serving on ``host:port`` (``0.0.0.0``: every interface)."""
    return {TUNER_ID: "chief", ORACLE_IP: host, ORACLE_PORT: str(_port(port))}


def worker_env(chief: str, worker_id: int | str) -> dict[str, str]:
    """The environment of worker ``worker_id`` of the chief at ``chief`` (``host:port``)."""
    host, sep, port = str(chief).rpartition(":")
    if not sep or not host:
        raise ValueError(f"the chief's address must be host:port, got {chief!r}")
    wid = str(worker_id)
    if not wid or "chief" in wid or not wid.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"a worker id is a short name of letters and digits, got {worker_id!r}")
    return {TUNER_ID: f"tuner{wid}", ORACLE_IP: host, ORACLE_PORT: str(_port(port))}


def _port(port) -> int:
    try:
        value = int(port)
    except (TypeError, ValueError):
        raise ValueError(f"a port is a number, got {port!r}") from None
    if not 0 < value < 65536:
        raise ValueError(f"a port lies between 1 and 65535, got {value}")
    return value


def cells_until_search(nb):
    """The notebook ``nb`` cut after its first code cell tagged :data:`SEARCH_TAG` (a copy)."""
    import copy

    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and SEARCH_TAG in cell.metadata.get("tags", []):
            cut = copy.deepcopy(nb)
            cut.cells = cut.cells[:i + 1]
            return cut
    raise ValueError(f"no code cell is tagged {SEARCH_TAG!r}: mark the cell that calls "
                     "tuner.search with  # %% tags=[\"search\"]")


def run_worker(chapter: Path | str, chief: str, worker_id, profile: str | None = None,
               timeout: int | None = None) -> int:
    """Run ``chapter``'s code cells up to its search cell as worker ``worker_id`` of ``chief``:
    it trains the trials the chief hands it until the search is done. Nothing is written."""
    import jupytext

    from shared.profile import active_profile, check_profile
    from shared.publish import _echoing_client_class, kernel_environment

    chapter = Path(chapter).resolve()
    nb = cells_until_search(jupytext.read(chapter))
    env = {**worker_env(chief, worker_id), "BOOK_PROFILE": check_profile(profile or
                                                                         active_profile())}
    print(f"worker {env[TUNER_ID]}: {chapter.name} up to its search cell, chief at {chief}, "
          f"profile {env['BOOK_PROFILE']}", flush=True)
    client = _echoing_client_class()(nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(chapter.parent)}})
    with kernel_environment(env):
        client.execute()
    print(f"worker {env[TUNER_ID]}: the chief has no more trials; done", flush=True)
    return 0


def run_chief(chapter: Path | str, port: int, host: str = "0.0.0.0",
              publish_args: list[str] | None = None) -> int:
    """Run ``chapter`` as ``python -m shared.publish`` would, as the chief of a distributed
    search serving on ``host:port``; ``publish_args`` go to ``shared.publish`` (``--profile``,
    ``--out``)."""
    from shared import publish

    os.environ.update(chief_env(port, host))
    return publish.main([str(chapter), *(publish_args or [])])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.tuning",
        description="A chapter's Hyperband search on several machines: start one chief, then "
                    "any number of workers (on this machine or others that see the same search "
                    "folder, BOOK_DATA_CACHE).")
    sub = parser.add_subparsers(dest="part", required=True)
    chief = sub.add_parser("chief", help="hold the search and run the chapter (it is published "
                                         "as by python -m shared.publish)")
    chief.add_argument("chapter", type=Path)
    chief.add_argument("--port", type=int, required=True)
    chief.add_argument("--host", default="0.0.0.0", help="the interface to serve on "
                                                         "(default: all)")
    chief.add_argument("--profile", default=None)
    chief.add_argument("--out", default=None, help="as for python -m shared.publish")
    worker = sub.add_parser("worker", help="train the trials a chief hands out")
    worker.add_argument("chapter", type=Path)
    worker.add_argument("--chief", required=True, help="host:port of the chief")
    worker.add_argument("--id", required=True, help="this worker's id (1, 2, ...)")
    worker.add_argument("--profile", default=None)
    args = parser.parse_args(argv)
    if args.chapter.suffix != ".py" or not args.chapter.exists():
        parser.error(f"{args.chapter} is not an existing chapter .py file")
    try:
        if args.part == "chief":
            extra = [*(["--profile", args.profile] if args.profile else []),
                     *(["--out", args.out] if args.out else [])]
            return run_chief(args.chapter, args.port, args.host, extra)
        return run_worker(args.chapter, args.chief, args.id, args.profile)
    except ValueError as err:
        parser.error(str(err))


if __name__ == "__main__":
    sys.exit(main())
