import pytest

from shared.profile import PROFILES, ProfileError, active_profile, budget


def test_default_is_full(monkeypatch):
    monkeypatch.delenv("BOOK_PROFILE", raising=False)
    assert active_profile() == "full"
    monkeypatch.setenv("BOOK_PROFILE", "")
    assert active_profile() == "full"


def test_smoke_selected(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "smoke")
    b = budget(full=dict(epochs=20, n=None), smoke=dict(epochs=1, n=100))
    assert b.profile == "smoke"
    assert b.epochs == 1 and b["n"] == 100 and dict(b) == {"epochs": 1, "n": 100}


def test_full_selected(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "FULL ")
    assert budget(full=dict(epochs=20), smoke=dict(epochs=1)).epochs == 20


def test_unknown_profile_lists_valid_ones(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "fast")
    with pytest.raises(ProfileError) as err:
        active_profile()
    message = str(err.value)
    assert "'fast'" in message
    for name in PROFILES:
        assert name in message


def test_budgets_must_name_the_same_entries():
    with pytest.raises(ProfileError, match="only in full: \\['seeds'\\]"):
        budget(full=dict(epochs=20, seeds=3), smoke=dict(epochs=1), profile="full")


def test_missing_entry_is_attribute_error():
    b = budget(full=dict(epochs=20), smoke=dict(epochs=1), profile="full")
    with pytest.raises(AttributeError, match="batch"):
        _ = b.batch


def test_table_shows_both_budgets_side_by_side():
    b = budget(full=dict(epochs=20, n=None), smoke=dict(epochs=1, n=100), profile="smoke")
    t = b.table().data.set_index("budget")
    assert list(t.columns) == ["full", "smoke (active)"]
    assert t.loc["epochs"].tolist() == ["20", "1"]
    assert t.loc["n"].tolist() == ["all", "100"]
