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
    """A raw data file: its name (in cache and mirror), where it comes from, how to check it.

    Files whose bytes are stable are checked by ``sha256`` or ``md5``. Files whose bytes differ
    between hosts (a GitHub tag archive) give ``content_check`` instead: a function that takes the
    path and raises :class:`DataError` naming what is wrong.
    """

    name: str
    url: str
    sha256: str | None = None
    md5: str | None = None
    content_check: object = None

    def __post_init__(self):
        if not (self.sha256 or self.md5 or self.content_check):
            raise ValueError(f"{self.name}: give a sha256, an md5 or a content check to verify it by")


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
    if not (rf.sha256 or rf.md5):
        rf.content_check(path)
        return path
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


def save_npz(path: Path, **arrays) -> Path:
    """Write arrays to ``path`` atomically: a half-written file is never taken for a cache entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path


def _mirror_file(*relative: str) -> Path | None:
    """The first of ``relative`` paths that exists in the mirror, if a mirror is set."""
    mirror = mirror_dir()
    if mirror is None:
        return None
    return next((mirror / r for r in relative if (mirror / r).exists()), None)


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


# --- CIFAR-10 ----------------------------------------------------------------------------------

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_TARBALL = RemoteFile(
    "cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    md5="c58f30108f718f92721af3b95e74349a",
)
# sha256 of each decoded array's bytes (C order): one check for the tarball and the mirror's .npz
CIFAR10_ARRAY_SHA256 = {
    "x_train": "47af8b02cfcfb6cdf3dbbd1969ad7f1b70f4413f6f80f437b020ee4e5bc8304a",
    "y_train": "2b7cd2f24487317614016b72ffd53071c3062f592f0eb300c18a770d41ae1253",
    "x_test": "f9b1e2130bab680db56eb06d886f7f1ad0f1183907ceff4659d1735c890f5b04",
    "y_test": "cec8a24a1e92aa2ecaa0bbd3dbfa86bf6cd8759fbd209a832824c8cf0afca9d5",
}
CIFAR10_NPZ = "cifar10.npz"


def decode_cifar10_tarball(path: Path) -> dict[str, np.ndarray]:
    """Arrays from the official python tarball: HWC uint8 images, uint8 labels, official order."""
    import pickle
    import tarfile

    batches = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if name.startswith(("data_batch_", "test_batch")):
                batches[name] = pickle.load(tar.extractfile(member), encoding="bytes")
    wanted = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [w for w in wanted if w not in batches]
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}: not the CIFAR-10 python tarball")

    def images(names):
        raw = np.concatenate([batches[n][b"data"] for n in names])
        return np.ascontiguousarray(raw.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)).astype(np.uint8)

    def labels(names):
        return np.concatenate([np.asarray(batches[n][b"labels"], dtype=np.uint8) for n in names])

    return {"x_train": images(wanted[:5]), "y_train": labels(wanted[:5]),
            "x_test": images(wanted[5:]), "y_test": labels(wanted[5:])}


def verify_cifar10(arrays: dict[str, np.ndarray], source: Path) -> dict[str, np.ndarray]:
    for key, expected in CIFAR10_ARRAY_SHA256.items():
        if key not in arrays:
            raise ChecksumError(f"{source} has no array {key!r}: not CIFAR-10 as this book expects")
        actual = hashlib.sha256(np.ascontiguousarray(arrays[key]).tobytes()).hexdigest()
        if actual != expected:
            raise ChecksumError(
                f"CIFAR-10 from {source}: array {key} has sha256 {actual}, expected {expected}. "
                f"Delete the file and run again to fetch {CIFAR10_TARBALL.url}."
            )
    return arrays


def load_cifar10(*, progress: bool = True):
    """CIFAR-10: ``(x_train, y_train), (x_test, y_test)`` in the official order.

    Images are ``uint8`` ``(N, 32, 32, 3)`` RGB (50,000 train, 10,000 test); labels ``uint8`` 0-9
    (names in :data:`CIFAR10_CLASSES`). Accepts the official tarball (cache, mirror or download) or
    the same arrays as an ``.npz`` (cache or mirror); either way the decoded arrays are verified by
    content hash.
    """
    cached_npz = cache_dir() / CIFAR10_NPZ
    source = cached_npz if cached_npz.exists() else _mirror_file(f"cifar10/{CIFAR10_NPZ}", CIFAR10_NPZ)
    if source is not None:
        with np.load(source) as npz:
            arrays = verify_cifar10({k: npz[k] for k in npz.files}, source)
    else:
        tarball = fetch(CIFAR10_TARBALL, progress=progress)
        arrays = verify_cifar10(decode_cifar10_tarball(tarball), tarball)
        save_npz(cached_npz, **arrays)  # decoded once; later calls skip the tarball
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


# --- Free Spoken Digit Dataset -------------------------------------------------------------------

FSDD_VERSION = "1.0.10"
FSDD_SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
FSDD_RATE = 8000
FSDD_EXPECTED = frozenset(
    f"{d}_{s}_{i}.wav" for d in range(10) for s in FSDD_SPEAKERS for i in range(50)
)


def _fsdd_members(tar) -> dict[str, object]:
    """The recordings of an open FSDD archive, by file name."""
    return {Path(m.name).name: m for m in tar.getmembers()
            if m.isfile() and "/recordings/" in f"/{m.name}" and m.name.endswith(".wav")}


def _fsdd_order(name: str) -> tuple[int, str, int]:
    """``(digit, speaker, index)`` from a file name ``{digit}_{speaker}_{index}.wav``."""
    d, s, i = name[:-4].split("_")
    return int(d), s, int(i)


def check_fsdd_archive(path: Path) -> None:
    """Content check of an FSDD archive: exactly the 3,000 expected recordings, by name."""
    import tarfile

    try:
        with tarfile.open(path, "r:gz") as tar:
            names = set(_fsdd_members(tar))
    except Exception as err:  # tarfile raises several kinds
        raise ChecksumError(f"{path} is not a readable FSDD archive ({err}); delete it, run again") from err
    missing, extra = sorted(FSDD_EXPECTED - names), sorted(names - FSDD_EXPECTED)
    if missing or extra:
        raise ChecksumError(
            f"{path} is not FSDD v{FSDD_VERSION}: "
            + (f"{len(missing)} recordings missing (first: {', '.join(missing[:5])})" if missing else "")
            + ("; " if missing and extra else "")
            + (f"{len(extra)} unexpected recordings (first: {', '.join(extra[:5])})" if extra else "")
            + ". Delete it and run again to fetch a fresh copy."
        )


FSDD_ARCHIVE = RemoteFile(
    f"free-spoken-digit-dataset-{FSDD_VERSION}.tar.gz",
    f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v{FSDD_VERSION}.tar.gz",
    content_check=check_fsdd_archive,
)


def load_fsdd(*, progress: bool = True) -> dict:
    """The Free Spoken Digit Dataset v1.0.10: 3,000 recordings at their native 8 kHz, no resampling.

    Returns a dict with ``audio`` (list of float32 arrays in [-1, 1]), ``rate`` (8000), and the
    arrays ``digit``, ``speaker`` (names), ``index`` and ``name`` (file names), ordered by digit, speaker
    and index. The archive is checked by content (its bytes differ between hosts); the decoded audio
    is cached, so later calls skip the archive.
    """
    decoded = cache_dir() / f"fsdd-{FSDD_VERSION}-decoded.npz"
    if decoded.exists():
        with np.load(decoded, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        if set(arrays["name"].tolist()) == FSDD_EXPECTED and len(arrays["name"]) == len(FSDD_EXPECTED):
            ends = np.cumsum(arrays.pop("lengths"))
            return {"audio": np.split(arrays.pop("samples"), ends[:-1]), "rate": FSDD_RATE, **arrays}
        decoded.unlink()  # not what it should be: decode the archive again
    fsdd = _decode_fsdd(fetch(FSDD_ARCHIVE, progress=progress))
    save_npz(decoded, samples=np.concatenate(fsdd["audio"]), lengths=[len(a) for a in fsdd["audio"]],
             **{k: v for k, v in fsdd.items() if k not in ("audio", "rate")})
    return fsdd


def _decode_fsdd(archive: Path) -> dict:
    import io
    import tarfile

    import soundfile

    audio, digit, speaker, index, names = [], [], [], [], []
    with tarfile.open(archive, "r:gz") as tar:
        members = _fsdd_members(tar)  # the archive passed its content check: exactly the expected names
        for name in sorted(members, key=_fsdd_order):
            raw = tar.extractfile(members[name]).read()
            try:
                samples, rate = soundfile.read(io.BytesIO(raw), dtype="float32", always_2d=True)
            except Exception as err:
                raise DataError(f"{name} in {archive} cannot be decoded as WAV: {err}") from err
            if rate != FSDD_RATE:
                raise DataError(f"{name} in {archive} is sampled at {rate} Hz, expected {FSDD_RATE} Hz")
            audio.append(samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0])
            d, s, i = _fsdd_order(name)
            digit.append(d)
            speaker.append(s)
            index.append(i)
            names.append(name)
    return {"audio": audio, "rate": FSDD_RATE, "digit": np.array(digit, dtype=np.uint8),
            "speaker": np.array(speaker), "index": np.array(index, dtype=np.int16),
            "name": np.array(names)}
