"""The public API over every kind of model in the zoo (tests/zoo.py), checked against Keras itself.

Each zoo model is built and trained once per session; the whole file stays well under 90 s on 2 cores.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from zoo import ZOO, build  # noqa: E402

import cnnviz  # noqa: E402
from cnnviz.core.checks import ModelError  # noqa: E402
from cnnviz.core.contract import CONV_TYPES  # noqa: E402

NAMES = list(ZOO)


def probe_of(entry):
    return cnnviz.core.build.get_probe(entry.model, input_range=entry.override)


def keras_probabilities(entry, x):
    """What the model itself says, as class probabilities (independent of cnnviz's head)."""
    out = entry.model.predict(x, verbose=0)
    if entry.output_kind == "logits":
        out = np.exp(out - out.max(1, keepdims=True))
        return out / out.sum(1, keepdims=True)
    if out.shape[1] == 1:
        return np.concatenate([1 - out, out], axis=1)
    return out


def conv_layers_by_walking(model):
    """Every conv-like layer object, found by Keras' own recursive layer walk (not the probe's replay)."""
    return {id(layer) for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, CONV_TYPES)}


@pytest.mark.parametrize("name", NAMES)
def test_contract_is_read_from_the_model(name):
    entry = build(name)
    probe = probe_of(entry)
    assert probe.input_range == entry.input_range, probe.input_range_source
    assert probe.output_kind == entry.output_kind
    assert probe.last_conv_layer == entry.last_conv
    assert {id(probe.layer(n)) for n in probe.conv_layer_names} == conv_layers_by_walking(entry.model)
    assert probe.num_classes == (2 if name == "sigmoid_binary" else 5 if name == "five_classes" else 10)
    assert probe.default_classes() == list(range(min(10, probe.num_classes)))
    lo, hi = probe.input_range
    np.testing.assert_allclose(probe.to_model(np.array([0.0, 1.0], np.float32)), [lo, hi])
    np.testing.assert_allclose(probe.to_display(probe.to_model(np.float32(0.25))), 0.25, atol=1e-6)
    import tensorflow as tf

    in_graph = tf.function(lambda t: probe.to_display(probe.to_model(t)))  # tf tensors, inside a graph
    np.testing.assert_allclose(in_graph(tf.constant([0.0, 0.5, 1.0])).numpy(), [0.0, 0.5, 1.0], atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_predict_agrees_with_the_model_on_its_own_input(name):
    entry = build(name)
    probe = probe_of(entry)
    x = entry.x[:32]
    np.testing.assert_allclose(cnnviz.predict(x, model=probe), keras_probabilities(entry, x), atol=1e-4)
    # uint8 pixels and [0, 1] floats are converted into the model's range in one place: same answer
    if entry.input_range == (0, 255):
        np.testing.assert_allclose(cnnviz.predict(x / 255.0, model=probe), keras_probabilities(entry, x), atol=1e-4)
    if entry.x.shape[1:] == (28, 28, 1):
        np.testing.assert_allclose(cnnviz.predict(entry.pixels[:32], model=probe), keras_probabilities(entry, x),
                                   atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_evaluate_equals_keras_evaluate(name):
    entry = build(name)
    model = entry.model
    model.compile(loss=entry.loss, jit_compile=False)
    keras_loss = model.evaluate(entry.x, entry.y, batch_size=100, verbose=0)
    result = cnnviz.evaluate(probe_of(entry), (entry.x, entry.y.ravel()))
    assert result.loss == pytest.approx(keras_loss, rel=1e-4, abs=1e-5)
    expected_accuracy = (keras_probabilities(entry, entry.x).argmax(1) == entry.y.ravel()).mean()
    assert result.accuracy == pytest.approx(expected_accuracy)
    n = probe_of(entry).num_classes
    assert result.confusion.shape == (n, n) and result.confusion.sum() == len(entry.x)


@pytest.mark.parametrize("name", NAMES)
def test_feature_maps_give_one_result_per_image_and_match_the_layers(name):
    entry = build(name)
    probe = probe_of(entry)
    fm = cnnviz.feature_maps(entry.pixels[:5], model=probe)  # grey (5, 28, 28): five images for every model
    assert fm.inputs.shape == (5, *probe.input_shape)
    assert fm.probabilities.shape == (5, probe.num_classes)
    assert all(m.shape[0] == 5 for m in fm.maps.values()) and fm.maps
    np.testing.assert_allclose(fm.probabilities, keras_probabilities(entry, fm.inputs), atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_gradcam_uses_the_last_conv_like_layer(name):
    entry = build(name)
    probe = probe_of(entry)
    heat = cnnviz.attribute(entry.pixels[:2], method="gradcam", model=probe)
    assert heat.layer == probe.last_conv_layer == entry.last_conv
    assert heat.maps.shape == (2, *probe.input_shape[:2])
    assert heat.targets == [int(i) for i in keras_probabilities(entry, heat.inputs).argmax(1)]


@pytest.mark.parametrize("name", NAMES)
def test_top_examples_of_a_grey_batch_are_k_images_and_really_the_strongest(name):
    entry = build(name)
    probe = probe_of(entry)
    layer = probe.last_conv_layer
    top = cnnviz.top_examples(layer, 0, k=9, images=entry.pixels[:40], model=probe)
    assert top.images.shape == (9, *probe.input_shape)
    fm = cnnviz.feature_maps(entry.pixels[:40], model=probe, layers=[layer])
    strongest = fm.maps[layer][..., 0].reshape(40, -1).max(axis=1)  # brute force over the same 40 images
    np.testing.assert_allclose(top.activations, np.sort(strongest)[::-1][:9], rtol=1e-5, atol=1e-5)


# maximize optimizes images in [0, 1] and maps them with probe.to_model for models that take another range
# (rescaling, normalization, [-1, 1], MobileNetV2): the test below decides by what the model reads, no xfail.
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_maximize_raises_the_target_probability_as_the_model_reads_it(name):
    entry = build(name)
    probe = probe_of(entry)
    target = 1
    before = cnnviz.maximize(target, model=probe, steps=1, seed=3)
    after = cnnviz.maximize(target, model=probe, steps=40, seed=3)
    p_before = keras_probabilities(entry, probe.to_model(before.images))[0, target]
    p_after = keras_probabilities(entry, probe.to_model(after.images))[0, target]
    assert p_after > p_before


def test_filters_of_separable_and_depthwise_layers_are_their_equivalent_convolutions():
    import tensorflow as tf

    entry = build("rgb_separable")
    probe = probe_of(entry)
    fm = cnnviz.feature_maps(entry.x[:2], model=probe, layers=["stem", "dw", "sep"])
    for layer, source in (("dw", "stem"), ("sep", "dw")):
        kernel = cnnviz.filters(layer, model=probe)
        bias = keras.ops.convert_to_numpy(probe.layer(layer).bias)
        expected = fm.maps[layer]
        got = tf.nn.relu(tf.nn.conv2d(fm.maps[source], kernel, strides=1, padding="VALID") + bias).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_a_loaded_sequential_is_seen_as_it_is_trained(tmp_path, sample):
    path = cnnviz.save_model(build("rescaling").model, tmp_path / "m.keras")
    mine, theirs = cnnviz.load_model(path), cnnviz.load_model(path)
    assert mine is not theirs and cnnviz.load_model() is not cnnviz.load_model()
    x = sample.x_test[:16]
    before = cnnviz.predict(x, model=mine)
    mine.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    mine.fit(x.astype("float32")[..., None], sample.y_test[:16], epochs=1, verbose=0)
    after = cnnviz.predict(x, model=mine)
    assert np.abs(after - before).max() > 1e-3
    np.testing.assert_allclose(after, mine.predict(x.astype("float32")[..., None], verbose=0), atol=1e-4)
    np.testing.assert_allclose(cnnviz.predict(x, model=theirs), before, atol=1e-6)  # the other copy is untouched


def test_input_range_said_once_is_kept_in_the_card(tmp_path):
    entry = build("symmetric")
    model = keras.models.clone_model(entry.model)
    model.set_weights(entry.model.get_weights())
    assert cnnviz.core.build.get_probe(model).input_range_assumed
    cnnviz.core.build.get_probe(model, input_range=(-1, 1))
    assert cnnviz.core.build.get_probe(model).input_range_assumed  # a per-call option is for that call only
    path = cnnviz.save_model(cnnviz.describe(model, input_range=(-1, 1)), tmp_path / "sym.keras")
    probe = cnnviz.core.build.get_probe(cnnviz.load_model(path))
    assert probe.input_range == (-1.0, 1.0) and probe.input_range_source == "the model card"


def test_a_subclassed_model_that_cannot_be_traced_says_what_works():
    class Opaque(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(4, 3, activation="relu")
            self.flat = keras.layers.Flatten()
            self.out = keras.layers.Dense(3, activation="softmax")

        def call(self, x):
            scale = float(np.asarray(keras.ops.max(x))) or 1.0  # needs real values: no symbolic trace
            return self.out(self.flat(self.conv(x / scale)))

    model = Opaque()
    x = np.random.default_rng(0).random((4, 12, 12, 1)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(x))
    probe = cnnviz.core.build.get_probe(model)
    assert probe.opaque and "functional" in probe.opaque and "predict" in probe.opaque
    np.testing.assert_allclose(cnnviz.predict(x, model=model), expected, atol=1e-6)
    # its gradients cannot be compiled, and cnnviz runs no eager backward pass: one clear line instead
    with pytest.raises(ModelError, match=r"Opaque.call\(\) cannot run inside tf.function \(NotImplementedError: Cannot "
                                         r"convert a symbolic"):
        cnnviz.attribute(x[:1], method="saliency", model=model)
    with pytest.raises(ModelError, match="per-layer views"):
        cnnviz.feature_maps(x, model=model)


def test_an_untraced_model_whose_call_compiles_gets_compiled_gradients():
    import tensorflow as tf

    class Scaled(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(4, 3, activation="relu")
            self.flat = keras.layers.Flatten()
            self.out = keras.layers.Dense(3)

        def call(self, x):
            return self.out(self.flat(self.conv(x / tf.reduce_max(x))))  # a raw TF op: cnnviz cannot read it

    model = Scaled()
    x = np.random.default_rng(0).random((2, 12, 12, 1)).astype("float32")
    model(x)
    assert cnnviz.core.build.get_probe(model).opaque
    got = cnnviz.attribute(x, method="saliency", model=model, target=1).raw
    xt = tf.constant(x)
    with tf.GradientTape() as tape:  # the independent gradient (eager is safe on this tiny model)
        tape.watch(xt)
        score = tf.reduce_sum(model(xt)[:, 1])
    expected = np.abs(tape.gradient(score, xt).numpy()).max(axis=-1)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_evaluate_reads_arrays_npz_datasets_and_class_folders_alike(tmp_path):
    import tensorflow as tf
    from PIL import Image

    entry = build("rescaling")
    pixels, labels = entry.pixels[:60], entry.y[:60]
    reference = cnnviz.evaluate(entry.model, (entry.x[:60], labels))
    np.savez(tmp_path / "d.npz", x_test=pixels, y_test=labels)
    for k in range(10):
        (tmp_path / "folders" / str(k)).mkdir(parents=True)
    for i, (img, label) in enumerate(zip(pixels, labels)):
        Image.fromarray(img).save(tmp_path / "folders" / str(label) / f"{i:03d}.png")
    dataset = tf.data.Dataset.from_tensor_slices((pixels, labels)).batch(16)
    for data in ((pixels, labels), tmp_path / "d.npz", dataset, tmp_path / "folders"):
        result = cnnviz.evaluate(entry.model, data)
        assert result.images == 60
        assert result.accuracy == pytest.approx(reference.accuracy) and result.loss == pytest.approx(reference.loss, rel=1e-4)


def test_evaluate_adapts_grey_to_colour_with_a_note_and_refuses_what_it_cannot(sample):
    entry = build("rgb_separable")
    result = cnnviz.evaluate(entry.model, (sample.x_test[:50], sample.y_test[:50]))
    assert result.images == 50 and any("R, G and B" in n for n in result.notes) and any("resized" in n for n in result.notes)
    with pytest.raises(ValueError, match="32x32x3"):
        cnnviz.evaluate(entry.model, (np.zeros((4, 5, 6, 7, 8)), np.zeros(4)))
    with pytest.raises(ValueError, match="5 classes"):
        cnnviz.evaluate(build("five_classes").model, (sample.x_test[:50], sample.y_test[:50]))


def test_cli_input_range_is_used_by_the_command(tmp_path, capsys):
    from cnnviz.cli import main

    entry = build("symmetric")
    path = str(cnnviz.save_model(entry.model, tmp_path / "sym.keras"))
    expected = cnnviz.evaluate(cnnviz.core.build.get_probe(cnnviz.load_model(path), input_range=(-1, 1)), "sample")
    assert main(["evaluate", path, "--sample", "--input-range=-1,1"]) == 0
    assert f"test accuracy: {expected.accuracy:.4f}" in capsys.readouterr().out
    assert main(["evaluate", path, "--sample", "--input-range", "1,-1"]) == 2
    assert "lo < hi" in capsys.readouterr().err
