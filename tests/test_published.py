"""Checks of the published chapter notebooks: in sync with their .py, full-profile, not stale."""

import json
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

from shared.publish import CHAPTERS, RUNS_TABLE, check_published, runs_table

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
    assert RUNS_TABLE.read_text() == runs_table(), "run `python -m shared.publish --runs-table`"


def test_runs_table_lists_only_full_profile_runs():
    rows = [r for r in RUNS_TABLE.read_text().splitlines() if r.startswith("| ") and "|---" not in r]
    for row in rows[1:]:
        if "no chapter published" not in row:
            assert row.split("|")[2].strip() == "full"


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
