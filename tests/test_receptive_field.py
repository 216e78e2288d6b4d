"""Receptive-field boxes from the real geometry (padding, strides, dilation), checked against the brute-force
footprint of one unit: the input pixels where its gradient is not zero (union over a few random inputs)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import cnnviz
from cnnviz.core.build import get_probe
from cnnviz.features import field_boxes


def footprint_box(model: keras.Model, layer: str, row: int, col: int, channel: int = 0) -> list[int]:
    """(top, left, bottom, right) of the pixels that move unit (row, col, channel) of ``layer``, by its gradient."""
    @tf.function
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for each in model.layers:  # a chain: the layers one after the other, up to ``layer``
                y = each(y, training=False)
                if each.name == layer:
                    break
            unit = tf.reduce_sum(y[:, row, col, channel])
        return tape.gradient(unit, x)

    x = tf.random.stateless_uniform((32, *model.inputs[0].shape[1:]), seed=(1, 2))
    hit = np.any(np.abs(grad(x).numpy()) > 0, axis=(0, 3))
    rows, cols = np.flatnonzero(hit.any(1)), np.flatnonzero(hit.any(0))
    return [int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1]


def same_padded() -> keras.Model:
    init = keras.initializers.RandomNormal(seed=0)
    layers = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(4, 3, padding="same", activation="tanh", name="conv1", kernel_initializer=init),
        layers.AveragePooling2D(2, name="pool1"),
        layers.Conv2D(4, 3, padding="same", activation="tanh", name="conv2", kernel_initializer=init),
        layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh", name="conv3", kernel_initializer=init),
        layers.Conv2D(4, 3, dilation_rate=2, padding="same", activation="tanh", name="conv4", kernel_initializer=init),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ])


@pytest.mark.parametrize("layer,positions", [
    ("conv1", [(0, 0), (5, 9), (27, 27)]),
    ("conv2", [(0, 0), (3, 7), (13, 13)]),
    ("conv3", [(0, 0), (2, 4), (6, 6)]),
    ("conv4", [(0, 0), (3, 3), (6, 5)]),
])
def test_boxes_of_a_same_padded_model_equal_the_gradient_footprint(layer, positions):
    model = same_padded()
    probe = get_probe(model)
    for row, col in positions:
        assert field_boxes(probe, layer, np.array([row]), np.array([col]))[0].tolist() == \
            footprint_box(model, layer, row, col), (layer, row, col)


def test_boxes_of_the_shipped_valid_padded_model_equal_the_gradient_footprint():
    shipped = cnnviz.load_model()
    probe = get_probe(shipped)

    def no_relu(layer):  # the same geometry and weights; tanh instead of ReLU, so no unit's gradient is cut off
        config = layer.get_config()
        if config.get("activation") == "relu":
            config["activation"] = "tanh"
        return layer.__class__.from_config(config)

    model = keras.models.clone_model(shipped, clone_function=no_relu)
    model.set_weights(shipped.get_weights())
    for layer, positions in (("conv1", [(0, 0), (25, 12)]), ("conv2", [(0, 0), (4, 10), (10, 10)])):
        for row, col in positions:
            assert field_boxes(probe, layer, np.array([row]), np.array([col]))[0].tolist() == \
                footprint_box(model, layer, row, col), (layer, row, col)
