"""A zoo of small, real Keras image classifiers of every kind cnnviz promises to handle.

Each builder makes a model, trains it a few steps on the bundled MNIST sample (so it is a real
classifier, not random weights), and returns a :class:`ZooModel` with the data in the model's own
input format. Built once per session (``functools.cache``): a few seconds each on 2 cores.

    from tests.zoo import ZOO, build
    entry = build("rescaling")          # or: for name in ZOO: build(name)
    entry.model.predict(entry.x)        # entry.x is what the model takes as is (here 0-255 floats)
    entry.pixels                        # the same images as uint8 pixels (N, 28, 28)

Use it in other tests: ``from zoo import build`` works too (``tests/`` is on the path under pytest).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

L = keras.layers
TRAIN_IMAGES = 600  # the first 600 of the bundled sample's training images: enough for a real classifier
TEST_IMAGES = 200


@dataclass
class ZooModel:
    """A trained zoo model and its data.

    ``x``: test images in the model's own input format (range, size, channels); ``y``: labels for this
    model (0/1 for the binary one, 0-4 for the 5-class one); ``pixels``: the same test images as uint8
    (N, 28, 28); ``input_range``: what cnnviz should find (``override``: what the user must pass, if
    nothing in the model says it); ``output_kind``; ``loss``: the Keras loss it was trained with.
    """

    name: str
    model: keras.Model
    x: np.ndarray
    y: np.ndarray
    pixels: np.ndarray
    input_range: tuple[float, float]
    output_kind: str
    loss: keras.losses.Loss
    override: tuple[float, float] | None = None
    last_conv: str | None = None
    notes: list[str] = field(default_factory=list)


@functools.cache
def _sample():
    from cnnviz.io.data import load_sample

    s = load_sample()
    return s.x_train[:TRAIN_IMAGES], s.y_train[:TRAIN_IMAGES], s.x_test[:TEST_IMAGES], s.y_test[:TEST_IMAGES]


def _grey(pixels: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (pixels[..., None].astype(np.float32) / 255.0) * (hi - lo) + lo


def _rgb32(pixels: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """28x28 grey -> 32x32 RGB (zero-padded, a colour tint so the channels differ)."""
    grey = np.pad(pixels.astype(np.float32) / 255.0, ((0, 0), (2, 2), (2, 2)))
    rgb = np.stack([grey, grey * 0.8, grey * 0.6], axis=-1)
    return rgb * (hi - lo) + lo


def _fit(model: keras.Model, x: np.ndarray, y: np.ndarray, loss: keras.losses.Loss, epochs: int = 2,
         lr: float = 3e-3) -> None:
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, jit_compile=False)
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=0, shuffle=False)


def _small_cnn(first: list, head: list, shape=(28, 28, 1), name: str = "zoo") -> keras.Model:
    return keras.Sequential([keras.Input(shape), *first, L.Conv2D(8, 3, activation="relu", name="conv_a"),
                             L.MaxPooling2D(name="pool_a"), L.Conv2D(16, 3, activation="relu", name="conv_b"),
                             L.MaxPooling2D(name="pool_b"), L.Flatten(name="flatten"), *head], name=name)


def _softmax10() -> list:
    return [L.Dense(10, activation="softmax", name="predictions")]


def _standard(name: str, model: keras.Model, lo: float, hi: float, *, loss=None, kind="softmax",
              override=None, last_conv="conv_b", labels: Callable | None = None) -> ZooModel:
    xtr, ytr, xte, yte = _sample()
    loss = loss or keras.losses.SparseCategoricalCrossentropy()
    ytr_m, yte_m = (labels(ytr), labels(yte)) if labels else (ytr, yte)
    _fit(model, _grey(xtr, lo, hi), ytr_m, loss)
    return ZooModel(name, model, _grey(xte, lo, hi), yte_m, xte, (lo, hi), kind, loss, override, last_conv)


def rescaling() -> ZooModel:
    """Sequential starting with Rescaling(1/255): takes raw 0-255 pixels."""
    return _standard("rescaling", _small_cnn([L.Rescaling(1 / 255, name="rescale")], _softmax10(), name="rescaling"),
                     0, 255)


def normalization() -> ZooModel:
    """A Normalization layer adapted on 0-255 pixels (mean ~33, std ~79)."""
    norm = L.Normalization(name="norm")
    norm.adapt(_grey(_sample()[0], 0, 255))
    return _standard("normalization", _small_cnn([norm], _softmax10(), name="normalization"), 0, 255)


def symmetric() -> ZooModel:
    """Trained on [-1, 1] inputs with nothing in the model saying so: the user passes input_range=(-1, 1)."""
    return _standard("symmetric", _small_cnn([], _softmax10(), name="symmetric"), -1, 1, override=(-1.0, 1.0))


def residual_bn() -> ZooModel:
    """Functional, with BatchNormalization and a residual Add."""
    inputs = keras.Input((28, 28, 1))
    x = L.Conv2D(8, 3, padding="same", name="stem")(inputs)
    x = L.BatchNormalization(momentum=0.8, name="stem_bn")(x)
    x = L.ReLU(name="stem_relu")(x)
    y = L.Conv2D(8, 3, padding="same", name="res_conv")(x)
    y = L.BatchNormalization(momentum=0.8, name="res_bn")(y)
    x = L.ReLU(name="res_relu")(L.Add(name="res_add")([x, y]))
    x = L.MaxPooling2D(name="pool")(x)
    x = L.Conv2D(16, 3, activation="relu", name="conv_b")(x)
    x = L.MaxPooling2D(name="pool_b")(x)
    x = L.Flatten(name="flatten")(x)
    outputs = L.Dense(10, activation="softmax", name="predictions")(x)
    return _standard("residual_bn", keras.Model(inputs, outputs, name="residual_bn"), 0, 1)


def logits() -> ZooModel:
    """A logits head: Dense(10) without softmax, trained with from_logits=True."""
    return _standard("logits", _small_cnn([], [L.Dense(10, name="logits")], name="logits_head"), 0, 1,
                     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), kind="logits")


def softmax_layer() -> ZooModel:
    """Dense(10) followed by a separate Activation("softmax") layer."""
    head = [L.Dense(10, name="scores"), L.Activation("softmax", name="probs")]
    return _standard("softmax_layer", _small_cnn([], head, name="softmax_layer"), 0, 1)


def sigmoid_binary() -> ZooModel:
    """"Is it a 3?": one sigmoid unit, two classes (not 3, 3)."""
    model = _small_cnn([], [L.Dense(1, activation="sigmoid", name="is_three")], name="is_three")
    return _standard("sigmoid_binary", model, 0, 1, loss=keras.losses.BinaryCrossentropy(), kind="sigmoid",
                     labels=lambda y: (y == 3).astype(np.float32)[:, None])


def five_classes() -> ZooModel:
    """Digits 0-4 only: five classes."""
    xtr, ytr, xte, yte = _sample()
    tr, te = ytr < 5, yte < 5
    model = _small_cnn([], [L.Dense(5, activation="softmax", name="predictions")], name="five")
    loss = keras.losses.SparseCategoricalCrossentropy()
    _fit(model, _grey(xtr[tr], 0, 1), ytr[tr], loss, epochs=3)
    return ZooModel("five_classes", model, _grey(xte[te], 0, 1), yte[te], xte[te], (0, 1), "softmax", loss,
                    last_conv="conv_b")


def rgb_separable() -> ZooModel:
    """32x32 RGB with SeparableConv2D and DepthwiseConv2D (MobileNet-like blocks)."""
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        L.Conv2D(8, 3, strides=2, activation="relu", name="stem"),
        L.DepthwiseConv2D(3, activation="relu", name="dw"),
        L.SeparableConv2D(16, 3, activation="relu", name="sep"),
        L.MaxPooling2D(name="pool"),
        L.Flatten(name="flatten"),
        L.Dense(10, activation="softmax", name="predictions"),
    ], name="rgb_separable")
    xtr, ytr, xte, yte = _sample()
    loss = keras.losses.SparseCategoricalCrossentropy()
    _fit(model, _rgb32(xtr), ytr, loss, epochs=3)
    return ZooModel("rgb_separable", model, _rgb32(xte), yte, xte, (0, 1), "softmax", loss, last_conv="sep")


def nested() -> ZooModel:
    """A Sequential feature extractor nested inside a functional model (transfer-learning style)."""
    features = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu", name="conv_a"),
                                 L.MaxPooling2D(name="pool_a"), L.Conv2D(16, 3, activation="relu", name="conv_b")],
                                name="features")
    inputs = keras.Input((28, 28, 1))
    x = L.Flatten(name="flatten")(L.MaxPooling2D(name="pool_b")(features(inputs)))
    outputs = L.Dense(10, activation="softmax", name="predictions")(x)
    return _standard("nested", keras.Model(inputs, outputs, name="nested"), 0, 1)


@keras.saving.register_keras_serializable(package="cnnviz_zoo")
class SubclassedNet(keras.Model):
    """``class MyNet(keras.Model)`` as tutorials write it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv_a = L.Conv2D(8, 3, activation="relu", name="conv_a")
        self.pool_a = L.MaxPooling2D(name="pool_a")
        self.conv_b = L.Conv2D(16, 3, activation="relu", name="conv_b")
        self.pool_b = L.MaxPooling2D(name="pool_b")
        self.flatten = L.Flatten(name="flatten")
        self.out = L.Dense(10, activation="softmax", name="predictions")

    def call(self, x, training=False):
        return self.out(self.flatten(self.pool_b(self.conv_b(self.pool_a(self.conv_a(x))))))


