"""The Keras model: named layers, shapes and the post's parameter count; receptive fields."""

import pytest

from generator.model.architecture import LayerGeometry, receptive_fields, unclipped_receptive_fields


def test_receptive_field_arithmetic():
    layers = [LayerGeometry("conv1", 5, 1), LayerGeometry("pool1", 2, 2),
              LayerGeometry("conv2", 5, 1), LayerGeometry("pool2", 2, 2),
              LayerGeometry("conv3", 5, 1)]
    assert unclipped_receptive_fields(layers) == {"conv1": 5, "pool1": 6, "conv2": 14, "pool2": 16,
                                                  "conv3": 32}
    assert receptive_fields(layers, input_size=28)["conv3"] == 28


@pytest.fixture(scope="module")
def model():
    from generator.model.cnn import build_model

    return build_model()


def test_parameter_count_matches_the_post(model):
    assert model.count_params() == 3_274_634


def test_named_layers_and_shapes(model):
    from generator.model.cnn import layer_table

    rows = {r["name"]: r for r in layer_table(model)}
    assert rows["conv1"]["output_shape"] == [28, 28, 32]
    assert rows["pool1"]["output_shape"] == [14, 14, 32]
    assert rows["conv2"]["output_shape"] == [14, 14, 64]
    assert rows["conv2"]["params"] == 5 * 5 * 32 * 64 + 64
    assert rows["conv2_relu"]["type"] == "ReLU"
    assert rows["pool2"]["output_shape"] == [7, 7, 64]
    assert rows["flatten"]["output_shape"] == [3136]
    assert rows["fc1"]["params"] == 3136 * 1024 + 1024
    assert rows["fc2"]["output_shape"] == [10]
    # conv2 itself is linear: its activation is the separate ReLU layer
    assert model.get_layer("conv2").get_config()["activation"] == "linear"
    assert model.get_layer("dropout").rate == 0.5
    assert [rows[n]["receptive_field"] for n in ("conv1", "pool1", "conv2", "pool2", "fc1")] == \
        [5, 6, 14, 16, 28]
    assert sum(r["params"] for r in rows.values()) == 3_274_634


@pytest.mark.parametrize("blocks,dropout", [(1, 0.0), (3, 0.75)])
def test_variants(blocks, dropout):
    from generator.model.cnn import build_model

    m = build_model(conv_blocks=blocks, dropout=dropout)
    assert m.get_layer("dropout").rate == dropout
    assert len([l for l in m.layers if l.name.startswith("conv") and "relu" not in l.name]) == blocks


@pytest.mark.parametrize("kwargs", [{"conv_blocks": 4}, {"dropout": 1.0}, {"dropout": -0.1}])
def test_invalid_variants_raise(kwargs):
    from generator.model.cnn import build_model

    with pytest.raises(ValueError, match="Received"):
        build_model(**kwargs)
