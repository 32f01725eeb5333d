"""Derived datasets: shapes, ranges, counts, determinism, disjoint splits, nesting, the cache."""

import time

import numpy as np
import pytest

from shared import data, derived
from tests.conftest import mirror_has


def _mnist():
    return data.load_mnist(progress=False)


# --- Reduced MNIST -----------------------------------------------------------------------------

def test_reduced_mnist(data_env):
    (x_tr, y_tr), (x_te, y_te) = _mnist()
    sets = {k: derived.reduced_mnist(k, 200) for k in (300, 700, 1000)}
    for k, d in sets.items():
        assert d["x_train"].shape == (10 * k, 28, 28) and d["x_train"].dtype == np.uint8
        assert np.bincount(d["y_train"]).tolist() == [k] * 10
        assert np.bincount(d["y_test"]).tolist() == [200] * 10
        np.testing.assert_array_equal(d["x_train"], x_tr[d["train_index"]])
        np.testing.assert_array_equal(d["y_test"], y_te[d["test_index"]])
        assert len(set(d["train_index"])) == 10 * k
    assert set(sets[300]["train_index"]) < set(sets[700]["train_index"]) < set(sets[1000]["train_index"])
    np.testing.assert_array_equal(sets[300]["test_index"], sets[1000]["test_index"])
    p4a = derived.reduced_mnist(500, 100)
    assert p4a["x_train"].shape == (5000, 28, 28) and p4a["x_test"].shape == (1000, 28, 28)
    assert np.bincount(p4a["y_test"]).tolist() == [100] * 10
    other_seed = derived.reduced_mnist(300, 200, seed=1)
    assert set(other_seed["train_index"]) != set(sets[300]["train_index"])


def test_reduced_mnist_rejects_bad_sizes(data_env):
    with pytest.raises(ValueError, match="train_per_class"):
        derived.reduced_mnist(-5, 200)
    with pytest.raises(ValueError, match="only 892 images of digit 5"):
        derived.reduced_mnist(100, 900)


# --- Two digits ------------------------------------------------------------------------------------

def test_two_digits(data_env):
    (x_tr, y_tr), (x_te, y_te) = _mnist()
    d = derived.two_digits(3000, 600, 500)
    for split, n, (x, y) in (("train", 3000, (x_tr, y_tr)), ("val", 600, (x_tr, y_tr)),
                             ("test", 500, (x_te, y_te))):
        img, lab, src = d[f"x_{split}"], d[f"y_{split}"], d[f"{split}_source"]
        assert img.shape == (n, 42, 28) and img.dtype == np.uint8 and lab.shape == (n, 2)
        assert lab.min() >= 0 and lab.max() <= 9
        np.testing.assert_array_equal(lab, y[src])
        top, bottom = x[src[:, 0]], x[src[:, 1]]
        np.testing.assert_array_equal(img[:, :14], top[:, :14])
        np.testing.assert_array_equal(img[:, 14:28], np.maximum(top[:, 14:], bottom[:, :14]))
        np.testing.assert_array_equal(img[:, 28:], bottom[:, 14:])
    assert not set(d["train_source"].ravel()) & set(d["val_source"].ravel())
    assert d["test_source"].max() < 10_000


# --- Four-digit sums ----------------------------------------------------------------------------

def test_place_digits_identity_and_shift():
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    cells = derived.place_digits(digits, np.ones(3), np.zeros((3, 2), np.float32))
    assert cells.shape == (3, 40, 42)
    np.testing.assert_array_equal(cells[:, 6:34, 7:35], digits)
    assert cells[:, :6].sum() == 0 and cells[:, 34:].sum() == 0
    moved = derived.place_digits(digits, np.ones(3), np.array([[2, -3]] * 3, np.float32))
    np.testing.assert_array_equal(moved[:, 8:36, 4:32], digits)


