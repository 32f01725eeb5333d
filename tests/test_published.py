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
    RUNS_TABLE,
    SCOREBOARD,
    check_published,
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


def test_history_holds_every_published_run_and_only_full_ones():
    history = read_history()
    keys = {(p["chapter"], p["date"], p["code_hash"]) for p in history}
    for chapter in published_chapters():
        p = chapter["provenance"]
        assert (p["chapter"], p["date"], p["code_hash"]) in keys, chapter["stem"]
    assert all(p["profile"] == "full" for p in history)


def test_scoreboard_counts_match_the_published_claims():
    text = SCOREBOARD.read_text()
    for chapter in published_chapters():
        if not chapter["claims"]:
            continue
        counts = [sum(c["verdict"] == v for c in chapter["claims"])
                  for v in ("agrees", "within spread", "differs")]
        row = next(line for line in text.splitlines()
                   if line.startswith(f"| [{chapter['title']}]"))
        cells = [c.strip() for c in row.split("|")[2:-1]]
        assert cells == [str(n) for n in counts] + [str(len(chapter["claims"]))]


# --- runs history and scoreboard, on a book of our own ----------------------------------------------

def _fake_chapter(folder, stem, title, prov, claims):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nText."),
                nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output(
                    "stream", name="stdout", text="1\n")])]
    nb.metadata["provenance"] = prov
    nb.metadata["claims"] = claims
    nbformat.write(nb, folder / f"{stem}.ipynb")


def _prov(chapter, date, device="CPU: test (2 cores)"):
    return {"chapter": chapter, "profile": "full", "backend": "tensorflow", "keras_version": "3",
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
    with pytest.raises(ValueError, match="full-profile"):
        publish.record_run({**cpu, "profile": "smoke"})
    # a chapter in the history whose notebook lost its outputs is named, not linked
    publish.record_run(_prov("02_y", "2026-03-01 10:00"))
    assert "| `02_y` (not published) |" in publish.runs_table()


def test_scoreboard_counts_verdicts_per_chapter(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "CHAPTERS", tmp_path)
    claims = [{"quantity": q, "reported": "1", "reproduced": "1", "difference": "0",
               "tolerance": "± 0", "spread": "—", "verdict": v, "basis": "b"}
              for q, v in (("a", "agrees"), ("b", "differs"), ("c", "differs"), ("d|e", "within spread"))]
    _fake_chapter(tmp_path, "01_x", "Chapter X", _prov("01_x", "2026-01-01 10:00"), claims)
    _fake_chapter(tmp_path, "02_y", "Chapter Y", _prov("02_y", "2026-01-01 10:00"), [])
    text = publish.scoreboard()
    assert "| [Chapter X](chapters/01_x.ipynb) | 1 | 1 | 2 | 4 |" in text
    assert "Chapter Y" not in text  # no claims: not on the scoreboard
    assert "| **all chapters** | **1** | **1** | **2** | **4** |" in text
    assert "d\\|e" in text  # a pipe in a quantity does not break the table


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
