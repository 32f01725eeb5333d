"""Reporting: provenance of a run, the reported-versus-reproduced table, and ``glue`` helpers.

A chapter calls :func:`start_run` in its first code cell and ``run.finish()`` in its last. ``finish``
glues the provenance (shown near the top of the page through ``{glue} provenance``) and, when the
chapter is executed by ``python -m shared.publish``, hands it to the publisher, which stores it in the
notebook metadata under ``provenance``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from shared.profile import active_profile

PROVENANCE_OUT_ENV = "BOOK_PROVENANCE_OUT"
PROVENANCE_FIELDS = (
    "chapter", "profile", "backend", "keras_version", "device", "date", "git_commit",
    "wall_time_s", "code_hash",
)


# --- code hash -----------------------------------------------------------------------------------

def code_cells(notebook) -> list[str]:
    """Sources of the code cells of a notebook (a path to a .py/.ipynb, or a notebook object)."""
    if isinstance(notebook, (str, Path)):
        import jupytext

        notebook = jupytext.read(notebook)
    return [c.source.strip() for c in notebook.cells if c.cell_type == "code"]


def code_hash(notebook) -> str:
    """sha256 of a notebook's code cells: changes whenever any code cell changes."""
    h = hashlib.sha256()
    for source in code_cells(notebook):
        h.update(source.encode())
        h.update(b"\0")
    return h.hexdigest()


# --- provenance ----------------------------------------------------------------------------------

def device_description() -> str:
    """The accelerator the Keras backend uses, or the CPU model and core count."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            dev = jax.devices()[0]
            if dev.platform != "cpu":
                return f"GPU: {dev.device_kind} (x{len(jax.devices())})"
        elif backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
                return f"GPU: {name} (x{len(gpus)})"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"GPU: {torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})"
    except Exception as err:  # a broken driver should not stop the record
        return f"unknown ({err.__class__.__name__})"
    return f"CPU: {_cpu_model()} ({len(os.sched_getaffinity(0))} cores)"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(path: Path | str = ".") -> str:
    """Short commit of the checkout, with ``+changes`` when tracked sources differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=path, check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
             ":(exclude,top)*.ipynb", ":(exclude,top)book/runs.md"],
            cwd=path, check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


@dataclass
class Provenance:
    chapter: str
    profile: str
    backend: str
    keras_version: str
    device: str
    date: str
    git_commit: str
    wall_time_s: float | None
    code_hash: str

    def table(self):
        import pandas as pd

        rows = {
            "chapter": self.chapter,
            "profile": self.profile,
            "Keras backend": self.backend,
            "Keras version": self.keras_version,
            "device": self.device,
            "date (UTC)": self.date,
            "git commit": self.git_commit,
            "wall time": format_duration(self.wall_time_s),
            "code hash (sha256 of code cells)": self.code_hash[:16] + "…",
        }
        return pd.DataFrame({"value": rows}).rename_axis("run")


class ChapterRun:
    """Started by :func:`start_run`; ``finish()`` records the wall time and publishes provenance."""

    def __init__(self, chapter: str, source: Path):
        import keras

        self.source = source
        self._start = time.perf_counter()
        self.provenance = Provenance(
            chapter=chapter,
            profile=active_profile(),
            backend=keras.backend.backend(),
            keras_version=keras.__version__,
            device=device_description(),
            date=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"),
            git_commit=git_commit(source.parent),
            wall_time_s=None,
            code_hash=code_hash(source),
        )

    def finish(self):
        """Record the wall time, glue the provenance table, hand it to the publisher if any."""
        self.provenance.wall_time_s = round(time.perf_counter() - self._start, 1)
        table = self.provenance.table()
        glue("provenance", table)
        glue("wall_time", format_duration(self.provenance.wall_time_s))
        out = os.environ.get(PROVENANCE_OUT_ENV)
        if out:
            Path(out).write_text(json.dumps(asdict(self.provenance), indent=1))
        return table


def start_run(chapter: str) -> ChapterRun:
    """Begin recording a chapter's run; ``chapter`` is the stem of its ``.py`` in the working folder."""
    source = Path(f"{chapter}.py").resolve()
    if not source.exists():
        raise FileNotFoundError(
            f"{source} not found: start_run() takes the chapter's file stem and must run in its folder"
        )
    return ChapterRun(chapter, source)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    minutes, sec = divmod(float(seconds), 60)
    return f"{int(minutes)} min {sec:04.1f} s" if minutes else f"{sec:.1f} s"


# --- glue ----------------------------------------------------------------------------------------

class Text:
    """A string that glues as plain text, without quotes.

    Reference it in prose with the ``{glue}`` role, which pastes the text as it is. (``{glue:text}``
    parses the text as a Python literal first, so "93,322" would come out as "(93, 322)".)
    """

    def __init__(self, text: str):
        self.text = str(text)

    def __repr__(self) -> str:
        return self.text


def glue(name: str, value, fmt: str | None = None, display: bool = False) -> None:
    """Glue ``value`` under ``name`` for use in the prose; ``fmt`` formats numbers as text first.

    Returns nothing, so a ``glue`` call at the end of a cell prints nothing.
    """
    from myst_nb import glue as _glue

    if fmt is not None:
        value = Text(format(value, fmt))
    elif isinstance(value, str):
        value = Text(value)
    _glue(name, value, display=display)


# --- reported versus reproduced --------------------------------------------------------------------

@dataclass
class Comparison:
    """One row: a quantity the report gives and what we measured.

    ``reproduced`` is a single value or a sequence (over seeds/folds: the table shows mean ± sd and n).
    ``tolerance`` is the largest absolute difference of the mean that still counts as agreement.
    """

    quantity: str
    reported: float
    reproduced: object
    tolerance: float
    fmt: str = ".4f"

    def stats(self) -> tuple[float, float | None, int]:
        values = self.reproduced if isinstance(self.reproduced, (list, tuple)) else [self.reproduced]
        values = [float(v) for v in values]
        n = len(values)
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
        return mean, sd, n

    def row(self) -> dict:
        mean, sd, n = self.stats()
        diff = mean - float(self.reported)
        shown = format(mean, self.fmt) + (f" ± {format(sd, self.fmt)} (n={n})" if sd is not None else "")
        return {
            "quantity": self.quantity,
            "reported": format(self.reported, self.fmt),
            "reproduced": shown,
            "difference": format(diff, "+" + self.fmt),
            "tolerance": "± " + format(self.tolerance, self.fmt),
            "verdict": "agrees" if abs(diff) <= self.tolerance else "differs",
        }


def comparison_table(rows: list[Comparison]):
    """The reported-versus-reproduced table as a DataFrame (one row per quantity)."""
    import pandas as pd

    return pd.DataFrame([r.row() for r in rows]).set_index("quantity")
