"""Paired comparisons over seeds: a null difference is called real at most at the stated rate, a
large one is found, and too few seeds or no spread give 'undecided' rather than a verdict."""

import math

import numpy as np
import pytest

from shared.reporting import (
    READINGS,
    claim_reading,
    holm,
    paired_direction,
    paired_frame,
    paired_test,
    paired_tests,
)


@pytest.mark.parametrize("n", [3, 5])
def test_a_null_difference_is_called_real_at_most_at_the_stated_rate(n):
    rng = np.random.default_rng(0)
    sims = 4000
    called = sum(paired_test(rng.normal(0, 0.01, n)).outcome in ("higher", "lower")
                 for _ in range(sims))
    rate, se = called / sims, math.sqrt(0.05 * 0.95 / sims)
    assert rate <= 0.05 + 3 * se, rate
    assert rate >= 0.05 - 3 * se, rate  # and it is a 5 % test, not a much stricter one


def test_the_former_two_se_rule_would_have_failed_this_test():
    # the rule this replaces (|mean| > 2 SE) calls about 18 % of null differences real with 3 seeds
    rng = np.random.default_rng(1)
    d = rng.normal(0, 1, (4000, 3))
    two_se = np.abs(d.mean(1)) > 2 * d.std(1, ddof=1) / math.sqrt(3)
    assert 0.15 < two_se.mean() < 0.21


def test_a_large_difference_is_found_with_its_sign():
    rng = np.random.default_rng(2)
    found = [paired_test(rng.normal(0.03, 0.01, 5)).outcome for _ in range(500)]
    assert found.count("higher") / 500 > 0.95
    assert paired_test([-0.031, -0.029, -0.03, -0.028]).outcome == "lower"


def test_holm_keeps_the_family_wise_rate_over_eight_null_comparisons():
    rng = np.random.default_rng(3)
    sims, any_called = 2000, 0
    for _ in range(sims):
        family = {f"c{i}": rng.normal(0, 1, 5) for i in range(8)}
        any_called += any(r.direction for r in paired_tests(family))
    rate = any_called / sims
    assert rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / sims), rate


def test_holm_adjusted_pvalues_match_the_textbook_example():
    # Holm (1979) step-down: sorted p 0.01, 0.02, 0.03, 0.04 over m = 4 -> 0.04, 0.06, 0.06, 0.06
    assert holm([0.03, 0.01, 0.04, 0.02]) == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert math.isnan(holm([0.01, float("nan")])[1]) and holm([0.01, float("nan")])[0] == 0.01


def test_too_few_seeds_or_no_spread_is_undecided():
    one = paired_test([0.02])
    assert one.outcome == "undecided" and "at least two" in one.reason
    # every seed the same difference (accuracies move in steps of 1/n): no spread for a t-test;
    # the exact sign-flip test cannot reach 5 % with 3 seeds (best two-sided p = 0.25) ...
    same = paired_test([0.005, 0.005, 0.005])
    assert same.outcome == "undecided" and "sign-flip" in same.test
    # ... and can with 6 (p = 2/64)
    assert paired_test([0.005] * 6).outcome == "higher"
    assert paired_test([0.0, 0.0, 0.0]).outcome == "no difference detected"


def test_the_verdict_line_says_what_it_rests_on():
    rs = paired_tests({"a": [0.011, 0.013, 0.012, 0.014, 0.010], "b": [0.01, -0.01, 0.0]})
    line = rs[0].line()
    assert line.startswith("higher: +1.20 ± 0.16 pt over 5 seeds")
    assert "paired t-test, Holm over 2 comparisons, p = " in line
    assert rs[1].outcome == "no difference detected" and "over 3 seeds" in rs[1].line()
    frame = paired_frame(rs)
    assert list(frame["verdict"]) == ["higher", "no difference detected"]
    assert frame.loc["a", "seeds"] == 5
    assert paired_direction([1.0, 1.1, 0.9]) == 1 and paired_direction([1.0, -1.0, 0.5]) == 0
    with pytest.raises(ValueError, match="NaN"):
        paired_tests({"x": [0.1, float("nan")]})
    with pytest.raises(ValueError, match="at least one"):
        paired_tests({})


