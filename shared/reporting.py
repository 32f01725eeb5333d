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

from shared import tables as _tables
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
        DataFrame of text. With ``glue_counts`` it also glues ``n_rows``, ``n_judged`` and the
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
        if glue_counts:
            counts = verdict_counts(frame)
            glue("n_rows", len(frame), "d")
            glue("n_judged", len(frame) - counts[NOT_JUDGED], "d")
            for verdict, count in counts.items():
                glue(f"n_{verdict.replace(' ', '_')}", count, "d")
        return frame

    def finish(self):
        """Record the wall time, glue the provenance table, hand it to the publisher if any."""
        import keras

        self.provenance.wall_time_s = round(time.perf_counter() - self._start, 1)
        self.provenance.dtype_policy = keras.mixed_precision.global_policy().name
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


# --- paired comparisons over seeds ----------------------------------------------------------------

#: the outcomes of a paired comparison over seeds
OUTCOMES = ("higher", "lower", "no difference detected", "undecided")
ALPHA = 0.05


@dataclass(frozen=True)
class PairedResult:
    """One paired comparison over seeds: first minus second, one difference per seed.

    ``outcome`` is ``"higher"`` or ``"lower"`` (the first is higher or lower, the test rejects no
    difference at ``alpha`` after the family's correction), ``"no difference detected"``, or
    ``"undecided"`` (the seeds cannot decide: fewer than two, or no spread and too few seeds for the
    exact sign-flip test to reach ``alpha``). ``test`` names the test; ``p_adjusted`` is the p-value
    after the family's Holm correction (equal to ``p`` for a family of one).
    """

    label: str
    n: int
    mean: float
    sd: float
    test: str
    p: float
    p_adjusted: float
    alpha: float
    family: int
    outcome: str
    reason: str = ""

    @property
    def direction(self) -> int:
        """+1 (higher), -1 (lower) or 0 (neither detected nor decided)."""
        return {"higher": 1, "lower": -1}.get(self.outcome, 0)

    def line(self, scale: float = 100.0, unit: str = "pt", decimals: int = 2) -> str:
        """The verdict in words with what it rests on, e.g. ``higher: +1.23 ± 0.40 pt over 5 seeds
        (t-test, Holm over 3 comparisons, p = 0.012)``."""
        if self.n == 0:
            return f"{self.outcome}: no seeds ({self.reason})"
        sd = "" if math.isnan(self.sd) else f" ± {scale * self.sd:.{decimals}f}"
        rests = f"over {self.n} seed{'s' if self.n != 1 else ''}"
        how = self.test + (f", Holm over {self.family} comparisons" if self.family > 1 else "")
        p = "" if math.isnan(self.p_adjusted) else f", p = {self.p_adjusted:.3g}"
        why = f"; {self.reason}" if self.reason else ""
        return (f"{self.outcome}: {scale * self.mean:+.{decimals}f}{sd} {unit} {rests} "
                f"({how}{p}{why})")


def _paired_p(d) -> tuple[str, float, str]:
    """(test, two-sided p, reason) for the null 'no difference' on paired differences ``d``."""
    import numpy as np
    from scipy import stats

    n = d.size
    if n < 2:
        return "none", math.nan, f"{n} seed: a paired test needs at least two"
    if np.all(d == 0):
        return "all differences zero", 1.0, ""
    sd = d.std(ddof=1)
    if sd > 1e-12 * max(1.0, float(np.abs(d).max())):
        t = d.mean() / (sd / math.sqrt(n))
        return "paired t-test", float(2 * stats.t.sf(abs(t), df=n - 1)), ""
    # every seed gave the same difference: a t-test has no spread to work with; the exact sign-flip
    # test (2^n equally likely signs under the null) still can, with enough seeds
    p = min(1.0, 2 / 2 ** n)
    return "exact sign-flip test (no spread)", p, "every seed gave the same difference"


