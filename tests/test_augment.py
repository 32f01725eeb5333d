"""shared.augment: every augmentation keeps shapes and the [0, 1] range, is reproducible from its
seed, and does what its name says, checked on images whose result is known."""

import time

import numpy as np
import pytest

from shared import augment
from shared.augment import AUGMENTATIONS, _affine, apply, combined, generate


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    x = np.zeros((50, 28, 28), np.float32)
    x[:, 8:20, 10:18] = rng.uniform(0.5, 1.0, (50, 12, 8))  # a bright block, off the edges
    return x


@pytest.mark.parametrize("name", [*AUGMENTATIONS, "combined"])
def test_shape_range_and_seed(digits, name):
    a = apply(name, digits, np.random.default_rng(1))
    b = apply(name, digits, np.random.default_rng(1))
    c = apply(name, digits, np.random.default_rng(2))
    assert a.shape == digits.shape and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a, b)  # same seed, same result
    assert not np.array_equal(a, c)  # another seed, another draw
    assert not np.array_equal(a, digits)  # it changed something
    # images of one batch get their own draws: identical inputs, different outputs
    same = np.repeat(digits[:1], 4, axis=0)
    out = apply(name, same, np.random.default_rng(3))
    assert not all(np.array_equal(out[0], o) for o in out[1:])


def test_affine_geometry():
    x = np.zeros((2, 28, 28), np.float32)
    x[:, 5, 7] = 1.0
    shifted = _affine(x, shift=np.array([[0.0, 2.0], [3.0, 0.0]]))
    assert shifted[0, 5, 9] == pytest.approx(1.0) and shifted[1, 8, 7] == pytest.approx(1.0)
    assert shifted.sum() == pytest.approx(2.0)
    turned = _affine(x, angle=np.full(2, np.pi / 2))  # a quarter turn about the centre
    assert np.allclose(turned[0], np.rot90(x[0]), atol=1e-5) or np.allclose(
        turned[0], np.rot90(x[0], -1), atol=1e-5)
    assert np.allclose(_affine(x, scale=np.ones(2)), x)


def test_cutout_zeroes_one_square():
    out = augment.cutout(np.ones((20, 28, 28), np.float32), np.random.default_rng(0), size=8)
    assert np.all((out == 0).sum(axis=(1, 2)) == 64)
    with pytest.raises(ValueError, match="cutout size"):
        augment.cutout(np.ones((1, 28, 28)), np.random.default_rng(0), size=40)


def test_brightness_and_noise_amounts():
    grey = np.full((400, 28, 28), 0.5, np.float32)
    bright = augment.brightness(grey, np.random.default_rng(0), delta=0.2)
    offsets = bright.mean(axis=(1, 2)) - 0.5
    assert np.allclose(bright.std(axis=(1, 2)), 0, atol=1e-6)  # one offset per image
    assert np.abs(offsets).max() <= 0.2 + 1e-6 and offsets.std() > 0.08
    noisy = augment.white_noise(grey, np.random.default_rng(0), sigma=0.1)
    assert (noisy - 0.5).std() == pytest.approx(0.1, rel=0.02)


def test_elastic_and_zoom_amounts(digits):
    rng = np.random.default_rng(0)
    assert np.allclose(augment.elastic(digits, rng, alpha=0.0), digits)
    assert np.allclose(augment.zoom(digits, rng, amount=0.0), digits)
    assert np.abs(augment.elastic(digits, rng) - digits).mean() > 0.01
    with pytest.raises(ValueError, match="zoom amount"):
        augment.zoom(digits, rng, amount=1.5)


def test_combined_strength_and_exclude(digits):
    rng = np.random.default_rng(0)
    assert np.array_equal(combined(digits, rng, strength=0.0), digits)
    only_cutout = combined(digits, rng, strength=1.0,
                           exclude=[n for n in AUGMENTATIONS if n != "cutout"])
    assert np.all((only_cutout == 0).sum(axis=(1, 2)) >= (digits == 0).sum(axis=(1, 2)))
    assert np.array_equal(only_cutout[only_cutout > 0], digits[only_cutout > 0])
    with pytest.raises(ValueError, match="unknown augmentations"):
        combined(digits, rng, exclude=["blur"])
    with pytest.raises(ValueError, match="strength"):
        combined(digits, rng, strength=2)


def test_bad_input_is_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="scale uint8"):
        apply("rotation", np.full((2, 28, 28), 255.0), rng)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        apply("rotation", np.zeros((2, 28, 28, 1)), rng)
    with pytest.raises(ValueError, match="unknown augmentation 'blur'"):
        apply("blur", np.zeros((2, 28, 28)), rng)


def test_generate_counts_labels_and_speed():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 300)
    x = np.zeros((3000, 28, 28), np.float32)
    x[np.arange(3000), y, y] = 1.0  # each class marks its own pixel: labels can be checked
    start = time.perf_counter()
    gx, gy = generate(x, y, 3000, rng)
    seconds = time.perf_counter() - start
    assert gx.shape == (30_000, 28, 28) and np.all(np.bincount(gy) == 3000)
    assert seconds < 30, f"30,000 augmented digits took {seconds:.1f} s"
    unchanged = generate(x, y, 5, rng, strength=0.0)
    assert np.all(unchanged[0][np.arange(50), unchanged[1], unchanged[1]] == 1.0)


def test_defaults_are_the_functions_own():
    assert augment.DEFAULTS["elastic"] == {"alpha": 34.0, "sigma": 4.0}
    assert augment.DEFAULTS["cutout"] == {"size": 8}
    assert set(augment.DEFAULTS) == set(AUGMENTATIONS)
    turned = combined(np.ones((4, 28, 28), np.float32) * 0.5, np.random.default_rng(0),
                      strength=1.0, exclude=[n for n in AUGMENTATIONS if n != "white noise"],
                      params={"white noise": {"sigma": 0.0}})
    assert np.allclose(turned, 0.5)  # a setting passed through params reaches the function
