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



# Notebooks that hand trained models on (shared.training.save_handoff / load_handoff): a notebook
# that loads what another one made needs that maker's models for the current code and profile. Under
# `pytest -n 2` they may land on different workers in any order, so each such test runs under one
# file lock per maker (the maker's own test holds it while it runs), and a dependent that finds no
# models from the maker's current code runs the maker first, at the active profile.
def _notebook_maker(item):
    path = Path(str(item.fspath))
    if path.suffix != ".ipynb" or not path.with_suffix(".py").exists():
        return None, path
    from shared.training import handoff_maker

    return handoff_maker(path.with_suffix(".py")), path


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    import fcntl
    import subprocess
    import sys

    maker, path = _notebook_maker(item)
    if maker is None:
        return
    from shared.data import cache_dir
    from shared.training import handoff_path

    lock_path = cache_dir() / "handoff" / f".{maker}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    item._handoff_lock = open(lock_path, "w")  # noqa: SIM115 (released in teardown)
    fcntl.flock(item._handoff_lock, fcntl.LOCK_EX)
    if path.stem == maker:
        return
    folder = handoff_path(maker, "any", where=path.parent).parent
    if not (folder.is_dir() and any(folder.glob("*.keras"))):
        out = lock_path.with_name(f"{maker}.ipynb")
        subprocess.run([sys.executable, "-m", "shared.publish", f"{maker}.py", "--profile",
                        os.environ.get("BOOK_PROFILE", "smoke"), "--out", str(out)],
                       cwd=path.parent, check=True, capture_output=True)


def pytest_runtest_teardown(item):
    lock = getattr(item, "_handoff_lock", None)
    if lock is not None:
        lock.close()  # releases the flock
