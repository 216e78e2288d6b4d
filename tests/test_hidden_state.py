"""No hidden state (issue 18): caches keyed on what they depend on, bounded; no global RNG, style or TF setting
changed by a library call."""

import keras
import numpy as np
import pytest

import cnnviz
from cnnviz.core.build import get_probe
from cnnviz.core.versions import weights_version
from cnnviz.optvis.calibration import adapted_default, penalty_factor


def _clone(model: keras.Model) -> keras.Model:
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


@pytest.mark.slow
def test_class_images_after_training_equal_a_fresh_copy_of_the_same_weights(sample):
    """Look, train, look again == look at a fresh copy: calibration is keyed on the weights, not on the probe."""
    model = _clone(cnnviz.load_model())
    before = cnnviz.maximize([3, 7], model=model, steps=30)  # calibrates on the shipped weights
    factor_before = penalty_factor(get_probe(model))
    version = weights_version(model)
    model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")  # a big step: logits change a lot
    model.fit(sample.x_train[:256, ..., None] / 255.0, (sample.y_train[:256] + 1) % 10, epochs=1, batch_size=64,
              verbose=0, shuffle=False)
    assert weights_version(model) != version
    after = cnnviz.maximize([3, 7], model=model, steps=30)
    fresh_model = _clone(model)
    fresh = cnnviz.maximize([3, 7], model=fresh_model, steps=30)
    assert penalty_factor(get_probe(model)) == pytest.approx(penalty_factor(get_probe(fresh_model)), rel=1e-6)
    assert penalty_factor(get_probe(model)) != pytest.approx(factor_before, rel=1e-3)
    assert adapted_default(get_probe(model)) == adapted_default(get_probe(fresh_model))
    assert np.abs(after.images - fresh.images).max() < 1e-5
    assert np.abs(after.images - before.images).max() > 0.1


def test_weights_version_sees_set_weights_and_not_the_optimizer_count():
    model = _clone(cnnviz.load_model())
    version = weights_version(model)
    weights = model.get_weights()
    weights[-1] = weights[-1] + np.float32(1e-6)  # one bias, one ulp-scale change
    model.set_weights(weights)
    assert weights_version(model) != version
    weights[-1] = weights[-1] - np.float32(1e-6)
    model.set_weights(weights)
    assert weights_version(model) == weights_version(_clone(model))


