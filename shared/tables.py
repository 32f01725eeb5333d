"""The book's one table style: :func:`format_table` (cells as text) and :func:`table` (a Styler).

Kept apart from :mod:`shared.reporting` and :mod:`shared.profile` so that both can use it without
importing each other.
"""

from __future__ import annotations

import math

TABLE_CLASS = "book-table"


def _is_integral(values) -> bool:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return bool(arr.size) and bool(np.all(arr == np.round(arr)))


def format_table(df, *, percent=(), decimals: int | dict = 4, summary: bool = False,
                 index: bool = True):
    """The cells of ``df`` as text, the way every table of the book shows them.

    - whole-number columns as integers with thousands separators (``93,322``, never ``93322.0000``);
    - columns named in ``percent`` (fractions) as percentages with two decimals (``98.68%``);
    - other numbers with ``decimals`` decimals (an int, or a dict of column -> decimals, 4 for the
      columns it does not name);
    - ``summary=True`` appends ``mean`` and ``sd`` (sample sd, ddof=1) rows of the numeric columns
      (an integer column's mean and sd get one decimal);
    - the index becomes the first column, headed by the index's name.
    """
    import pandas as pd

    df = df.copy()
    places = dict(decimals) if isinstance(decimals, dict) else {}
    default_places = 4 if isinstance(decimals, dict) else int(decimals)
    unknown = (set(percent) | set(places)) - set(df.columns)
    if unknown:
        raise KeyError(f"percent/decimals name columns the table does not have: {sorted(unknown)}")
    numeric = [c for c in df.columns
               if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    integer = {c for c in numeric if c not in percent and _is_integral(df[c])}
    n_data = len(df)
    if summary:
        agg = df[numeric].agg(["mean", "std"])
        agg.index = pd.Index(["mean", "sd"], name=df.index.name)
        df = pd.concat([df, agg])

    def cell(value, column, summary_row):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if column not in numeric:
            return str(value)
        if column in percent:
            return f"{100 * float(value):.2f}%"
        if column in integer:
            return f"{float(value):,.1f}" if summary_row else f"{int(round(float(value))):,}"
        return f"{float(value):.{places.get(column, default_places)}f}"

    shown = pd.DataFrame(
        {c: [cell(v, c, i >= n_data) for i, v in enumerate(df[c])] for c in df.columns},
        index=df.index,
    )
    if index:
        name = df.index.name if df.index.name is not None else ""
        shown.insert(0, name, [str(i) for i in df.index])
    shown.index = range(len(shown))
    shown.attrs["numeric"] = [str(c) for c in numeric]
    return shown


def table(df, *, percent=(), decimals: int | dict = 4, summary: bool = False, index: bool = True):
    """A result table in the book's one style: :func:`format_table`'s text, numbers right-aligned.

    Returns a pandas ``Styler``: show it with ``display`` or as a cell's last expression.
    """
    shown = format_table(df, percent=percent, decimals=decimals, summary=summary, index=index)
    numeric = [c for c in shown.columns if str(c) in shown.attrs.get("numeric", [])]
    styler = shown.style.hide(axis="index").set_table_attributes(f'class="{TABLE_CLASS}"')
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    return styler
