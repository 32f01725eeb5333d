"""CIFAR-10 and the Free Spoken Digit Dataset: loading, verification, clear errors."""

import gzip
import io
import pickle
import tarfile

import numpy as np
import pytest

from shared import data
from shared.data import ChecksumError, DataError
from tests.conftest import MIRROR, mirror_has

needs_cifar = pytest.mark.skipif(not mirror_has("cifar10/cifar10.npz"), reason="no CIFAR-10 in the mirror")
needs_fsdd = pytest.mark.skipif(not mirror_has(data.FSDD_ARCHIVE.name), reason="no FSDD in the mirror")


# --- CIFAR-10 ----------------------------------------------------------------------------------

def _official_tarball(path, arrays, compresslevel=1):
    """Write arrays in the layout of the official python tarball (CHW rows of 3072 bytes)."""
    def batch(x, y):
        rows = x.transpose(0, 3, 1, 2).reshape(len(x), -1)
        return pickle.dumps({b"batch_label": b"b", b"labels": [int(v) for v in y], b"data": rows,
                             b"filenames": [b"f"] * len(y)})

    n = len(arrays["x_train"]) // 5
    parts = {f"data_batch_{i + 1}": batch(arrays["x_train"][i * n:(i + 1) * n],
                                          arrays["y_train"][i * n:(i + 1) * n]) for i in range(5)}
    parts["test_batch"] = batch(arrays["x_test"], arrays["y_test"])
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=compresslevel) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        for name, payload in parts.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def test_decode_cifar_tarball_layout(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (10, 32, 32, 3), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 10).astype(np.uint8),
              "x_test": rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3).astype(np.uint8)}
    _official_tarball(tmp_path / "c.tar.gz", arrays)
    decoded = data.decode_cifar10_tarball(tmp_path / "c.tar.gz")
    for key, value in arrays.items():
        np.testing.assert_array_equal(decoded[key], value)
    # the official row layout: 1024 red, then 1024 green, then 1024 blue values, row-major
    with tarfile.open(tmp_path / "c.tar.gz") as tar:
        rows = pickle.load(tar.extractfile("cifar-10-batches-py/data_batch_1"), encoding="bytes")[b"data"]
    assert decoded["x_train"][0, 2, 5, 1] == rows[0, 1024 + 2 * 32 + 5]


def test_tarball_missing_a_batch_is_an_error(tmp_path):
    with tarfile.open(tmp_path / "bad.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/readme.html")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(DataError, match="data_batch_1"):
        data.decode_cifar10_tarball(tmp_path / "bad.tar.gz")