def test_digit_sums(data_env):
    (x_tr, y_tr), (x_te, y_te) = _mnist()
    d = derived.digit_sums(1000, 300)
    for split, n, y in (("train", 1000, y_tr), ("test", 300, y_te)):
        img = d[f"x_{split}"]
        assert img.shape == (n, 40, 168) and img.dtype == np.uint8
        np.testing.assert_array_equal(d[f"digits_{split}"], y[d[f"{split}_source"]])
        np.testing.assert_array_equal(d[f"y_{split}"], d[f"digits_{split}"].sum(axis=1))
        assert 0 <= d[f"y_{split}"].min() and d[f"y_{split}"].max() <= 36
        assert np.abs(d[f"{split}_shift"]).max() <= 3
        scale = d[f"{split}_scale"]
        assert ((scale == 1) | ((scale >= 0.85) & (scale <= 1.15))).all() and (scale != 1).mean() > 0.3
        # each digit's ink stays in its own 42-pixel cell
        ink = (img.reshape(n, 40, 4, 42).sum(axis=(1, 3)) > 0)
        assert ink.all()
    # an unscaled, unshifted digit is an exact copy of its MNIST source
    i, j = np.argwhere((d["train_scale"] == 1) & (np.abs(d["train_shift"]).sum(axis=2) == 0))[0]
    cell = d["x_train"][i, :, 42 * j: 42 * (j + 1)]
    np.testing.assert_array_equal(cell[6:34, 7:35], x_tr[d["train_source"][i, j]])
    with pytest.raises(ValueError, match="does not fit"):
        derived.digit_sums(10, 10, scale_range=(1.0, 1.6))


def test_digit_sums_validation_part_shares_no_source_digit_with_training(data_env):
    (x_tr, y_tr), _ = _mnist()
    plain = derived.digit_sums(400, 100)
    d = derived.digit_sums(400, 100, n_val=200)
    assert d["x_val"].shape == (200, 40, 168)
    np.testing.assert_array_equal(d["digits_val"], y_tr[d["val_source"]])
    np.testing.assert_array_equal(d["y_val"], d["digits_val"].sum(axis=1))
    # the proof: no MNIST image behind a validation image is behind any training image
    assert not set(d["val_source"].ravel()) & set(d["train_source"].ravel())
    # ... which slicing the training images would not give: their sources repeat across images
    sources = plain["train_source"].ravel()
    assert len(np.unique(sources)) < len(sources)
    # every digit is in the validation pool, about 10% of MNIST's training set
    assert len(np.unique(d["digits_val"])) == 10 and d["val_source"].max() < len(y_tr)
    # without a validation part the recipe (and the Datasets appendix's arrays) are unchanged
    assert "x_val" not in plain
    np.testing.assert_array_equal(derived.digit_sums(400, 100, n_val=0)["x_train"], plain["x_train"])
    with pytest.raises(ValueError, match="val_fraction"):
        derived.digit_sums(10, 10, n_val=5, val_fraction=1.5)


# --- Spoken digits -------------------------------------------------------------------------------

def test_stratified_split_is_disjoint_complete_and_balanced():
    labels = np.repeat(np.arange(10), 300)
    parts = derived.stratified_split(labels, (0.7, 0.15, 0.15), seed=42)
    assert [len(p) for p in parts] == [2100, 450, 450]
    assert sorted(np.concatenate(parts).tolist()) == list(range(3000))
    assert [np.bincount(labels[p]).tolist() for p in parts] == [[210] * 10, [45] * 10, [45] * 10]
    again = derived.stratified_split(labels, (0.7, 0.15, 0.15), seed=42)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))
    with pytest.raises(ValueError, match="sum to 1"):
        derived.stratified_split(labels, (0.7, 0.2, 0.2), seed=42)


def test_mfcc_frame_parameters():
    assert derived.mfcc_frame_params(8000, 15, 7.5) == (120, 60)
    with pytest.raises(ValueError, match="whole samples"):
        derived.mfcc_frame_params(8000, 15.01, 7.5)