def holm(pvalues, alpha: float = ALPHA) -> list[float]:
    """Holm's step-down adjusted p-values (reject where adjusted p ≤ alpha); NaN stays NaN."""
    import numpy as np

    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    running = 0.0
    for rank, i in enumerate(ok[np.argsort(p[ok], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out.tolist()


def paired_tests(comparisons: dict, alpha: float = ALPHA) -> list[PairedResult]:
    """Paired comparisons over seeds, one family: ``{label: differences}``, each differences one per
    seed (first minus second). Two-sided paired t-tests (an exact sign-flip test where the
    differences have no spread), Holm-corrected over the family so that the chance of calling any
    null difference real stays at most ``alpha``.
    """
    import numpy as np

    if not comparisons:
        raise ValueError("paired_tests needs at least one comparison")
    diffs = {k: np.asarray(v, dtype=float).ravel() for k, v in comparisons.items()}
    for k, d in diffs.items():
        if np.isnan(d).any():
            raise ValueError(f"{k!r}: a difference is NaN")
    tested = {k: _paired_p(d) for k, d in diffs.items()}
    labels = list(diffs)
    adjusted = dict(zip(labels, holm([tested[k][1] for k in labels], alpha), strict=True))
    m = sum(not math.isnan(tested[k][1]) for k in labels)
    results = []
    for k in labels:
        d, (test, p, reason) = diffs[k], tested[k]
        pa = adjusted[k]
        if math.isnan(p):
            outcome = "undecided"
        elif pa <= alpha:
            outcome = "higher" if d.mean() > 0 else "lower"
        elif test.startswith("exact sign-flip") and 2 / 2 ** d.size * max(m, 1) > alpha:
            outcome, reason = "undecided", (reason + f"; {d.size} seeds cannot reach p ≤ {alpha:g} "
                                            "without spread")
        else:
            outcome = "no difference detected"
        results.append(PairedResult(k, int(d.size), float(d.mean()),
                                    float(d.std(ddof=1)) if d.size > 1 else math.nan,
                                    test, p, pa, alpha, m, outcome, reason))
    return results


def paired_test(differences, alpha: float = ALPHA, label: str = "") -> PairedResult:
    """One paired comparison over seeds (a family of one): see :func:`paired_tests`."""
    return paired_tests({label: differences}, alpha)[0]


def paired_frame(results: list[PairedResult], scale: float = 100.0, unit: str = "pt"):
    """Paired results as a DataFrame (one row per comparison) for :func:`table`."""
    import pandas as pd

    return pd.DataFrame({
        "comparison": [r.label for r in results],
        f"mean ({unit})": [scale * r.mean for r in results],
        f"sd ({unit})": [scale * r.sd for r in results],
        "seeds": [r.n for r in results],
        "test": [r.test for r in results],
        "p (Holm)": [r.p_adjusted for r in results],
        "verdict": [r.outcome for r in results],
    }).set_index("comparison")


def paired_direction(differences, alpha: float = ALPHA) -> int:
    """The direction of one paired comparison over seeds (+1, -1, or 0 when no difference is
    detected or the seeds cannot decide), by :func:`paired_test`. A notebook that runs several such
    comparisons should test them as one family with :func:`paired_tests`."""
    return paired_test(differences, alpha).direction


#: the readings of a report's claimed change against a paired test over our seeds
READINGS = {
    "holds": "the test finds a change in the report's direction",
    "reversed": "the test finds a change against the report's direction",
    "not detected": "the report claims a change; the test finds none",
    "no change detected": "the report claims no change, and the test finds none (which is what "
                          "the seeds measured, not evidence of no change)",
    "change detected": "the report claims no change; the test finds one",
    "undecided": "the seeds cannot decide (too few, or no spread)",
}


def claim_reading(result: PairedResult, reported: float) -> str:
    """A report's claimed change ``reported`` (any unit; its sign is what counts, zero claims no
    change) read against our paired test ``result`` of the same difference, one of
    :data:`READINGS`. The claim must be fixed before the run: reading a claim chosen on the same
    seeds (our best column, say) would bias it towards *holds*."""
    if math.isnan(reported):
        raise ValueError("the report's change is NaN")
    if result.outcome == "undecided":
        return "undecided"
    found = result.direction
    if reported == 0:
        return "no change detected" if found == 0 else "change detected"
    if found == 0:
        return "not detected"
    return "holds" if found == (1 if reported > 0 else -1) else "reversed"


# --- tables (shared.tables, re-exported) ------------------------------------------------------------

TABLE_CLASS, format_table, table = _tables.TABLE_CLASS, _tables.format_table, _tables.table


# --- reported versus reproduced --------------------------------------------------------------------

VERDICTS = ("agrees", "differs")
NOT_JUDGED = "not judged"
VERDICT_MEANING = {
    "agrees": "the report's number lies inside the interval where a run like the report's would "
              "land, given our runs",
    "differs": "it lies outside that interval",
    NOT_JUDGED: "shown beside the report's number without a verdict (another budget or protocol)",
}
#: the rule, explained once (the scoreboard and each chapter's table show it)
RULE = (
    "A run like the report's would land within ±h of our mean, where h combines, in quadrature, "
    "(1) the measurement tolerance stated with its reason (for an accuracy: two binomial standard "
    "errors of *both* test sets, the report's and ours, since the two numbers come from different "
    "test images; plus the precision the report printed), and (2) the run-to-run spread of our "
    "seeds: t(0.975, n−1) · s · √(1/n_report + 1/n), with s our seeds' sd, n their number and "
    "n_report the runs behind the report's number (1 unless it averages folds or seeds). With one "
    "run of ours there is no seed term, and the row says so. *agrees*: |report − ours| ≤ h; "
    "*differs*: beyond it."
)
BUDGETS = {"report": "at the report's budget", "reduced": "at a reduced budget"}


@dataclass(frozen=True)
class Tolerance:
    """The measurement part of a comparison's interval, and the reason for it.

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
    def binomial(cls, p: float, n: int, k: float = 2.0, n_report: int | None = None,
                 printed: float = 0.0, same_set: bool = False) -> Tolerance:
        """Sampling error of the difference between an accuracy near ``p`` on our ``n`` test items
        and the report's on its own ``n_report`` (None: as many as ours, drawn independently):
        ``k``·√(p(1−p)(1/n + 1/n_report)), plus ``printed``, the rounding of the report's number
        (e.g. 0.005 for whole percentages), added in full.

        ``same_set``: the report scored the very same items (MNIST's official test set, say), so
        the two numbers share their draw of items and only one set's error, ``k``·√(p(1−p)/n),
        is counted."""
        if n < 1 or (n_report is not None and n_report < 1):
            raise ValueError("test-set sizes must be positive")
        if same_set:
            se = math.sqrt(p * (1 - p) / n)
            rounding = f" plus ±{100 * printed:g} pt printed precision" if printed else ""
            return cls(k * se + printed,
                       f"sampling error of an accuracy near {100 * p:.2f}% on the same {n:,} items "
                       f"the report scored (one set's draw): {k:g} SE, SE = √(p(1−p)/n) = "
                       f"{100 * se:.3f} pt{rounding}")
        nr = n if n_report is None else n_report
        se = math.sqrt(p * (1 - p) * (1 / n + 1 / nr))
        theirs = "as many, drawn apart" if n_report is None else f"{nr:,}"
        rounding = f" plus ±{100 * printed:g} pt printed precision" if printed else ""
        return cls(k * se + printed,
                   f"sampling error of two accuracies near {100 * p:.2f}% on different test sets "
                   f"(ours {n:,} items, the report's {theirs}): {k:g} SE, "
                   f"SE = √(p(1−p)(1/n + 1/n_report)) = {100 * se:.3f} pt{rounding}")

    @classmethod
    def mean(cls, values, what: str, k: float = 2.0, relative: bool = False,
             n_report: int | None = None, printed: float = 0.0) -> Tolerance:
        """Sampling error of a mean over the measured ``values`` (``k`` SE = k·sd/√n), counted for
        both sides: by default the report's mean is over as many items as ours (``k``·√2·sd/√n);
        with ``n_report``, over that many (``k``·sd·√(1/n + 1/n_report), our sd standing in for
        theirs). ``printed``, the rounding of the report's number, is added in full (in the
        mean's units; relative to the mean when ``relative``)."""
        import numpy as np

        values = np.asarray(values, dtype=float).ravel()
        n = values.size
        if n < 2:
            raise ValueError("Tolerance.mean needs at least two values")
        if n_report is not None and n_report < 1:
            raise ValueError("n_report must be positive")
        if printed < 0:
            raise ValueError("printed precision must not be negative")
        sd = float(values.std(ddof=1))
        if n_report is None:
            se, how, sides = sd / math.sqrt(n) * math.sqrt(2), f"{k:g}·√2 SE", "on each side"
        else:
            se = sd * math.sqrt(1 / n + 1 / n_report)
            how = f"{k:g} SE, SE = sd·√(1/n + 1/n_report)"
            sides = f"(ours) and {n_report:,} (the report's)"
        rounding = f" plus ±{printed:g} printed precision" if printed else ""
        if relative:
            m = abs(float(values.mean()))
            return cls((k * se + printed) / m,
                       f"sampling error of {what} over {n:,} items {sides}, "
                       f"relative ({how} / mean, measured on our run){rounding}", relative=True)
        return cls(k * se + printed, f"sampling error of {what} over {n:,} values {sides} "
                                     f"({how}, measured){rounding}")

    @classmethod
    def sd(cls, sd: float, n: int, k: float = 2.0) -> Tolerance:
        """Sampling error of a standard deviation from ``n`` values: ``k``·sd/√(2(n−1))."""
        if n < 2:
            raise ValueError("Tolerance.sd needs n >= 2")
        return cls(k * sd / math.sqrt(2 * (n - 1)),
                   f"sampling error of an sd from {n} values ({k:g} SE ≈ sd/√(2(n−1)), at the "
                   "reported sd)")

    @classmethod
    def with_spread(cls, base: Tolerance, sd: float, df: int, source: str, n: int = 1,
                    n_report: int = 1) -> Tolerance:
        """``base`` (absolute) and the run-to-run spread of :data:`RULE`, in quadrature, where our
        own seeds cannot give it (one run of ours): ``sd`` is a run-to-run standard deviation
        measured elsewhere (``source`` says where) with ``df`` degrees of freedom, and the seed term
        is t(0.975, df)·sd·√(1/n_report + 1/n) for our ``n`` runs against the report's
        ``n_report``."""
        if base.relative:
            raise ValueError("with_spread needs an absolute base tolerance")
        if df < 1 or n < 1 or n_report < 1:
            raise ValueError("with_spread needs df, n and n_report of at least 1")
        if not (sd >= 0 and math.isfinite(sd)):
            raise ValueError(f"the spread must be a finite sd >= 0, got {sd}")
        seed = t_quantile(df + 1) * sd * math.sqrt(1 / n_report + 1 / n)
        return cls(math.hypot(base.value, seed),
                   f"{base.basis}; in quadrature with the run-to-run spread measured in {source} "
                   f"(sd {sd:.4g}, {df} degrees of freedom): t(0.975, {df}) · sd · "
                   f"√(1/{n_report} + 1/{n}) = {seed:.4g}")

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
    return values


def pooled_sd(groups) -> tuple[float, int]:
    """The pooled standard deviation of several groups of values (each one condition's runs over
    seeds) and its degrees of freedom: √(Σ (n_i − 1) s_i² / Σ (n_i − 1)), Σ (n_i − 1). Groups of
    fewer than two values add nothing; at least one group needs two."""
    import numpy as np

    ss, df = 0.0, 0
    for g in groups:
        v = np.asarray(g, dtype=float).ravel()
        if v.size >= 2:
            ss += float(((v - v.mean()) ** 2).sum())
            df += v.size - 1
    if df == 0:
        raise ValueError("pooled_sd needs a group of at least two values")
    return math.sqrt(ss / df), df


def t_quantile(n: int, level: float = 0.95) -> float:
    """The two-sided ``level`` quantile of Student's t with n−1 degrees of freedom."""
    from scipy import stats

    if n < 2:
        raise ValueError("a t quantile needs n >= 2")
    return float(stats.t.ppf(0.5 + level / 2, df=n - 1))


@dataclass
class Comparison:
    """One row of the reported-versus-reproduced table.

    ``reproduced`` is one value or a sequence over seeds or folds (shown as mean ± sd, n). ``kind``
    says how to show the numbers: ``"percent"`` (fractions, shown as %, differences in percentage
    points), ``"count"`` (whole numbers) or ``"number"`` (``decimals`` decimals).

    The verdict follows :data:`RULE`. A row with ``unjudged`` (the reason) is shown beside the
    report's number without a verdict and never counted (another budget, another protocol). An
    unjudged row may have no reproduced values (``reproduced=[]``): a reported number that this
    run did not measure (say, a part left out of the ``cpu`` budget), shown as "not run".
    ``budget`` (``"report"`` or ``"reduced"``) says whether the row was measured at the report's
    budget; ``run.compare`` fills it from the chapter's declared budget: ``reduced`` when any of
    ``uses`` (the budget entries the row depends on; None: all of them) is reduced.
    """

    quantity: str
    reported: float
    reproduced: object
    tolerance: Tolerance | None = None
    kind: str = "number"
    decimals: int = 4
    reported_n: int = 1
    unjudged: str = ""
    budget: str | None = None
    uses: tuple | None = None

    def __post_init__(self):
        if self.kind not in ("percent", "count", "number"):
            raise ValueError(f"kind must be 'percent', 'count' or 'number', not {self.kind!r}")
        if not _values(self.reproduced) and not self.unjudged:
            raise ValueError(f"{self.quantity}: no reproduced values; a row that was not run "
                             "needs unjudged= (the reason)")
        if self.unjudged:
            if self.tolerance is None:
                self.tolerance = Tolerance(0.0, "not judged")
        elif not isinstance(self.tolerance, Tolerance):
            raise TypeError("tolerance must be a Tolerance (a value with its reason), or give "
                            "unjudged= (the reason the row has no verdict)")
        if self.budget not in (None, *BUDGETS):
            raise ValueError(f"budget must be one of {list(BUDGETS)}, not {self.budget!r}")

    def record(self) -> dict:
        """The row as numbers (what the notebook stores and the scoreboard reads)."""
        values = _values(self.reproduced)
        n = len(values)
        mean = sum(values) / n if n else None
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
        t = self.tolerance
        tol = t.value * abs(float(self.reported)) if t.relative else t.value
        record = {
            "quantity": self.quantity, "kind": self.kind, "decimals": self.decimals,
            "reported": float(self.reported), "reported_n": int(self.reported_n),
            "values": values, "n": n, "mean": mean, "sd": sd,
            "tolerance": float(tol), "tolerance_relative": t.value if t.relative else None,
            "tolerance_basis": t.basis,
            "judged": not self.unjudged, "unjudged": self.unjudged,
            "budget": self.budget or "report",
        }
        return record | claim_interval(record)

    def verdict(self) -> str:
        return self.record()["verdict"]

    def row(self) -> dict:
        return claim_text(self.record())


def claim_interval(record: dict) -> dict:
    """The :data:`RULE` applied to a claim's numbers (``n``, ``sd``, ``mean``, ``reported``,
    ``reported_n``, ``tolerance``, ``judged``): the seed term, the half-width h, the difference and
    the verdict."""
    n, sd, reported = record["n"], record["sd"], record["reported"]
    if n >= 2 and sd is not None:
        tq = t_quantile(n)
        seed = tq * sd * math.sqrt(1 / record["reported_n"] + 1 / n)
    else:
        tq, seed = None, 0.0
    half = math.sqrt(record["tolerance"] ** 2 + seed ** 2)
    if not n:  # not run: nothing to judge
        if record["judged"]:
            raise ValueError(f"{record['quantity']}: a judged claim needs reproduced values")
        return {"t_quantile": None, "seed_term": 0.0, "interval": half, "difference": None,
                "verdict": NOT_JUDGED}
    diff = record["mean"] - reported
    eps = 1e-12 * max(1.0, abs(reported))
    verdict = (NOT_JUDGED if not record["judged"]
               else "agrees" if abs(diff) <= half + eps else "differs")
    return {"t_quantile": tq, "seed_term": seed, "interval": half, "difference": diff,
            "verdict": verdict}


def claim_verdict(record: dict) -> str:
    """Recompute a stored claim's verdict from its numbers (the scoreboard does, and checks)."""
    return claim_interval(record)["verdict"]


def _num(value: float, kind: str, decimals: int) -> str:
    if kind == "percent":
        return f"{100 * value:.2f}%"
    if kind == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{value:.{decimals}f}"


def _delta(value: float, kind: str, decimals: int, signed: bool = True) -> str:
    sign = "+" if signed else ""
    if kind == "percent":
        text = f"{100 * value:{sign}.2f}\u00a0pt"  # no-break space: the unit stays with it
    elif kind == "count":
        text = f"{value:{sign},.0f}" if float(value).is_integer() else f"{value:{sign},.1f}"
    else:
        text = f"{value:{sign}.{decimals}f}"
    return text.replace("-", "−")


def claim_text(r: dict) -> dict:
    """A stored claim's cells as text (the reported-versus-reproduced table, the scoreboard)."""
    kind, dec = r["kind"], r["decimals"]
    shown = "not run" if r["mean"] is None else _num(r["mean"], kind, dec)
    if r["sd"] is not None:
        shown += f" ±\u00a0{_delta(r['sd'], kind, dec, signed=False)} (n={r['n']})"
    if r["judged"]:
        tol = "±\u00a0" + _delta(r["tolerance"], kind, dec, signed=False)
        seed = ("—" if r["t_quantile"] is None
                else "±\u00a0" + _delta(r["seed_term"], kind, dec, signed=False))
        half = "±\u00a0" + _delta(r["interval"], kind, dec, signed=False)
        basis = r["tolerance_basis"] + ("" if r["n"] >= 2 else "; one run of ours: no seed term")
    else:
        tol = seed = half = "—"
        basis = r["unjudged"]
    return {
        "quantity": r["quantity"],
        "reported": _num(r["reported"], kind, dec),
        "reproduced": shown,
        "difference": "—" if r["difference"] is None else _delta(r["difference"], kind, dec),
        "tolerance": tol,
        "seed spread": seed,
        "interval": half,
        "verdict": r["verdict"],
        "budget": BUDGETS[r["budget"]].removeprefix("at "),
        "basis": basis,
    }


def comparison_table(rows: list[Comparison]):
    """The reported-versus-reproduced rows as a DataFrame of text, one row per quantity."""
    import pandas as pd

    if not rows:
        raise ValueError("a comparison table needs at least one row")
    return pd.DataFrame([r.row() for r in rows])


def verdict_counts(frame) -> dict[str, int]:
    """How many rows of each verdict (and not judged), from a table or a list of records."""
    import pandas as pd

    verdicts = pd.DataFrame(frame)["verdict"] if len(frame) else pd.Series([], dtype=str)
    return {v: int((verdicts == v).sum()) for v in (*VERDICTS, NOT_JUDGED)}
