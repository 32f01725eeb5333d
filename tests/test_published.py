"""Checks of the published chapter notebooks: in sync with their .py, full-profile, not stale."""

import json
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

from shared import publish
from shared.publish import (
    CHAPTERS,
    CLAIMS_CSV,
    RUNS_TABLE,
    SCOREBOARD,
    check_published,
    claims_csv,
    published_chapters,
    read_history,
    runs_table,
    scoreboard,
)

SOURCES = sorted(CHAPTERS.glob("*.py"))


def test_there_are_chapters():
    assert SOURCES, "no chapter sources found"


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.stem)
def test_chapter_is_published_and_not_stale(py):
    assert check_published(py) == []


@pytest.mark.parametrize("ipynb", sorted(CHAPTERS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_has_a_source(ipynb):
    assert ipynb.with_suffix(".py").exists()


def test_runs_table_is_up_to_date():
    assert RUNS_TABLE.read_text() == runs_table(), "run `python -m shared.publish --tables`"


def test_scoreboard_is_up_to_date():
    assert SCOREBOARD.read_text() == scoreboard(), "run `python -m shared.publish --tables`"


def test_claims_csv_is_up_to_date():
    assert CLAIMS_CSV.read_text() == claims_csv(), "run `python -m shared.publish --tables`"


def test_history_holds_every_published_run_and_only_cpu_or_full_ones():
    history = read_history()
    keys = {(p["chapter"], p["date"], p["code_hash"]) for p in history}
    for chapter in published_chapters():
        p = chapter["provenance"]
        assert (p["chapter"], p["date"], p["code_hash"]) in keys, chapter["stem"]
    assert all(p["profile"] in ("cpu", "full") for p in history)


def test_scoreboard_counts_match_the_published_claims():
    text = SCOREBOARD.read_text()
    for chapter in published_chapters():
        claims = chapter["claims"]
        if not claims:
            continue
        extra = []
        if all("values" in c for c in claims):
            facts = [c for c in claims if c.get("fact")]  # counted apart
            claims = [c for c in claims if not c.get("fact")]
            counts = [sum(c["budget"] == b and c["verdict"] == v for c in claims)
                      for b, v in publish.SCORE_COLUMNS]
            counts.append(sum(c["verdict"] == "not judged" for c in claims))
            extra = [(f"{sum(c['verdict'] == 'agrees' for c in facts)}/"
                      f"{sum(c['verdict'] == 'differs' for c in facts)}") if facts else "—"]
        else:  # published under the former rule
            counts = [sum(c["verdict"] == v for c in claims)
                      for v in ("agrees", "within spread", "differs")]
        row = next(line for line in text.splitlines()
                   if line.startswith(f"| [{chapter['title']}]"))
        cells = [c.strip() for c in row.split("|")[3:-1]]
        assert cells == [str(n) for n in counts] + [str(len(claims))] + extra


# --- runs history and scoreboard, on a book of our own ----------------------------------------------

def _fake_chapter(folder, stem, title, prov, claims):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nText."),
                nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output(
                    "stream", name="stdout", text="1\n")])]
    nb.metadata["provenance"] = prov
    nb.metadata["claims"] = claims
    nbformat.write(nb, folder / f"{stem}.ipynb")


def _prov(chapter, date, device="CPU: test (2 cores)", profile="full"):
    return {"chapter": chapter, "profile": profile, "backend": "tensorflow", "keras_version": "3",
            "device": device, "date": date, "git_commit": "abc", "wall_time_s": 60.0,
            "code_hash": "f" * 64}


def test_history_keeps_every_run_and_marks_the_one_on_the_page(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "CHAPTERS", tmp_path)
    monkeypatch.setattr(publish, "RUNS_HISTORY", tmp_path / "runs.json")
    cpu, gpu = _prov("01_x", "2026-01-01 10:00"), _prov("01_x", "2026-02-01 10:00", "GPU: H100 (x1)")
    publish.record_run(cpu)
    publish.record_run(gpu)
    publish.record_run(gpu)  # recorded once
    assert len(publish.read_history()) == 2
    _fake_chapter(tmp_path, "01_x", "Chapter X", gpu, [])
    rows = [r for r in publish.runs_table().splitlines() if "(tensorflow)" in r]
    assert len(rows) == 2
    assert rows[0].startswith("| [Chapter X]")  # the chapter named once, on its newest run
    assert "GPU: H100" in rows[0] and "| ✓ |" in rows[0]  # newest first, and it is on the page
    assert "CPU: test" in rows[1] and "✓" not in rows[1] and rows[1].startswith("|  |")
    with pytest.raises(ValueError, match="full or cpu runs"):
        publish.record_run({**cpu, "profile": "smoke"})
    publish.record_run(_prov("01_x", "2026-02-02 10:00", profile="cpu"))
    assert "| cpu |" in publish.runs_table()
    assert publish.last_wall_time("01_x", "cpu") == 60.0 and publish.last_wall_time("01_x", "smoke") is None
    # a chapter in the history whose notebook lost its outputs is named, not linked
    publish.record_run(_prov("02_y", "2026-03-01 10:00"))
    assert "| `02_y` (not published) |" in publish.runs_table()