def test_compiled_loops_are_a_bounded_lru_and_an_evicted_loop_gives_the_same_answer():
    from cnnviz.optvis import render as R
    from cnnviz.optvis.objectives import channel, skeleton
    from cnnviz.optvis.param import pixels

    probe = get_probe(_clone(cnnviz.load_model()))
    first = R.render(probe, channel("conv2", 0), pixels(), (), [0], steps=5, seed=1)
    rend = R.renderer(probe, ("conv2:pre",))
    for i in range(100):  # 100 distinct objectives (as typed into a free-text box); loop() builds, tracing is lazy
        skel, weights = skeleton(channel("conv2", i % 64) * (1 + i // 64) + channel("conv2", (i + 1) % 64))
        rend.loop(skel, len(weights), pixels(), ())
    assert len(rend._compiled) <= R.MAX_LOOPS
    assert (skeleton(channel("conv2", 0))[0], pixels(), ()) not in rend._compiled  # evicted
    again = R.render(probe, channel("conv2", 0), pixels(), (), [0], steps=5, seed=1)
    np.testing.assert_array_equal(again.images, first.images)
    for i in range(3 * R.MAX_RENDERERS):  # renderers per set of tensors read: bounded too
        R.renderer(probe, (f"conv{1 + i % 2}:pre", "logits") + ("probabilities",) * (i // 2))
    assert len(probe.cache["optvis-renderers"]) <= R.MAX_RENDERERS


def test_compiled_loops_are_bounded_over_every_probe_and_view_in_the_process(monkeypatch):
    """A server showing many models, each in several input ranges, keeps at most ``MAX_LOOPS_IN_PROCESS`` traced
    loops in all (each holds MiBs); a loop dropped for another probe's gives the same answer traced again, and a
    collected probe's loops leave the count."""
    import gc

    from cnnviz.optvis import render as R
    from cnnviz.optvis.objectives import channel
    from cnnviz.optvis.param import pixels

    monkeypatch.setattr(R, "LOOPS", R.Budget(3))
    models = [_clone(cnnviz.load_model()) for _ in range(3)]
    probes = [get_probe(m) for m in models] + [get_probe(cnnviz.describe(models[0], input_range=(0, 255)))]

    def loops_kept(probes: list) -> int:
        return sum(len(r._compiled) for p in probes for r in p.cache.get("optvis-renderers", {}).values())

    first = [R.render(p, channel("conv2", 0), pixels(), (), [0], steps=5, seed=1) for p in probes]
    assert loops_kept(probes) == 3 and len(R.LOOPS) == 3  # four probes' loops, the oldest dropped
    again = R.render(probes[0], channel("conv2", 0), pixels(), (), [0], steps=5, seed=1)  # traced again
    np.testing.assert_array_equal(again.images, first[0].images)
    assert loops_kept(probes) == 3
    del probes, models, first, again
    gc.collect()
    assert len(R.LOOPS) == 0


# --------------------------------------------------------------------------- global random state


class GlobalRandomState:
    """Every process-wide random state a library call could reset: Python's, NumPy's, TensorFlow's global seed
    and global generator, Keras' global seed and seed generator. ``changed()`` names those that differ from
    when this was made (a reseed to any value, or a draw from them)."""

    def __init__(self):
        import random

        import tensorflow as tf
        from keras.src.backend.common import global_state
        from tensorflow.python.eager import context

        random.random(), np.random.random(), tf.random.uniform(()), keras.random.uniform(())  # all in use, mid-stream
        self.tf_generator = tf.random.get_global_generator()
        self.tf_generator.normal(())
        self._read = lambda: {
            "python random": random.getstate(),
            "numpy random": repr(np.random.get_state()),
            "tf global seed": (context.global_seed(), getattr(context.context(), "_rng", None) and
                               context.context()._rng.getstate()),  # tf.random.set_seed resets the op-seed stream
            "tf global generator": tuple(self.tf_generator.state.numpy()),
            "keras global seed": global_state.get_global_attribute("global_random_seed"),
            "keras seed generator": repr(getattr(global_state.get_global_attribute("global_seed_generator"),
                                                 "state", None) is None or global_state.get_global_attribute(
                "global_seed_generator").state.numpy()),
        }
        self.before = self._read()

    def changed(self) -> list[str]:
        after = self._read()
        return [name for name in self.before if after[name] != self.before[name]]


def test_the_state_detector_sees_a_reseed_and_a_draw():
    import tensorflow as tf

    for reseed in (lambda: tf.random.set_seed(0), lambda: np.random.seed(0), lambda: keras.utils.set_random_seed(1)):
        state = GlobalRandomState()
        reseed()
        assert state.changed()
    state = GlobalRandomState()
    assert state.changed() == []
    np.random.random()
    assert state.changed() == ["numpy random"]


@pytest.mark.slow
def test_train_with_a_seed_leaves_global_random_state_alone_and_is_reproducible(sample):
    state = GlobalRandomState()
    runs = [cnnviz.train(sample, recipe="fast", epochs=1, seed=s, evaluate=False, verbose=0).model for s in (3, 3, 4)]
    assert state.changed() == []
    first, again, other = ([w.copy() for w in m.get_weights()] for m in runs)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert max(np.abs(a - b).max() for a, b in zip(first, other)) > 1e-3


@pytest.mark.slow
def test_dropout_in_a_given_model_follows_the_seed(sample):
    def model():
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dropout(0.5),
                                 keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros")])

    runs = [cnnviz.train(sample, recipe="fast", epochs=1, seed=s, model=model(), evaluate=False, verbose=0).model
            for s in (5, 5, 6)]
    weights = [m.layers[-1].get_weights()[0] for m in runs]
    np.testing.assert_array_equal(weights[0], weights[1])
    assert np.abs(weights[0] - weights[2]).max() > 1e-4


# --------------------------------------------------------------------------- style


@pytest.mark.slow
def test_style_blocks_in_overlapping_threads_leave_rcparams_as_they_were(tmp_path):
    import threading
    import time

    import matplotlib

    from cnnviz.style import RC, cnnviz_style, figure

    keys = ("font.size", "savefig.bbox", "axes.spines.top")
    before = {k: matplotlib.rcParams[k] for k in keys}
    assert any(before[k] != RC[k] for k in keys)  # the test means something only if cnnviz's values differ
    seen, errors = [], []

    def work(i):
        try:
            with cnnviz_style():
                time.sleep(0.01 * (i % 3))  # another thread would enter or leave here
                seen.append(matplotlib.rcParams["font.size"])
                fig = figure()
                fig.add_subplot().plot([0, 1])
                fig.savefig(tmp_path / f"{i}.png")
                time.sleep(0.01 * (2 - i % 3))
                seen.append(matplotlib.rcParams["font.size"])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert seen == [RC["font.size"]] * 24  # in force for the whole of every block
    assert {k: matplotlib.rcParams[k] for k in keys} == before  # and gone after


def test_scoring_many_images_goes_in_small_batches_with_the_same_answer(monkeypatch):
    """oneDNN keeps memory per concurrent batch for good (``cnnviz.core.batches``): a class's best real examples and
    the data prior's candidate starts are scored FORWARD_BATCH images at a time, and choose what one big batch
    would."""
    import importlib

    import keras
    import tensorflow as tf

    from cnnviz.core.batches import FORWARD_BATCH
    from cnnviz.io.data import load_sample
    from cnnviz.optvis import render as R
    from cnnviz.optvis.param import generator

    examples = importlib.import_module("cnnviz.class_examples")
    probe = get_probe(_clone(cnnviz.load_model()))
    model, sizes = probe.logits_model, []

    class Recording:  # the logits model, noting each call's batch
        def __call__(self, x, **kwargs):
            sizes.append(int(x.shape[0]))
            return model(x, **kwargs)

        def __getattr__(self, name):
            return getattr(model, name)

    monkeypatch.setattr(probe, "logits_model", Recording())
    images = load_sample().x_test[:300]
    found = examples.class_examples(k=3, images=images, model=probe)
    whole = keras.ops.convert_to_numpy(model(probe.prepare(images), training=False))
    np.testing.assert_array_equal(found.indices, np.argsort(-whole, axis=0)[:3].T)
    built = generator().build(probe.input_shape)
    starts = R._best_starts(R.renderer(probe, ("logits",)), built, [3, 3, 8], 256, seed=4)
    candidates = built.init(256, seed=4)
    logits = keras.ops.convert_to_numpy(model(built.image(tf.constant(candidates)), training=False))
    best3 = np.argsort(-logits[:, 3])
    np.testing.assert_array_equal(starts, candidates[[best3[0], best3[1], np.argmax(logits[:, 8])]])
    assert sizes and max(sizes) <= FORWARD_BATCH <= 32  # at 256, four threads kept 5x the memory of 32


def test_the_concepts_stream_reads_each_batch_in_small_calls_with_the_same_rows():
    """A concepts fit streams 1,000-image batches; one call on all of them left oneDNN holding 138 MiB for good."""
    import tensorflow as tf

    from cnnviz.concepts.stream import stream_rows
    from cnnviz.core.batches import FORWARD_BATCH

    sizes = []

    def step(inputs, picks):  # a stand-in for the compiled sampler: one row per image, picked position + a mean
        sizes.append(int(inputs.shape[0]))
        flat = np.reshape(inputs.numpy(), (len(inputs), -1))
        return tf.constant(np.take_along_axis(flat, picks.numpy(), axis=1)[..., None] + flat.mean(axis=1)[:, None, None])

    rng = np.random.default_rng(0)
    inputs = rng.random((101, 28, 28, 1)).astype(np.float32)
    picks = rng.integers(0, 784, (101, 5))
    rows = stream_rows(step, 2, inputs, picks)
    flat = inputs.reshape(101, -1)
    whole = np.take_along_axis(flat, picks, axis=1)[..., None] + flat.mean(axis=1)[:, None, None]
    np.testing.assert_allclose(rows, whole, rtol=1e-6)
    assert max(sizes) <= 2 * FORWARD_BATCH and all(s % 2 == 0 for s in sizes)  # each replica's slice the same size
