"""Reported versus reproduced: tolerances, comparisons, the rule, verdicts and their text.

Presentation only: nothing here determines a stored run's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    "run of ours our seeds give no seed term: the row either says so or borrows the run-to-run "
    "spread measured on other runs of the same network (the same formula, with that spread's "
    "degrees of freedom), and names where it comes from. *agrees*: |report − ours| ≤ h; "
    "*differs*: beyond it."
)
BUDGETS = {"report": "at the report's budget", "reduced": "at a reduced budget"}


@dataclass(frozen=True)
class Tolerance:
    """The measurement part of a comparison's interval, and the reason for it.

    ``value`` is absolute, or a fraction of the reported value when ``relative`` is true. Build one
    from a reason with the class methods; :meth:`stated` takes any other reason, written out.
    ``borrowed_seed_term`` and ``borrowed_from`` are set by :meth:`with_spread` (the seed term
    already inside ``value`` and where its spread was measured), so that a single run's row can
    show that term as its seed spread.
    """

    value: float
    basis: str
    relative: bool = False
    borrowed_seed_term: float | None = None
    borrowed_from: str = ""

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
    def bootstrap(cls, statistic, data, what: str, k: float = 2.0, n_report: int | None = None,
                  same_set: bool = False, printed: float = 0.0, n_resamples: int = 1000,
                  seed: int = 0) -> Tolerance:
        """Sampling error of a statistic of our test items that is no plain proportion or mean (a
        precision over predicted positives, a macro F1): ``statistic(*arrays)`` on ``data`` (a
        tuple of arrays, one row per item), its standard error from ``n_resamples`` bootstrap
        resamples of the items (scipy's ``bootstrap``, items resampled together). As for
        :meth:`binomial`: ``same_set`` counts one set's draw (the report scored the same items);
        otherwise the report's number is taken over ``n_report`` items (None: as many as ours)
        drawn apart, with the same error per item, so SE·√(1 + n/n_report). ``printed`` is added
        in full."""
        from scipy import stats

        data = tuple(data)
        n = len(data[0])
        if n < 2 or any(len(a) != n for a in data):
            raise ValueError("bootstrap needs at least two items and arrays of one length")
        if n_report is not None and n_report < 1:
            raise ValueError("n_report must be positive")
        res = stats.bootstrap(data, statistic, paired=True, vectorized=False,
                              n_resamples=n_resamples, method="percentile", random_state=seed)
        se = float(res.standard_error)
        rounding = f" plus ±{printed:g} printed precision" if printed else ""
        if same_set:
            return cls(k * se + printed,
                       f"sampling error of {what} on the same {n:,} items the report scored (one "
                       f"set's draw): {k:g} SE, SE = {se:.4g} from {n_resamples:,} bootstrap "
                       f"resamples of our items{rounding}")
        nr = n if n_report is None else n_report
        scale = math.sqrt(1 + n / nr)
        theirs = "as many, drawn apart" if n_report is None else f"{nr:,}"
        return cls(k * se * scale + printed,
                   f"sampling error of {what} on different test sets (ours {n:,} items, the "
                   f"report's {theirs}): {k:g} SE·√(1 + n/n_report), SE = {se:.4g} from "
                   f"{n_resamples:,} bootstrap resamples of our items{rounding}")

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
                   f"√(1/{n_report} + 1/{n}) = {seed:.4g}",
                   borrowed_seed_term=seed, borrowed_from=source)

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

    ``fact``: a structural fact (a parameter count), checked by the same rule but counted apart
    from the report's results on the scoreboard and in the chapter's counts; the row can still
    read *differs* (never put an ``assert`` before it).

    ``reported_text``: what the report wrote where it is not one number (a range, "2.5–3.0"; a
    bound, "below 2.0"); the *reported* column shows it in place of ``reported``, which stays the
    number the rule reads (say, the range's middle, with its half-width in the tolerance).
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
    fact: bool = False
    reported_text: str = ""

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
            "budget": self.budget or "report", "fact": bool(self.fact),
            "reported_text": self.reported_text,
            "borrowed_seed_term": t.borrowed_seed_term, "borrowed_from": t.borrowed_from,
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
        borrowed = r.get("borrowed_seed_term")  # records stored before the field: None
        if r["n"] < 2 and borrowed is not None:
            # one run of ours, the seed term borrowed (already inside the tolerance): show it
            # apart, the measurement part alone as the tolerance
            measured = math.sqrt(max(r["tolerance"] ** 2 - borrowed ** 2, 0.0))
            tol = "±\u00a0" + _delta(measured, kind, dec, signed=False)
            seed = "±\u00a0" + _delta(borrowed, kind, dec, signed=False) + " (borrowed)"
            basis = (r["tolerance_basis"] + "; one run of ours: the seed term is the spread "
                     f"borrowed from {r.get('borrowed_from') or 'other runs'}")
        else:
            tol = "±\u00a0" + _delta(r["tolerance"], kind, dec, signed=False)
            seed = ("—" if r["t_quantile"] is None
                    else "±\u00a0" + _delta(r["seed_term"], kind, dec, signed=False))
            basis = r["tolerance_basis"] + ("" if r["n"] >= 2
                                            else "; one run of ours: no seed term")
        half = "±\u00a0" + _delta(r["interval"], kind, dec, signed=False)
        if r.get("fact"):
            basis += "; a structural fact, counted apart from the report's results"
    else:
        tol = seed = half = "—"
        basis = r["unjudged"]
    return {
        "quantity": r["quantity"],
        "reported": r.get("reported_text") or _num(r["reported"], kind, dec),
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
