"""Formatting for the page: durations, ``glue`` (numbers into prose) and mean ± sd over seeds.

Presentation only: nothing here determines a stored run's numbers.
"""

from __future__ import annotations

from shared import tables as _tables


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    minutes, sec = divmod(round(float(seconds), 1), 60)  # rounded first: never "60.0 s"
    return f"{int(minutes)} min {sec:04.1f} s" if minutes else f"{sec:.1f} s"



# --- glue ----------------------------------------------------------------------------------------

class Text:
    """A string that glues as plain text, without quotes.

    Reference it in prose with the ``{glue}`` role, which pastes the text as it is. (``{glue:text}``
    parses the text as a Python literal first, so "93,322" would come out as "(93, 322)".)
    """

    def __init__(self, text: str):
        self.text = str(text)

    def __repr__(self) -> str:
        return self.text


def glue(name: str, value, fmt: str | None = None, display: bool = False) -> None:
    """Glue ``value`` under ``name`` for use in the prose; ``fmt`` formats numbers as text first.

    Returns nothing, so a ``glue`` call at the end of a cell prints nothing.
    """
    from myst_nb import glue as _glue

    if fmt is not None:
        value = Text(format(value, fmt))
    elif isinstance(value, str):
        value = Text(value)
    _glue(name, value, display=display)


# --- summaries over seeds ------------------------------------------------------------------------

def mean_sd(values, percent: bool = True, decimals: int = 2) -> str:
    """``"98.12% ± 0.34"`` (fractions as percentages, the sd in points) or ``"2.512 ± 0.104"``;
    the sd is the sample sd (ddof 1)."""
    import numpy as np

    v = np.asarray(values, dtype=float).ravel()
    m, s = v.mean(), (v.std(ddof=1) if v.size > 1 else float("nan"))
    if percent:
        return f"{100 * m:.{decimals}f}% ± {100 * s:.{decimals}f}"
    return f"{m:.{decimals}f} ± {s:.{decimals}f}"


# --- tables (shared.tables, re-exported) ------------------------------------------------------------

TABLE_CLASS, format_table, table = _tables.TABLE_CLASS, _tables.format_table, _tables.table
