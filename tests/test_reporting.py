import jupytext
import pytest

from shared.reporting import Comparison, code_hash, comparison_table, format_duration

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


def test_comparison_verdicts_and_stats():
    rows = [
        Comparison("acc", 0.9918, [0.990, 0.992, 0.994], 0.003),
        Comparison("loss", 0.0264, 0.05, 0.01),
        Comparison("params", 93322, 93322, 0, fmt=",.0f"),
    ]
    t = comparison_table(rows)
    assert t.loc["acc", "verdict"] == "agrees"
    assert t.loc["acc", "reproduced"] == "0.9920 ± 0.0020 (n=3)"
    assert t.loc["acc", "difference"] == "+0.0002"
    assert t.loc["loss", "verdict"] == "differs"
    assert t.loc["loss", "reproduced"] == "0.0500"
    assert t.loc["params", "verdict"] == "agrees" and t.loc["params", "reported"] == "93,322"
    mean, sd, n = rows[0].stats()
    assert mean == pytest.approx(0.992) and sd == pytest.approx(0.002) and n == 3


def test_format_duration():
    assert format_duration(42.04) == "42.0 s"
    assert format_duration(125) == "2 min 05.0 s"
    assert format_duration(None) == "running"
