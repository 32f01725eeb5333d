"""Training helpers: seeding and a ``fit`` wrapper that records history and wall time."""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend in one call (``keras.utils.set_random_seed``)."""
    keras.utils.set_random_seed(int(seed))


@dataclass
class Run:
    """What one call of :func:`fit` produced: the per-epoch history and the wall time.

    ``train_time`` is the part of ``wall_time`` spent in training epochs, without the validation
    passes at their ends (NaN where it was not measured), and ``epoch_train_times`` its epochs'
    parts of it."""

    history: dict[str, list[float]]
    wall_time: float
    label: str = ""
    epoch_train_times: list[float] = field(default_factory=list)

    @property
    def train_time(self) -> float:
        return float(sum(self.epoch_train_times)) if self.epoch_train_times else float("nan")

    @property
    def epochs(self) -> int:
        return len(next(iter(self.history.values()), []))

    def best_epoch(self, monitor: str = "val_loss", mode: str = "min") -> int:
        """1-based epoch at which ``monitor`` was best (what early stopping would pick)."""
        values = np.asarray(self.history[monitor])
        return int(np.argmin(values) if mode == "min" else np.argmax(values)) + 1

    def frame(self):
        import pandas as pd

        df = pd.DataFrame(self.history)
        df.index = np.arange(1, len(df) + 1)
        df.index.name = "epoch"
        return df


def _short(name: str) -> str:
    """``val_accuracy`` -> ``val_acc``: metric names short enough for one line per epoch."""
    return name.replace("accuracy", "acc").replace("categorical_", "").replace("sparse_", "")


def format_epoch(epoch: int, epochs: int, logs: dict, seconds: float, best: bool = False) -> str:
    """One compact line: ``ep  3/20  loss 0.0412  acc 98.71%  val_loss 0.0453 ...  21.3 s``.

    Accuracies are shown as percentages, everything else with four decimals; training metrics come
    before validation ones. ``best`` appends a marker (the epoch's ``val_loss`` is the lowest so far).
    """
    width = len(str(epochs))
    parts = [f"ep {epoch:>{width}}/{epochs}"]
    train = [k for k in logs if not k.startswith("val_")]
    valid = [k for k in logs if k.startswith("val_")]
    # losses first, then the other metrics in Keras' order; training before validation
    keys = sorted(train, key=lambda k: "loss" not in k) + sorted(valid, key=lambda k: "loss" not in k)
    for key in keys:
        value = float(logs[key])
        shown = f"{100 * value:.2f}%" if "accuracy" in key else f"{value:.4f}"
        parts.append(f"{_short(key)} {shown}")
    parts.append(f"{seconds:.1f} s")
    return "  ".join(parts) + ("  *" if best else "")


class EpochLine(keras.callbacks.Callback):
    """Prints :func:`format_epoch` at the end of every epoch (flushed, so progress shows live)."""

    def __init__(self, epochs: int, monitor: str = "val_loss", stream=None):
        super().__init__()
        self.epochs = int(epochs)
        self.monitor = monitor
        self.stream = stream
        self._best = np.inf
        self._t = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seconds = time.perf_counter() - self._t
        best = False
        if self.monitor in logs and float(logs[self.monitor]) < self._best:
            self._best = float(logs[self.monitor])
            best = True
        stream = self.stream or sys.stdout
        stream.write(format_epoch(epoch + 1, self.epochs, logs, seconds, best) + "\n")
        stream.flush()


class TrainTime(keras.callbacks.Callback):
    """Seconds spent in training epochs, without the validation pass at each epoch's end: from
    ``on_epoch_begin`` to ``on_test_begin`` (validation starting) or, without validation, to
    ``on_epoch_end``."""

    def __init__(self):
        super().__init__()
        #: each epoch's training seconds, in order
        self.epochs: list[float] = []
        self._t: float | None = None

    @property
    def seconds(self) -> float:
        return float(sum(self.epochs))

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def _stop(self):
        if self._t is not None:
            self.epochs.append(time.perf_counter() - self._t)
            self._t = None

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()


def fit(model: keras.Model, x, y=None, *, label: str = "", log: bool = True, **kwargs) -> Run:
    """``model.fit`` that returns a :class:`Run` with the history and the wall time in seconds.

    With ``log=True`` (the default) it prints one compact line per epoch (:func:`format_epoch`; a
    ``*`` marks a new lowest ``val_loss``), short enough for a printed page, instead of Keras'
    progress bars. ``verbose`` is not accepted: Keras' own output is always off. The run's
    ``train_time`` counts the training epochs without their validation passes (:class:`TrainTime`).
    """
    if "verbose" in kwargs:
        raise TypeError("fit() prints its own one-line-per-epoch log; use log=False to silence it")
    callbacks = list(kwargs.pop("callbacks", None) or [])
    timer = TrainTime()
    callbacks.insert(0, timer)
    if log:
        callbacks.append(EpochLine(kwargs.get("epochs", 1)))
    start = time.perf_counter()
    history = model.fit(x, y, verbose=0, callbacks=callbacks, **kwargs)
    wall = time.perf_counter() - start
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return Run(history=hist, wall_time=wall, label=label, epoch_train_times=list(timer.epochs))


# --- cost per step and the estimate of a whole run -------------------------------------------------

def step_cost(model: keras.Model, x, y, batch_size: int, steps: int = 20, warmup: int = 3) -> float:
    """Seconds per training step of a compiled ``model`` at ``batch_size`` on this machine.

    Fits ``warmup`` batches first (tracing and compilation), then times ``steps`` more. With two
    or more timed steps the cost is measured between the first and the last step's end, so that
    ``fit``'s own start-up (about a second and a half for a CIFAR-10 CNN on two cores, paid once
    per epoch in a real run) does not inflate a short probe; with one step it is the whole call.
    The model is trained by this: time a throwaway copy, not one whose results count. ``x`` and
    ``y`` are arrays (or dicts/lists of arrays) with at least ``batch_size`` rows; they are reused
    in turn.
    """
    if steps < 1 or warmup < 0 or batch_size < 1:
        raise ValueError("step_cost needs steps >= 1, warmup >= 0 and batch_size >= 1")
    rows = len(keras.tree.flatten(x)[0])
    if rows < batch_size:
        raise ValueError(f"step_cost needs at least batch_size={batch_size} rows, got {rows}")

    def take(k):
        idx = np.arange(k * batch_size) % rows
        return (keras.tree.map_structure(lambda a: np.asarray(a)[idx], x),
                keras.tree.map_structure(lambda a: np.asarray(a)[idx], y))

    if warmup:
        model.fit(*take(warmup), batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    xs, ys = take(steps)
    ends = _BatchEnds()
    start = time.perf_counter()
    model.fit(xs, ys, batch_size=batch_size, epochs=1, verbose=0, shuffle=False,
              callbacks=[ends])
    if steps >= 2 and len(ends.times) == steps:
        return (ends.times[-1] - ends.times[0]) / (steps - 1)
    return (time.perf_counter() - start) / steps


def predict_cost(model: keras.Model, x, batch_size: int = 512) -> float:
    """Seconds per image of ``model.predict`` on ``x`` at ``batch_size`` on this machine: one pass
    traces, a second is timed. The weights are not changed. Validating an epoch or scoring a test
    set costs about this per image (``evaluate`` adds the loss, which is small beside the model)."""
    rows = len(keras.tree.flatten(x)[0])
    if rows < 1 or batch_size < 1:
        raise ValueError(f"predict_cost needs at least one row and batch_size >= 1, got {rows} "
                         f"rows and batch_size {batch_size}")
    model.predict(x, batch_size=batch_size, verbose=0)  # traces
    start = time.perf_counter()
    model.predict(x, batch_size=batch_size, verbose=0)
    return (time.perf_counter() - start) / rows


class _BatchEnds(keras.callbacks.Callback):
    """When each training batch ended (the logs it receives are synchronised values)."""

    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter())


class RunTooLong(RuntimeError):
    """The estimate of a notebook's run exceeds its profile's time limit."""


IGNORE_ESTIMATE_ENV = "BOOK_IGNORE_ESTIMATE"


class RunPlan:
    """A notebook's planned training, part by part (steps × measured cost per step), and the
    estimate of the whole run, checked against the profile's time limit before the run starts::

        plan = RunPlan(B)
        plan.add("SGD, 7 models", steps=7 * 5630, seconds_per_step=cost["SGD"])
        plan.check()   # shows the table; at the cpu profile, raises RunTooLong past 30 minutes

    ``other_s`` in :meth:`check` adds what the parts do not count (evaluation, data, plots).
    """

    def __init__(self, budget, limit_s: float | None = None):
        self.budget = budget
        self.limit_s = float(budget.limit_s() if limit_s is None else limit_s)
        self.parts: list[dict] = []

    def add(self, part: str, steps: int, seconds_per_step: float) -> None:
        if steps < 0 or seconds_per_step < 0:
            raise ValueError("steps and seconds_per_step must not be negative")
        self.parts.append({"part": part, "steps": int(steps), "s per step": float(seconds_per_step),
                           "estimate (s)": float(steps) * float(seconds_per_step)})

    def total_s(self, other_s: float = 0.0) -> float:
        return sum(p["estimate (s)"] for p in self.parts) + float(other_s)

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.parts).set_index("part")

    def check(self, other_s: float = 0.0, elapsed_s: float = 0.0) -> float:
        """Print the plan and the estimate; raise :class:`RunTooLong` at the ``cpu`` profile when
        the estimate plus ``elapsed_s`` (time already spent) passes the limit (unless
        ``BOOK_IGNORE_ESTIMATE=1``). Returns the estimate in seconds."""
        import os

        from IPython.display import display

        from shared.reporting import format_duration
        from shared.tables import table

        display(table(self.frame(), decimals={"s per step": 4, "estimate (s)": 0}))
        total = self.total_s(other_s) + float(elapsed_s)
        limit = self.limit_s
        print(f"estimated run: {format_duration(total)} (training {format_duration(self.total_s())}, "
              f"other work {format_duration(other_s)}, already spent {format_duration(elapsed_s)}); "
              f"the {self.budget.profile} profile's limit is {format_duration(limit)}", flush=True)
        if total > limit and self.budget.profile == "cpu" and not os.environ.get(IGNORE_ESTIMATE_ENV):
            raise RunTooLong(f"this run would take about {format_duration(total)}, past the "
                             f"{self.budget.profile} profile's {format_duration(limit)} on this "
                             f"machine: reduce the budget, or set {IGNORE_ESTIMATE_ENV}=1 to run "
                             "it anyway")
        return total


# --- bfloat16 on CPUs that have it -------------------------------------------------------------------

BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_has_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU has bfloat16 matrix instructions (``amx_bf16`` or ``avx512_bf16``)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return any(f in flags for f in BF16_FLAGS)


def dtype_policy_for(profile: str, wanted: bool = True) -> str:
    """``"mixed_bfloat16"`` for a ``cpu`` run on a CPU with bfloat16 instructions when the chapter
    wants it (it has shown its results stay within the seed spread), else ``"float32"``. Set it with
    ``keras.mixed_precision.set_global_policy`` before building models; the provenance records it.
    """
    return "mixed_bfloat16" if wanted and profile == "cpu" and cpu_has_bf16() else "float32"


# --- models handed from one notebook to the next -------------------------------------------------

HANDOFF_CALL = re.compile(r'_handoff\((?:\w+,\s*)?"(\w+)"')


def handoff_maker(source: Path | str) -> str | None:
    """The chapter whose models the chapter file ``source`` saves or loads (its first
    ``save_handoff(model, "<maker>", ...)`` or ``load_handoff("<maker>", ...)``), or None."""
    makers = sorted(set(HANDOFF_CALL.findall(Path(source).read_text())))
    return makers[0] if makers else None


def handoff_path(chapter: str, name: str, where: Path | str | None = None) -> Path:
    """Where notebook ``chapter`` leaves the trained model ``name`` for the notebooks after it.

    ``<cache>/handoff/<chapter>-<profile>-<hash>/<name>.keras``, where ``hash`` covers the code cells
    of ``<chapter>.py`` in the folder ``where`` (default: the working folder, the folder chapters run
    in, as for :func:`shared.reporting.start_run`). The chapter's budget is code, so the key covers
    the settings too: editing the chapter's code or switching profile never finds a stale model.
    Never committed; the cache folder is ``BOOK_DATA_CACHE`` (see :func:`shared.data.cache_dir`).
    """
    from shared.data import cache_dir
    from shared.profile import active_profile
    from shared.reporting import code_hash

    source = (Path(where or ".") / f"{chapter}.py").resolve()
    if not source.exists():
        raise FileNotFoundError(f"{source} not found: models are handed on under the code hash of "
                                f"the chapter that trained them; run in the chapters' folder")
    folder = f"{chapter}-{active_profile()}-{code_hash(source)[:12]}"
    return cache_dir() / "handoff" / folder / f"{name}.keras"


def save_handoff(model: keras.Model, chapter: str, name: str, info: dict | None = None) -> Path:
    """Save ``model`` (and ``info``, JSON, beside it) at :func:`handoff_path`; written to a
    temporary name first, so an interrupted save never leaves a file that looks complete."""
    import json
    import os

    path = handoff_path(chapter, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.keras")
    model.save(tmp)
    path.with_suffix(".json").write_text(json.dumps(info or {}, indent=1, default=str))
    os.replace(tmp, path)
    return path


def load_handoff(chapter: str, name: str) -> tuple[keras.Model, dict]:
    """The model ``name`` that ``chapter``'s current code left at the active profile, and its info.

    A missing model is an error that says which notebook to run first, and how.
    """
    import json

    from shared.profile import active_profile

    path = handoff_path(chapter, name)
    if not path.exists():
        raise FileNotFoundError(
            f"no model {name!r} from the current code of {chapter} at the "
            f"{active_profile()} profile (looked for {path}); run that notebook "
            f"first: python -m shared.publish book/chapters/{chapter}.py "
            f"[--profile smoke --out somewhere.ipynb]")
    info_path = path.with_suffix(".json")
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    return keras.saving.load_model(path), info
