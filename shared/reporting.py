"""Reporting: provenance of a run, result tables, the reported-versus-reproduced table, ``glue``.

A chapter calls :func:`start_run` in its first code cell, ``run.compare([...])`` for its
reported-versus-reproduced table, and ``run.finish()`` in its last cell. ``finish`` glues the
provenance (shown near the top of the page through ``{glue} provenance``) and, when the chapter is
executed by ``python -m shared.publish``, hands the provenance and the compared claims to the
publisher, which stores them in the notebook metadata (``provenance``, ``claims``).

Every result table goes through :func:`table`: integers as integers, fractions as percentages where
asked, a header for every column, one style.
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
            "code hash (sha256 of code cells)": self.code_hash[:16] + "…",
        }
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

    def compare(self, rows: list[Comparison], glue_counts: bool = False):
        """Show the reported-versus-reproduced table with each tolerance's reason, and record it.

        The rows reach the claims scoreboard through the notebook's metadata (``claims``). Returns
        the table as a DataFrame of text (for counting verdicts). With ``glue_counts`` it also glues
        ``n_rows`` and the count of each verdict (``n_agrees``, ``n_within_spread``,
        ``n_differs``) for the prose.
        """
        from IPython.display import Markdown, display

        frame = comparison_table(rows)
        self.claims = frame.to_dict(orient="records")
        display(table(frame.drop(columns="basis"), index=False))
        reasons = "\n".join(f"- *{r['quantity']}*: {r['basis']}." for r in self.claims)
        meaning = "; ".join(f"**{v}**: {m}" for v, m in VERDICT_MEANING.items())
        display(Markdown(f"**Tolerances and their reasons.**\n\n{reasons}\n\n**Verdicts.** {meaning}."))
        if glue_counts:
            glue("n_rows", len(frame), "d")
            for verdict, count in verdict_counts(frame).items():
                glue(f"n_{verdict.replace(' ', '_')}", count, "d")
        return frame

    def finish(self):
        """Record the wall time, glue the provenance table, hand it to the publisher if any."""
        self.provenance.wall_time_s = round(time.perf_counter() - self._start, 1)
        shown = self.provenance.table()
        glue("provenance", shown)
        glue("wall_time", format_duration(self.provenance.wall_time_s))
        out = os.environ.get(PROVENANCE_OUT_ENV)
        if out:
            Path(out).write_text(json.dumps({"provenance": asdict(self.provenance),
                                             "claims": self.claims}, indent=1))
        return shown


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


# --- summaries over seeds ------------------------------------------------------------------------

def mean_sd(values, percent: bool = True, decimals: int = 2) -> str:
    """``"98.12% ± 0.34"`` (fractions as percentages, the sd in points) or ``"2.512 ± 0.104"``;
    the sd is the sample sd (ddof 1)."""
    import numpy as np

    v = np.asarray(values, dtype=float).ravel()
    m, s = v.mean(), (v.std(ddof=1) if v.size > 1 else float("nan"))
    if percent:
        return f"{100 * m:.{decimals}f}% ± {100 * s:.{decimals}f}"
    return f"{m:.{decimals}f} ± {s:.{decimals}f}"


def paired_direction(differences, k: float = 2.0) -> int:
    """The sign of a set of paired differences (one per seed), or 0 when their mean is within
    ``k`` standard errors of zero: +1, -1 or 0."""
    import numpy as np

    d = np.asarray(differences, dtype=float).ravel()
    if d.size < 2:
        raise ValueError("paired_direction needs at least two paired differences")
    m, se = d.mean(), d.std(ddof=1) / math.sqrt(d.size)
    return 0 if abs(m) <= k * se else int(np.sign(m))


# --- tables ----------------------------------------------------------------------------------------

TABLE_CLASS = "book-table"


def _is_integral(values) -> bool:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return bool(arr.size) and bool(np.all(arr == np.round(arr)))


def format_table(df, *, percent=(), decimals: int | dict = 4, summary: bool = False,
                 index: bool = True):
    """The cells of ``df`` as text, the way every table of the book shows them.

    - whole-number columns as integers with thousands separators (``93,322``, never ``93322.0000``);
    - columns named in ``percent`` (fractions) as percentages with two decimals (``98.68%``);
    - other numbers with ``decimals`` decimals (an int, or a dict of column -> decimals, 4 for the
      columns it does not name);
    - ``summary=True`` appends ``mean`` and ``sd`` (sample sd, ddof=1) rows of the numeric columns
      (an integer column's mean and sd get one decimal);
    - the index becomes the first column, headed by the index's name.
    """
    import pandas as pd

    df = df.copy()
    places = dict(decimals) if isinstance(decimals, dict) else {}
    default_places = 4 if isinstance(decimals, dict) else int(decimals)
    unknown = (set(percent) | set(places)) - set(df.columns)
    if unknown:
        raise KeyError(f"percent/decimals name columns the table does not have: {sorted(unknown)}")
    numeric = [c for c in df.columns
               if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    integer = {c for c in numeric if c not in percent and _is_integral(df[c])}
    n_data = len(df)
    if summary:
        agg = df[numeric].agg(["mean", "std"])
        agg.index = pd.Index(["mean", "sd"], name=df.index.name)
        df = pd.concat([df, agg])

    def cell(value, column, summary_row):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if column not in numeric:
            return str(value)
        if column in percent:
            return f"{100 * float(value):.2f}%"
        if column in integer:
            return f"{float(value):,.1f}" if summary_row else f"{int(round(float(value))):,}"
        return f"{float(value):.{places.get(column, default_places)}f}"

    shown = pd.DataFrame(
        {c: [cell(v, c, i >= n_data) for i, v in enumerate(df[c])] for c in df.columns},
        index=df.index,
    )
    if index:
        name = df.index.name if df.index.name is not None else ""
        shown.insert(0, name, [str(i) for i in df.index])
    shown.index = range(len(shown))
    shown.attrs["numeric"] = [str(c) for c in numeric]
    return shown


def table(df, *, percent=(), decimals: int | dict = 4, summary: bool = False, index: bool = True):
    """A result table in the book's one style: :func:`format_table`'s text, numbers right-aligned.

    Returns a pandas ``Styler``: show it with ``display`` or as a cell's last expression.
    """
    shown = format_table(df, percent=percent, decimals=decimals, summary=summary, index=index)
    numeric = [c for c in shown.columns if str(c) in shown.attrs.get("numeric", [])]
    styler = shown.style.hide(axis="index").set_table_attributes(f'class="{TABLE_CLASS}"')
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    return styler


# --- reported versus reproduced --------------------------------------------------------------------

VERDICTS = ("agrees", "within spread", "differs")
VERDICT_MEANING = {
    "agrees": "the difference is within the tolerance",
    "within spread": "outside the tolerance, but within the spread that our own runs show from "
                     "seed to seed (2 sd), so a run like the report's could land there by chance",
    "differs": "outside both the tolerance and that run-to-run spread",
}


@dataclass(frozen=True)
class Tolerance:
    """The largest difference that still counts as agreement, and the reason for it.

    ``value`` is absolute, or a fraction of the reported value when ``relative`` is true. Build one
    from a reason with the class methods; :meth:`stated` takes any other reason, written out.
    """

    value: float
    basis: str
    relative: bool = False

    @classmethod
    def exact(cls, what: str = "a count") -> Tolerance:
        return cls(0.0, f"exact: {what}")

    @classmethod
    def binomial(cls, p: float, n: int, k: float = 2.0) -> Tolerance:
        """Sampling error of an accuracy ``p`` measured on ``n`` items: ``k`` binomial SE."""
        se = math.sqrt(p * (1 - p) / n)
        return cls(k * se, f"sampling error of an accuracy near {100 * p:.2f}% on {n:,} items "
                           f"({k:g} SE, SE = √(p(1−p)/n) = {100 * se:.3f} pt)")

    @classmethod
    def mean(cls, values, what: str, k: float = 2.0, relative: bool = False) -> Tolerance:
        """Sampling error of a mean over the measured ``values`` (``k`` SE = k·sd/√n)."""
        import numpy as np

        values = np.asarray(values, dtype=float).ravel()
        n = values.size
        if n < 2:
            raise ValueError("Tolerance.mean needs at least two values")
        se = float(values.std(ddof=1) / math.sqrt(n))
        if relative:
            m = float(values.mean())
            return cls(k * se / abs(m), f"sampling error of {what} over {n:,} items, relative "
                                        f"({k:g} SE / mean, measured on our run)", relative=True)
        return cls(k * se, f"sampling error of {what} over {n:,} values ({k:g} SE, measured)")

    @classmethod
    def sd(cls, sd: float, n: int, k: float = 2.0) -> Tolerance:
        """Sampling error of a standard deviation from ``n`` values: ``k``·sd/√(2(n−1))."""
        if n < 2:
            raise ValueError("Tolerance.sd needs n >= 2")
        return cls(k * sd / math.sqrt(2 * (n - 1)),
                   f"sampling error of an sd from {n} values ({k:g} SE ≈ sd/√(2(n−1)), at the "
                   "reported sd)")

    @classmethod
    def stated(cls, value: float, basis: str, relative: bool = False) -> Tolerance:
        if not basis.strip():
            raise ValueError("a tolerance needs a stated reason")
        return cls(float(value), basis, relative)


def _values(reproduced) -> list[float]:
    import numpy as np

    if isinstance(reproduced, (list, tuple, np.ndarray)) or hasattr(reproduced, "tolist"):
        values = [float(v) for v in np.asarray(reproduced, dtype=float).ravel()]
    else:
        values = [float(reproduced)]
    if not values:
        raise ValueError("no reproduced values")
    return values


@dataclass
class Comparison:
    """One row of the reported-versus-reproduced table.

    ``reproduced`` is one value or a sequence over seeds or folds (shown as mean ± sd, n). ``kind``
    says how to show the numbers: ``"percent"`` (fractions, shown as %, differences in percentage
    points), ``"count"`` (whole numbers) or ``"number"`` (``decimals`` decimals).

    ``spread`` is how far the report's value may fall from our mean by run-to-run chance alone. By
    default, with two or more reproduced values of sd ``s``, it is ``2·s·√(1/reported_n + 1/n)``: two
    standard deviations of the difference between the report's value (a single run, or a mean of
    ``reported_n`` runs or folds) and our mean of ``n``.
    """

    quantity: str
    reported: float
    reproduced: object
    tolerance: Tolerance
    kind: str = "number"
    decimals: int = 4
    spread: float | None = None
    reported_n: int = 1

    def __post_init__(self):
        if self.kind not in ("percent", "count", "number"):
            raise ValueError(f"kind must be 'percent', 'count' or 'number', not {self.kind!r}")
        if not isinstance(self.tolerance, Tolerance):
            raise TypeError("tolerance must be a Tolerance (a value with its reason)")

    def stats(self) -> tuple[float, float | None, int]:
        values = _values(self.reproduced)
        n = len(values)
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
        return mean, sd, n

    def run_spread(self) -> float | None:
        if self.spread is not None:
            return float(self.spread)
        _, sd, n = self.stats()
        return None if sd is None else 2 * sd * math.sqrt(1 / self.reported_n + 1 / n)

    def tolerance_abs(self) -> float:
        t = self.tolerance
        return t.value * abs(float(self.reported)) if t.relative else t.value

    def verdict(self) -> str:
        mean, _, _ = self.stats()
        diff = abs(mean - float(self.reported))
        eps = 1e-12 * max(1.0, abs(float(self.reported)))
        if diff <= self.tolerance_abs() + eps:
            return "agrees"
        spread = self.run_spread()
        if spread is not None and diff <= spread + eps:
            return "within spread"
        return "differs"

    # -- display ------------------------------------------------------------------------------
    def _num(self, value: float) -> str:
        if self.kind == "percent":
            return f"{100 * value:.2f}%"
        if self.kind == "count":
            return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
        return f"{value:.{self.decimals}f}"

    def _delta(self, value: float, signed: bool = True) -> str:
        sign = "+" if signed else ""
        if self.kind == "percent":
            return f"{100 * value:{sign}.2f}\u00a0pt"  # no-break space: the unit stays with it
        if self.kind == "count":
            return f"{value:{sign},.0f}" if float(value).is_integer() else f"{value:{sign},.1f}"
        return f"{value:{sign}.{self.decimals}f}"

    def row(self) -> dict:
        mean, sd, n = self.stats()
        diff = mean - float(self.reported)
        shown = self._num(mean)
        if sd is not None:
            shown += f" ±\u00a0{self._delta(sd, signed=False)} (n={n})"
        if self.tolerance.relative:
            tol = f"±\u00a0{100 * self.tolerance.value:.1f}%"
        else:
            tol = "±\u00a0" + self._delta(self.tolerance.value, signed=False)
        spread = self.run_spread()
        return {
            "quantity": self.quantity,
            "reported": self._num(float(self.reported)),
            "reproduced": shown,
            "difference": self._delta(diff).replace("-", "−"),
            "tolerance": tol,
            "spread": "—" if spread is None else "±\u00a0" + self._delta(spread, signed=False),
            "verdict": self.verdict(),
            "basis": self.tolerance.basis,
        }


def comparison_table(rows: list[Comparison]):
    """The reported-versus-reproduced rows as a DataFrame of text, one row per quantity."""
    import pandas as pd

    if not rows:
        raise ValueError("a comparison table needs at least one row")
    return pd.DataFrame([r.row() for r in rows])


def verdict_counts(frame) -> dict[str, int]:
    return {v: int((frame["verdict"] == v).sum()) for v in VERDICTS}
