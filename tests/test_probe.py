"""Probe outputs against a direct NumPy recomputation."""

import numpy as np
import pytest

from generator.probe.activations import probe_image, probe_path


@pytest.fixture(scope="module")
def arrays(tiny_run, tiny_dataset):
    return probe_image(tiny_run.model_path, tiny_dataset.x_test[0], 0)


def conv_same(x, kernel, bias):
    """'same' 2-D convolution (cross-correlation, as Keras does) in plain NumPy."""
    kh, kw, cin, cout = kernel.shape
    ph, pw = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(x, ((ph, kh - 1 - ph), (pw, kw - 1 - pw), (0, 0)))
    h, w = x.shape[:2]
    out = np.zeros((h, w, cout), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += padded[i:i + h, j:j + w, :] @ kernel[i, j].astype(np.float64)
    return out + bias


def maxpool2(x):
    h, w, c = x.shape
    return x.reshape(h // 2, 2, w // 2, 2, c).max(axis=(1, 3))


def test_shapes(arrays):
    assert arrays["input"].shape == (28, 28)
    assert arrays["pool1"].shape == (14, 14, 32)
    assert arrays["conv2_kernel"].shape == (5, 5, 32, 64)
    assert arrays["conv2_bias"].shape == (64,)
    assert arrays["conv2_preact"].shape == (14, 14, 64)
    assert arrays["conv2_relu"].shape == (14, 14, 64)
    assert arrays["pool2"].shape == (7, 7, 64)
    assert arrays["fc2"].shape == (10,)


def test_input_is_the_test_image(arrays, tiny_dataset):
    np.testing.assert_allclose(arrays["input"], tiny_dataset.x_test[0] / 255.0, atol=1e-6)


def test_relu_is_max_of_preact_and_zero(arrays):
    np.testing.assert_allclose(arrays["conv2_relu"], np.maximum(arrays["conv2_preact"], 0), atol=1e-6)


def test_pool2_is_2x2_max_of_relu(arrays):
    np.testing.assert_allclose(arrays["pool2"], maxpool2(arrays["conv2_relu"]), atol=1e-6)


def test_preact_is_convolution_of_pool1_plus_bias(arrays):
    expected = conv_same(arrays["pool1"], arrays["conv2_kernel"], arrays["conv2_bias"])
    np.testing.assert_allclose(arrays["conv2_preact"], expected, rtol=1e-4, atol=1e-4)
    # the bias matters: without it the recomputation is off wherever the bias is not ~0
    if np.abs(arrays["conv2_bias"]).max() > 1e-3:
        assert not np.allclose(arrays["conv2_preact"], expected - arrays["conv2_bias"], atol=1e-4)


def test_layer1_chain(arrays):
    conv1 = conv_same(arrays["input"][..., None], arrays["conv1_kernel"], arrays["conv1_bias"])
    np.testing.assert_allclose(arrays["conv1_relu"], np.maximum(conv1, 0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(arrays["pool1"], maxpool2(arrays["conv1_relu"]), atol=1e-6)


def test_probe_is_cached_beside_the_model(tiny_run, tiny_dataset, arrays, monkeypatch):
    assert probe_path(tiny_run.model_path, 0).is_file()
    import generator.train.trainer as trainer

    monkeypatch.setattr(trainer, "import_keras", lambda: pytest.fail("probe cache missed"))
    again = probe_image(tiny_run.model_path, tiny_dataset.x_test[0], 0)
    np.testing.assert_array_equal(again["conv2_preact"], arrays["conv2_preact"])
