"""Paired statistics over seeds: the paired test, Holm's correction, the reading of a claim.

Presentation only: nothing here determines a stored run's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def one_run_range(values, level: float = 0.95) -> tuple[float, float]:
    """Where one more run would fall with probability ``level``, from the runs ``values`` (a
    t prediction interval: mean ± t(n-1) · sd · sqrt(1 + 1/n)); use it to ask whether a report's
    single run lies among ours. Needs two values or more."""
    import numpy as np
    from scipy import stats

    v = np.asarray(values, dtype=float).ravel()
    if v.size < 2:
        raise ValueError(f"a range for one run needs at least two runs, not {v.size}")
    half = stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) * math.sqrt(1 + 1 / v.size)
    return float(v.mean() - half), float(v.mean() + half)
