import pytest

from shared.profile import PROFILES, TIME_LIMITS, ProfileError, active_profile, budget, declared_budget

FULL = dict(epochs=20, n=None, seeds=[1, 2, 3, 4, 5])
SMOKE = dict(epochs=1, n=100, seeds=[1, 2])


def test_default_is_cpu_the_publishing_machine(monkeypatch):
    monkeypatch.delenv("BOOK_PROFILE", raising=False)
    assert active_profile() == "cpu"
    monkeypatch.setenv("BOOK_PROFILE", "")
    assert active_profile() == "cpu"


def test_three_profiles_with_their_time_limits():
    assert PROFILES == ("full", "cpu", "smoke")
    assert TIME_LIMITS == {"full": 480, "cpu": 1800, "smoke": 90}


def test_smoke_selected(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "smoke")
    b = budget(full=dict(epochs=20, n=None), smoke=dict(epochs=1, n=100))
    assert b.profile == "smoke"
    assert b.epochs == 1 and b["n"] == 100 and dict(b) == {"epochs": 1, "n": 100}


def test_full_selected(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "FULL ")
    assert budget(full=dict(epochs=20), smoke=dict(epochs=1)).epochs == 20


def test_cpu_falls_back_to_full_where_a_notebook_states_no_reduction(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "cpu")
    b = budget(full=FULL, smoke=SMOKE)
    assert b.profile == "cpu" and dict(b) == FULL
    assert b.reduced == [] and b.at_report_budget and b.cpu_reductions == {}


def test_cpu_reduces_only_what_it_names_each_with_its_reason():
    b = budget(full=FULL, smoke=SMOKE, cpu=dict(seeds=[1, 2, 3]),
               why=dict(seeds="extras over fewer seeds"), profile="cpu")
    assert b.epochs == 20 and b.n is None and b.seeds == [1, 2, 3]
    assert b.reduced == ["seeds"] and not b.at_report_budget
    assert b.cpu_reductions == {"seeds": "extras over fewer seeds"}
    assert budget(full=FULL, smoke=SMOKE, cpu=dict(seeds=[1, 2, 3]),
                  why=dict(seeds="x"), profile="full").reduced == []
    assert declared_budget().profile == "full"  # the last one declared, for run.compare


def test_a_cpu_reduction_without_a_reason_or_of_an_unknown_entry_is_an_error():
    with pytest.raises(ProfileError, match="no reason for \\['epochs'\\]"):
        budget(full=FULL, smoke=SMOKE, cpu=dict(epochs=10), profile="cpu")
    with pytest.raises(ProfileError, match="does not have: \\['batch'\\]"):
        budget(full=FULL, smoke=SMOKE, cpu=dict(batch=32), why=dict(batch="x"), profile="cpu")
    with pytest.raises(ProfileError, match="does not reduce: \\['n'\\]"):
        budget(full=FULL, smoke=SMOKE, cpu=dict(n=None), why=dict(n="same as full"), profile="cpu")


def test_unknown_profile_lists_valid_ones(monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "fast")
    with pytest.raises(ProfileError) as err:
        active_profile()
    message = str(err.value)
    assert "'fast'" in message
    for name in PROFILES:
        assert name in message
    with pytest.raises(ProfileError, match="full, cpu, smoke"):
        budget(full=FULL, smoke=SMOKE, profile="gpu")


def test_budgets_must_name_the_same_entries():
    with pytest.raises(ProfileError, match="only in full: \\['seeds'\\]"):
        budget(full=dict(epochs=20, seeds=3), smoke=dict(epochs=1), profile="full")


def test_missing_entry_is_attribute_error():
    b = budget(full=dict(epochs=20), smoke=dict(epochs=1), profile="full")
    with pytest.raises(AttributeError, match="batch"):
        _ = b.batch


def test_table_shows_three_budgets_side_by_side_the_active_one_marked_with_reasons():
    b = budget(full=dict(epochs=20, n=None), smoke=dict(epochs=1, n=100), cpu=dict(epochs=8),
               why=dict(epochs="30 minutes on two cores"), profile="cpu")
    t = b.table().data.set_index("budget")
    assert list(t.columns) == ["full", "cpu (active)", "smoke", "cpu: why reduced"]
    assert t.loc["epochs"].tolist() == ["20", "8", "1", "30 minutes on two cores"]
    assert t.loc["n"].tolist() == ["all", "all", "100", ""]


def test_of_gives_any_profiles_budget_and_refuses_unknown_ones():
    b = budget(full=dict(epochs=20, seeds=[1, 2, 3]), smoke=dict(epochs=1, seeds=[1]),
               cpu=dict(epochs=8), why=dict(epochs="two cores"), profile="cpu")
    assert b.of("full") == {"epochs": 20, "seeds": [1, 2, 3]}
    assert b.of("cpu") == {"epochs": 8, "seeds": [1, 2, 3]} and b.epochs == 8
    b.of("full")["epochs"] = 0
    assert b.of("full")["epochs"] == 20
    with pytest.raises(ProfileError):
        b.of("gpu")


def test_profile_does_not_import_reporting():
    import subprocess
    import sys

    code = "import shared.profile, sys; print('shared.reporting' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