def subclassed() -> ZooModel:
    """A subclassed keras.Model (traced by cnnviz into a graph of its layers)."""
    model = SubclassedNet(name="subclassed")
    model(np.zeros((1, 28, 28, 1), np.float32))
    return _standard("subclassed", model, 0, 1)


def _fit_head(model: keras.Model, features: str, x: np.ndarray, y: np.ndarray, steps: int = 100) -> None:
    """Train only the last Dense layer (softmax regression in numpy on the ``features`` layer's output).

    A full ``fit`` of a 150-layer network spends a minute tracing its training step on 2 cores. The
    BatchNormalization statistics are first set from one pass over ``x`` (momentum 0 for that pass), so the
    random network's features vary with the input instead of collapsing."""
    norms = [layer for layer in model.layers if isinstance(layer, L.BatchNormalization)]
    saved = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(x[:300], training=True)
    for layer, momentum in zip(norms, saved):
        layer.momentum = momentum
    extractor = keras.Model(model.inputs, model.get_layer(features).output)
    raw = np.concatenate([keras.ops.convert_to_numpy(extractor(x[i:i + 200], training=False))
                          for i in range(0, len(x), 200)]).astype(np.float64)
    mu, sd = raw.mean(0), raw.std(0) + 1e-6
    f = (raw - mu) / sd
    head = model.layers[-1]
    w, b = np.zeros((f.shape[1], 10)), np.zeros(10)
    onehot = np.eye(10)[y]
    for _ in range(steps):
        z = f @ w + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        w -= 0.5 * (f.T @ (p - onehot) / len(f) + 0.01 * w)
        b -= 0.5 * (p - onehot).mean(0)
    # fold the standardisation into the layer: z = ((raw - mu) / sd) @ w + b
    kernel = w / sd[:, None]
    head.set_weights([kernel.astype(np.float32), (b - (mu / sd) @ w).astype(np.float32)])


