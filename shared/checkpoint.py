"""A run trained in parts: its checkpoint between working sessions, and the pause at a deadline.

A run longer than one working session (the store's ``MAX_RUN_S``) can still be filled on two cores
if its trainer can stop and go on. The store hands such a trainer (``runs.get(..., resumable=True)``,
called as ``train(spec, part)``) a :class:`Part`: a checkpoint folder of its own in the data cache
(keyed by the run's key, so a change of code or spec never resumes from another run's state) and the
deadline of this part. The trainer

- starts from ``part.load(name)`` when it returns saved arrays and state;
- saves with ``part.save(name, arrays, state, done=...)`` at least every ``part.every_s`` seconds
  (``part.due()``), so that a session ended mid-run loses at most that much;
- before a step that would pass the deadline (``part.out_of_time(next_s)``), saves and raises
  :class:`Paused` (``raise part.pause(...)``): the fill stops there and a later fill resumes.

Resuming restores every variable, optimiser slot and random state bit for bit, so on an engine that
is deterministic a run trained in parts equals the run trained at once (``tests/test_gan.py``
checks it). The checkpoints live outside the repository (they are large and machine-local); a
later session on another machine simply trains the run from its start.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

#: the most seconds between two checkpoints of a run in parts (what a killed session loses)
EVERY_S = 600.0
#: a pause leaves this share of the part's last step's time as a margin before the deadline
MARGIN = 1.2


class Paused(Exception):  # noqa: N818 (a clean stop, not an error)
    """A run in parts saved its checkpoint and stopped before its part's deadline."""

    def __init__(self, message: str, done: float | None = None):
        super().__init__(message)
        self.done = done


class Part:
    """One part of a run in parts: where its checkpoint lives and when this part must stop.

    ``deadline`` is a ``time.time()`` value (None: no deadline, the run goes to its end).
    ``prior_wall_s`` is the training time of the earlier parts up to their last checkpoint,
    ``parts`` how many parts have begun, this one included, and ``done`` the share of the run
    finished at the last checkpoint (None before any)."""

    def __init__(self, folder: Path, deadline: float | None = None, every_s: float = EVERY_S):
        self.folder, self.deadline, self.every_s = Path(folder), deadline, float(every_s)
        self.started = self._last_save = time.time()
        info = self.info(self.folder)
        self.prior_wall_s = float(info.get("wall_s", 0.0))
        self.done = info.get("done")
        self.parts = int(info.get("parts", 0)) + 1

    @staticmethod
    def info(folder: Path) -> dict:
        """What the checkpoint in ``folder`` says of the run (``{}`` when there is none)."""
        path = Path(folder) / "part.json"
        return json.loads(path.read_text()) if path.exists() else {}

    @property
    def resumed(self) -> bool:
        return self.done is not None

    @property
    def wall_s(self) -> float:
        """The run's training time so far: the earlier parts' and this one's."""
        return self.prior_wall_s + time.time() - self.started

    def load(self, name: str) -> tuple[dict[str, np.ndarray], dict] | None:
        """The arrays and state saved under ``name``, or None when there are none."""
        arrays, state = self.folder / f"{name}.npz", self.folder / f"{name}.json"
        if not (arrays.exists() and state.exists()):
            return None
        with np.load(arrays) as z:
            return {k: z[k] for k in z.files}, json.loads(state.read_text())

    def save(self, name: str, arrays: dict[str, np.ndarray], state: dict, *,
             done: float | None = None) -> None:
        """Save ``arrays`` and ``state`` (JSON) under ``name``, each file replaced whole; ``done``
        (0 to 1) is the share of the run finished, for the fill's estimate of what is left."""
        if done is not None and not 0.0 <= done <= 1.0:
            raise ValueError(f"done must lie between 0 and 1, got {done}")
        self.folder.mkdir(parents=True, exist_ok=True)
        tag = f".tmp-{os.getpid()}"
        np.savez(self.folder / f"{name}{tag}.npz", **{k: np.asarray(v) for k, v in arrays.items()})
        (self.folder / f"{name}{tag}.json").write_text(json.dumps(state))
        os.replace(self.folder / f"{name}{tag}.npz", self.folder / f"{name}.npz")
        os.replace(self.folder / f"{name}{tag}.json", self.folder / f"{name}.json")
        if done is not None:
            self.done = float(done)
        info = {"wall_s": round(self.wall_s, 2), "done": self.done, "parts": self.parts,
                "saved": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M")}
        (self.folder / f"part.json{tag}").write_text(json.dumps(info))
        os.replace(self.folder / f"part.json{tag}", self.folder / "part.json")
        self._last_save = time.time()

    def due(self) -> bool:
        """Whether ``every_s`` seconds have passed since the last save (or the part's start)."""
        return time.time() - self._last_save >= self.every_s

    def out_of_time(self, next_s: float) -> bool:
        """Whether a step of ``next_s`` seconds (with a margin) would end past the deadline."""
        return self.deadline is not None and time.time() + MARGIN * next_s > self.deadline

    def pause(self, what: str) -> Paused:
        """The exception to raise after saving: ``what`` says where the run stopped."""
        done = "" if self.done is None else f" ({self.done:.0%} of the run)"
        return Paused(f"paused after {what}{done}, {self.wall_s / 60:.1f} min of training so "
                      f"far in {self.parts} part(s); its checkpoint is in {self.folder}",
                      self.done)

    def clear(self) -> None:
        """Remove the checkpoint (the run is stored)."""
        shutil.rmtree(self.folder, ignore_errors=True)
