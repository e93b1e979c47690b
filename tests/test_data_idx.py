"""IDX reader: good files read back exactly; every kind of damage is a FormatError."""
import gzip
import struct

import numpy as np
import pytest

from theanine.data import FormatError, read_idx_images, read_idx_labels


def _write_gz(path, payload):
    with gzip.open(path, "wb") as f:
        f.write(payload)
    return path


def _images_file(path, images, magic=2051, count=None):
    n, rows, cols = images.shape
    header = struct.pack(">iiii", magic, n if count is None else count, rows, cols)
    return _write_gz(path, header + images.tobytes())


def _labels_file(path, labels, magic=2049, count=None):
    header = struct.pack(">ii", magic, len(labels) if count is None else count)
    return _write_gz(path, header + bytes(labels))


def test_images_read_back_exactly(tmp_path):
    images = np.arange(5 * 3 * 4, dtype=np.uint8).reshape(5, 3, 4)
    got = read_idx_images(_images_file(tmp_path / "i.gz", images))
    assert got.dtype == np.uint8 and got.shape == (5, 3, 4)
    np.testing.assert_array_equal(got, images)
    got[0, 0, 0] = 7  # an ordinary writable array, not a view of read-only bytes


def test_labels_read_back_exactly(tmp_path):
    got = read_idx_labels(_labels_file(tmp_path / "l.gz", [5, 0, 4, 1, 9]))
    assert got.dtype == np.uint8
    assert got.tolist() == [5, 0, 4, 1, 9]


def test_wrong_magic_number(tmp_path):
    path = _images_file(tmp_path / "i.gz", np.zeros((2, 2, 2), np.uint8), magic=2049)
    with pytest.raises(FormatError, match="wrong magic number 0x00000801.*0x00000803"):
        read_idx_images(path)


def test_labels_file_given_as_images(tmp_path):
    path = _labels_file(tmp_path / "l.gz", [1, 2, 3, 4, 5, 6, 7, 8])
    with pytest.raises(FormatError, match="wrong magic number"):
        read_idx_images(path)


def test_count_larger_than_the_data(tmp_path):
    path = _images_file(tmp_path / "i.gz", np.zeros((4, 2, 2), np.uint8), count=5)
    with pytest.raises(FormatError) as err:
        read_idx_images(path)
    assert "5 count x 2 rows x 2 cols = 20 bytes of images" in str(err.value)
    assert "holds 16" in str(err.value)


def test_count_smaller_than_the_data(tmp_path):
    path = _labels_file(tmp_path / "l.gz", [1, 2, 3], count=2)
    with pytest.raises(FormatError, match="promises 2 count = 2 bytes of labels.*holds 3"):
        read_idx_labels(path)


def test_file_ends_inside_the_header(tmp_path):
    path = _write_gz(tmp_path / "l.gz", struct.pack(">i", 2049))
    with pytest.raises(FormatError, match="ends inside the IDX header"):
        read_idx_labels(path)


def test_truncated_gzip(tmp_path):
    path = _images_file(tmp_path / "i.gz", np.arange(4000, dtype=np.uint16).astype(
        np.uint8).reshape(10, 20, 20))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated or corrupt gzip"):
        read_idx_images(path)


def test_not_gzip_at_all(tmp_path):
    path = tmp_path / "i.gz"
    path.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(FormatError, match="truncated or corrupt gzip"):
        read_idx_images(path)


def test_labels_out_of_range(tmp_path):
    path = _labels_file(tmp_path / "l.gz", [3, 9, 10, 200])
    with pytest.raises(FormatError, match=r"labels out of range: label 10 at index 2 "
                                          r"\(2 bad in all\); expected 0..9"):
        read_idx_labels(path)
