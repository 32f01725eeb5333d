"""Datasets the reports built from the real ones, generated deterministically and cached on disk.

Each builder is a pure function of the real data and its parameters: the same parameters give
byte-identical arrays. Results are cached as ``.npz`` under ``<cache>/derived/``, keyed by the
builder's name, its parameters and :data:`RECIPE_VERSION`; a second call loads the cache.

=====================  ========================================================================
builder                used by
=====================  ========================================================================
``reduced_mnist``      report 001 P2, P3 (1000/200 per class and nested 300/700), P4A (500/100)
``two_digits``         report 002: two overlapping digits, 42x28
``digit_sums``         report 000: four digits side by side, 40x168, label = their sum
``spoken_mfcc``        report 001 P1: 13 MFCCs per 15 ms frame, 7.5 ms hop, 70/15/15 split
``spoken_spectrograms``  report 001 P4B: 128x128x3 log-mel images, 80/10/10 split
=====================  ========================================================================
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from shared.data import cache_dir, load_fsdd, load_mnist, save_npz

RECIPE_VERSION = 1  # bump when a recipe changes, so that stale cache entries are not used


def cache_path(name: str, params: dict) -> Path:
    key = json.dumps({"name": name, "version": RECIPE_VERSION, **params}, sort_keys=True)
    return cache_dir() / "derived" / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def cached(name: str, params: dict, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Load ``name`` with ``params`` from the cache, or build it and store it there."""
    path = cache_path(name, params)
    if path.exists():
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    arrays = build()
    save_npz(path, **arrays)
    return arrays


def _check_counts(**values):
    for key, value in values.items():
        if int(value) != value or value < 0:
            raise ValueError(f"{key} must be a non-negative integer, got {value!r}")


# --- Reduced MNIST -------------------------------------------------------------------------------

def reduced_mnist(train_per_class: int = 1000, test_per_class: int = 200, seed: int = 0) -> dict:
    """A class-balanced subset of MNIST: ``train_per_class`` images of each digit from the training
    set and ``test_per_class`` from the test set.

    For a given seed, each class's images are taken in one fixed random order, so a smaller set is
    the head of a larger one: the 300- and 700-per-class training sets are nested in the 1000 one,
    and comparisons between them are paired. Arrays are in the order of the source indices
    (``train_index``, ``test_index``: positions in the official MNIST files).
    """
    _check_counts(train_per_class=train_per_class, test_per_class=test_per_class, seed=seed)
    params = dict(train_per_class=train_per_class, test_per_class=test_per_class, seed=seed)

    def build():
        (x_tr, y_tr), (x_te, y_te) = load_mnist(progress=False)
        rng = np.random.default_rng(seed)

        def pick(labels, per_class):
            chosen = []
            for digit in range(10):
                members = rng.permutation(np.flatnonzero(labels == digit))
                if per_class > len(members):
                    raise ValueError(f"only {len(members)} images of digit {digit}; asked {per_class}")
                chosen.append(members[:per_class])
            return np.sort(np.concatenate(chosen))

        tr, te = pick(y_tr, train_per_class), pick(y_te, test_per_class)
        return {"x_train": x_tr[tr], "y_train": y_tr[tr], "train_index": tr,
                "x_test": x_te[te], "y_test": y_te[te], "test_index": te}

    return cached("reduced_mnist", params, build)


# --- Two overlapping digits (report 002) ---------------------------------------------------------

TWO_DIGITS_SHAPE = (42, 28)


