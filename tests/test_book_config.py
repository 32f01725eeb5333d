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


def _has_outputs(ipynb: Path) -> bool:
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    return any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_toc_lists_every_published_chapter_and_nothing_missing():
    """Published chapters are in the TOC; one awaiting its full run (no outputs) stays out."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    files = {c["file"] for part in toc["parts"] for c in part["chapters"]}
    for py in (BOOK / "chapters").glob("*.py"):
        name = f"chapters/{py.stem}"
        if _has_outputs(py.with_suffix(".ipynb")):
            assert name in files, f"{name} is published but not in _toc.yml"
        else:
            assert name not in files, f"{name} has no outputs: the build would execute it"
            assert py.stem in (BOOK / "intro.md").read_text(), f"intro.md must list {py.stem}"
    for f in files:
        assert (BOOK / f"{f}.md").exists() or (BOOK / f"{f}.ipynb").exists(), f


@pytest.mark.slow
def test_build_fails_on_a_cell_error(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(BOOK / "_config.yml", book)
    shutil.copytree(BOOK / "_ext", book / "_ext")
    (book / "references.bib").write_text("")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: bad\n")
    (book / "intro.md").write_text("# Intro\n")
    nb = jupytext.reads('# %%\nprint("fine")\n\n# %%\nraise ValueError("boom in a cell")\n', fmt="py:percent")
    jupytext.write(nb, book / "bad.ipynb", fmt="ipynb")  # no outputs: the build executes it
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(book)], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "boom in a cell" in proc.stdout + proc.stderr


CHAPTER_SOURCES = sorted((BOOK / "chapters").glob("*.py"))


@pytest.mark.parametrize("py", CHAPTER_SOURCES, ids=lambda p: p.stem)
def test_chapter_offers_downloads_and_ends_with_its_references(py):
    nb = jupytext.read(py)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert f"{{download}}`the source (.py) <{py.name}>`" in prose
    assert f"<{py.stem}.ipynb>`" in prose
    assert "python -m shared.publish book/chapters/" + py.name in prose
    last_md = [c.source for c in nb.cells if c.cell_type == "markdown"][-1]
    assert last_md.startswith("## References") and ":filter: docname in docnames" in last_md


@pytest.mark.parametrize("py", CHAPTER_SOURCES, ids=lambda p: p.stem)
def test_chapter_prose_speaks_to_readers(py):
    prose = "\n".join(c.source for c in jupytext.read(py).cells if c.cell_type == "markdown")
    for phrase in ("glued", "GPU session", "/tmp/", "TODO"):
        assert phrase not in prose, f"{py.name}: maintainer text {phrase!r} on a reader's page"


def test_scoreboard_is_in_the_toc():
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert "claims" in files


def test_bibliography_labels_read_as_author_and_year():
    import sys

    from pybtex.database import parse_string

    sys.path.insert(0, str(BOOK / "_ext"))
    try:
        from book_bibstyle import AuthorYearLabels
    finally:
        sys.path.pop(0)
    bib = parse_string("""
@misc{a, author = {Sunkarapalli, Siva}, title = {T}, year = {n.d.}}
@article{b, author = {LeCun, Yann and Bottou, Leon and Bengio, Yoshua}, title = {T}, year = {1998}}
@misc{c, author = {{Students of the Faculty}}, title = {T}}
@misc{d, author = {Jackson, Zohar and Souza, Cesar}, title = {T}, year = {2018}}
""", "bibtex")
    labels = list(AuthorYearLabels().format_labels(bib.entries.values()))
    assert labels == ["Sunkarapalli n.d.", "LeCun et al. 1998", "Students of the Faculty n.d.",
                      "Jackson and Souza 2018"]
