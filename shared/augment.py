"""Image augmentations for batches of greyscale digits, vectorised with NumPy and scipy.ndimage.

Every augmentation takes a batch ``x`` of shape ``(N, H, W)`` with values in [0, 1] and a NumPy
``Generator`` and returns a new float32 batch of the same shape, clipped to [0, 1]. Each image gets
its own random draw; the batch is transformed in one call (no Python loop over images), so tens of
thousands of 28x28 digits take about a second. The parameters are keyword arguments with the
defaults of each function (collected in :data:`DEFAULTS`).

- white noise: add Gaussian noise of standard deviation ``sigma``;
- brightness: add one offset per image, uniform in ``[-delta, delta]``;
- cutout: set a ``size`` x ``size`` square at a uniformly random place to 0;
- rotation: rotate about the centre by an angle uniform in ``[-degrees, degrees]``;
- translation: shift by whole-image fractions uniform in ``[-fraction, fraction]`` in each direction;
- zoom: scale about the centre by a factor uniform in ``[1 - amount, 1 + amount]``;
- elastic: displace every pixel by a random field, Gaussian-smoothed with ``sigma`` pixels and scaled
  by ``alpha`` (Simard et al., 2003);
- combined: :func:`combined` applies each of the seven in turn to each image with probability
  ``strength``.

Geometric transforms sample the input at displaced coordinates with bilinear interpolation
(``scipy.ndimage.map_coordinates``, zero outside the image).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
from scipy import ndimage


def _check(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"augmentations take a batch (N, H, W) of greyscale images; got shape {x.shape}")
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"pixel values must be in [0, 1] (scale uint8 images by 1/255); "
                         f"got {x.min():g} to {x.max():g}")
    return x


def _grid(shape):
    n, h, w = shape
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                             indexing="ij")
    return np.broadcast_to(rows, (n, h, w)), np.broadcast_to(cols, (n, h, w))


def _sample(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``x[n]`` read at ``(rows[n], cols[n])`` for every image ``n`` at once (bilinear, zero outside)."""
    n = np.broadcast_to(np.arange(len(x), dtype=np.float32)[:, None, None], x.shape)
    out = ndimage.map_coordinates(x, [n, rows, cols], order=1, mode="constant", cval=0.0)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _affine(x: np.ndarray, angle=None, scale=None, shift=None) -> np.ndarray:
    """Rotate by ``angle`` (radians), scale by ``scale`` and shift by ``shift`` (rows, cols in
    pixels), per image, about the image centre: output pixel p reads the input at the inverse map."""
    n, h, w = x.shape
    rows, cols = _grid(x.shape)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    angle = np.zeros(n) if angle is None else angle
    scale = np.ones(n) if scale is None else scale
    shift = np.zeros((n, 2)) if shift is None else shift
    cos, sin = (np.cos(angle) / scale)[:, None, None], (np.sin(angle) / scale)[:, None, None]
    dy, dx = rows - cy - shift[:, 0, None, None], cols - cx - shift[:, 1, None, None]
    return _sample(x, cy + cos * dy - sin * dx, cx + sin * dy + cos * dx)


def white_noise(x, rng: np.random.Generator, sigma: float = 0.1) -> np.ndarray:
    x = _check(x)
    return np.clip(x + rng.normal(0.0, sigma, x.shape), 0.0, 1.0).astype(np.float32)


def brightness(x, rng: np.random.Generator, delta: float = 0.2) -> np.ndarray:
    x = _check(x)
    offset = rng.uniform(-delta, delta, (len(x), 1, 1))
    return np.clip(x + offset, 0.0, 1.0).astype(np.float32)


def cutout(x, rng: np.random.Generator, size: int = 8) -> np.ndarray:
    x = _check(x)
    n, h, w = x.shape
    size = int(size)
    if not 0 < size <= min(h, w):
        raise ValueError(f"cutout size must be between 1 and {min(h, w)}, got {size}")
    top = rng.integers(0, h - size + 1, n)[:, None, None]
    left = rng.integers(0, w - size + 1, n)[:, None, None]
    rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    inside = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)
    return np.where(inside, 0.0, x).astype(np.float32)


