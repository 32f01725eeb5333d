"""Run profiles: ``full`` (the report's own budget, the default) and ``smoke`` (tiny, for CI).

The profile is chosen by the environment variable ``BOOK_PROFILE``. A chapter declares both of its
budgets side by side in one place and gets the active one::

    B = budget(full=dict(epochs=20, n_train=None), smoke=dict(epochs=1, n_train=2000))
    B.epochs
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

ENV_VAR = "BOOK_PROFILE"
PROFILES = ("full", "smoke")
DEFAULT_PROFILE = "full"


class ProfileError(ValueError):
    """An unknown profile name, or budgets that do not line up."""


def active_profile() -> str:
    """Return the profile named by ``BOOK_PROFILE`` (``full`` when unset or empty)."""
    name = os.environ.get(ENV_VAR, "").strip().lower() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ProfileError(
            f"{ENV_VAR}={os.environ.get(ENV_VAR)!r} is not a known profile; "
            f"valid profiles are: {', '.join(PROFILES)}"
        )
    return name


class Budget(Mapping):
    """The active budget of a chapter, readable as attributes or as a mapping.

    ``Budget.table()`` gives both budgets side by side for display near the top of a chapter.
    """

    def __init__(self, profile: str, budgets: dict[str, dict[str, Any]]):
        self.profile = profile
        self._budgets = budgets
        self._active = budgets[profile]

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_active"][key]
        except KeyError:
            raise AttributeError(f"the budget has no entry {key!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._active[key]

    def __iter__(self):
        return iter(self._active)

    def __len__(self) -> int:
        return len(self._active)

    def table(self):
        """Both budgets side by side (one row per entry), in the book's table style."""
        import pandas as pd

        from shared.reporting import table

        df = pd.DataFrame({p: {k: _show(v) for k, v in b.items()} for p, b in self._budgets.items()})
        df.index.name = "budget"
        df.columns = [f"{p} (active)" if p == self.profile else p for p in df.columns]
        return table(df)

    def __repr__(self) -> str:
        return f"Budget(profile={self.profile!r}, {self._active!r})"


def _show(value: Any) -> str:
    return "all" if value is None else str(value)


def budget(*, full: dict[str, Any], smoke: dict[str, Any], profile: str | None = None) -> Budget:
    """Declare a chapter's full and smoke budgets together; return the active one.

    Both must name the same entries, so that the smoke run follows the same code path.
    """
    if set(full) != set(smoke):
        raise ProfileError(
            "full and smoke budgets must name the same entries; "
            f"only in full: {sorted(set(full) - set(smoke))}, "
            f"only in smoke: {sorted(set(smoke) - set(full))}"
        )
    if profile is None:
        profile = active_profile()
    elif profile not in PROFILES:
        raise ProfileError(f"{profile!r} is not a known profile; valid profiles are: {', '.join(PROFILES)}")
    return Budget(profile, {"full": dict(full), "smoke": dict(smoke)})