def test_a_claimed_change_is_read_against_the_test_in_its_own_direction():
    up = paired_test([0.031, 0.029, 0.030, 0.028])
    down = paired_test([-0.031, -0.029, -0.030, -0.028])
    null = paired_test([0.01, -0.012, 0.004, -0.003])
    assert (up.outcome, down.outcome, null.outcome) == ("higher", "lower",
                                                        "no difference detected")
    assert claim_reading(up, +0.7) == "holds"
    assert claim_reading(up, -0.15) == "reversed"
    assert claim_reading(down, -0.15) == "holds"
    assert claim_reading(null, +0.7) == "not detected"
    # a claimed zero is met only by finding nothing, and contradicted by finding anything
    assert claim_reading(null, 0.0) == "no change detected"
    assert claim_reading(up, 0.0) == claim_reading(down, 0.0) == "change detected"
    # too few seeds decide nothing, whatever the claim
    one = paired_test([0.03])
    assert {claim_reading(one, r) for r in (-1, 0, 1)} == {"undecided"}
    assert set(READINGS) == {"holds", "reversed", "not detected", "no change detected",
                             "change detected", "undecided"}
    with pytest.raises(ValueError):
        claim_reading(up, float("nan"))


def test_pooled_sd_weights_groups_by_their_degrees_of_freedom():
    from shared.reporting import pooled_sd

    sd, df = pooled_sd([[1.0, 3.0], [10.0, 10.0, 13.0], [7.0]])
    # sums of squares 2 and 6 over 1 + 2 degrees of freedom; the single value adds nothing
    assert df == 3 and sd == pytest.approx((8 / 3) ** 0.5)
    with pytest.raises(ValueError, match="at least two"):
        pooled_sd([[1.0], [2.0]])


def test_with_spread_adds_the_seed_term_in_quadrature():
    from shared.reporting import Comparison, Tolerance, t_quantile

    base = Tolerance.binomial(0.98, 2000)
    tol = Tolerance.with_spread(base, sd=0.002, df=4, source="chapter 12")
    seed = t_quantile(5) * 0.002 * 2 ** 0.5
    assert tol.value == pytest.approx((base.value ** 2 + seed ** 2) ** 0.5)
    assert "chapter 12" in tol.basis and "4 degrees of freedom" in tol.basis
    # a single run 0.9 pt from the report: outside the binomial part alone, inside with the spread
    near = Comparison("cell", 0.980, 0.971, base, kind="percent")
    wide = Comparison("cell", 0.980, 0.971, tol, kind="percent")
    assert near.verdict() == "differs" and wide.verdict() == "agrees"
    with pytest.raises(ValueError):
        Tolerance.with_spread(base, sd=-1.0, df=4, source="x")
    with pytest.raises(ValueError):
        Tolerance.with_spread(base, sd=0.002, df=0, source="x")


def test_one_run_range_covers_a_new_run_at_its_level():
    from shared.stats import one_run_range

    lo, hi = one_run_range([1.0, 2.0, 3.0])
    # mean 2, sd 1, t(2) = 4.303, sqrt(1 + 1/3)
    assert (lo, hi) == pytest.approx((2 - 4.3027 * (4 / 3) ** 0.5, 2 + 4.3027 * (4 / 3) ** 0.5),
                                     abs=1e-3)
    rng = np.random.default_rng(1)
    sims, inside = 4000, 0
    for _ in range(sims):
        runs, new = rng.normal(0, 1, 3), rng.normal(0, 1)
        lo, hi = one_run_range(runs)
        inside += lo <= new <= hi
    assert abs(inside / sims - 0.95) < 3 * math.sqrt(0.95 * 0.05 / sims)
    with pytest.raises(ValueError, match="at least two"):
        one_run_range([1.0])


def test_bootstrap_tolerance_matches_the_binomial_for_a_proportion():
    from shared.reporting import Tolerance

    rng = np.random.default_rng(3)
    right = (rng.random(2000) < 0.85).astype(float)
    p = right.mean()

    def accuracy(x):
        return x.mean()

    same = Tolerance.bootstrap(accuracy, (right,), "an accuracy", same_set=True)
    apart = Tolerance.bootstrap(accuracy, (right,), "an accuracy", n_report=10_000,
                                printed=0.0005)
    assert same.value == pytest.approx(Tolerance.binomial(p, 2000, same_set=True).value, rel=0.1)
    assert apart.value == pytest.approx(
        Tolerance.binomial(p, 2000, n_report=10_000, printed=0.0005).value, rel=0.1)
    assert apart.value > same.value and "bootstrap" in apart.basis
    # two arrays resampled together: a precision over the predicted positives
    truth = rng.random(500) < 0.5
    said = np.where(rng.random(500) < 0.8, truth, ~truth)
    tol = Tolerance.bootstrap(lambda t, s: (t & s).sum() / max(s.sum(), 1), (truth, said),
                              "a precision", same_set=True)
    assert 0 < tol.value < 0.2
    with pytest.raises(ValueError):
        Tolerance.bootstrap(accuracy, (right, right[:10]), "x")
