"""The Keras model of the post's Deep-MNIST network (imports Keras: training/probing only).

conv1 5×5×32 (same, ReLU) → pool1 2×2 → conv2 5×5×64 (same, *linear*) →
conv2_relu → pool2 2×2 → flatten → fc1 1024 ReLU → dropout → fc2 10 softmax.

conv2's activation is its own layer so the pre-activation map, bias included,
can be read through a sub-model.
"""

from __future__ import annotations

#: Bump when the model or training code changes in a way that changes results:
#: it is part of every cache key.
MODEL_CODE_VERSION = 3

CONV_FILTERS = (32, 64, 128)


def build_model(*, conv_blocks: int = 2, dropout: float = 0.5, fc_units: int = 1024,
                input_shape=(28, 28, 1)):
    """Build the functional model. ``conv_blocks`` = 1, 2 (the post) or 3."""
    import keras
    from keras import layers

    if conv_blocks not in (1, 2, 3):
        raise ValueError(f"conv_blocks must be 1, 2 or 3. Received: conv_blocks={conv_blocks}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1). Received: dropout={dropout}")

    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for i in range(conv_blocks):
        n = i + 1
        x = layers.Conv2D(CONV_FILTERS[i], 5, padding="same", name=f"conv{n}")(x)
        x = layers.ReLU(name=f"conv{n}_relu")(x)
        x = layers.MaxPooling2D(2, name=f"pool{n}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(fc_units, activation="relu", name="fc1")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(10, activation="softmax", name="fc2")(x)
    return keras.Model(inputs, outputs, name=f"deep_mnist_{conv_blocks}conv")


def layer_table(model) -> list[dict]:
    """Rows of (name, type, output shape, parameters, receptive field) read from the model."""
    from generator.model.architecture import LayerGeometry, receptive_fields

    geometry = []
    for layer in model.layers:
        cfg = layer.get_config()
        if "kernel_size" in cfg:
            geometry.append(LayerGeometry(layer.name, int(cfg["kernel_size"][0]), int(cfg["strides"][0])))
        elif "pool_size" in cfg:
            geometry.append(LayerGeometry(layer.name, int(cfg["pool_size"][0]), int(cfg["strides"][0])))
    rf = receptive_fields(geometry, input_size=int(model.input_shape[1]))
    rows = []
    last_rf = 1
    for layer in model.layers:
        if layer.name in rf:
            last_rf = rf[layer.name]
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        shape = [int(d) for d in layer.output.shape[1:]]
        full = kind in ("Flatten", "Dense", "Dropout")
        rows.append({
            "name": layer.name,
            "type": kind,
            "output_shape": shape,
            "params": int(layer.count_params()),
            "receptive_field": int(model.input_shape[1]) if full else last_rf,
        })
    return rows