def _claims():
    from shared.reporting import Comparison, Tolerance

    rows = [Comparison("a", 0.98, [0.98, 0.981], Tolerance.binomial(0.98, 1000), budget="report"),
            Comparison("b", 0.90, [0.98, 0.981], Tolerance.binomial(0.90, 1000), budget="report"),
            Comparison("c", 0.90, [0.98, 0.981], Tolerance.binomial(0.90, 1000), budget="reduced"),
            Comparison("d|e", 3, 4, kind="count", unjudged="another protocol", budget="reduced")]
    return [r.record() for r in rows]


def test_scoreboard_counts_the_report_budget_and_reduced_rows_apart(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "CHAPTERS", tmp_path)
    former = [{"quantity": q, "reported": "1", "reproduced": "1", "difference": "0",
               "tolerance": "± 0", "spread": "—", "verdict": v, "basis": "b"}
              for q, v in (("a", "agrees"), ("b", "within spread"))]
    _fake_chapter(tmp_path, "01_x", "Chapter X", _prov("01_x", "2026-01-01 10:00", profile="cpu"),
                  _claims())
    _fake_chapter(tmp_path, "02_y", "Chapter Y", _prov("02_y", "2026-01-01 10:00"), [])
    _fake_chapter(tmp_path, "03_z", "Chapter Z", _prov("03_z", "2026-01-01 10:00"), former)
    text = publish.scoreboard()
    # agrees/differs at the report's budget, agrees/differs at a reduced one, not judged, claims
    assert "| [Chapter X](chapters/01_x.ipynb) | cpu | 1 | 1 | 0 | 1 | 1 | 4 | — |" in text
    assert "| **all chapters** | | **1** | **1** | **0** | **1** | **1** | **4** | **0/0** |" in text
    assert "Chapter Y" not in text  # no claims: not on the scoreboard
    assert "d\\|e" in text  # a pipe in a quantity does not break the table
    # a chapter under the former rule is listed apart and not added to the totals
    assert "## Published under the former rule" in text
    assert "| [Chapter Z](chapters/03_z.ipynb) | full | 1 | 1 | 0 | 2 |" in text
    assert "claims.csv" in text and "t(0.975, n−1)" in text
    csv = publish.claims_csv().splitlines()
    assert csv[0].startswith("chapter,profile,quantity") and len(csv) == 1 + 4
    assert csv[1].startswith("01_x,cpu,a,number,0.98,1,2,") and "0.98 0.981" in csv[1]


def test_scoreboard_recomputes_verdicts_from_the_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "CHAPTERS", tmp_path)
    claims = _claims()
    claims[0]["verdict"] = "differs"  # a stored verdict its numbers do not give
    _fake_chapter(tmp_path, "01_x", "Chapter X", _prov("01_x", "2026-01-01 10:00"), claims)
    with pytest.raises(ValueError, match="its numbers give 'agrees'"):
        publish.scoreboard()


# --- publishing several notebooks ----------------------------------------------------------------

PASSING = """# %% [markdown]
# # Passing

# %%
from shared.reporting import Comparison, Tolerance, start_run
run = start_run("01_pass")
print("started")

# %%
run.compare([Comparison("q", 1.0, [1.0, 1.0], Tolerance.exact())])

# %%
run.finish()
"""


