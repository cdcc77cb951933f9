"""Full MNIST (60,000 + 10,000) the way Keras provides it (``--dataset mnist``).

Warm builds read the file Keras caches, ``$KERAS_HOME/datasets/mnist.npz``
(``KERAS_HOME`` defaults to ``~/.keras``), directly with numpy, so TensorFlow
is never imported just to get the data. Only when that file is missing is
``keras.datasets.mnist.load_data()`` called (imported lazily) to download it.
"""

from __future__ import annotations

import os
import socket
import zipfile
from pathlib import Path

import numpy as np

from generator.data.dataset import SourceData, check_images_labels, describe
from generator.errors import DataError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
#: Seconds a connection attempt or a read may stall before the download is given up.
DOWNLOAD_TIMEOUT = 10.0
#: Where ``keras.datasets.mnist`` downloads from (checked before Keras is imported).
DOWNLOAD_HOST = ("storage.googleapis.com", 443)

_OFFLINE_FIX = "Connect to the internet, use --dataset mnist-5k (offline) or --data-dir DIR."


class MnistUnavailable(DataError):
    """Full MNIST could not be loaded; ``reason`` is the short cause (for the auto-fallback warning)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def keras_home() -> Path:
    """``$KERAS_HOME``, or ``~/.keras`` when unset."""
    return Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser()


def cache_path() -> Path:
    """Where Keras caches MNIST: ``<keras home>/datasets/mnist.npz``."""
    return keras_home() / "datasets" / "mnist.npz"


def load_mnist() -> SourceData:
    """Full MNIST from the Keras cache, downloading through Keras if it isn't cached yet."""
    path = cache_path()
    if path.is_file():
        arrays = read_mnist_npz(path)
    else:
        try:
            (x_train, y_train), (x_test, y_test) = _keras_load_data()
        except Exception as exc:  # noqa: BLE001 - any download/import failure means "unavailable"
            reason = f"could not download MNIST ({describe(exc)})"
            raise MnistUnavailable(f"{reason[0].upper()}{reason[1:]}. {_OFFLINE_FIX}", reason) from None
        arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
        _check(arrays, "keras.datasets.mnist.load_data()",
               "Upgrade Keras or use --dataset mnist-5k / --data-dir DIR.")
    return SourceData(**arrays, source=f"keras.datasets.mnist ({_display(path)})")


def read_mnist_npz(path: Path) -> dict[str, np.ndarray]:
    """Read and validate a Keras ``mnist.npz`` (keys x_train, y_train, x_test, y_test)."""
    fix = f"Delete {path} so Keras downloads a fresh copy, or use --dataset mnist-5k."
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in NPZ_KEYS if key not in npz.files]
            if missing:
                raise MnistUnavailable(f"{path} lacks {', '.join(missing)}. {fix}",
                                       f"{_display(path)} lacks {', '.join(missing)}")
            arrays = {key: npz[key] for key in NPZ_KEYS}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise MnistUnavailable(f"Could not read {path} ({describe(exc)}). {fix}",
                               f"could not read {_display(path)}: {describe(exc)}") from None
    _check(arrays, str(path), fix)
    return arrays


def _check(arrays: dict[str, np.ndarray], where: str, fix: str) -> None:
    """Validate the train and test arrays (shape, dtype, labels)."""
    for part in ("train", "test"):
        check_images_labels(arrays[f"x_{part}"], arrays[f"y_{part}"], f"{where} ({part})", fix)


def _keras_load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``keras.datasets.mnist.load_data()``, importing Keras (and TensorFlow) only now.

    Keras downloads with ``urlretrieve``, which has no timeout: on a network that drops
    packets it would wait for minutes. A socket timeout of :data:`DOWNLOAD_TIMEOUT`
    seconds (per connect or read, not for the whole download) makes it give up promptly.
    """
    _check_reachable()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from keras.datasets import mnist

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        return mnist.load_data()
    finally:
        socket.setdefaulttimeout(previous)


def _check_reachable() -> None:
    """Fail in well under a second when the download host cannot even be resolved or
    connected to (offline), instead of importing TensorFlow (seconds) to find out. Skipped
    behind a proxy, where the host is reached through the proxy and may not resolve here."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return
    try:
        socket.create_connection(DOWNLOAD_HOST, timeout=DOWNLOAD_TIMEOUT).close()
    except OSError as exc:
        raise ConnectionError(f"{DOWNLOAD_HOST[0]} is unreachable: {exc}") from None


def _display(path: Path) -> str:
    """``path`` with the home directory shortened to ``~``."""
    try:
        return f"~/{path.relative_to(Path.home()).as_posix()}"
    except ValueError:
        return str(path)
