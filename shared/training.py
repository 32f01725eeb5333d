"""Training helpers: seeding and a ``fit`` wrapper that records history and wall time."""

from __future__ import annotations

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


def fit(model: keras.Model, x, y=None, *, label: str = "", verbose: int = 2, **kwargs) -> Run:
    """``model.fit`` that returns a :class:`Run` with the history and the wall time in seconds.

    ``verbose=2`` (the default) prints one line per epoch, so long runs show their progress
    without flooding a notebook.
    """
    start = time.perf_counter()
    history = model.fit(x, y, verbose=verbose, **kwargs)
    wall = time.perf_counter() - start
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return Run(history=hist, wall_time=wall, label=label)
