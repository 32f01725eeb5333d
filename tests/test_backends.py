"""The shared helpers and the chapter's models build and train under TensorFlow and JAX."""

import pytest

from tests.conftest import run_probe


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_backend(backend):
    out = run_probe("backend_probe.py", backend)
    assert out["device"].startswith(("CPU:", "GPU:"))
    assert out["params"] == 93_322
    assert out["listing_params"] == 388_344
    assert out["seed_reproducible"]
    assert out["loss_after"] < out["loss_before"], "three steps on one batch must lower the loss"
    assert out["epochs"] == 3 and 1 <= out["best_epoch"] <= 3 and out["wall_time_positive"]
    assert out["act_shapes"] == [[1, 26, 26, 32], [1, 3, 3, 64]]
    assert out["figure_axes"] == [2, 12, 32, 16, 1]