def overlay_two(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """42x28 images: ``top`` in rows 0-27, ``bottom`` in rows 14-41, overlap combined by maximum."""
    n = len(top)
    canvas = np.zeros((n, *TWO_DIGITS_SHAPE), dtype=np.uint8)
    canvas[:, :28] = top
    canvas[:, 14:] = np.maximum(canvas[:, 14:], bottom)
    return canvas


def two_digits(n_train: int = 36_000, n_val: int = 4_000, n_test: int = 4_000, seed: int = 0) -> dict:
    """Report 002's data: two MNIST digits per 42x28 image, labels ``(top, bottom)``.

    The MNIST training set is split (stratified, 90/10) into a pool for ``train`` and a pool for
    ``val``; ``test`` draws from the MNIST test set. Each image draws its two digits at random, with
    replacement, from its own split's pool, so no source image appears in two splits.
    ``*_source`` holds the MNIST indices of (top, bottom); ``*_source_set`` names the MNIST file.
    """
    _check_counts(n_train=n_train, n_val=n_val, n_test=n_test, seed=seed)
    params = dict(n_train=n_train, n_val=n_val, n_test=n_test, seed=seed)

    def build():
        from sklearn.model_selection import train_test_split

        (x_tr, y_tr), (x_te, y_te) = load_mnist(progress=False)
        pool_train, pool_val = train_test_split(np.arange(len(y_tr)), test_size=0.1, stratify=y_tr,
                                                random_state=seed)
        rng = np.random.default_rng(seed)
        out = {}
        for split, n, pool, (x, y) in (("train", n_train, pool_train, (x_tr, y_tr)),
                                       ("val", n_val, pool_val, (x_tr, y_tr)),
                                       ("test", n_test, np.arange(len(y_te)), (x_te, y_te))):
            src = rng.choice(pool, size=(n, 2), replace=True)
            out[f"x_{split}"] = overlay_two(x[src[:, 0]], x[src[:, 1]])
            out[f"y_{split}"] = y[src].astype(np.uint8)
            out[f"{split}_source"] = src
        return out

    return cached("two_digits", params, build)


# --- Four-digit sums (report 000) ----------------------------------------------------------------

DIGIT_SUMS_SHAPE = (40, 168)
DIGIT_SUMS_CELL = (40, 42)


def place_digits(digits: np.ndarray, scale: np.ndarray, shift: np.ndarray,
                 cell: tuple[int, int] = DIGIT_SUMS_CELL, chunk: int = 4096) -> np.ndarray:
    """Render 28x28 ``digits`` into cells of shape ``cell``, each scaled by ``scale`` about its centre
    and moved by ``shift`` (rows, cols) from the cell's centre; bilinear, zero outside the digit."""
    from scipy.ndimage import map_coordinates

    n = len(digits)
    out = np.empty((n, *cell), dtype=np.uint8)
    rows, cols = np.meshgrid(np.arange(cell[0], dtype=np.float32), np.arange(cell[1], dtype=np.float32),
                             indexing="ij")
    cy, cx = (cell[0] - 1) / 2, (cell[1] - 1) / 2
    for start in range(0, n, chunk):
        sl = slice(start, min(start + chunk, n))
        s = scale[sl, None, None].astype(np.float32)
        dy, dx = shift[sl, 0, None, None], shift[sl, 1, None, None]
        src_r = (rows[None] - cy - dy) / s + 13.5
        src_c = (cols[None] - cx - dx) / s + 13.5
        k = np.broadcast_to(np.arange(sl.stop - sl.start, dtype=np.float32)[:, None, None], src_r.shape)
        stack = digits[sl].astype(np.float32)
        vals = map_coordinates(stack, [k, src_r, src_c], order=1, mode="constant", cval=0.0)
        out[sl] = np.clip(np.rint(vals), 0, 255).astype(np.uint8)
    return out


def digit_sums(n_train: int = 50_000, n_test: int = 10_000, seed: int = 0, max_shift: int = 3,
               scale_range: tuple[float, float] = (0.85, 1.15), rescale_prob: float = 0.5, *,
               n_val: int = 0, val_fraction: float = 0.1) -> dict:
    """Report 000's task, rebuilt: four MNIST digits side by side in a 40x168 image.

    Each digit sits in its own 40x42 cell, moved from the cell's centre by a random whole number of
    pixels in ``[-max_shift, max_shift]`` along each axis and, with probability ``rescale_prob``,
    scaled by a factor drawn uniformly from ``scale_range``. Labels: ``y_*`` the sum (0-36),
    ``digits_*`` the four digits left to right, ``*_source`` their MNIST indices. Train draws from
    the MNIST training set, test from the MNIST test set.

    With ``n_val`` > 0 there is also a ``val`` part: the MNIST training set is first split
    (stratified by digit, seeded) into a pool of ``val_fraction`` of its images for validation and
    the rest for training, so no source digit of a validation image appears in any training image.
    With ``n_val`` = 0 (the default) the training images draw from the whole MNIST training set, as
    in the Datasets appendix.
    """
    _check_counts(n_train=n_train, n_test=n_test, seed=seed, max_shift=max_shift)
    if n_val < 0 or (n_val and not 0 < val_fraction < 1):
        raise ValueError(f"n_val must be >= 0 and val_fraction in (0, 1); got {n_val}, {val_fraction}")
    lo, hi = map(float, scale_range)
    if not 0 < lo <= hi or 28 * hi + 2 * max_shift > DIGIT_SUMS_CELL[0] + 8:
        raise ValueError(f"scale_range {scale_range} with max_shift {max_shift} does not fit a 40x42 cell")
    if not 0 <= rescale_prob <= 1:
        raise ValueError(f"rescale_prob must be in [0, 1], got {rescale_prob}")
    params = dict(n_train=n_train, n_test=n_test, seed=seed, max_shift=max_shift,
                  scale_range=[lo, hi], rescale_prob=float(rescale_prob))
    if n_val:  # only then: the recipe without a validation part keeps its cache key
        params.update(n_val=n_val, val_fraction=float(val_fraction))

    def build():
        from sklearn.model_selection import train_test_split

        (x_tr, y_tr), (x_te, y_te) = load_mnist(progress=False)
        rng = np.random.default_rng(seed)
        pool_train, pool_val = np.arange(len(y_tr)), None
        if n_val:
            pool_train, pool_val = train_test_split(pool_train, test_size=val_fraction, stratify=y_tr,
                                                    random_state=seed)
            pool_train, pool_val = np.sort(pool_train), np.sort(pool_val)
        parts = [("train", n_train, pool_train, (x_tr, y_tr))]
        if n_val:
            parts.append(("val", n_val, pool_val, (x_tr, y_tr)))
        parts.append(("test", n_test, np.arange(len(y_te)), (x_te, y_te)))
        out = {}
        for split, n, pool, (x, y) in parts:
            src = pool[rng.integers(0, len(pool), size=(n, 4))]
            scale = np.where(rng.random((n, 4)) < rescale_prob, rng.uniform(lo, hi, (n, 4)), 1.0)
            shift = rng.integers(-max_shift, max_shift + 1, size=(n, 4, 2)).astype(np.float32)
            cells = place_digits(x[src.ravel()], scale.ravel(), shift.reshape(-1, 2))
            images = cells.reshape(n, 4, *DIGIT_SUMS_CELL).transpose(0, 2, 1, 3).reshape(n, *DIGIT_SUMS_SHAPE)
            out[f"x_{split}"] = np.ascontiguousarray(images)
            out[f"digits_{split}"] = y[src].astype(np.uint8)
            out[f"y_{split}"] = out[f"digits_{split}"].sum(axis=1, dtype=np.uint8)
            out[f"{split}_source"] = src
            out[f"{split}_scale"] = scale.astype(np.float32)
            out[f"{split}_shift"] = shift.astype(np.int8)
        return out

    return cached("digit_sums", params, build)


# --- Spoken digits (report 001 P1 and P4B) --------------------------------------------------------

def stratified_split(labels: np.ndarray, fractions: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """Indices of a stratified split into parts of the given fractions (scikit-learn, seeded).

    The first cut separates the first part from the rest; each later cut splits what remains.
    """
    from sklearn.model_selection import train_test_split

    if not np.isclose(sum(fractions), 1.0) or min(fractions) <= 0:
        raise ValueError(f"fractions must be positive and sum to 1, got {fractions}")
    rest, parts = np.arange(len(labels)), []
    for frac in fractions[:-1]:
        size = int(round(frac * len(labels)))  # whole counts: 0.15 / 0.3 in floats would lose one
        take, rest = train_test_split(rest, train_size=size, stratify=labels[rest], random_state=seed)
        parts.append(np.sort(take))
    parts.append(np.sort(rest))
    return parts


SPLITS3 = ("train", "val", "test")


def mel_power(audio: list[np.ndarray], rate: int, n_fft: int, hop: int, n_mels: int,
              chunk: int = 500) -> list[np.ndarray]:
    """Mel power spectrograms ``(n_mels, 1 + len // hop)`` of many recordings, computed in batches.

    Recordings are zero-padded to a common length and transformed together; each result is then cut
    back to its own frames. librosa pads each signal with zeros (``pad_mode="constant"``), so the
    frames are the same as one call per recording, only much faster.
    """
    import librosa

    out = []
    for start in range(0, len(audio), chunk):
        part = audio[start : start + chunk]
        batch = np.zeros((len(part), max(len(a) for a in part)), dtype=np.float32)
        for row, a in enumerate(part):
            batch[row, : len(a)] = a
        mel = librosa.feature.melspectrogram(y=batch, sr=rate, n_fft=n_fft, hop_length=hop, n_mels=n_mels)
        out.extend(mel[row, :, : 1 + len(a) // hop] for row, a in enumerate(part))
    return out


def mfcc_frame_params(rate: int, frame_ms: float, hop_ms: float) -> tuple[int, int]:
    """``(n_fft, hop_length)`` in samples for frames of ``frame_ms`` and a hop of ``hop_ms``."""
    n_fft, hop = rate * frame_ms / 1000, rate * hop_ms / 1000
    if n_fft != int(n_fft) or hop != int(hop):
        raise ValueError(f"{frame_ms} ms frames / {hop_ms} ms hop are not whole samples at {rate} Hz")
    return int(n_fft), int(hop)


def spoken_mfcc(n_mfcc: int = 13, frame_ms: float = 15.0, hop_ms: float = 7.5, n_mels: int = 40,
                split: tuple[float, float, float] = (0.7, 0.15, 0.15), seed: int = 42) -> dict:
    """Report 001 P1's features: MFCCs of every FSDD recording at its native 8 kHz.

    Frames of 15 ms (``n_fft`` = 120 samples) every 7.5 ms (``hop_length`` = 60 samples), 13
    coefficients from ``n_mels`` mel bands (librosa's default of 128 bands would leave most of them
    empty with only 61 FFT bins). The recordings are split 70/15/15, stratified by digit, seed 42;
    every frame is z-scored with the mean and sd over all frames of the training split.

    Returns, for each split in ``train``, ``val``, ``test``: ``{split}_frames`` (all frames,
    concatenated) with ``{split}_lengths`` (frames per recording; see :func:`frames_of`),
    ``{split}_mean`` (per-recording mean vector), ``{split}_padded`` (zero-padded to the longest
    recording of all splits, flattened), ``{split}_y`` (digit) and ``{split}_index`` (position in
    :func:`shared.data.load_fsdd`'s order); and ``mean``, ``std``, ``n_fft``, ``hop_length``.
    """
    _check_counts(n_mfcc=n_mfcc, n_mels=n_mels, seed=seed)
    params = dict(n_mfcc=n_mfcc, frame_ms=frame_ms, hop_ms=hop_ms, n_mels=n_mels, split=list(split),
                  seed=seed)

    def build():
        import librosa

        fsdd = load_fsdd(progress=False)
        n_fft, hop = mfcc_frame_params(fsdd["rate"], frame_ms, hop_ms)
        mels = mel_power(fsdd["audio"], fsdd["rate"], n_fft, hop, n_mels)
        mfccs = [librosa.feature.mfcc(S=librosa.power_to_db(m), n_mfcc=n_mfcc).T.astype(np.float32)
                 for m in mels]
        parts = dict(zip(SPLITS3, stratified_split(fsdd["digit"], split, seed), strict=True))
        train_frames = np.concatenate([mfccs[i] for i in parts["train"]])
        mean, std = train_frames.mean(axis=0), train_frames.std(axis=0)
        max_frames = max(len(m) for m in mfccs)
        out = {"mean": mean, "std": std, "n_fft": np.array(n_fft), "hop_length": np.array(hop)}
        for name, idx in parts.items():
            inputs = mfcc_inputs([mfccs[i] for i in idx], mean, std, max_frames)
            out[f"{name}_frames"] = np.concatenate(inputs["frames"]).astype(np.float32)
            out[f"{name}_lengths"] = np.array([len(m) for m in inputs["frames"]])
            out[f"{name}_mean"] = inputs["mean"]
            out[f"{name}_padded"] = inputs["padded"]
            out[f"{name}_y"] = fsdd["digit"][idx]
            out[f"{name}_index"] = idx
        return out

    return cached("spoken_mfcc", params, build)


def mfcc_inputs(frames: list[np.ndarray], mean: np.ndarray, std: np.ndarray,
                max_frames: int) -> dict:
    """The three inputs report 001 P1 builds from raw MFCC frame sequences ``(T_i, n_mfcc)``:
    ``frames`` z-scored with ``mean`` and ``std``, each recording's ``mean`` frame, and the
    z-scored frames zero-padded to ``max_frames`` and flattened (``padded``)."""
    if any(len(f) > max_frames for f in frames):
        raise ValueError(f"a recording has more than max_frames={max_frames} frames")
    normed = [(f - mean) / std for f in frames]
    n_mfcc = normed[0].shape[1] if normed else len(mean)
    padded = np.zeros((len(normed), max_frames, n_mfcc), dtype=np.float32)
    for row, f in enumerate(normed):
        padded[row, : len(f)] = f
    means = (np.stack([f.mean(axis=0) for f in normed]).astype(np.float32) if normed
             else np.zeros((0, n_mfcc), np.float32))
    return {"frames": normed, "mean": means, "padded": padded.reshape(len(normed), -1)}


def frames_of(features: dict, split: str) -> list[np.ndarray]:
    """The per-recording frame sequences ``(T_i, n_mfcc)`` of one split of :func:`spoken_mfcc`."""
    ends = np.cumsum(features[f"{split}_lengths"])
    return np.split(features[f"{split}_frames"], ends[:-1])


def spectrogram_image(mel: np.ndarray, size: int = 128, top_db: float = 80.0,
                      cmap: str = "viridis") -> np.ndarray:
    """A mel power spectrogram as a ``size x size x 3`` uint8 image: in dB, ``top_db`` below its peak
    mapped to 0 and the peak to 1, resized bilinearly, low frequencies at the bottom, rendered
    through a matplotlib colour map."""
    import librosa
    from matplotlib import colormaps
    from scipy.ndimage import zoom

    db = librosa.power_to_db(mel, ref=np.max, top_db=top_db)
    unit = np.clip((db + top_db) / top_db, 0.0, 1.0)[::-1]  # low frequencies at the bottom
    unit = np.clip(zoom(unit, (size / unit.shape[0], size / unit.shape[1]), order=1), 0.0, 1.0)
    rgb = colormaps[cmap](unit)[..., :3]
    return np.rint(rgb * 255).astype(np.uint8)


def spoken_spectrograms(size: int = 128, n_fft: int = 256, hop: int = 32, n_mels: int = 64,
                        top_db: float = 80.0, cmap: str = "viridis",
                        split: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 42) -> dict:
    """Report 001 P4B's inputs: one ``size x size x 3`` spectrogram image per FSDD recording.

    Each image is :func:`spectrogram_image` of the recording at 8 kHz (``n_fft`` 256 samples = 32 ms,
    hop 32 samples = 4 ms, ``n_mels`` mel bands), values in [0, 1] as float32. Split 80/10/10,
    stratified by digit, seed 42. Keys: ``x_{split}``, ``y_{split}``, ``{split}_index``.
    """
    _check_counts(size=size, n_fft=n_fft, hop=hop, n_mels=n_mels, seed=seed)
    params = dict(size=size, n_fft=n_fft, hop=hop, n_mels=n_mels, top_db=top_db, cmap=cmap,
                  split=list(split), seed=seed)

    def build():
        fsdd = load_fsdd(progress=False)
        mels = mel_power(fsdd["audio"], fsdd["rate"], n_fft, hop, n_mels)
        images = np.stack([spectrogram_image(m, size, top_db, cmap) for m in mels])
        out = {}
        for name, idx in zip(SPLITS3, stratified_split(fsdd["digit"], split, seed), strict=True):
            out[f"x_{name}"], out[f"y_{name}"], out[f"{name}_index"] = images[idx], fsdd["digit"][idx], idx
        return out

    arrays = cached("spoken_spectrograms", params, build)  # stored as uint8 to keep the cache small
    return {k: (v.astype(np.float32) / 255.0 if k.startswith("x_") else v) for k, v in arrays.items()}


# --- CIFAR-10 splits (report 004) -----------------------------------------------------------------

def cifar10_splits(n_train: int = 40_000, n_val: int = 10_000, n_test: int | None = None,
                   seed: int = 0) -> dict:
    """CIFAR-10 with a validation part: ``n_train`` and ``n_val`` images drawn from the official
    training set without overlap, stratified by class (scikit-learn, ``seed``), and the official
    test set (or a stratified ``n_test`` of it, for quick runs). Images as float32 in [0, 1];
    labels as integers. Keys ``x_{split}``, ``y_{split}`` for ``train``, ``val``, ``test``."""
    from sklearn.model_selection import train_test_split

    from shared.data import load_cifar10

    (x_all, y_all), (x_test, y_test) = load_cifar10(progress=False)
    if n_train + n_val > len(y_all):
        raise ValueError(f"n_train + n_val = {n_train + n_val} is more than CIFAR-10's "
                         f"{len(y_all):,} training images")
    tr, va = train_test_split(np.arange(len(y_all)), train_size=n_train, test_size=n_val,
                              stratify=y_all, random_state=seed)
    if n_test is not None and n_test < len(y_test):
        keep, _ = train_test_split(np.arange(len(y_test)), train_size=n_test, stratify=y_test,
                                   random_state=seed)
        x_test, y_test = x_test[keep], y_test[keep]
    scale = np.float32(1 / 255)
    return {"x_train": x_all[tr] * scale, "y_train": y_all[tr], "x_val": x_all[va] * scale,
            "y_val": y_all[va], "x_test": x_test * scale, "y_test": y_test}
