"""The shared helpers and the chapter's models build and train under TensorFlow and JAX."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("backend_probe.py")


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_backend(backend):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=PROBE.parent.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] == backend
    assert out["device"].startswith(("CPU:", "GPU:"))
    assert out["params"] == 93_322
    assert out["listing_params"] == 388_344
    assert out["seed_reproducible"]
    assert out["loss_after"] < out["loss_before"], "three steps on one batch must lower the loss"
    assert out["epochs"] == 3 and 1 <= out["best_epoch"] <= 3 and out["wall_time_positive"]
    assert out["act_shapes"] == [[1, 26, 26, 32], [1, 3, 3, 64]]
    assert out["figure_axes"] == [2, 12, 32, 16, 1]
