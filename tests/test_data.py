import functools
import gzip
import http.server
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from shared import data
from shared.data import MNIST_FILES, ChecksumError, DataError, DataUnavailableError, RemoteFile
from tests.conftest import MIRROR, mirror_has

needs_mirror = pytest.mark.skipif(not mirror_has("train-labels-idx1-ubyte.gz"),
                                  reason="the data mirror ../shared/data is not present")

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("BOOK_DATA_CACHE", str(cache))
    return cache


@needs_mirror
def test_mnist_shapes_dtypes_and_counts(empty_cache, monkeypatch):
    monkeypatch.setenv("BOOK_DATA_MIRROR", str(MIRROR))
    (x_train, y_train), (x_test, y_test) = data.load_mnist(progress=False)
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train.shape == (60_000,) and y_test.shape == (10_000,)
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert x_train.min() == 0 and x_train.max() == 255
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the official order
    assert not empty_cache.exists(), "mirror files are read in place, not copied"


def _corrupt_copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    raw = bytearray(src.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    dest.write_bytes(bytes(raw))


@needs_mirror
def test_corrupted_cache_copy_is_an_error_naming_the_file(empty_cache, monkeypatch):
    monkeypatch.setenv("BOOK_DATA_MIRROR", str(MIRROR))
    rf = MNIST_FILES["train_labels"]
    _corrupt_copy(MIRROR / rf.name, empty_cache / rf.name)
    with pytest.raises(ChecksumError) as err:
        data.load_mnist(progress=False)
    message = str(err.value)
    assert rf.name in message and str(empty_cache / rf.name) in message
    assert rf.sha256 in message and "Delete it" in message


@needs_mirror
def test_corrupted_mirror_copy_is_an_error(empty_cache, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    rf = MNIST_FILES["test_labels"]
    _corrupt_copy(MIRROR / rf.name, mirror / rf.name)
    monkeypatch.setenv("BOOK_DATA_MIRROR", str(mirror))
    with pytest.raises(ChecksumError, match=rf.name):
        data.fetch(rf, progress=False)


def test_offline_without_mirror_names_file_url_and_folder(empty_cache, monkeypatch):
    monkeypatch.delenv("BOOK_DATA_MIRROR", raising=False)
    rf = RemoteFile("t10k-labels-idx1-ubyte.gz", "http://127.0.0.1:9/mnist/t10k-labels-idx1-ubyte.gz",
                    sha256="0" * 64)
    with pytest.raises(DataUnavailableError) as err:
        data.fetch(rf, progress=False)
    message = str(err.value)
    assert "t10k-labels-idx1-ubyte.gz" in message
    assert rf.url in message
    assert str(empty_cache) in message and "BOOK_DATA_MIRROR" in message
    assert not (empty_cache / rf.name).exists() and not list(empty_cache.glob("*.part"))


def test_mirror_that_is_not_a_folder_is_an_error(empty_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_DATA_MIRROR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="nowhere"):
        data.fetch(MNIST_FILES["test_labels"], progress=False)


@pytest.fixture
def local_server(tmp_path):
    """A loopback HTTP server serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_download_verifies_and_caches(empty_cache, local_server, monkeypatch):
    monkeypatch.delenv("BOOK_DATA_MIRROR", raising=False)
    root, url = local_server
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    payload = b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + labels.tobytes()
    with gzip.open(root / "tiny-labels.gz", "wb") as f:
        f.write(payload)
    import hashlib

    digest = hashlib.sha256((root / "tiny-labels.gz").read_bytes()).hexdigest()
    rf = RemoteFile("tiny-labels.gz", url + "tiny-labels.gz", sha256=digest)
    path = data.fetch(rf, progress=False)
    assert path == empty_cache / "tiny-labels.gz"
    assert data.read_idx(path).tolist() == [3, 1, 4, 1, 5]
    (root / "tiny-labels.gz").unlink()  # second call is served from the cache
    assert data.fetch(rf, progress=False) == path

    bad = RemoteFile("other.gz", url + "other.gz", md5="0" * 32)
    shutil.copy(path, root / "other.gz")
    with pytest.raises(ChecksumError, match="other.gz"):
        data.fetch(bad, progress=False)


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataError, match="not an IDX file"):
        data.read_idx(bad)
    short = tmp_path / "short.idx"
    short.write_bytes(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + b"\x00" * 3)
    with pytest.raises(DataError, match="header says shape"):
        data.read_idx(short)


def test_remote_file_needs_a_checksum():
    with pytest.raises(ValueError, match="sha256, an md5 or a content check"):
        RemoteFile("x", "http://example.invalid/x")
