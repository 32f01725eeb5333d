"""The book's configuration: outputs rendered as committed, and any cell error fails the build."""

import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
import yaml

BOOK = Path(__file__).resolve().parent.parent / "book"


def test_config_renders_committed_outputs_and_raises_on_errors():
    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "auto"
    assert config["execute"]["allow_errors"] is False
    assert config["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    assert config["only_build_toc_files"] is True


def test_toc_lists_every_chapter_and_nothing_missing():
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    files = {c["file"] for part in toc["parts"] for c in part["chapters"]}
    chapters = {f"chapters/{p.stem}" for p in (BOOK / "chapters").glob("*.py")}
    assert chapters <= files
    for f in files:
        assert (BOOK / f"{f}.md").exists() or (BOOK / f"{f}.ipynb").exists(), f


@pytest.mark.slow
def test_build_fails_on_a_cell_error(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(BOOK / "_config.yml", book)
    (book / "references.bib").write_text("")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: bad\n")
    (book / "intro.md").write_text("# Intro\n")
    nb = jupytext.reads('# %%\nprint("fine")\n\n# %%\nraise ValueError("boom in a cell")\n', fmt="py:percent")
    jupytext.write(nb, book / "bad.ipynb", fmt="ipynb")  # no outputs: the build executes it
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(book)], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "boom in a cell" in proc.stdout + proc.stderr
