"""The run store: each expensive training run (one model, one seed, one setting) as a stored unit.

A chapter hands the store its runs' specs and the function that trains one::

    runs = store.open("01_mnist_cnn")                     # after the budget is declared
    folds = runs.get({f"cv-fold{k}": {"fold": k, "epochs": B.max_epochs, ...} for k in ...},
                     train_fold, group="cross-validation")
    folds["cv-fold1"].metrics["valid_accuracy"], folds["cv-fold1"].arrays["pred"]

``train_fold(spec)`` trains one run and returns a dict: ``fit`` (the :class:`shared.training.Run`
of its ``fit``), ``metrics`` (numbers), optionally ``arrays`` (small NumPy arrays the page needs),
``weights`` (a model whose weights a later notebook needs; stored as float16), ``steps`` (the
training steps, for the cost per step) and ``dtype_policy`` (only where the trainer sets a policy of
its own for the run, e.g. ``mixed_float16`` from its spec, and resets it before returning: the
provenance then records that policy instead of the global one). It must be defined in a code cell
tagged ``train``.

Where runs live: ``book/store/<chapter>/<name>/`` (``run.json`` and ``arrays.npz``), committed. Each
run carries its key (:func:`run_key`) and its provenance; a run is *current* while the key computed
from today's code equals the stored one and its engine (backend and version) is accepted here
(:func:`accepted_engines`). What the key holds and why: DESIGN.md, "Runs and the store".

What ``get`` does depends on the profile and on the mode the publisher sets (``BOOK_STORE_MODE``):

- ``smoke``: a temporary store (``BOOK_RUN_STORE``, else a fresh folder); every run is trained there.
  Never the committed store.
- ``publish`` (the default at ``cpu`` and ``full``): current runs are loaded; a missing or stale run
  stops the notebook at once with :class:`MissingRuns`, which names them and the fill command.
- ``fill``: missing and stale runs are trained, in the order given (most important first), each
  written atomically as it ends; before each, a run that would pass the fill's deadline
  (``BOOK_FILL_DEADLINE``) stops the fill at that run boundary (:class:`FillStopped`).
- ``verify``: the run named by ``BOOK_STORE_VERIFY`` is trained again and compared with the stored
  one (:class:`VerifyDone` carries the comparison); the others are loaded.
- ``plan`` (a fill spread over machines, :mod:`shared.cluster`): stored runs are loaded; at the
  first ``get`` with missing or stale runs, they are written to ``BOOK_STORE_PLAN_OUT`` (name, key,
  spec, group, estimate) and :class:`PlanStage` stops the notebook: those runs are one stage, which
  the cluster trains before the next stage can be planned.
- a run longer than one working session can be trained in parts (``get(..., resumable=True)``: the
  trainer is called as ``train(spec, part)`` with a :class:`shared.checkpoint.Part`): a fill starts
  it whenever at least ``MIN_PART_S`` are left, the trainer saves a checkpoint in the data cache and
  pauses before the part's deadline (the fill's, or ``MAX_RUN_S`` after the part began), and the
  next fill goes on from there; the stored run records its parts and their summed training time.
- ``fill`` with ``BOOK_STORE_ONLY`` (a cluster worker's task): only that run is trained (after the
  key's ingredients here are checked against ``BOOK_STORE_EXPECT_KEY``, the client's), the other
  missing runs of its stage are left to other workers, and :class:`OnlyDone` stops the notebook.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import time
from pathlib import Path

import numpy as np

from shared.checkpoint import Part, Paused
from shared.runkey import (
    SCHEME,
    TRAIN_TAG,
    Ingredients,
    StoreError,
    canonical,
    dtype_policy,
    engine,
    keras_version,
    run_key,
    train_cells,
)
from shared.storage import (  # noqa: F401 (re-exported: the store's files)
    COMMITTED,
    ROOT,
    SIZE_LIMIT_BYTES,
    STORE_ENV,
    StoredRun,
    _inside,
    _json,
    accepted_engines,
    read_run,
    run_state,
    store_dir,
    store_size,
    stored_runs,
    write_run,
)

_global_policy = dtype_policy  # get() has a parameter of that name

MODE_ENV = "BOOK_STORE_MODE"
DEADLINE_ENV = "BOOK_FILL_DEADLINE"
VERIFY_ENV = "BOOK_STORE_VERIFY"
VERIFY_OUT_ENV = "BOOK_STORE_VERIFY_OUT"
COMMIT_ENV = "BOOK_FILL_COMMIT"
PLAN_OUT_ENV = "BOOK_STORE_PLAN_OUT"
ONLY_ENV = "BOOK_STORE_ONLY"
EXPECT_KEY_ENV = "BOOK_STORE_EXPECT_KEY"
WORKER_ENV = "BOOK_STORE_WORKER"
MODES = ("publish", "fill", "verify", "plan")
#: a fill starts a run only when its estimate, times this, ends before the deadline; a run that
#: does not fit is passed over for a later run of the same stage that does, and the fill stops
#: at the end of that stage
FILL_MARGIN = 1.2
#: the longest one run may take at the cpu profile (a working session); longer is for a GPU
MAX_RUN_S = {"cpu": 90 * 60}
#: a run in parts (``resumable``) is begun or resumed only when at least this much fill is left
MIN_PART_S = 15 * 60
NAME = re.compile(r"^[a-z0-9][a-z0-9_.+=-]*$")


class MissingRuns(StoreError):
    """Runs a publication needs are not stored (or are stale): fill them first."""


class FillStopped(Exception):  # noqa: N818 (a clean stop, not an error)
    """A fill stopped at a run boundary because the next run would pass its deadline."""


class VerifyDone(Exception):  # noqa: N818 (the verification's end, not an error)
    """The run under verification was trained again and compared; the notebook stops here."""


class PlanStage(Exception):  # noqa: N818 (a plan's end, not an error)
    """The plan reached a ``get`` with missing runs (written to ``BOOK_STORE_PLAN_OUT``)."""


class OnlyDone(Exception):  # noqa: N818 (a worker task's end, not an error)
    """The one run a cluster task asked for (``BOOK_STORE_ONLY``) is trained and stored."""


# --- the chapter's side -------------------------------------------------------------------------

def _mode(profile: str) -> str:
    if profile == "smoke":  # a smoke run trains what it needs (a cluster's plan excepted)
        return "plan" if os.environ.get(MODE_ENV, "").strip() == "plan" else "fill"
    mode = os.environ.get(MODE_ENV, "publish").strip() or "publish"
    if mode not in MODES:
        raise StoreError(f"{MODE_ENV}={mode!r}: valid modes are {', '.join(MODES)}")
    return mode


def _duration(seconds: float) -> str:
    from shared.formatting import format_duration

    return format_duration(seconds)


class ChapterStore:
    """A chapter's view of the store (made by :func:`open`)."""

    def __init__(self, chapter: str, source: Path, profile: str, shared_dir: Path | None = None):
        self.chapter, self.source, self.profile = chapter, Path(source), profile
        self.folder = store_dir(profile)
        self.mode = _mode(profile)
        self.shared_dir = shared_dir
        self.ingredients = Ingredients.of(self.source, shared_dir)
        self._train_text = "\n".join(train_cells(self.source))  # read once, for the trainer check
        self.used: dict[str, StoredRun] = {}
        self.requested: dict[str, dict] = {}
        self.trained: list[str] = []
        self._chapter_policy: str | None = None  # set while get() runs under a policy of its own
        self.deadline = float(os.environ[DEADLINE_ENV]) if os.environ.get(DEADLINE_ENV) else None

    def key(self, name: str, spec: dict) -> str:
        return run_key(self.ingredients, name, spec, policy=dtype_policy(), keras=keras_version(),
                       engine=engine())

    def state(self, name: str, spec: dict) -> tuple[str, StoredRun | None]:
        """``("stored", run)``, ``("stale", run)`` or ``("missing", None)``.

        A store other than the committed one (a GPU call's output folder) also counts the committed
        store's current runs as stored, whatever their engine: another machine fills only what the
        book lacks."""
        state = run_state(self.folder, self.ingredients, name, spec, dtype_policy())
        if state[0] != "stored" and self.profile != "smoke" and not _inside(self.folder, COMMITTED):
            there = run_state(COMMITTED, self.ingredients, name, spec, dtype_policy(),
                              any_engine=True)
            if there[0] == "stored":
                return there
        return state

    def plan(self, specs: dict[str, dict], estimates: dict[str, float | None] | None = None,
             **columns):
        """A table of the runs in ``specs``, one row each: its name, the ``columns`` (each a spec
        key, a function of the spec, or a dict by run name; ``_`` in a column's name is shown as a
        space), whether the store holds it for today's code, and the
        estimate of its training in seconds (``estimates`` by run name; NaN where none)."""
        import pandas as pd

        estimates = estimates or {}
        rows = []
        for name, spec in specs.items():
            row = {"run": name}
            for label, how in columns.items():
                row[label.replace("_", " ")] = (how[name] if isinstance(how, dict) else
                                                how(spec) if callable(how) else spec[how])
            row["in the store"] = "yes" if self.state(name, spec)[0] == "stored" else "no"
            row["estimate (s)"] = (float("nan") if estimates.get(name) is None
                                   else float(estimates[name]))
            rows.append(row)
        return pd.DataFrame(rows)

    @staticmethod
    def plan_summary(plan) -> str:
        """The line under a :meth:`plan` table: ``"k of n runs stored; to train: m, about T on
        this machine"`` (the estimate where every run to train has one)."""
        todo = plan[plan["in the store"] == "no"]
        line = f"{len(plan) - len(todo)} of {len(plan)} runs stored; to train: {len(todo)}"
        if len(todo) and todo["estimate (s)"].notna().all():
            line += f", about {_duration(todo['estimate (s)'].sum())} on this machine"
        return line

    def _check_trainer(self, train) -> None:
        name = getattr(train, "__name__", "")
        if not re.search(rf"^def {re.escape(name)}\(", self._train_text, re.MULTILINE):
            raise StoreError(f"{self.chapter}: the trainer {name!r} must be defined in a code cell "
                             f"tagged {TRAIN_TAG!r} (# %% tags=[\"{TRAIN_TAG}\"]), so that the runs' "
                             "key covers its code")

    def checkpoint_folder(self, name: str, spec: dict) -> Path:
        """Where a run in parts keeps its checkpoint: the data cache (a smoke run: its store),
        in a folder named by the run's key."""
        return checkpoint_folder(self.folder, self.profile, self.chapter, name,
                                 self.key(name, spec))

    def get(self, specs: dict[str, dict], train, *, group: str | dict[str, str] = "",
            estimate_s: float | dict[str, float] | None = None,
            resumable: bool = False, dtype_policy: str | None = None) -> dict[str, StoredRun]:
        """The runs named in ``specs`` (name -> spec), loaded or trained as the mode says.

        ``group`` names the runs' group (one for all, or a dict by run name): a run's estimate,
        where ``estimate_s`` (seconds, for all or by run name) gives none, is the mean time of its
        group's runs stored so far. A fill trains in the order of ``specs``: most important first.
        ``resumable``: the trainer is ``train(spec, part)`` and can be trained in parts (see the
        module's notes), so a run longer than ``MAX_RUN_S`` is filled over several fills.
        ``dtype_policy``: these runs are keyed, trained and recorded under this Keras dtype policy
        (e.g. ``"mixed_bfloat16"``, for a precision check) instead of the global one, which is set
        back afterwards.
        """
        if dtype_policy is None or dtype_policy == _global_policy():
            return self._get(specs, train, group, estimate_s, resumable)
        import keras

        self._chapter_policy = _global_policy()
        keras.mixed_precision.set_global_policy(dtype_policy)
        try:
            return self._get(specs, train, group, estimate_s, resumable)
        finally:
            keras.mixed_precision.set_global_policy(self._chapter_policy)
            self._chapter_policy = None

    def _get(self, specs, train, group, estimate_s, resumable) -> dict[str, StoredRun]:
        self._check_trainer(train)
        groups = group if isinstance(group, dict) else dict.fromkeys(specs, group)
        estimates = (estimate_s if isinstance(estimate_s, dict)
                     else dict.fromkeys(specs, estimate_s))
        for name, spec in specs.items():
            if not NAME.match(name):
                raise StoreError(f"run name {name!r}: lower-case letters, digits and _.+=- only")
            canonical(spec)
            if name in self.requested and canonical(self.requested[name]["spec"]) != canonical(spec):
                raise StoreError(f"{self.chapter}: run {name!r} asked for twice with other specs")
            est = estimates.get(name)
            self.requested[name] = {"spec": spec, "group": groups.get(name, ""),
                                    "estimate_s": None if est is None else round(float(est), 1),
                                    "resumable": resumable, "dtype_policy": _global_policy()}
        self._write_manifest(prune=False)  # known to --status even if the fill stops here
        states = {n: self.state(n, s) for n, s in specs.items()}
        todo = [n for n, (st, _) in states.items() if st != "stored"]
        if self.mode in ("publish", "verify") and todo:  # these modes train nothing missing
            self._missing(todo, states)
        if self.mode == "plan" and todo:
            self._plan(todo, specs, states, groups, estimates)
        only = os.environ.get(ONLY_ENV) if self.mode == "fill" else None
        if only and todo and only not in specs:
            raise StoreError(f"{self.chapter}: this worker lacks {', '.join(todo)}, of a stage "
                             f"before {only}'s: the client sends a stage only once the earlier "
                             "ones are stored")
        verify = os.environ.get(VERIFY_ENV) if self.mode == "verify" else None
        out, passed_over = {}, []
        for i, (name, spec) in enumerate(specs.items(), start=1):
            status, run = states[name]
            group = groups.get(name, "")
            if status == "stored" and name != verify:
                out[name] = run
                continue
            if only and name != only:  # another worker's run of this stage
                continue
            if only:
                self._check_expected(name)
                self._train(name, spec, train, groups.get(name, ""))
                raise OnlyDone(f"{self.chapter}/{name} stored")
            if name == verify:
                same = [states[n][1] for n, s in specs.items() if n != name
                        and states[n][0] == "stored"
                        and {**s, "seed": None} == {**spec, "seed": None}]
                self._verify(name, spec, train, run, same, resumable)
            guess = (estimates.get(name) or self._estimate(group, out)
                     or (run.provenance.get("wall_s") if run is not None else None))
            done = (Part.info(self.checkpoint_folder(name, spec)).get("done") or 0.0
                    if resumable and self.mode == "fill" else 0.0)
            if guess is not None:
                guess *= 1.0 - done  # what is left of a run in parts
            limit = MAX_RUN_S.get(self.profile)
            if limit and guess and guess > limit and self.mode == "fill" and not resumable:
                raise FillStopped(f"{self.chapter}/{name}: about {_duration(guess)} to train, "
                                  f"past the {self.profile} profile's {_duration(limit)} for one "
                                  "run: reduce the budget, or fill it on a GPU")
            if self.deadline is not None:
                left = self.deadline - time.time()
                if left <= 0 or guess is None and passed_over:
                    break  # no time left, or an unknown cost after a run passed over
                if guess is not None and guess * FILL_MARGIN > left and not (
                        resumable and left >= MIN_PART_S):
                    # too long for what is left: a later run of this stage may still fit
                    passed_over.append(f"{name} (about {_duration(guess)})")
                    continue
            if self.mode == "fill" and status != "stored":
                now = self.state(name, spec)  # another fill of this store may have stored it
                if now[0] == "stored":
                    out[name] = now[1]
                    continue
            left_text = ("" if self.deadline is None
                         else f"; {_duration(max(self.deadline - time.time(), 0))} left in the fill")
            doing = ("re-training a stale run" if status == "stale"
                     else f"resuming at {done:.0%}" if done else "training")
            print(f"[store] {self.chapter}/{name} ({i}/{len(specs)}{', ' + group if group else ''})"
                  f": {doing}{' in parts' if resumable and not done else ''}"
                  f" (estimate {_duration(guess) if guess else 'unknown'}{left_text})", flush=True)
            out[name] = self._train(name, spec, train, group, resumable)
        unfilled = [n for n, (st, _) in states.items() if st != "stored" and n not in out]
        if self.mode == "fill" and unfilled:  # the deadline came first: stop at this stage
            left = max(self.deadline - time.time(), 0) if self.deadline is not None else 0
            raise FillStopped(
                f"{self.chapter}: {len(unfilled)} run(s) of this stage left for a later fill, "
                f"{_duration(left)} left in this one"
                + (f"; passed over as too long for the time left: {', '.join(passed_over)}"
                   if passed_over else f"; the next: {unfilled[0]}"))
        self.used.update(out)
        if self.mode != "fill" or all(s == "stored" for s, _ in states.values()):
            label = group if isinstance(group, str) else ""
            print(f"[store] {len(specs)} run{'s' * (len(specs) != 1)} of {self.chapter}"
                  f"{' (' + label + ')' if label else ''}: "
                  f"{len(specs) - len(todo)} loaded from the store, {len(todo)} trained", flush=True)
        self._write_manifest(prune=False)
        return out

    def uses(self, chapter: str, names) -> dict[str, StoredRun]:
        """Runs of another ``chapter`` (the models it trained, say) that this one builds on, loaded
        from the store. Each must be current for that chapter's code (its train cells, the shared
        training code it uses), with the spec that chapter's last execution asked for (its
        manifest); a missing or stale one stops this notebook with :class:`MissingRuns`, naming
        that chapter's fill. Put a used run's ``key`` in the spec of every run here that depends
        on it, so that they go stale together."""
        source = self.source.parent / f"{chapter}.py"
        if not source.exists():
            raise FileNotFoundError(f"{self.chapter} uses runs of {chapter}, but {source} is missing")
        ingredients = Ingredients.of(source, self.shared_dir)
        path = self.folder / chapter / "manifest.json"
        manifest = json.loads(path.read_text()) if path.exists() else {}
        if not manifest and not _inside(self.folder, COMMITTED) and self.profile != "smoke":
            path = COMMITTED / chapter / "manifest.json"  # another machine's store: the book's
            manifest = json.loads(path.read_text()) if path.exists() else {}
        asked = manifest.get("runs", {})
        out, lacking = {}, []
        for name in names:
            if name not in asked:
                lacking.append(f"{name} (not asked for by {chapter}'s last execution)")
                continue
            spec, policy = asked[name]["spec"], manifest_policy(manifest, name)
            state, run = run_state(self.folder, ingredients, name, spec, policy)
            if state != "stored" and self.profile != "smoke" and not _inside(self.folder,
                                                                             COMMITTED):
                there = run_state(COMMITTED, ingredients, name, spec, policy, any_engine=True)
                if there[0] == "stored":
                    state, run = there
            if state == "stored":
                out[name] = run
            else:
                lacking.append(f"{name} ({state})")
        if lacking:
            fill = (f"python -m shared.publish book/chapters/{chapter}.py --fill --for 2h "
                    f"--profile {self.profile}")
            if self.profile == "smoke":  # each smoke run has its own store unless one is named
                fill = (f"python -m shared.publish book/chapters/{chapter}.py --profile smoke "
                        f"--out {chapter}-smoke.ipynb --store DIR, then this notebook with the "
                        "same --store DIR (a smoke run trains in a fresh temporary store "
                        "otherwise)")
            raise MissingRuns(
                f"{self.chapter} uses runs of {chapter} that the store at {self.folder} does not "
                f"hold for {chapter}'s current code: {', '.join(lacking)}. Fill {chapter} first: "
                f"{fill}")
        self.used.update({f"{chapter}/{n}": r for n, r in out.items()})
        return out

    def key_ingredients(self) -> dict:
        """What a run's key is made of besides its name, spec and engine: a cluster's worker must
        agree with its client on each (the engine may differ: a GPU worker's JAX)."""
        return {"train cells": self.ingredients.train_code,
                "shared training code": self.ingredients.shared_code,
                "Keras version": keras_version(), "dtype policy": dtype_policy()}

    def _check_expected(self, name: str) -> None:
        expected = json.loads(os.environ.get(EXPECT_KEY_ENV) or "{}")
        mine = self.key_ingredients()
        differ = [k for k, v in expected.items() if mine.get(k) != v]
        if differ:
            raise StoreError(
                f"{self.chapter}/{name}: refused on this worker: its {', '.join(differ)} differ "
                "from the client's, so the run would get another key; put the worker at the "
                "client's commit with the same packages")

    def _plan(self, todo, specs, states, groups, estimates):
        """Write this stage's missing runs for the cluster's client and stop (plan mode)."""
        stored = {n: r for n, (st, r) in states.items() if st == "stored"}
        runs = []
        for name in todo:
            run = states[name][1]
            est = (estimates.get(name) or self._estimate(groups.get(name, ""), stored)
                   or (run.provenance.get("wall_s") if run is not None else None))
            runs.append({"name": name, "key": self.key(name, specs[name]),
                         "spec": json.loads(canonical(specs[name])),
                         "group": groups.get(name, ""), "estimate_s": est,
                         "status": states[name][0]})
        out = os.environ.get(PLAN_OUT_ENV)
        if out:
            Path(out).write_text(_json({"chapter": self.chapter, "runs": runs,
                                        "ingredients": self.key_ingredients()}))
        raise PlanStage(f"{self.chapter}: {len(runs)} run(s) to train in this stage")

    def _estimate(self, group: str, done: dict) -> float | None:
        """The mean wall seconds of the group's runs used so far (None: none yet)."""
        same = [r for n, r in {**self.used, **done}.items()
                if self.requested.get(n, {}).get("group") == group]
        times = [r.provenance["wall_s"] for r in same]
        return float(np.mean(times)) if times else None

    def _missing(self, todo, states):
        stale = [n for n in todo if states[n][0] == "stale"]
        lines = ", ".join(f"{n} ({states[n][0]})" for n in todo)
        self._write_manifest(prune=False)
        raise MissingRuns(
            f"{self.chapter} needs {len(todo)} run{'s' * (len(todo) != 1)} that the store at "
            f"{self.folder} does not hold for the current code: {lines}. "
            f"{'Stale: the code or settings that determine them changed. ' if stale else ''}"
            f"Fill them first: python -m shared.publish book/chapters/{self.chapter}.py --fill "
            f"--for 2h --profile {self.profile} (progress is printed; it stops at a run boundary "
            "and can be started again)")

    def _part(self, name: str, spec: dict) -> Part:
        """This part of a run in parts: its checkpoint, and its deadline (the fill's, or
        ``MAX_RUN_S`` from now, whichever comes first; none for a cluster worker's task)."""
        ends = [t for t in (self.deadline,) if t is not None]
        if self.profile in MAX_RUN_S:
            ends.append(time.time() + MAX_RUN_S[self.profile])
        worker = bool(os.environ.get(ONLY_ENV))
        return Part(self.checkpoint_folder(name, spec),
                    deadline=None if worker or not ends else min(ends))

    def _train(self, name, spec, train, group, resumable=False) -> StoredRun:
        import keras

        from shared.provenance import device_description, git_commit

        part = self._part(name, spec) if resumable else None
        start = time.perf_counter()
        try:
            result = train(spec, part) if resumable else train(spec)
        except Paused as e:
            raise FillStopped(f"{self.chapter}/{name}: {e}; the next fill on this machine goes "
                              "on from there") from None
        wall = time.perf_counter() - start + (part.prior_wall_s if part is not None else 0.0)
        if not isinstance(result, dict) or "metrics" not in result:
            raise StoreError(f"{self.chapter}: the trainer must return a dict with 'metrics' "
                             "(and 'fit', 'arrays', 'weights', 'steps' as needed)")
        fit = result.get("fit")
        steps = result.get("steps")
        train_s = fit.train_time if fit is not None else float("nan")
        metrics = {k: float(v) for k, v in result["metrics"].items()}
        prov = {
            "device": device_description(), "engine": engine(), "backend": keras.backend.backend(),
            "keras_version": keras_version(), "numpy_version": np.__version__,
            "dtype_policy": str(result.get("dtype_policy") or dtype_policy()),
            "profile": self.profile,
            "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"),
            "git_commit": git_commit(self.source.parent), "wall_s": round(wall, 2),
            "fit_wall_s": round(fit.wall_time, 2) if fit is not None else None,
            "train_s": None if math.isnan(train_s) else round(train_s, 2),
            "epoch_train_s": [round(t, 3) for t in (fit.epoch_train_times if fit else [])],
            "steps": steps,
            "s_per_step": (round(train_s / steps, 5) if steps and not math.isnan(train_s) else None),
        }
        if part is not None:  # a run in parts: their number (the wall time is their sum)
            prov["parts"] = part.parts
        if os.environ.get(WORKER_ENV):  # trained as a cluster task: which worker
            prov["worker"] = os.environ[WORKER_ENV]
        record = {"scheme": SCHEME, "chapter": self.chapter, "name": name, "group": group,
                  "spec": json.loads(canonical(spec)), "key": self.key(name, spec),
                  "ingredients": {"train_code": self.ingredients.train_code,
                                  "shared_code": self.ingredients.shared_code},
                  "metrics": metrics, "history": fit.history if fit is not None else {},
                  "provenance": prov}
        run = write_run(self.folder, record, result.get("arrays"), result.get("weights"))
        if part is not None:
            part.clear()
        self.trained.append(name)
        print(f"[store] {self.chapter}/{name} stored ({_duration(wall)})", flush=True)
        if os.environ.get(COMMIT_ENV) and _inside(self.folder, COMMITTED):
            self._write_manifest(prune=False)
            from shared.filling import commit_run

            commit_run(run, f"Store run {self.chapter}/{name} ({self.profile}, "
                            f"{_duration(wall)} on {prov['device']}, {prov['engine']})")
        return run

    def _verify(self, name, spec, train, stored: StoredRun, siblings: list[StoredRun],
                resumable: bool = False):
        import tempfile

        import keras

        from shared.filling import compare_runs
        from shared.provenance import device_description

        start = time.perf_counter()
        if resumable:  # from its start, in one part, never from a checkpoint
            with tempfile.TemporaryDirectory() as folder:
                result = train(spec, Part(Path(folder) / "part"))
        else:
            result = train(spec)
        wall = time.perf_counter() - start
        fit = result.get("fit")
        fresh = {"metrics": {k: float(v) for k, v in result["metrics"].items()},
                 "history": fit.history if fit is not None else {},
                 "arrays": {k: np.asarray(v) for k, v in (result.get("arrays") or {}).items()}}
        same_engine = (stored.provenance.get("engine") == engine()
                       and stored.provenance.get("device") == device_description())
        report = compare_runs(stored, fresh, siblings, exact=same_engine)
        report.update(chapter=self.chapter, run=name, wall_s=round(wall, 1),
                      engine_then=stored.provenance.get("engine"), engine_now=engine(),
                      device_then=stored.provenance.get("device"),
                      device_now=device_description(), backend_now=keras.backend.backend())
        out = os.environ.get(VERIFY_OUT_ENV)
        if out:
            Path(out).write_text(_json(report))
        raise VerifyDone(f"{self.chapter}/{name}: {report['verdict']}")

    def _write_manifest(self, prune: bool) -> None:
        """Record the runs this chapter asked for (their specs, groups and estimates) for
        ``--status``; ``prune`` (at the notebook's end) drops names no longer asked for."""
        if self.profile == "smoke" and _inside(self.folder, COMMITTED):
            return
        path = self.folder / self.chapter / "manifest.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        # the chapter's policy; a run asked for under another policy names its own
        policy = self._chapter_policy or dtype_policy()
        runs = {} if prune else {name: {**entry, "dtype_policy": manifest_policy(old, name)}
                                 for name, entry in old.get("runs", {}).items()}
        for name, entry in self.requested.items():
            runs[name] = {"spec": json.loads(canonical(entry["spec"])), "group": entry["group"],
                          "estimate_s": entry["estimate_s"], "dtype_policy": entry["dtype_policy"]}
            if entry.get("resumable"):
                runs[name]["resumable"] = True
        for entry in runs.values():
            if entry["dtype_policy"] == policy:
                del entry["dtype_policy"]
        new = {"chapter": self.chapter, "profile": self.profile, "dtype_policy": policy,
               "runs": runs}
        if new != old:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".manifest.tmp-{os.getpid()}")
            tmp.write_text(_json(new))
            os.replace(tmp, path)

    def summary(self) -> dict:
        """The runs this execution used: how many, from which devices and engines, when, and their
        training time; and each one's key (the published-notebook checks read them)."""
        runs = list(self.used.values())
        count = lambda field: {v: sum(r.provenance.get(field) == v for r in runs)  # noqa: E731
                               for v in sorted({r.provenance.get(field) for r in runs})}
        dates = sorted(r.provenance["date"] for r in runs)
        return {"store": (str(self.folder.relative_to(ROOT)) if _inside(self.folder, ROOT)
                          else "temporary"),
                "n": len(runs), "trained_now": len(self.trained), "devices": count("device"),
                "engines": count("engine"), "dtype_policies": count("dtype_policy"),
                "first": dates[0] if dates else None, "last": dates[-1] if dates else None,
                "wall_s": round(sum(r.provenance["wall_s"] for r in runs), 1),
                "keys": {(r.name if r.chapter == self.chapter else f"{r.chapter}/{r.name}"):
                         r.key for r in runs}}

    def finish(self) -> dict:
        self._write_manifest(prune=True)
        return self.summary()


