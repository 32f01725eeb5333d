"""Real datasets: find a file, verify it, decode it.

Every raw file is looked for in three places, in order:

1. the local cache (``BOOK_DATA_CACHE``, default ``~/.cache/dl-reports-book``);
2. a read-only mirror folder named by ``BOOK_DATA_MIRROR`` (CI points it at ``../shared/data``);
   files there are read in place and never written to;
3. its canonical URL, downloaded into the cache with a progress bar.

Whatever the source, the file is verified (sha256 or md5) before it is used. A wrong checksum is an
error naming the file and what to do; with no network and no mirror the error names the file, its
URL and where to put it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CACHE_ENV = "BOOK_DATA_CACHE"
MIRROR_ENV = "BOOK_DATA_MIRROR"


class DataError(RuntimeError):
    """Base class for data problems the reader can fix."""


class ChecksumError(DataError):
    """A file is present but its bytes are not the expected ones."""


class DataUnavailableError(DataError):
    """A file is in neither the cache nor the mirror, and could not be downloaded."""


@dataclass(frozen=True)
class RemoteFile:
    """A raw data file: its name (in cache and mirror), where it comes from, how to check it."""

    name: str
    url: str
    sha256: str | None = None
    md5: str | None = None

    def __post_init__(self):
        if not (self.sha256 or self.md5):
            raise ValueError(f"{self.name}: give a sha256 or an md5 to verify it by")


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "dl-reports-book")


def mirror_dir() -> Path | None:
    value = os.environ.get(MIRROR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DataError(f"{MIRROR_ENV}={value!r} is not a folder; unset it or point it at the data mirror")
    return path


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, rf: RemoteFile) -> Path:
    """Check ``path`` against ``rf``'s checksum; raise :class:`ChecksumError` if it differs."""
    algorithm, expected = ("sha256", rf.sha256) if rf.sha256 else ("md5", rf.md5)
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise ChecksumError(
            f"{rf.name} at {path} is corrupted or not the expected file: {algorithm} is {actual}, "
            f"expected {expected}. Delete it and run again to fetch a fresh copy from {rf.url}"
            + (" (or fix the mirror)" if mirror_dir() and path.is_relative_to(mirror_dir()) else "")
            + "."
        )
    return path


def fetch(rf: RemoteFile, *, progress: bool = True) -> Path:
    """Return the path of a verified copy of ``rf``: cache, then mirror, then download."""
    cached = cache_dir() / rf.name
    if cached.exists():
        return verify(cached, rf)
    mirror = mirror_dir()
    if mirror is not None and (mirror / rf.name).exists():
        return verify(mirror / rf.name, rf)
    try:
        _download(rf.url, cached, progress=progress)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        where = f"the mirror {mirror}" if mirror else f"a folder named by {MIRROR_ENV}"
        raise DataUnavailableError(
            f"{rf.name} is not in the cache ({cache_dir()}) "
            + (f"nor in the mirror ({mirror})" if mirror else f"and no mirror is set ({MIRROR_ENV})")
            + f", and downloading it from {rf.url} failed: {err}. "
            f"Download {rf.url} on a machine with a network and put it in {cache_dir()} or in {where}."
        ) from err
    return verify(cached, rf)


def _download(url: str, dest: Path, *, progress: bool) -> None:
    from tqdm.auto import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
        shutil.move(part, dest)
    finally:
        part.unlink(missing_ok=True)


# --- MNIST -------------------------------------------------------------------------------------

_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {
    "train_images": RemoteFile(
        "train-images-idx3-ubyte.gz", _MNIST_URL + "train-images-idx3-ubyte.gz",
        sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "train_labels": RemoteFile(
        "train-labels-idx1-ubyte.gz", _MNIST_URL + "train-labels-idx1-ubyte.gz",
        sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "test_images": RemoteFile(
        "t10k-images-idx3-ubyte.gz", _MNIST_URL + "t10k-images-idx3-ubyte.gz",
        sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "test_labels": RemoteFile(
        "t10k-labels-idx1-ubyte.gz", _MNIST_URL + "t10k-labels-idx1-ubyte.gz",
        sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
}

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Decode an IDX file (gzipped or not) into a NumPy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise DataError(f"{path}: header says shape {shape} ({expected} bytes), file has {len(raw) - offset}")
    return np.frombuffer(raw, dtype=dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def load_mnist(*, progress: bool = True):
    """MNIST from the original IDX files: ``(x_train, y_train), (x_test, y_test)``.

    Images are ``uint8`` of shape ``(N, 28, 28)`` (60,000 train, 10,000 test), labels ``uint8`` 0-9,
    both in the official order.
    """
    arrays = {key: read_idx(fetch(rf, progress=progress)) for key, rf in MNIST_FILES.items()}
    for split in ("train", "test"):
        if len(arrays[f"{split}_images"]) != len(arrays[f"{split}_labels"]):
            raise DataError(f"MNIST {split}: image and label counts differ")
    return (arrays["train_images"], arrays["train_labels"]), (arrays["test_images"], arrays["test_labels"])
