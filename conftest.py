"""Test set-up for the whole repository (unit tests and `pytest --nbmake` on the chapters).

Chapters run at the smoke profile unless a profile is set explicitly, and the data mirror defaults
to ../shared/data when that folder exists and no mirror is named.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("BOOK_PROFILE", "smoke")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_mirror = Path(__file__).resolve().parent.parent / "shared" / "data"
if "BOOK_DATA_MIRROR" not in os.environ and _mirror.is_dir():
    os.environ["BOOK_DATA_MIRROR"] = str(_mirror)



# Notebooks that hand trained models on: through the data cache (shared.training.save_handoff /
# load_handoff) or through the run store (runs.uses("<maker>", ...)). A notebook that loads what
# another one made needs that maker's models for the current code and profile. Under `pytest -n 2`
# they may land on different workers in any order, so each such test runs under one file lock per
# maker (the maker's own test holds it while it runs), and a dependent that finds no models from the
# maker runs the maker first, at the active profile. At the smoke profile every execution has its
# own temporary run store, so a store maker and its users share one folder (BOOK_RUN_STORE) for the
# duration of their tests.
def _notebook_maker(item):
    """(maker, via the store?, notebook path) for a chapter notebook that makes or loads models
    handed on; (None, False, path) otherwise."""
    path = Path(str(item.fspath))
    source = path.with_suffix(".py")
    if path.suffix != ".ipynb" or not source.exists():
        return None, False, path
    from shared.publish import makers_of, store_users
    from shared.training import handoff_maker

    users = store_users(source.parent)
    store_makers = sorted(set(makers_of(source)) - {handoff_maker(source)} | (
        {path.stem} if path.stem in users else set()))
    if store_makers:
        return store_makers[0], True, path
    return handoff_maker(source), False, path


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    import fcntl
    import subprocess
    import sys

    maker, via_store, path = _notebook_maker(item)
    if maker is None:
        return
    from shared.data import cache_dir
    from shared.training import handoff_path

    profile = os.environ.get("BOOK_PROFILE", "smoke")
    lock_path = cache_dir() / "handoff" / f".{maker}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    item._handoff_lock = open(lock_path, "w")  # noqa: SIM115 (released in teardown)
    fcntl.flock(item._handoff_lock, fcntl.LOCK_EX)
    env = dict(os.environ)
    if via_store:
        if profile != "smoke":  # cpu and full share the committed store already
            return
        folder = cache_dir() / "handoff" / f"store-{maker}"
        item._old_store = os.environ.get("BOOK_RUN_STORE")
        os.environ["BOOK_RUN_STORE"] = env["BOOK_RUN_STORE"] = str(folder)
        made = folder / f".{maker}.made"  # the maker's source its runs there came from
        source = (path.parent / f"{maker}.py").read_text()
        if path.stem == maker:
            item._made = (made, source)  # written once the maker's test has run
        ready = made.exists() and made.read_text() == source
    else:
        ready = any(handoff_path(maker, "any", where=path.parent).parent.glob("*.keras"))
    if path.stem == maker or ready:
        return
    out = lock_path.with_name(f"{maker}.ipynb")
    subprocess.run([sys.executable, "-m", "shared.publish", f"{maker}.py", "--profile", profile,
                    "--out", str(out)], cwd=path.parent, env=env, check=True, capture_output=True)
    if via_store:
        made.parent.mkdir(parents=True, exist_ok=True)
        made.write_text(source)


def pytest_runtest_makereport(item, call):
    if call.when == "call" and call.excinfo is None and hasattr(item, "_made"):
        made, source = item._made
        made.parent.mkdir(parents=True, exist_ok=True)
        made.write_text(source)  # the maker ran to its end: its runs are there for this source


def pytest_runtest_teardown(item):
    if hasattr(item, "_old_store"):
        if item._old_store is None:
            os.environ.pop("BOOK_RUN_STORE", None)
        else:
            os.environ["BOOK_RUN_STORE"] = item._old_store
    lock = getattr(item, "_handoff_lock", None)
    if lock is not None:
        lock.close()  # releases the flock
