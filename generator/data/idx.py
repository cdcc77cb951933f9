"""Read MNIST from a folder of IDX files (``--data-dir``), validating every header.

IDX format: a 4-byte big-endian magic number (two zero bytes, a data-type byte,
0x08 = unsigned byte, and the number of dimensions), one big-endian uint32 per
dimension, then the raw data. MNIST images have magic 2051 (3 dims: N, 28, 28)
and labels 2049 (1 dim: N). Files may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from generator.data.dataset import IMAGE_SHAPE, SourceData, check_labels, describe
from generator.errors import DataError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
UBYTE = 0x08
#: The four standard MNIST file names, as (images, labels) per part.
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
ALL_FILES = TRAIN_FILES + TEST_FILES

_FIX = "Re-download it or point --data-dir at the standard MNIST files."
_FILE_LIST = ", ".join(ALL_FILES)


def load_idx_dir(data_dir: Path | str) -> SourceData:
    """Load the four MNIST IDX files from ``data_dir``; test set in file order."""
    data_dir = Path(data_dir).expanduser()
    _check_dir(data_dir)
    x_train, y_train = _read_pair(data_dir, *TRAIN_FILES)
    x_test, y_test = _read_pair(data_dir, *TEST_FILES)
    return SourceData(x_train, y_train, x_test, y_test, source=f"IDX files in {data_dir}")


def find_idx_file(data_dir: Path, stem: str) -> Path:
    """Return the file for ``stem`` (e.g. ``train-images-idx3-ubyte``), accepting ``.gz`` and the dotted variant.

    The dotted variant is ``train-images.idx3-ubyte``, as some mirrors name it.
    """
    prefix, _, kind = stem.rpartition("-idx")
    for name in (stem, f"{prefix}.idx{kind}"):
        for suffix in ("", ".gz"):
            path = data_dir / (name + suffix)
            if path.is_file():
                return path
    raise DataError(
        f"{stem} (or {stem}.gz) is missing from {data_dir}. "
        f"Put all four MNIST IDX files there ({_FILE_LIST}) or omit --data-dir."
    )


def read_idx_images(path: Path) -> np.ndarray:
    """Read an IDX image file into uint8 (N, 28, 28)."""
    (count, rows, cols), payload = _read_idx(path, IMAGES_MAGIC, "an IDX image file")
    if (rows, cols) != IMAGE_SHAPE:
        raise DataError(f"{_where(path)} has {rows}x{cols} images, expected 28x28 (MNIST). {_FIX}")
    _check_length(path, payload, count * rows * cols, "image", f"{count} images of 28x28")
    return np.frombuffer(payload, dtype=np.uint8).reshape(count, rows, cols)


def read_idx_labels(path: Path) -> np.ndarray:
    """Read an IDX label file into uint8 (N,), checking every label is 0-9."""
    (count,), payload = _read_idx(path, LABELS_MAGIC, "an IDX label file")
    _check_length(path, payload, count, "label", f"{count} labels")
    labels = np.frombuffer(payload, dtype=np.uint8)
    check_labels(labels, _where(path), _FIX)
    return labels


def _check_dir(data_dir: Path) -> None:
    """Raise :class:`DataError` unless ``data_dir`` is an existing, non-empty directory."""
    if not data_dir.exists():
        raise DataError(f"Data directory {data_dir} does not exist. "
                        f"Create it with the four MNIST IDX files ({_FILE_LIST}) or omit --data-dir.")
    if not data_dir.is_dir():
        raise DataError(f"Data directory {data_dir} is not a directory. "
                        f"Point --data-dir at a folder holding the four MNIST IDX files.")
    if not any(data_dir.iterdir()):
        raise DataError(f"Data directory {data_dir} is empty. "
                        f"Put the four MNIST IDX files in it ({_FILE_LIST}, optionally .gz) or omit --data-dir.")


def _read_pair(data_dir: Path, images_stem: str, labels_stem: str) -> tuple[np.ndarray, np.ndarray]:
    """Read matching image and label files; their counts must agree."""
    images_path = find_idx_file(data_dir, images_stem)
    labels_path = find_idx_file(data_dir, labels_stem)
    images = read_idx_images(images_path)
    labels = read_idx_labels(labels_path)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path.name} has {len(images)} images but {labels_path.name} has {len(labels)} labels "
            f"(in {data_dir}). Use the image and label files of the same MNIST release."
        )
    return images, labels


def _read_idx(path: Path, magic: int, description: str) -> tuple[tuple[int, ...], bytes]:
    """Check the magic number and return ``(dims, payload)`` of an IDX file."""
    data = _read_bytes(path)
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(data) < 4:
        raise DataError(f"{_where(path)} is {len(data)} bytes, too short for an IDX header. {_FIX}")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        if data[:2] == b"\0\0" and data[3] == ndim and data[2] != UBYTE:
            raise DataError(f"{_where(path)} stores data type 0x{data[2]:02X}, "
                            f"expected 0x{UBYTE:02X} (unsigned byte) as in MNIST. {_FIX}")
        raise DataError(f"{_where(path)} has magic number {found}, expected {magic} ({description}). {_FIX}")
    if len(data) < header_size:
        raise DataError(f"{_where(path)} is {len(data)} bytes, too short for its "
                        f"{header_size}-byte IDX header. {_FIX}")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return dims, data[header_size:]


def _check_length(path: Path, payload: bytes, expected: int, kind: str, header_says: str) -> None:
    """Raise :class:`DataError` if the payload size differs from what the header promises."""
    if len(payload) != expected:
        problem = "The file is truncated." if len(payload) < expected else "The file has trailing bytes."
        raise DataError(f"{_where(path)} has {len(payload)} bytes of {kind} data, header says {expected} "
                        f"({header_says}). {problem} {_FIX}")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed if it ends in ``.gz``."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"{_where(path)} is not a valid gzip file ({describe(exc)}). {_FIX}") from None
    except OSError as exc:
        raise DataError(f"Could not read {_where(path)} ({describe(exc)}). "
                        f"Check the file's permissions or re-download it.") from None


def _where(path: Path) -> str:
    """``"name in folder"``, how messages refer to a file."""
    return f"{path.name} in {path.parent}"
