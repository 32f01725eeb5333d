"""shared.explain.grad_cam: equal to Grad-CAM worked out by hand for a small model, under TensorFlow
and JAX (each backend in a fresh process), with clear errors where it cannot cut the model."""

import pytest

from tests.conftest import run_probe


@pytest.fixture(scope="module", params=["tensorflow", "jax"])
def probe(request):
    return run_probe("explain_probe.py", request.param)


def test_maps_match_the_hand_computation(probe):
    assert probe["shape"] == [5, 6, 6]
    assert probe["predicted_ok"]  # the default class is the model's prediction
    assert probe["max_error"] < 1e-4
    assert probe["range"] == [0.0, 1.0]


def test_chosen_classes_are_explained(probe):
    assert probe["chosen_ok"]
    assert probe["chosen_error"] < 1e-4


def test_layers_it_cannot_cut_at_are_refused_by_name(probe):
    errors = probe["errors"]
    assert "bypasses" in errors["bypass"]
    assert "no layer 'nope'" in errors["missing"] and "feat" in errors["missing"]
    assert "(batch, H, W, C)" in errors["flat"]