def test_spoken_mfcc(data_env):
    fsdd = data.load_fsdd(progress=False)
    m = derived.spoken_mfcc()
    assert int(m["n_fft"]) == 120 and int(m["hop_length"]) == 60
    sizes = {s: len(m[f"{s}_y"]) for s in derived.SPLITS3}
    assert sizes == {"train": 2100, "val": 450, "test": 450}
    idx = np.concatenate([m[f"{s}_index"] for s in derived.SPLITS3])
    assert sorted(idx.tolist()) == list(range(3000))
    for s in derived.SPLITS3:
        np.testing.assert_array_equal(m[f"{s}_y"], fsdd["digit"][m[f"{s}_index"]])
        lengths = [1 + len(fsdd["audio"][i]) // 60 for i in m[f"{s}_index"]]
        assert m[f"{s}_lengths"].tolist() == lengths
        seqs = derived.frames_of(m, s)
        assert all(q.shape == (n, 13) for q, n in zip(seqs, lengths, strict=True))
        np.testing.assert_allclose(m[f"{s}_mean"], np.stack([q.mean(axis=0) for q in seqs]), atol=1e-5)
        max_frames = m[f"{s}_padded"].shape[1] // 13
        first = m[f"{s}_padded"][0].reshape(max_frames, 13)
        np.testing.assert_allclose(first[: lengths[0]], seqs[0], atol=1e-6)
        assert not first[lengths[0]:].any()
    np.testing.assert_allclose(m["train_frames"].mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(m["train_frames"].std(axis=0), 1, atol=1e-4)
    assert m["train_padded"].shape[1] == max(1 + len(a) // 60 for a in fsdd["audio"]) * 13


def test_batched_mel_matches_one_call_per_recording(data_env):
    import librosa

    fsdd = data.load_fsdd(progress=False)
    audio = [fsdd["audio"][i] for i in (0, 1000, 2999)]
    for a, mel in zip(audio, derived.mel_power(audio, 8000, 120, 60, 40), strict=True):
        single = librosa.feature.melspectrogram(y=a, sr=8000, n_fft=120, hop_length=60, n_mels=40)
        np.testing.assert_allclose(mel, single, rtol=1e-4, atol=1e-7)


def test_spoken_spectrograms(data_env):
    s = derived.spoken_spectrograms()
    for split, n in (("train", 2400), ("val", 300), ("test", 300)):
        x = s[f"x_{split}"]
        assert x.shape == (n, 128, 128, 3) and x.dtype == np.float32
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert np.bincount(s[f"y_{split}"]).tolist() == [n // 10] * 10
    idx = np.concatenate([s[f"{k}_index"] for k in derived.SPLITS3])
    assert sorted(idx.tolist()) == list(range(3000))


# --- determinism and the cache --------------------------------------------------------------------

@pytest.mark.parametrize("name, args", [("reduced_mnist", (300, 50)), ("two_digits", (500, 100, 100)),
                                        ("digit_sums", (300, 100))])
def test_same_parameters_give_identical_bytes(data_env, name, args):
    build = getattr(derived, name)
    first = build(*args)
    for path in (data_env / "derived").glob(f"{name}-*.npz"):
        path.unlink()
    second = build(*args)
    assert first.keys() == second.keys()
    for key in first:
        assert first[key].tobytes() == second[key].tobytes(), key


def test_second_call_comes_from_the_cache(data_env, monkeypatch):
    derived.two_digits(800, 100, 100, seed=3)
    assert derived.cache_path("two_digits", dict(n_train=800, n_val=100, n_test=100, seed=3)).exists()

    def no_raw_data(**_):
        raise AssertionError("the raw data was read again")

    monkeypatch.setattr(derived, "load_mnist", no_raw_data)
    start = time.perf_counter()
    again = derived.two_digits(800, 100, 100, seed=3)
    assert time.perf_counter() - start < 2.0
    assert again["x_train"].shape == (800, 42, 28)
    with pytest.raises(AssertionError, match="read again"):
        derived.two_digits(800, 100, 100, seed=4)  # other parameters: another cache entry


def test_cache_key_depends_on_every_parameter():
    base = dict(n_train=10, n_val=10, n_test=10, seed=0)
    paths = {derived.cache_path("two_digits", {**base, k: v + 1}) for k, v in base.items()}
    assert len(paths | {derived.cache_path("two_digits", base)}) == len(base) + 1


@pytest.mark.slow
def test_full_size_generation(data_env, capsys):
    """Every derived dataset at the size the chapters use, from the raw files, timed."""
    for path in (data_env / "derived").glob("*.npz"):
        path.unlink()
    timings = {}
    builders = {
        "reduced": lambda: [derived.reduced_mnist(k, t) for k, t in ((300, 200), (700, 200), (1000, 200),
                                                                      (500, 100))],
        "two_digits": derived.two_digits,
        "digit_sums": derived.digit_sums,
        "spoken_mfcc": derived.spoken_mfcc,
        "spoken_spectrograms": derived.spoken_spectrograms,
    }
    for name, build in builders.items():
        start = time.perf_counter()
        build()
        first = time.perf_counter() - start
        start = time.perf_counter()
        build()
        timings[name] = (round(first, 1), round(time.perf_counter() - start, 2))
    with capsys.disabled():
        print(f"\nfull-size derived datasets (first call s, cached call s): {timings}")
    # the audio recipes are deterministic too: a rebuild gives the same bytes
    for name in ("spoken_mfcc", "spoken_spectrograms"):
        kept = {k: v.copy() for k, v in builders[name]().items()}
        for path in (data_env / "derived").glob(f"{name}-*.npz"):
            path.unlink()
        rebuilt = builders[name]()
        assert all(kept[k].tobytes() == rebuilt[k].tobytes() for k in kept), name
    sums = derived.digit_sums()
    assert sums["x_train"].shape == (50_000, 40, 168) and sums["x_test"].shape == (10_000, 40, 168)
    two = derived.two_digits()
    assert [len(two[f"y_{s}"]) for s in ("train", "val", "test")] == [36_000, 4_000, 4_000]
    assert all(cached < 5.0 for _, cached in timings.values())


def test_cifar10_splits_are_disjoint_stratified_and_scaled(data_env):
    if not mirror_has("cifar10/cifar10.npz"):
        pytest.skip("CIFAR-10 is not in the data mirror")
    d = derived.cifar10_splits(2000, 500, n_test=300, seed=0)
    assert d["x_train"].shape == (2000, 32, 32, 3) and d["x_train"].dtype == np.float32
    assert 0 <= d["x_train"].min() and d["x_train"].max() <= 1
    assert np.all(np.bincount(d["y_train"]) == 200) and np.all(np.bincount(d["y_val"]) == 50)
    assert len(d["y_test"]) == 300
    # no training image is also a validation image
    flat = {img.tobytes() for img in d["x_val"]}
    assert not any(img.tobytes() in flat for img in d["x_train"])
    with pytest.raises(ValueError, match="more than"):
        derived.cifar10_splits(50_000, 1)


def test_mfcc_inputs_normalise_pad_and_average():
    frames = [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0]])]
    out = derived.mfcc_inputs(frames, mean=np.array([1.0, 2.0]), std=np.array([2.0, 2.0]),
                              max_frames=3)
    assert np.allclose(out["frames"][0], [[0, 0], [1, 1]])
    assert np.allclose(out["mean"], [[0.5, 0.5], [2.0, 2.0]])
    assert out["padded"].shape == (2, 6)
    assert np.allclose(out["padded"][1], [2, 2, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="max_frames=1"):
        derived.mfcc_inputs(frames, np.zeros(2), np.ones(2), max_frames=1)
