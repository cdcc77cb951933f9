"""Layer outputs for one test image through a Keras sub-model, cached beside the model.

The sub-model ``keras.Model(model.inputs, {name: layer.output})`` returns every
named layer's output in one forward pass in inference mode (dropout off).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


#: Bump when the probe's outputs change: part of the cache file name.
PROBE_VERSION = 1

#: Layers whose outputs the layer-2 page needs, in forward order.
PROBED_LAYERS = ("conv1", "conv1_relu", "pool1", "conv2", "conv2_relu", "pool2", "fc1", "fc2")


def probe_path(model_path: Path, image_index: int) -> Path:
    return model_path.parent / f"probe-{image_index}-v{PROBE_VERSION}.npz"


def probe_image(model_path: Path, image: np.ndarray, image_index: int) -> dict[str, np.ndarray]:
    """Arrays for one image (batch axis dropped): the input, each probed layer's
    output and conv1/conv2 weights. Cached as an ``.npz`` next to the model."""
    from generator.probe import npzcache

    return npzcache.cached(probe_path(model_path, image_index), lambda: _probe(model_path, image))


def _probe(model_path: Path, image: np.ndarray) -> dict[str, np.ndarray]:
    from generator.train.trainer import as_input, import_keras

    keras, _ = import_keras()
    from generator.probe import model as model_file

    model = model_file.load(model_path)
    sub = keras.Model(model.inputs, {name: model.get_layer(name).output for name in PROBED_LAYERS})
    outputs = sub([as_input(image[None])], training=False)
    arrays = {name: np.asarray(outputs[name])[0] for name in PROBED_LAYERS}
    conv1_kernel, conv1_bias = model.get_layer("conv1").get_weights()
    conv2_kernel, conv2_bias = model.get_layer("conv2").get_weights()
    arrays.update(
        input=as_input(image[None])[0, ..., 0],
        conv1_kernel=conv1_kernel, conv1_bias=conv1_bias,
        conv2_kernel=conv2_kernel, conv2_bias=conv2_bias,
        conv2_preact=arrays.pop("conv2"),
    )
    return arrays
