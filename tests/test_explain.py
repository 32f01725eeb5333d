"""shared.explain.grad_cam: equal to Grad-CAM worked out by hand for a small model, under TensorFlow
and JAX (each backend in a fresh process), with clear errors where it cannot cut the model."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("explain_probe.py")


@pytest.fixture(scope="module", params=["tensorflow", "jax"])
def probe(request):
    env = dict(os.environ, KERAS_BACKEND=request.param, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=PROBE.parent.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] == request.param
    return out


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
