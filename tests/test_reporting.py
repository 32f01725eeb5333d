import math

import jupytext
import pandas as pd
import pytest

from shared.reporting import (
    Comparison,
    Tolerance,
    code_hash,
    comparison_table,
    format_duration,
    format_table,
    mean_sd,
    table,
    verdict_counts,
)

CHAPTER = """# %% [markdown]
# # A chapter

# %%
x = 1

# %% [markdown]
# Some prose.

# %%
print(x + 1)
"""


def _write(tmp_path, text, name="ch.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_code_hash_changes_when_a_code_cell_changes(tmp_path):
    before = code_hash(_write(tmp_path, CHAPTER))
    after = code_hash(_write(tmp_path, CHAPTER.replace("x + 1", "x + 2")))
    assert before != after


def test_code_hash_ignores_prose(tmp_path):
    before = code_hash(_write(tmp_path, CHAPTER))
    assert code_hash(_write(tmp_path, CHAPTER.replace("Some prose.", "Better prose."))) == before


def test_code_hash_same_for_py_and_its_ipynb(tmp_path):
    py = _write(tmp_path, CHAPTER)
    nb = jupytext.read(py)
    jupytext.write(nb, tmp_path / "ch.ipynb", fmt="ipynb")
    assert code_hash(tmp_path / "ch.ipynb") == code_hash(py)


def test_code_hash_sees_cell_boundaries(tmp_path):
    one = code_hash(_write(tmp_path, "# %%\na = 1\nb = 2\n"))
    two = code_hash(_write(tmp_path, "# %%\na = 1\n\n# %%\nb = 2\n"))
    assert one != two


NBSP = "\u00a0"


def test_comparison_verdicts_and_cells():
    rows = [
        Comparison("acc", 0.9918, [0.990, 0.992, 0.994], Tolerance.binomial(0.9918, 10_000),
                   kind="percent"),
        Comparison("loss", 0.0264, 0.05, Tolerance.stated(0.1, "relative, for the test", relative=True)),
        Comparison("params", 93322, 93322, Tolerance.exact(), kind="count"),
    ]
    t = comparison_table(rows).set_index("quantity")
    assert t.loc["acc", "verdict"] == "agrees"
    assert t.loc["acc", "reproduced"] == f"99.20% ±{NBSP}0.20{NBSP}pt (n=3)"
    assert t.loc["acc", "difference"] == f"+0.02{NBSP}pt"
    assert t.loc["loss", "verdict"] == "differs"  # one value: no seed term
    assert "one run of ours" in t.loc["loss", "basis"] and t.loc["loss", "seed spread"] == "—"
    assert t.loc["loss", "reproduced"] == "0.0500"
    assert t.loc["loss", "tolerance"] == f"±{NBSP}0.0026"  # 10 % of the reported 0.0264
    assert t.loc["params", "verdict"] == "agrees" and t.loc["params", "reported"] == "93,322"
    r = rows[0].record()
    assert r["mean"] == pytest.approx(0.992) and r["sd"] == pytest.approx(0.002) and r["n"] == 3
    assert r["values"] == [0.990, 0.992, 0.994] and r["budget"] == "report"
    assert verdict_counts(t) == {"agrees": 2, "differs": 1, "not judged": 0}


def test_interval_combines_tolerance_and_t_based_seed_term():
    from scipy import stats

    tol = Tolerance.stated(0.003, "stated for the test")
    values = [0.97, 0.98, 0.99, 0.98]  # mean 0.98, n = 4
    sd = pd.Series(values).std()
    seed = stats.t.ppf(0.975, 3) * sd * math.sqrt(1 + 1 / 4)
    half = math.sqrt(0.003 ** 2 + seed ** 2)
    r = Comparison("q", 0.98 + 0.99 * half, values, tol).record()
    assert r["t_quantile"] == pytest.approx(3.182, abs=1e-3)
    assert r["seed_term"] == pytest.approx(seed) and r["interval"] == pytest.approx(half)
    assert r["verdict"] == "agrees"
    assert Comparison("q", 0.98 + 1.01 * half, values, tol).verdict() == "differs"
    assert Comparison("q", 0.98 - 1.01 * half, values, tol).verdict() == "differs"
    # a reported mean of 5 folds: the report's side of the seed term shrinks
    folds = Comparison("q", 0.98, values, tol, reported_n=5).record()
    assert folds["seed_term"] == pytest.approx(stats.t.ppf(0.975, 3) * sd * math.sqrt(1 / 5 + 1 / 4))
    # with 3 seeds the t quantile is 4.30, not the 2 of a normal rule
    assert Comparison("q", 0.5, [0.1, 0.2, 0.3], tol).record()["t_quantile"] == pytest.approx(4.303,
                                                                                              abs=1e-3)


def test_an_unjudged_row_has_no_verdict_and_needs_its_reason():
    row = Comparison("15 epochs against the report's 45", 0.854, [0.80, 0.81],
                     unjudged="another budget: 15 epochs, the report's 45", kind="percent")
    r = row.record()
    assert r["verdict"] == "not judged" and not r["judged"]
    cells = row.row()
    assert cells["interval"] == "—" and cells["basis"].startswith("another budget")
    with pytest.raises(TypeError, match="unjudged"):
        Comparison("q", 1.0, 1.0)
    assert verdict_counts([r]) == {"agrees": 0, "differs": 0, "not judged": 1}


def test_a_row_that_was_not_run_shows_the_report_alone_and_is_never_judged():
    from shared.reporting import claim_text, claim_verdict

    row = Comparison("hybrid: test accuracy", 0.9844, [], kind="percent",
                     unjudged="not run at the cpu profile (full only)")
    r = row.record()
    assert r["n"] == 0 and r["mean"] is None and r["difference"] is None
    assert r["verdict"] == "not judged" and claim_verdict(r) == "not judged"
    cells = claim_text(r)
    assert cells["reproduced"] == "not run" and cells["difference"] == "—"
    assert cells["reported"] == "98.44%" and cells["basis"].startswith("not run")
    # a judged row must have values: nothing to judge is not "agrees"
    with pytest.raises(ValueError, match="unjudged"):
        Comparison("q", 0.98, [], Tolerance.binomial(0.98, 300), kind="percent")
    with pytest.raises(ValueError, match="judged claim"):
        claim_verdict({**r, "judged": True})


def test_a_reported_range_or_bound_shows_as_the_report_wrote_it():
    from shared.reporting import claim_text

    tol = Tolerance.stated(1.0 + 0.05, "the range's half-width plus its printed precision")
    row = Comparison("validation MSE", 1.0, [1.8], tol, kind="number", decimals=2,
                     reported_text="below 2.0")
    r = row.record()
    assert claim_text(r)["reported"] == "below 2.0"  # never the middle it is judged at
    assert r["reported"] == 1.0 and r["verdict"] == "agrees"
    outside = Comparison("validation MSE", 1.0, [2.3], tol, kind="number",
                         reported_text="below 2.0")
    assert outside.verdict() == "differs"
    # a record stored before the field existed still renders its number
    old = {k: v for k, v in r.items() if k != "reported_text"}
    assert claim_text(old)["reported"] == "1.00"


def test_a_single_run_with_a_borrowed_spread_says_so_and_shows_the_term():
    from shared.reporting import RULE, claim_text, t_quantile

    base = Tolerance.binomial(0.97, 4000, printed=0.005)
    tol = Tolerance.with_spread(base, sd=0.004, df=2, source="CNN's SGD seeds at batch 64")
    seed = t_quantile(3) * 0.004 * 2 ** 0.5
    assert tol.borrowed_seed_term == pytest.approx(seed)
    r = Comparison("CNN, SGD, batch 32: test accuracy, top", 0.97, [0.962], tol,
                   kind="percent", decimals=1).record()
    cells = claim_text(r)
    assert cells["basis"].endswith("; one run of ours: the seed term is the spread borrowed "
                                   "from CNN's SGD seeds at batch 64")
    assert "no seed term" not in cells["basis"]
    assert cells["seed spread"] == f"±\u00a0{100 * seed:.2f}\u00a0pt (borrowed)"
    # the tolerance column shows the measurement part; the interval combines the two
    assert cells["tolerance"] == f"±\u00a0{100 * base.value:.2f}\u00a0pt"
    assert cells["interval"] == f"±\u00a0{100 * math.hypot(base.value, seed):.2f}\u00a0pt"
    # a single run without a borrowed spread still says it has none
    plain = claim_text(Comparison("q", 0.97, [0.962], base, kind="percent").record())
    assert plain["basis"].endswith("; one run of ours: no seed term")
    assert plain["seed spread"] == "—"
    # a record stored before the fields existed renders as before
    old = {k: v for k, v in r.items() if k not in ("borrowed_seed_term", "borrowed_from")}
    assert claim_text(old)["basis"].endswith("; one run of ours: no seed term")
    assert "borrows the run-to-run spread" in RULE


def test_relative_tolerance_scales_with_the_reported_value():
    tol = Tolerance.stated(0.2, "20 % of the value", relative=True)
    assert Comparison("loss", 0.010, 0.0119, tol).verdict() == "agrees"
    assert Comparison("loss", 0.010, 0.0121, tol).verdict() == "differs"


def test_tolerances_come_from_their_reasons():
    b = Tolerance.binomial(0.99, 10_000)
    # two test sets, the report's and ours, each with its own sampling error
    assert b.value == pytest.approx(2 * math.sqrt(0.99 * 0.01 * 2 / 10_000))
    assert "10,000 items" in b.basis and "both" not in b.basis and not b.relative
    sized = Tolerance.binomial(0.99, 10_000, n_report=2_000, printed=0.005)
    assert sized.value == pytest.approx(2 * math.sqrt(0.99 * 0.01 * (1 / 10_000 + 1 / 2_000)) + 0.005)
    assert "2,000" in sized.basis and "printed precision" in sized.basis
    with pytest.raises(ValueError, match="positive"):
        Tolerance.binomial(0.9, 0)
    same = Tolerance.binomial(0.99, 10_000, same_set=True)
    assert same.value == pytest.approx(2 * math.sqrt(0.99 * 0.01 / 10_000))
    assert "same 10,000 items" in same.basis
    losses = [0.0, 0.1, 0.2, 0.3]
    m = Tolerance.mean(losses, "a mean loss", relative=True)
    se = pd.Series(losses).std() / 2
    assert m.relative and m.value == pytest.approx(2 * math.sqrt(2) * se / 0.15)
    sized_mean = Tolerance.mean(losses, "a mean loss", n_report=10_000, printed=0.0005)
    sd = pd.Series(losses).std()
    assert sized_mean.value == pytest.approx(2 * sd * math.sqrt(1 / 4 + 1 / 10_000) + 0.0005)
    assert "10,000 (the report's)" in sized_mean.basis and "printed" in sized_mean.basis
    assert Tolerance.mean(losses, "a mean loss").basis.endswith("(2·√2 SE, measured)")
    with pytest.raises(ValueError, match="n_report"):
        Tolerance.mean(losses, "a mean loss", n_report=0)
    s = Tolerance.sd(0.0013, 5)
    assert s.value == pytest.approx(2 * 0.0013 / math.sqrt(8))
    assert Tolerance.exact().value == 0
    with pytest.raises(ValueError, match="reason"):
        Tolerance.stated(0.1, "  ")
    with pytest.raises(TypeError, match="Tolerance"):
        Comparison("q", 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="budget"):
        Comparison("q", 1.0, 1.0, Tolerance.exact(), budget="small")
    with pytest.raises(ValueError, match="kind"):
        Comparison("q", 1.0, 1.0, Tolerance.exact(), kind="ratio")


def test_format_table_integers_percentages_summary_and_headed_index():
    df = pd.DataFrame({"params": [93322.0, 388344.0], "acc": [0.98681, 0.99],
                       "loss": [0.03351, 0.04], "epochs": [6, 9], "name": ["a", "b"]},
                      index=pd.Index([1, 2], name="fold"))
    t = format_table(df, percent=["acc"], summary=True, decimals={"loss": 3})
    assert list(t.columns) == ["fold", "params", "acc", "loss", "epochs", "name"]
    assert t["fold"].tolist() == ["1", "2", "mean", "sd"]
    assert t["params"].tolist()[:2] == ["93,322", "388,344"]
    assert t["acc"].tolist()[:2] == ["98.68%", "99.00%"]
    assert t["loss"].tolist()[0] == "0.034"
    assert t["epochs"].tolist() == ["6", "9", "7.5", "2.1"]
    assert t["name"].tolist() == ["a", "b", "", ""]
    with pytest.raises(KeyError, match="nope"):
        format_table(df, percent=["nope"])


def test_table_is_one_style_with_numbers_right_aligned():
    df = pd.DataFrame({"n": [1, 2], "label": ["x", "y"]}, index=pd.Index(["a", "b"], name="row"))
    html = table(df).to_html()
    assert 'class="book-table"' in html
    assert "text-align: right" in html
    assert ">row<" in html  # the index has a header


def test_format_duration():
    assert format_duration(42.04) == "42.0 s"
    assert format_duration(125) == "2 min 05.0 s"
    assert format_duration(119.96) == "2 min 00.0 s"  # rounded before the minutes split
    assert format_duration(59.97) == "1 min 00.0 s"
    assert format_duration(None) == "running"


def test_compare_records_claims_as_numbers_and_glues_the_verdict_counts(tmp_path, monkeypatch):
    import shared.provenance
    import shared.reporting as reporting
    from shared.profile import budget

    glued = {}
    monkeypatch.setattr(shared.provenance, "glue", lambda name, value, fmt=None: glued.update(
        {name: format(value, fmt) if fmt else value}))
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, CHAPTER)
    run = reporting.start_run("ch")
    budget(full=dict(epochs=10, seeds=[1, 2, 3]), cpu=dict(seeds=[1, 2]),
           why=dict(seeds="fewer seeds for the extras"), smoke=dict(epochs=1, seeds=[1, 2]),
           profile="cpu")
    rows = [Comparison("a", 0.98, [0.98, 0.981], Tolerance.binomial(0.98, 1000)),
            Comparison("b", 0.90, [0.98, 0.981], Tolerance.binomial(0.90, 1000), uses=("epochs",)),
            Comparison("c", 3, 3, Tolerance.exact(), kind="count", uses=()),
            Comparison("d", 3, 4, kind="count", unjudged="another protocol")]
    frame = run.compare(rows, glue_counts=True)
    assert [c["quantity"] for c in run.claims] == ["a", "b", "c", "d"]
    assert run.claims[0]["values"] == [0.98, 0.981] and isinstance(run.claims[0]["interval"], float)
    # the cpu budget reduces the seeds: a row that depends on everything is at a reduced budget, one
    # that depends only on the epochs (or on nothing) is at the report's
    assert [c["budget"] for c in run.claims] == ["reduced", "report", "report", "reduced"]
    assert glued == {"n_rows": "4", "n_judged": "3", "n_agrees": "2", "n_differs": "1",
                     "n_not_judged": "1", "n_facts": "0", "n_facts_agree": "0"}
    assert list(frame["verdict"]) == ["agrees", "differs", "agrees", "not judged"]
    glued.clear()
    run.compare(rows)
    assert glued == {}


def test_mean_sd():
    assert mean_sd([0.98, 0.99, 1.0]) == "99.00% ± 1.00"
    assert mean_sd([2.0, 3.0], percent=False, decimals=3) == "2.500 ± 0.707"


def test_git_commit_ignores_notebooks_and_generated_files_but_not_sources(tmp_path):
    import subprocess

    from shared.reporting import git_commit

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "book").mkdir()
    for name in ("src.py", "ch.ipynb", "book/claims.md", "book/runs.json", "book/claims.csv"):
        (tmp_path / name).write_text("1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    clean = git_commit(tmp_path)
    assert len(clean) == 12 and "+" not in clean
    for name in ("ch.ipynb", "book/claims.md", "book/runs.json", "book/claims.csv"):
        (tmp_path / name).write_text("2\n")
    assert git_commit(tmp_path) == clean
    (tmp_path / "src.py").write_text("2\n")
    assert git_commit(tmp_path) == clean + "+changes"
