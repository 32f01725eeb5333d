"""Thin helpers shared by the chapters of the book.

Kept deliberately small: data loading, the run profile, a ``fit`` wrapper that records history and
wall time, plots, and reporting (provenance, the reported-versus-reproduced table, ``glue``).
Nothing here knows about a particular experiment, and nothing here holds a result.
"""

from shared.profile import PROFILES, Budget, active_profile, budget

__all__ = ["PROFILES", "Budget", "active_profile", "budget"]