def test_publish_many_goes_on_after_a_failure_and_keeps_the_failed_notebook(tmp_path, monkeypatch,
                                                                            capsys):
    for name in ("CHAPTERS", "RUNS_HISTORY", "RUNS_TABLE", "SCOREBOARD", "CLAIMS_CSV"):
        monkeypatch.setattr(publish, name, tmp_path / (name.lower() + ".out") if name != "CHAPTERS"
                            else tmp_path)
    (tmp_path / "01_pass.py").write_text(PASSING)
    failing = PASSING.replace("01_pass", "02_fail").replace("run.finish()", "raise RuntimeError('boom')")
    (tmp_path / "02_fail.py").write_text(failing)
    old = nbformat.v4.new_notebook()
    old.metadata["marker"] = "the last published version"
    nbformat.write(old, tmp_path / "02_fail.ipynb")
    code = publish.main([str(tmp_path / "02_fail.py"), str(tmp_path / "01_pass.py"),
                         "--profile", "cpu"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "1 of 2 failed: 02_fail" in err and "boom" in err
    assert "[1/2] 01_pass.py" in out and "[2/2] 02_fail.py" in out  # file order
    kept = nbformat.read(tmp_path / "02_fail.ipynb", as_version=4)
    assert kept.metadata["marker"] == "the last published version"  # not half-written
    done = nbformat.read(tmp_path / "01_pass.ipynb", as_version=4)
    assert done.metadata["provenance"]["profile"] == "cpu"
    assert done.metadata["claims"][0]["verdict"] == "agrees"
    assert [p["chapter"] for p in publish.read_history()] == ["01_pass"]
    summary = [line for line in out.splitlines() if line.startswith(("01_pass", "02_fail"))]
    assert summary[0].split()[:2] == ["01_pass", "cpu"] and "agrees 1" in summary[0]
    assert "published" in summary[0] and "failed: CellExecutionError" in summary[1]
    assert not list(tmp_path.glob(".*.tmp*"))
    # a second run knows how long the first took
    capsys.readouterr()
    assert publish.main([str(tmp_path / "01_pass.py"), "--profile", "cpu"]) == 0
    assert " left" in capsys.readouterr().out.splitlines()[1]


def test_publish_refuses_a_notebook_with_a_silent_cell_and_draws_figures_under_agg(
        tmp_path, monkeypatch, capsys):
    for name in ("CHAPTERS", "RUNS_HISTORY", "RUNS_TABLE", "SCOREBOARD", "CLAIMS_CSV"):
        monkeypatch.setattr(publish, name, tmp_path / (name.lower() + ".out") if name != "CHAPTERS"
                            else tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as CI sets: figures must still reach the page
    figure = PASSING.replace("# %%\nrun.finish()", "# %%\nimport matplotlib.pyplot as plt\n"
                             "plt.plot([1, 2])\n\n# %%\nrun.finish()")
    (tmp_path / "01_pass.py").write_text(figure)
    assert publish.main([str(tmp_path / "01_pass.py"), "--profile", "cpu"]) == 0
    nb = nbformat.read(tmp_path / "01_pass.ipynb", as_version=4)
    plot_cell = [c for c in nb.cells if c.cell_type == "code"][2]
    assert any("image/png" in o.get("data", {}) for o in plot_cell.outputs)
    silent = PASSING.replace("01_pass", "02_silent").replace("# %%\nrun.finish()",
                                                               "# %%\ny = 1\n\n# %%\nrun.finish()")
    (tmp_path / "02_silent.py").write_text(silent)
    capsys.readouterr()
    assert publish.main([str(tmp_path / "02_silent.py"), "--profile", "cpu"]) == 1
    assert "code cells [3] produced no output" in capsys.readouterr().err
    assert not (tmp_path / "02_silent.ipynb").exists()


def test_publish_refuses_smoke_over_a_chapter_and_unknown_profiles(capsys):
    py = str(SOURCES[0])
    with pytest.raises(SystemExit):
        publish.main([py, "--profile", "smoke"])
    assert "never published" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        publish.main([py, "--profile", "fast"])
    assert "full, cpu, smoke" in capsys.readouterr().err


def test_makers_of_handed_on_models_run_before_their_users():
    users = [CHAPTERS / "13_gan_seeds.py", CHAPTERS / "13_gan_tables.py", CHAPTERS / "12_augmentation.py"]
    order = [p.stem for p in publish.in_order([*users, CHAPTERS / "13_gan.py"])]
    assert order == ["13_gan", "12_augmentation", "13_gan_seeds", "13_gan_tables"]
    given = [CHAPTERS / "21_two_digits.py", CHAPTERS / "13_gan_seeds.py", CHAPTERS / "13_gan.py"]
    order = [p.stem for p in publish.in_order(given, given=True)]  # a fill's priority
    assert order == ["21_two_digits", "13_gan", "13_gan_seeds"]


# --- the checker itself must be able to fail ---------------------------------------------------

@pytest.fixture
def published_copy(tmp_path):
    """A published chapter copied elsewhere, to be tampered with."""
    for py in SOURCES:
        nb = json.loads(py.with_suffix(".ipynb").read_text())
        if nb.get("metadata", {}).get("provenance"):
            shutil.copy(py, tmp_path / py.name)
            shutil.copy(py.with_suffix(".ipynb"), tmp_path / py.with_suffix(".ipynb").name)
            return tmp_path / py.name
    pytest.skip("no published chapter yet")


def _edit_first_code_cell(path: Path, ipynb: bool):
    if ipynb:
        nb = nbformat.read(path, as_version=4)
    else:
        nb = jupytext.read(path)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.source += "\nx_added_by_test = 1"
    if ipynb:
        nbformat.write(nb, path)
    else:
        jupytext.write(nb, path, fmt="py:percent")


def test_checker_flags_code_edited_in_py_only(published_copy):
    assert check_published(published_copy) == []
    _edit_first_code_cell(published_copy, ipynb=False)
    problems = check_published(published_copy)
    assert any("code cells differ" in p for p in problems)


def test_checker_flags_outputs_from_other_code(published_copy):
    _edit_first_code_cell(published_copy, ipynb=False)
    _edit_first_code_cell(published_copy.with_suffix(".ipynb"), ipynb=True)
    problems = check_published(published_copy)
    assert any("outputs came from other code" in p for p in problems)
    assert not any("code cells differ" in p for p in problems)


def test_checker_flags_smoke_outputs(published_copy):
    ipynb = published_copy.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    nb.metadata["provenance"]["profile"] = "smoke"
    nbformat.write(nb, ipynb)
    assert any("'smoke'-profile outputs" in p for p in check_published(published_copy))


def test_checker_flags_outputs_without_provenance_and_empty_cells(published_copy):
    ipynb = published_copy.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    del nb.metadata["provenance"]
    next(c for c in nb.cells if c.cell_type == "code").outputs = []
    nbformat.write(nb, ipynb)
    problems = check_published(published_copy)
    assert any("no provenance" in p for p in problems)
    assert any("code cells [1] have no output" in p for p in problems)


def test_checker_flags_a_missing_notebook(tmp_path):
    py = tmp_path / "99_x.py"
    py.write_text("# %%\nprint(1)\n")
    assert check_published(py) == ["99_x.py has no paired 99_x.ipynb"]


def _glue_references(nb) -> set[str]:
    import re

    refs = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            refs |= set(re.findall(r"\{glue(?::\w+)?\}`([^`<]+)`", cell.source))
            refs |= set(re.findall(r"```\{glue(?::\w+)?\}\s+(\S+)", cell.source))
    return refs


def _glued(nb) -> set[str]:
    return {o["metadata"]["scrapbook"]["name"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "scrapbook" in o.get("metadata", {})}


@pytest.mark.parametrize("ipynb", sorted(CHAPTERS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_glue_reference_of_a_published_notebook_is_glued(ipynb):
    nb = nbformat.read(ipynb, as_version=4)
    if not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
        pytest.skip("not published")
    missing = _glue_references(nb) - _glued(nb)
    assert not missing, f"{ipynb.name}: prose refers to names no cell glued: {sorted(missing)}"


def test_the_glue_check_can_fail():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Value {glue}`a` and {glue}`b`."),
                nbformat.v4.new_code_cell("glue('a', 1)", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/plain": "1"},
                    metadata={"scrapbook": {"name": "a", "mime_prefix": ""}})])]
    assert _glue_references(nb) - _glued(nb) == {"b"}


def test_structural_facts_are_counted_apart(tmp_path, monkeypatch):
    from shared.reporting import Comparison, Tolerance

    monkeypatch.setattr(publish, "CHAPTERS", tmp_path)
    claims = _claims() + [
        Comparison("parameters", 93322, 93322, Tolerance.exact(), kind="count", fact=True).record(),
        Comparison("parameters, other", 100, 90, Tolerance.exact(), kind="count",
                   fact=True).record()]
    assert claims[-1]["verdict"] == "differs"  # a fact's row can fail
    _fake_chapter(tmp_path, "01_x", "Chapter X", _prov("01_x", "2026-01-01 10:00", profile="cpu"),
                  claims)
    text = publish.scoreboard()
    # the headline counts the report's results only; the facts in their own column
    assert "| [Chapter X](chapters/01_x.ipynb) | cpu | 1 | 1 | 0 | 1 | 1 | 4 | 1/1 |" in text
    assert "structural fact" in text
    csv = publish.claims_csv().splitlines()
    assert csv[0].endswith(",fact,reported_text") and csv[-1].endswith(",True,")
