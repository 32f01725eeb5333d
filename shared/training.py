"""Training helpers: seeding and a ``fit`` wrapper that records history and wall time."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import keras
import numpy as np


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend in one call (``keras.utils.set_random_seed``)."""
    keras.utils.set_random_seed(int(seed))


@dataclass
class Run:
    """What one call of :func:`fit` produced: the per-epoch history and the wall time."""

    history: dict[str, list[float]]
    wall_time: float
    label: str = ""

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


def fit(model: keras.Model, x, y=None, *, label: str = "", log: bool = True, **kwargs) -> Run:
    """``model.fit`` that returns a :class:`Run` with the history and the wall time in seconds.

    With ``log=True`` (the default) it prints one compact line per epoch (:func:`format_epoch`; a
    ``*`` marks a new lowest ``val_loss``), short enough for a printed page, instead of Keras'
    progress bars. ``verbose`` is not accepted: Keras' own output is always off.
    """
    if "verbose" in kwargs:
        raise TypeError("fit() prints its own one-line-per-epoch log; use log=False to silence it")
    callbacks = list(kwargs.pop("callbacks", None) or [])
    if log:
        callbacks.append(EpochLine(kwargs.get("epochs", 1)))
    start = time.perf_counter()
    history = model.fit(x, y, verbose=0, callbacks=callbacks, **kwargs)
    wall = time.perf_counter() - start
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return Run(history=hist, wall_time=wall, label=label)
