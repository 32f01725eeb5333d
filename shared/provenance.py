"""Provenance of a chapter's run: the code hash, the device, the commit, the record a chapter
hands to the publisher (``start_run``, ``run.compare``, ``run.finish``).

A chapter calls :func:`start_run` in its first code cell, ``run.compare([...])`` for its
reported-versus-reproduced table, and ``run.finish()`` in its last cell. ``finish`` glues the
provenance (shown near the top of the page through ``{glue} provenance``) and, when the chapter is
executed by ``python -m shared.publish``, hands the provenance, the compared claims and the stored
runs it used to the publisher, which keeps them in the notebook metadata (``provenance``,
``claims``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from shared.claims import NOT_JUDGED, RULE, VERDICT_MEANING, Comparison, comparison_table, verdict_counts
from shared.formatting import format_duration, glue, table
from shared.profile import active_profile, declared_budget

PROVENANCE_OUT_ENV = "BOOK_PROVENANCE_OUT"
PROVENANCE_FIELDS = (
    "chapter", "profile", "backend", "keras_version", "device", "date", "git_commit",
    "wall_time_s", "code_hash", "dtype_policy",
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


#: files the publisher itself rewrites after each notebook (not sources: a run that follows another
#: in one ``shared.publish`` call must not count them as changes)
GENERATED = ("runs.md", "runs.json", "claims.md", "claims.csv")


def git_commit(path: Path | str = ".") -> str:
    """Short commit of the checkout, with ``+changes`` when tracked sources differ from it
    (notebooks and the publisher's generated files do not count)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=path, check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
             ":(exclude,top)*.ipynb", *(f":(exclude,top)book/{name}" for name in GENERATED)],
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
    dtype_policy: str = "float32"
    #: the stored runs the chapter used (``shared.store``): count, devices, engines, dates, time
    runs: dict | None = None

    def table(self):
        """The record as a two-column table (field, value) in the book's table style."""
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
            "dtype policy": self.dtype_policy,
            "code hash (sha256 of code cells)": self.code_hash[:16] + "…",
        }
        if self.runs:
            rows["stored runs"] = runs_summary_text(self.runs)
        frame = pd.DataFrame({"field": list(rows), "value": list(rows.values())})
        return table(frame, index=False)


class ChapterRun:
    """Started by :func:`start_run`; ``compare()`` records the reported-versus-reproduced table,
    ``finish()`` records the wall time and hands provenance and claims to the publisher."""

    def __init__(self, chapter: str, source: Path):
        import keras

        self.source = source
        self._start = time.perf_counter()
        self.claims: list[dict] = []
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

    def compare(self, rows: list[Comparison], glue_counts: bool = False, budget=None):
        """Show the reported-versus-reproduced table with each tolerance's reason, and record it.

        ``budget`` (default: the budget the chapter declared) marks each row as measured at the
        report's budget or a reduced one (see :class:`Comparison`). The rows reach the claims
        scoreboard as numbers through the notebook's metadata (``claims``). Returns the table as a
        DataFrame of text. With ``glue_counts`` it also glues, over the rows that are not
        structural facts, ``n_rows``, ``n_judged`` and the
        count of each verdict (``n_agrees``, ``n_differs``, ``n_not_judged``) for the prose.
        """
        from IPython.display import Markdown, display

        budget = declared_budget() if budget is None else budget
        for r in rows:
            if r.budget is None:
                reduced = set(budget.reduced) if budget is not None else set()
                uses = reduced if r.uses is None else set(r.uses)
                r.budget = "reduced" if reduced & uses else "report"
        frame = comparison_table(rows)
        self.claims = [r.record() for r in rows]
        display(table(frame.drop(columns="basis"), index=False))
        reasons = "\n".join(f"- *{r['quantity']}*: {r['basis']}." for r in frame.to_dict("records"))
        meaning = "; ".join(f"**{v}**: {m}" for v, m in VERDICT_MEANING.items())
        display(Markdown(f"**Tolerances and their reasons.**\n\n{reasons}\n\n**The rule.** {RULE}"
                         f"\n\n**Verdicts.** {meaning}."))
        if glue_counts:  # the report's results; structural facts counted apart
            results = frame[[not r.fact for r in rows]]
            facts = frame[[r.fact for r in rows]]
            counts = verdict_counts(results)
            glue("n_rows", len(results), "d")
            glue("n_judged", len(results) - counts[NOT_JUDGED], "d")
            for verdict, count in counts.items():
                glue(f"n_{verdict.replace(' ', '_')}", count, "d")
            glue("n_facts", len(facts), "d")
            glue("n_facts_agree", verdict_counts(facts)["agrees"], "d")
        return frame

    def finish(self):
        """Record the wall time, glue the provenance table, hand it to the publisher if any."""
        import keras

        self.provenance.wall_time_s = round(time.perf_counter() - self._start, 1)
        self.provenance.dtype_policy = keras.mixed_precision.global_policy().name
        chapter_store = _chapter_store()
        if chapter_store is not None:
            self.provenance.runs = chapter_store.finish()
        shown = self.provenance.table()
        glue("provenance", shown)
        glue("wall_time", format_duration(self.provenance.wall_time_s))
        out = os.environ.get(PROVENANCE_OUT_ENV)
        if out:
            Path(out).write_text(json.dumps({"provenance": asdict(self.provenance),
                                             "claims": self.claims}, indent=1))
        return shown


def _chapter_store():
    """The run store the chapter opened (``shared.store.open``), if it opened one."""
    import sys

    store = sys.modules.get("shared.store")
    return store.current() if store is not None else None


def runs_summary_text(runs: dict) -> str:
    """One line on the stored runs a chapter used: how many, where and when they were trained,
    their training time in all."""
    if not runs.get("n"):
        return "none"
    where = "; ".join(f"{n} on {d}" for d, n in runs["devices"].items())
    engines = ", ".join(runs["engines"])
    when = runs["first"] if runs["first"] == runs["last"] else f"{runs['first']} to {runs['last']}"
    now = f", {runs['trained_now']} of them trained in this execution" if runs.get("trained_now") else ""
    return (f"{runs['n']} ({where}; {engines}; trained {when} UTC; "
            f"{format_duration(runs['wall_s'])} in all{now})")


def start_run(chapter: str) -> ChapterRun:
    """Begin recording a chapter's run; ``chapter`` is the stem of its ``.py`` in the working folder."""
    source = Path(f"{chapter}.py").resolve()
    if not source.exists():
        raise FileNotFoundError(
            f"{source} not found: start_run() takes the chapter's file stem and must run in its folder"
        )
    return ChapterRun(chapter, source)
