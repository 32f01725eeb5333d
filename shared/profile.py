"""Run profiles: ``full`` (the report's own budget), ``cpu`` (the default: what two CPU cores fill
into the run store over a few working sessions, each run at most 90 minutes; a chapter not on the
store trains in the notebook, at most 30 minutes) and ``smoke`` (tiny, for CI).

The profile is chosen by the environment variable ``BOOK_PROFILE``. A chapter declares its budgets
side by side in one place and gets the active one::

    B = budget(full=dict(epochs=20, seeds=[1, 2, 3, 4, 5]),
               cpu=dict(seeds=[1, 2, 3]),                      # only what it reduces
               why=dict(seeds="extras get fewer seeds before the report's runs get fewer epochs"),
               smoke=dict(epochs=1, seeds=[1, 2]))
    B.epochs, B.reduced

``cpu`` names only the entries it changes; every other entry is the full one, so a chapter whose
full budget fits two cores gives no ``cpu`` at all and ``cpu`` *is* ``full``. Every reduction needs
its reason (``why``), shown in the budget table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

ENV_VAR = "BOOK_PROFILE"
PROFILES = ("full", "cpu", "smoke")
PUBLISHABLE = ("full", "cpu")
DEFAULT_PROFILE = "cpu"
#: the longest a notebook may run at each profile (seconds): DESIGN.md's limits
TIME_LIMITS = {"full": 8 * 60, "cpu": 30 * 60, "smoke": 90}
LIMIT_HARDWARE = {"full": "one GPU (H200)", "cpu": "two CPU cores", "smoke": "two CPU cores"}


class ProfileError(ValueError):
    """An unknown profile name, or budgets that do not line up."""


def check_profile(name: str) -> str:
    """``name`` if it is a profile, else a :class:`ProfileError` that lists the valid ones."""
    if name not in PROFILES:
        raise ProfileError(f"{name!r} is not a known profile; valid profiles are: {', '.join(PROFILES)}")
    return name


def active_profile() -> str:
    """Return the profile named by ``BOOK_PROFILE`` (``cpu`` when unset or empty)."""
    name = os.environ.get(ENV_VAR, "").strip().lower() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ProfileError(
            f"{ENV_VAR}={os.environ.get(ENV_VAR)!r} is not a known profile; "
            f"valid profiles are: {', '.join(PROFILES)}"
        )
    return name


_declared: list[Budget] = []


def declared_budget() -> Budget | None:
    """The budget the running chapter declared last (read by ``run.compare``), or None."""
    return _declared[-1] if _declared else None


class Budget(Mapping):
    """The active budget of a chapter, readable as attributes or as a mapping.

    ``Budget.table()`` gives the three budgets side by side for display near the top of a chapter;
    ``reduced`` names the entries where the active budget is smaller than the report's (``full``).
    """

    def __init__(self, profile: str, budgets: dict[str, dict[str, Any]], why: dict[str, str]):
        self.profile = profile
        self._budgets = budgets
        self._active = budgets[profile]
        self.why = dict(why)

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

    @property
    def reduced(self) -> list[str]:
        """Entries of the active budget that differ from the report's (``full``) budget."""
        full = self._budgets["full"]
        return [k for k, v in self._active.items() if v != full[k]]

    @property
    def cpu_reductions(self) -> dict[str, str]:
        """The entries that ``cpu`` reduces, with their reasons (empty: ``cpu`` is ``full``)."""
        return {k: self.why[k] for k in self._budgets["cpu"]
                if self._budgets["cpu"][k] != self._budgets["full"][k]}

    @property
    def at_report_budget(self) -> bool:
        """True when the active budget is the report's own (``full``, or a ``cpu`` equal to it)."""
        return not self.reduced

    def of(self, profile: str) -> dict[str, Any]:
        """The budget of ``profile`` (a copy), whichever profile is active: e.g. the ``full``
        profile's seeds, for a page that says what its ``cpu`` run leaves out."""
        return dict(self._budgets[check_profile(profile)])

    def limit_s(self) -> int:
        """The longest this notebook may run at the active profile (:data:`TIME_LIMITS`)."""
        return TIME_LIMITS[self.profile]

    def frame(self):
        """The three budgets side by side as a DataFrame of text (one row per entry)."""
        import pandas as pd

        df = pd.DataFrame({p: {k: _show(v) for k, v in b.items()} for p, b in self._budgets.items()})
        cpu = self.cpu_reductions
        df["cpu: why reduced"] = [cpu.get(k, "") for k in df.index]
        df.index.name = "budget"
        df.columns = [f"{p} (active)" if p == self.profile else p for p in df.columns]
        return df

    def table(self):
        """The three budgets side by side, the active one marked, every ``cpu`` reduction with its
        reason, in the book's table style."""
        from shared.tables import table

        return table(self.frame())

    def __repr__(self) -> str:
        return f"Budget(profile={self.profile!r}, {self._active!r})"


def _show(value: Any) -> str:
    return "all" if value is None else str(value)


def budget(*, full: dict[str, Any], smoke: dict[str, Any], cpu: dict[str, Any] | None = None,
           why: dict[str, str] | None = None, profile: str | None = None) -> Budget:
    """Declare a chapter's budgets together; return the active one.

    ``full`` and ``smoke`` name the same entries, so that the smoke run follows the same code path.
    ``cpu`` names only the entries it reduces (none: ``cpu`` is ``full``), each with its reason in
    ``why``.
    """
    if set(full) != set(smoke):
        raise ProfileError(
            "full and smoke budgets must name the same entries; "
            f"only in full: {sorted(set(full) - set(smoke))}, "
            f"only in smoke: {sorted(set(smoke) - set(full))}"
        )
    cpu, why = dict(cpu or {}), dict(why or {})
    unknown = set(cpu) - set(full)
    if unknown:
        raise ProfileError(f"cpu names entries the full budget does not have: {sorted(unknown)}")
    changed = {k for k in cpu if cpu[k] != full[k]}
    if changed - set(why):
        raise ProfileError(f"every cpu reduction needs its reason in why=: no reason for "
                           f"{sorted(changed - set(why))}")
    if set(why) - changed:
        raise ProfileError(f"why= gives reasons for entries cpu does not reduce: "
                           f"{sorted(set(why) - changed)}")
    profile = active_profile() if profile is None else check_profile(profile)
    b = Budget(profile, {"full": dict(full), "cpu": {**full, **cpu}, "smoke": dict(smoke)}, why)
    _declared[:] = [b]
    return b