@needs_cifar
def test_cifar10_from_mirror_npz(data_env):
    (x_train, y_train), (x_test, y_test) = data.load_cifar10(progress=False)
    assert x_train.shape == (50_000, 32, 32, 3) and x_test.shape == (10_000, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [5000] * 10 and np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]  # the official order
    assert y_test[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    assert len(data.CIFAR10_CLASSES) == 10 and data.CIFAR10_CLASSES[y_train[0]] == "frog"


@needs_cifar
def test_cifar10_from_official_tarball_in_cache(tmp_path, monkeypatch):
    """The tarball path: decoded arrays must pass the same content check as the mirror's .npz."""
    with np.load(MIRROR / "cifar10" / "cifar10.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    cache = tmp_path / "cache"
    cache.mkdir()
    _official_tarball(cache / data.CIFAR10_TARBALL.name, arrays)
    monkeypatch.setenv("BOOK_DATA_CACHE", str(cache))
    monkeypatch.delenv("BOOK_DATA_MIRROR", raising=False)
    monkeypatch.setattr(data, "CIFAR10_TARBALL", data.RemoteFile(
        data.CIFAR10_TARBALL.name, data.CIFAR10_TARBALL.url,
        sha256=data.file_digest(cache / data.CIFAR10_TARBALL.name, "sha256")))  # our re-encoding's bytes
    (x_train, y_train), (x_test, _) = data.load_cifar10(progress=False)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert (cache / data.CIFAR10_NPZ).exists(), "decoded arrays are cached for the next call"


@needs_cifar
def test_cifar10_with_wrong_content_is_an_error(tmp_path, monkeypatch):
    with np.load(MIRROR / "cifar10" / "cifar10.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["y_test"] = arrays["y_test"].copy()
    arrays["y_test"][0] = (arrays["y_test"][0] + 1) % 10
    cache = tmp_path / "cache"
    cache.mkdir()
    np.savez(cache / data.CIFAR10_NPZ, **arrays)
    monkeypatch.setenv("BOOK_DATA_CACHE", str(cache))
    with pytest.raises(ChecksumError, match="array y_test") as err:
        data.load_cifar10(progress=False)
    assert str(cache / data.CIFAR10_NPZ) in str(err.value)


# --- FSDD --------------------------------------------------------------------------------------

@needs_fsdd
def test_fsdd_contents(data_env):
    fsdd = data.load_fsdd(progress=False)
    assert len(fsdd["audio"]) == 3000 and fsdd["rate"] == 8000
    assert np.bincount(fsdd["digit"]).tolist() == [300] * 10
    speakers, counts = np.unique(fsdd["speaker"], return_counts=True)
    assert speakers.tolist() == list(data.FSDD_SPEAKERS) and counts.tolist() == [500] * 6
    assert sorted(set(fsdd["index"].tolist())) == list(range(50))
    assert all(a.dtype == np.float32 and a.ndim == 1 for a in fsdd["audio"])
    assert max(float(np.abs(a).max()) for a in fsdd["audio"]) <= 1.0
    assert fsdd["name"][0] == "0_george_0.wav" and fsdd["name"][1] == "0_george_1.wav"
    i = int(np.flatnonzero(fsdd["name"] == "7_theo_12.wav")[0])
    assert (fsdd["digit"][i], fsdd["speaker"][i], fsdd["index"][i]) == (7, "theo", 12)
    # native rate, no resampling: the sample count is the file's own
    import soundfile
    with tarfile.open(MIRROR / data.FSDD_ARCHIVE.name) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/7_theo_12.wav"))
        info = soundfile.info(io.BytesIO(tar.extractfile(member).read()))
    assert info.samplerate == 8000 and info.frames == len(fsdd["audio"][i])


def _rewrite_fsdd(dest, drop=(), add=()):
    with tarfile.open(MIRROR / data.FSDD_ARCHIVE.name) as src, tarfile.open(dest, "w:gz") as out:
        for m in src.getmembers():
            if not any(m.name.endswith("/" + d) for d in drop):
                out.addfile(m, src.extractfile(m) if m.isfile() else None)
        for name in add:
            info = tarfile.TarInfo(f"free-spoken-digit-dataset-1.0.10/recordings/{name}")
            tar_bytes = b"not audio"
            info.size = len(tar_bytes)
            out.addfile(info, io.BytesIO(tar_bytes))


@needs_fsdd
@pytest.mark.parametrize("drop, add, error, message", [
    (["3_lucas_17.wav"], [], ChecksumError, "1 recordings missing \\(first: 3_lucas_17.wav\\)"),
    ([], ["5_nobody_3.wav"], ChecksumError, "unexpected recordings \\(first: 5_nobody_3.wav\\)"),
    (["2_theo_4.wav"], ["2_theo_4.wav"], DataError, "2_theo_4.wav .* cannot be decoded"),
], ids=["missing", "unexpected", "undecodable"])
def test_fsdd_bad_archive_names_the_recording(tmp_path, monkeypatch, drop, add, error, message):
    cache = tmp_path / "cache"
    cache.mkdir()
    _rewrite_fsdd(cache / data.FSDD_ARCHIVE.name, drop=drop, add=add)
    monkeypatch.setenv("BOOK_DATA_CACHE", str(cache))
    with pytest.raises(error, match=message):
        data.load_fsdd(progress=False)


def test_fsdd_not_an_archive_is_an_error(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / data.FSDD_ARCHIVE.name).write_bytes(b"garbage")
    monkeypatch.setenv("BOOK_DATA_CACHE", str(cache))
    with pytest.raises(ChecksumError, match="not a readable FSDD archive"):
        data.load_fsdd(progress=False)


@needs_fsdd
def test_fsdd_second_call_comes_from_the_decoded_cache(data_env, monkeypatch):
    import time

    first = data.load_fsdd(progress=False)

    def no_archive(*_, **__):
        raise AssertionError("the archive was read again")

    monkeypatch.setattr(data, "fetch", no_archive)
    start = time.perf_counter()
    second = data.load_fsdd(progress=False)
    assert time.perf_counter() - start < 2.0
    assert all(np.array_equal(a, b) for a, b in zip(first["audio"], second["audio"], strict=True))
    for key in ("digit", "speaker", "index", "name"):
        np.testing.assert_array_equal(first[key], second[key])