def rotation(x, rng: np.random.Generator, degrees: float = 15.0) -> np.ndarray:
    x = _check(x)
    return _affine(x, angle=np.deg2rad(rng.uniform(-degrees, degrees, len(x))))


def translation(x, rng: np.random.Generator, fraction: float = 0.1) -> np.ndarray:
    x = _check(x)
    limits = fraction * np.array(x.shape[1:], dtype=np.float64)
    return _affine(x, shift=rng.uniform(-limits, limits, (len(x), 2)))


def zoom(x, rng: np.random.Generator, amount: float = 0.1) -> np.ndarray:
    x = _check(x)
    if not 0 <= amount < 1:
        raise ValueError(f"zoom amount must be in [0, 1), got {amount}")
    return _affine(x, scale=rng.uniform(1 - amount, 1 + amount, len(x)))


def elastic(x, rng: np.random.Generator, alpha: float = 34.0, sigma: float = 4.0) -> np.ndarray:
    # Simard et al.'s (2003) settings: displacements of about 1.8 pixels rms on 28x28 digits
    x = _check(x)
    rows, cols = _grid(x.shape)
    field = rng.uniform(-1, 1, (2, *x.shape)).astype(np.float32)
    # smooth each image's field over its own rows and columns only (sigma 0 along the batch axis)
    dy, dx = (ndimage.gaussian_filter(f, sigma=(0, sigma, sigma)) for f in field)
    return _sample(x, rows + alpha * dy, cols + alpha * dx)


AUGMENTATIONS: dict[str, Callable[..., np.ndarray]] = {
    "white noise": white_noise,
    "brightness": brightness,
    "cutout": cutout,
    "rotation": rotation,
    "translation": translation,
    "zoom": zoom,
    "elastic": elastic,
}
# each augmentation's settings and their defaults, read from its signature (after ``x, rng``)
DEFAULTS: dict[str, dict[str, float]] = {
    name: {p.name: p.default for p in list(inspect.signature(fn).parameters.values())[2:]}
    for name, fn in AUGMENTATIONS.items()}


def combined(x, rng: np.random.Generator, strength: float = 0.5, exclude=(),
             params: dict | None = None) -> np.ndarray:
    """Apply each augmentation, in the order of :data:`AUGMENTATIONS`, to each image with
    probability ``strength`` (independently per image and augmentation). ``exclude`` names
    augmentations to leave out (for ablations); ``params`` overrides :data:`DEFAULTS` per name."""
    x = _check(x)
    if not 0 <= strength <= 1:
        raise ValueError(f"strength is a probability in [0, 1], got {strength}")
    unknown = set(exclude) - set(AUGMENTATIONS)
    if unknown:
        raise ValueError(f"unknown augmentations {sorted(unknown)}; known: {list(AUGMENTATIONS)}")
    params = params or {}
    out = x.copy()
    for name, fn in AUGMENTATIONS.items():
        chosen = rng.random(len(x)) < strength
        if name in exclude or not chosen.any():
            continue
        out[chosen] = fn(out[chosen], rng, **params.get(name, {}))
    return out


def apply(name: str, x, rng: np.random.Generator, **params) -> np.ndarray:
    """The augmentation called ``name`` (a key of :data:`AUGMENTATIONS`, or ``"combined"``)."""
    if name == "combined":
        return combined(x, rng, **params)
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; known: {[*AUGMENTATIONS, 'combined']}")
    return AUGMENTATIONS[name](x, rng, **params)


def generate(x, y, per_class: int, rng: np.random.Generator, name: str = "combined",
             **params) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` new images of every class, each an augmented copy of a real image of that class
    drawn with replacement. Returns ``(images, labels)``, classes in order."""
    x = _check(x)
    y = np.asarray(y)
    if per_class < 0:
        raise ValueError(f"per_class must be >= 0, got {per_class}")
    classes = np.unique(y)
    picks = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class) for c in classes])
    return apply(name, x[picks], rng, **params), y[picks]