def mobilenet_v2() -> ZooModel:
    """keras.applications.MobileNetV2 (random weights, alpha 0.35, 32x32x3) on [-1, 1]; only its head trained,
    so it fits the training images but is near chance on the test images (its answers still vary with the input)."""
    model = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=10)
    xtr, ytr, xte, yte = _sample()
    loss = keras.losses.SparseCategoricalCrossentropy()
    _fit_head(model, model.layers[-2].name, _rgb32(xtr, -1, 1), ytr)
    return ZooModel("mobilenet_v2", model, _rgb32(xte, -1, 1), yte, xte, (-1, 1), "softmax", loss,
                    last_conv="Conv_1")


ZOO: dict[str, Callable[[], ZooModel]] = {f.__name__: f for f in (
    rescaling, normalization, symmetric, residual_bn, logits, softmax_layer, sigmoid_binary, five_classes,
    rgb_separable, nested, subclassed, mobilenet_v2)}


@functools.cache
def build(name: str) -> ZooModel:
    """The zoo model ``name`` (one of :data:`ZOO`), built and trained once per session, from the same initial
    weights whatever ran before it in this process (a test helper may seed; library calls never do)."""
    keras.utils.set_random_seed(sum(map(ord, name)))
    return ZOO[name]()


def mini_xception(input_shape: tuple[int, int, int] = (64, 64, 1), num_classes: int = 7, seed: int = 0) -> keras.Model:
    """The face_classification project's public ``mini_XCEPTION`` (Arriaga et al. 2017): two plain convs, four
    residual modules of separable convs with BatchNorm, a conv to ``num_classes`` maps, global average pooling
    and softmax. Random weights (``seed``), untrained: its architecture is what matters (an eager backward pass
    through it crashes oneDNN on TF 2.21 CPUs). Its softmax is a separate ``Activation`` layer, as published."""
    init = keras.initializers.GlorotUniform
    reg = keras.regularizers.L2(0.01)
    k = iter(range(seed * 100, seed * 100 + 100))

    def conv(filters, size, **kw):
        return L.Conv2D(filters, size, kernel_initializer=init(next(k)), use_bias=False, **kw)

    def sep(filters):
        return L.SeparableConv2D(filters, (3, 3), padding="same", depthwise_initializer=init(next(k)),
                                 pointwise_initializer=init(next(k)), depthwise_regularizer=reg,
                                 pointwise_regularizer=reg, use_bias=False)

    inputs = keras.Input(input_shape)
    x = inputs
    for _ in range(2):
        x = L.Activation("relu")(L.BatchNormalization()(conv(8, (3, 3), kernel_regularizer=reg)(x)))
    for filters in (16, 32, 64, 128):
        residual = L.BatchNormalization()(conv(filters, (1, 1), strides=(2, 2), padding="same")(x))
        x = L.Activation("relu")(L.BatchNormalization()(sep(filters)(x)))
        x = L.BatchNormalization()(sep(filters)(x))
        x = L.MaxPooling2D((3, 3), strides=(2, 2), padding="same")(x)
        x = L.add([x, residual])
    x = L.Conv2D(num_classes, (3, 3), padding="same", kernel_initializer=init(next(k)))(x)
    x = L.GlobalAveragePooling2D()(x)
    outputs = L.Activation("softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="mini_xception")
