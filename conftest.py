"""Test set-up for the whole repository (unit tests and `pytest --nbmake` on the chapters).

Chapters run at the smoke profile unless a profile is set explicitly, and the data mirror defaults
to ../shared/data when that folder exists and no mirror is named.
"""

import os
from pathlib import Path

os.environ.setdefault("BOOK_PROFILE", "smoke")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_mirror = Path(__file__).resolve().parent.parent / "shared" / "data"
if "BOOK_DATA_MIRROR" not in os.environ and _mirror.is_dir():
    os.environ["BOOK_DATA_MIRROR"] = str(_mirror)