def manifest_policy(manifest: dict, name: str) -> str:
    """The dtype policy a chapter's manifest gives its run ``name``: the run's own where it was
    asked for under another policy than the chapter's, else the chapter's."""
    entry = manifest.get("runs", {}).get(name, {})
    return entry.get("dtype_policy") or manifest.get("dtype_policy") or dtype_policy()


def checkpoint_folder(folder: Path, profile: str, chapter: str, name: str, key: str) -> Path:
    """The checkpoint folder of a run in parts whose store is ``folder``: in the data cache (never
    the repository: checkpoints are large), except for a smoke store (inside it)."""
    from shared.data import cache_dir

    base = (Path(folder) / ".checkpoints" if profile == "smoke"
            else cache_dir() / "checkpoints" / profile)
    return base / chapter / f"{name}-{key[:16]}"


_open: list[ChapterStore] = []


def open(chapter: str) -> ChapterStore:  # noqa: A001 (the store's verb)
    """The store of ``chapter`` (the stem of its ``.py`` in the working folder) at the active
    profile; ``run.finish()`` records which runs the chapter used."""
    from shared.profile import active_profile

    source = Path(f"{chapter}.py").resolve()
    if not source.exists():
        raise FileNotFoundError(f"{source} not found: store.open() takes the chapter's file stem "
                                "and must run in its folder")
    cs = ChapterStore(chapter, source, active_profile())
    _open[:] = [cs]
    return cs


def current() -> ChapterStore | None:
    """The chapter store this process opened last, if any."""
    return _open[-1] if _open else None
