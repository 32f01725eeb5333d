import os
from pathlib import Path

import pytest

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"


def mirror_has(*names: str) -> bool:
    return all((MIRROR / n).exists() for n in names)


@pytest.fixture(scope="session")
def data_env(tmp_path_factory):
    """A fresh cache shared by this session's tests, with the mirror as the source of raw files."""
    if not mirror_has("train-labels-idx1-ubyte.gz"):
        pytest.skip("the data mirror ../shared/data is not present")
    cache = tmp_path_factory.mktemp("cache")
    saved = {k: os.environ.get(k) for k in ("BOOK_DATA_CACHE", "BOOK_DATA_MIRROR")}
    os.environ["BOOK_DATA_CACHE"], os.environ["BOOK_DATA_MIRROR"] = str(cache), str(MIRROR)
    yield cache
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def run_probe(script: str, backend: str) -> dict:
    """Run ``tests/<script>`` in a fresh process under ``backend`` and return the JSON summary it
    prints on its last line (the Keras backend is fixed at start-up, hence the process)."""
    import json
    import subprocess
    import sys

    probe = Path(__file__).with_name(script)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(probe)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=probe.parent.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] == backend
    return out
