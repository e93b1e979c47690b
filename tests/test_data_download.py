"""Downloads against a local HTTP server on 127.0.0.1: mirrors, checksums, no partial files.

The server serves files the test makes, under a path prefix that picks its behaviour:
/good/NAME, /missing/NAME (404), /wrong/NAME (other bytes), /cut/NAME (closes after
half of the promised Content-Length), /cut-unsized/NAME (half, no Content-Length),
/stall/NAME (never answers until the test ends).
"""
import gzip
import hashlib
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from theanine.data import DatasetNotFoundError, load_mnist, locate, registry
from theanine.data.download import fetch
from theanine.data.errors import DownloadError
from theanine.data.registry import IDX_FILES, TEST_LABELS, TRAIN_IMAGES


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits.append(self.path)
        behaviour, _, name = self.path.lstrip("/").partition("/")
        body = self.server.files.get(name)
        if behaviour == "stall":
            self.server.release.wait(10)
            return
        if behaviour == "missing" or body is None:
            self.send_error(404)
            return
        if behaviour == "wrong":
            body = b"<html>an error page with status 200</html>"
        self.send_response(200)
        if behaviour != "cut-unsized":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if behaviour.startswith("cut") else body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.files, srv.hits, srv.release = {}, [], threading.Event()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _pin_of(data):
    return (hashlib.sha256(data).hexdigest(),)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_mirror(server, tmp_path):
    server.files["a.gz"] = b"payload" * 100
    path = fetch("a.gz", tmp_path / "dl", [server.url + "/good/"], _pin_of(b"payload" * 100))
    assert path == tmp_path / "dl" / "a.gz"
    assert path.read_bytes() == b"payload" * 100
    assert _leftovers(tmp_path / "dl") == ["a.gz"]


def test_http_error_then_next_mirror(server, tmp_path):
    server.files["a.gz"] = b"abc"
    mirrors = [server.url + "/missing/", server.url + "/good/"]
    assert fetch("a.gz", tmp_path, mirrors, _pin_of(b"abc")).read_bytes() == b"abc"
    assert server.hits == ["/missing/a.gz", "/good/a.gz"]


def test_wrong_body_then_next_mirror(server, tmp_path):
    server.files["a.gz"] = b"abc"
    mirrors = [server.url + "/wrong/", server.url + "/good/"]
    assert fetch("a.gz", tmp_path, mirrors, _pin_of(b"abc")).read_bytes() == b"abc"
    assert server.hits == ["/wrong/a.gz", "/good/a.gz"]


def test_checksum_mismatch_keeps_nothing(server, tmp_path):
    server.files["a.gz"] = b"abc"
    with pytest.raises(DownloadError) as err:
        fetch("a.gz", tmp_path, [server.url + "/wrong/", server.url + "/missing/"],
              _pin_of(b"abc"))
    message = str(err.value)
    assert "a.gz: every mirror failed" in message
    assert f"{server.url}/wrong/a.gz: sha256 mismatch, got " in message
    assert f"expected {_pin_of(b'abc')[0]}; the download was discarded" in message
    assert f"{server.url}/missing/a.gz: HTTP Error 404" in message
    assert _leftovers(tmp_path) == []


def test_connection_closed_mid_transfer_leaves_no_partial_file(server, tmp_path):
    server.files["a.gz"] = bytes(range(256)) * 400
    with pytest.raises(DownloadError, match="connection closed after 51200 of 102400 bytes"):
        fetch("a.gz", tmp_path, [server.url + "/cut/"], _pin_of(bytes(range(256)) * 400))
    assert _leftovers(tmp_path) == []


def test_cut_without_content_length_fails_the_checksum(server, tmp_path):
    body = bytes(range(256)) * 400
    server.files["a.gz"] = body
    mirrors = [server.url + "/cut-unsized/", server.url + "/good/"]
    assert fetch("a.gz", tmp_path, mirrors, _pin_of(body)).read_bytes() == body
    assert _leftovers(tmp_path) == ["a.gz"]


def test_stalled_server_times_out(server, tmp_path):
    with pytest.raises(DownloadError, match="timed out"):
        fetch("a.gz", tmp_path, [server.url + "/stall/"], _pin_of(b""), timeout=0.3)
    assert _leftovers(tmp_path) == []


def test_progress_bar_for_large_files(server, tmp_path, capsys):
    body = np.random.default_rng(0).bytes(3 << 20)
    server.files["big.gz"] = body
    fetch("big.gz", tmp_path, [server.url + "/good/"], _pin_of(body))
    assert "big.gz" in capsys.readouterr().err


def _fake_mnist():
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (10_002, 2, 2), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 10_002, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 2, 2), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    files = {}
    for name, array in arrays.items():
        header = struct.pack(f">{1 + array.ndim}i", 2051 if array.ndim == 3 else 2049,
                             *array.shape)
        files[name] = gzip.compress(header + array.tobytes(), mtime=0)
    return arrays, files


@pytest.fixture
def fake_online(server, tmp_path, monkeypatch):
    """A fake MNIST on the server, pinned; an empty cache; nothing else to find."""
    monkeypatch.delenv("THEANINE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(locate, "DEBIAN_DATASETS", tmp_path / "debian")
    arrays, files = _fake_mnist()
    server.files.update(files)
    monkeypatch.setitem(registry.SHA256, "mnist",
                        {name: _pin_of(data) for name, data in files.items()})
    monkeypatch.setitem(registry.MIRRORS, "mnist", [server.url + "/missing/",
                                                    server.url + "/good/"])
    return arrays, tmp_path / "cache" / "theanine" / "mnist"


def test_download_into_cache_then_load_offline(server, fake_online):
    arrays, cached = fake_online
    first = load_mnist("standard", normalize=False)
    assert _leftovers(cached) == sorted(IDX_FILES)
    np.testing.assert_array_equal(first.train.x, arrays[TRAIN_IMAGES].reshape(10_002, 4))
    hits = len(server.hits)
    again = load_mnist("standard", normalize=False, download=False)
    assert len(server.hits) == hits
    np.testing.assert_array_equal(again.test.y, arrays[TEST_LABELS])


def test_corrupted_cache_file_is_deleted_and_fetched_again(server, fake_online):
    arrays, cached = fake_online
    load_mnist()
    good = (cached / TEST_LABELS).read_bytes()
    (cached / TEST_LABELS).write_bytes(good[:-3] + b"xyz")
    server.hits.clear()
    with pytest.warns(UserWarning, match="is not the pinned value; deleted from the cache"):
        test = load_mnist().test
    assert server.hits == [f"/missing/{TEST_LABELS}", f"/good/{TEST_LABELS}"]
    assert (cached / TEST_LABELS).read_bytes() == good
    np.testing.assert_array_equal(test.y, arrays[TEST_LABELS])


def test_mirrors_argument_overrides_the_list(server, fake_online):
    arrays, cached = fake_online
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist(mirrors=[server.url + "/cut/"])
    message = str(err.value)
    assert "downloading it failed" in message
    assert f"{server.url}/cut/train-images-idx3-ubyte.gz: connection closed after" in message
    assert _leftovers(cached) == []
