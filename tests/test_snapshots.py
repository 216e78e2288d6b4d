"""The Snapshots callback in real model.fit runs: TensorBoard event files, the snapshot folder, a killed run, replay."""

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import cnnviz
from cnnviz.replay import plot_snapshots
from cnnviz.training.callbacks import Snapshots
from cnnviz.training.snapshots import filter_images, tile

IMAGE_TAGS = {"filters/conv1", "feature_maps/conv1", "class_images", "attribution/saliency"}
ROOT = Path(__file__).resolve().parents[1]


def read_events(log_dir: Path) -> list:
    """Every (step, tag, value) in the event files of ``log_dir``, read with TensorFlow's own reader."""
    out = []
    for path in sorted(log_dir.glob("events.out.tfevents.*")):
        try:
            for event in tf.compat.v1.train.summary_iterator(str(path)):
                out.extend((event.step, value.tag, value) for value in event.summary.value)
        except tf.errors.DataLossError:  # a run killed mid-write: the records before the cut still count
            pass
    return out


@pytest.fixture(scope="module")
def fitted(sample, tmp_path_factory):
    """A real 2-epoch fit of the reference CNN on the bundled sample with a snapshot every epoch."""
    log_dir = tmp_path_factory.mktemp("snapshots")
    model = cnnviz.core.model.reference_model()
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = Snapshots(log_dir, every=1, class_steps=5)
    history = model.fit(sample.x_train[..., None] / 255.0, sample.y_train, epochs=2, batch_size=128,
                        validation_split=0.1, verbose=0, callbacks=[callback])
    return model, history.history, callback, log_dir


def test_event_files_hold_the_images_and_metrics_tensorboard_reads(fitted):
    model, history, callback, log_dir = fitted
    events = read_events(log_dir)
    images = {(step, tag) for step, tag, value in events if value.metadata.plugin_data.plugin_name == "images"}
    assert images == {(step, tag) for step in (0, 1, 2) for tag in IMAGE_TAGS}
    # the class-image grid decodes to the same pixels as the snapshot file holds (PNG is 8-bit)
    value = next(v for step, tag, v in events if step == 2 and tag == "class_images")
    width, height, png = value.tensor.string_val[:3]
    decoded = np.asarray(Image.open(io.BytesIO(png)), np.float32) / 255.0
    assert decoded.shape[:2] == (int(height), int(width))
    stored = tile(cnnviz.load_snapshots(log_dir)[-1].class_images, columns=5)
    factor = decoded.shape[0] // stored.shape[0]
    np.testing.assert_allclose(decoded[::factor, ::factor][: stored.shape[0], : stored.shape[1]],
                               stored[..., 0], atol=1 / 255 + 2e-3)
    # the loss scalars are Keras' own per-epoch history
    losses = {step: tf.make_ndarray(v.tensor) for step, tag, v in events if tag == "metrics/loss"}
    assert sorted(losses) == [1, 2]
    np.testing.assert_allclose([losses[1], losses[2]], history["loss"], rtol=1e-6)


def test_tensorboard_itself_lists_the_images(fitted):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.plugin_event_accumulator")
    acc = accumulator.EventAccumulator(str(fitted[3]), size_guidance={"tensors": 0})
    acc.Reload()
    assert set(acc.PluginTagToContent("images")) == IMAGE_TAGS
    assert [e.step for e in acc.Tensors("class_images")] == [0, 1, 2]


def test_load_snapshots_returns_what_the_network_was(fitted, sample):
    model, history, callback, log_dir = fitted
    run = cnnviz.load_snapshots(log_dir)
    assert run.steps == [0, 1, 2] and len(callback.seconds) == 3
    last = run[-1]
    # filters: the trained kernel itself, read from Keras
    np.testing.assert_array_equal(last.filters, keras.ops.convert_to_numpy(model.get_layer("conv1").kernel))
    # feature maps: conv1 applied by Keras to the probe images (stored as float16)
    expected = keras.ops.convert_to_numpy(model.get_layer("conv1")(last.probe_images))
    np.testing.assert_allclose(last.feature_maps, expected, rtol=2e-3, atol=2e-3)
    assert last.metrics["loss"] == pytest.approx(history["loss"][-1])
    assert last.metrics["val_accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert run[0].metrics == {} and run[0].step == 0
    assert last.classes == list(range(10)) and last.class_images.shape == (10, 28, 28, 1)
    # the class images were warm-started: the last ones are not a fresh start's
    fresh = cnnviz.maximize(list(range(10)), model=model, steps=5, seed=0)
    assert np.abs(fresh.images - last.class_images).max() > 0.05
    assert last.attribution.shape == (4, 28, 28) and 0 <= last.attribution.min() and last.attribution.max() <= 1
    assert last.attribution_targets == [int(i) for i in last.probe_probabilities.argmax(1)]
    assert filter_images(last.filters).shape == (32, 3, 3, 1)


def test_replay_gif_has_one_frame_per_snapshot(fitted, tmp_path):
    run = cnnviz.load_snapshots(fitted[3])
    out = cnnviz.replay(run, tmp_path / "learning.gif")
    with Image.open(out) as gif:
        assert gif.n_frames == len(run) == 3
    fig = plot_snapshots(run, columns=2)
    assert sum(1 for ax in fig.axes if ax.images) == 4 * 2  # two columns of four image rows
    with pytest.raises(ValueError, match=r"\.gif"):
        cnnviz.replay(run, tmp_path / "learning.avi")


def test_train_keyword_and_cli_option(sample, tmp_path):
    result = cnnviz.train(sample, epochs=1, verbose=0, evaluate=False, snapshots=tmp_path / "a", seed=0)
    assert cnnviz.load_snapshots(tmp_path / "a").steps == [0, 1]
    assert result.history["loss"][0] == pytest.approx(cnnviz.load_snapshots(tmp_path / "a")[1].metrics["loss"])
    from cnnviz.cli import main

    code = main(["train", "--sample", "--epochs", "1", "--verbose", "0", "-o", str(tmp_path / "m.keras"),
                 "--snapshots", "--snapshot-every", "3b"])  # no DIR: beside the model, m.snapshots/
    assert code == 0
    run = cnnviz.load_snapshots(tmp_path / "m.snapshots")
    assert run.steps == [0, 3, 6]  # 900 training images / 128 = 8 batches
    assert main(["train", "--sample", "--snapshots", str(tmp_path / "c"), "--snapshot-every", "x"]) == 2
    # the report finds them beside the model: a "How it learned" section right after the training curves
    from cnnviz.report import report_figures

    names = []
    for section in report_figures(tmp_path / "m.keras", classes=[], examples=0, progress=False):
        names.append(section.name)
        if section.name == "how_it_learned":
            assert sum(1 for ax in section.figure.axes if ax.images) == 4 * len(run)
            break
    assert names[-2:] == ["training_curves", "how_it_learned"]
    shipped = [s.name for _, s in zip(range(4), report_figures(classes=[], examples=0, progress=False))]
    assert "how_it_learned" not in shipped  # the shipped model has no snapshots beside it


def test_bad_settings_fail_before_training(tmp_path):
    with pytest.raises(ValueError, match="every"):
        Snapshots(tmp_path, every=0)
    with pytest.raises(ValueError, match="unit"):
        Snapshots(tmp_path, unit="week")
    dense = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    dense.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="no convolution"):
        dense.fit(np.zeros((4, 28, 28, 1)), np.zeros(4), epochs=1, verbose=0, callbacks=[Snapshots(tmp_path / "d")])


KILLED_RUN = textwrap.dedent("""
    import sys, cnnviz, keras
    data = cnnviz.load_sample()
    model = cnnviz.core.model.reference_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(data.x_train[..., None] / 255.0, data.y_train, epochs=1000, batch_size=32, verbose=0,
              callbacks=[cnnviz.training.callbacks.Snapshots(sys.argv[1], every=1, unit="batch", class_steps=2)])
""")


def test_a_killed_run_stays_readable(tmp_path):
    log_dir = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(log_dir)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while len(list(log_dir.glob("snapshot-*.npz"))) < 4:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no snapshots within 180 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # no cleanup, no close: whatever is on disk must be readable
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    run = cnnviz.load_snapshots(log_dir)
    assert "skipped" not in run.info and len(run) >= 4
    assert run.steps == list(range(len(run)))  # every batch, from 0, none missing
    assert all(s.class_images.shape == (10, 28, 28, 1) for s in run)
    image_steps = {step for step, tag, _ in read_events(log_dir) if tag == "class_images"}
    assert set(run.steps[:-1]) <= image_steps <= set(run.steps)  # the last one may have been cut before its events


def test_cli_replay_writes_one_frame_per_snapshot_and_reports_bad_folders(fitted, tmp_path, capsys):
    from cnnviz.cli import main

    out = tmp_path / "learning.gif"
    assert main(["replay", str(fitted[3]), "-o", str(out), "--figure", str(tmp_path / "all.png")]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == len(cnnviz.load_snapshots(fitted[3]))
    assert (tmp_path / "all.png").stat().st_size > 10_000
    assert capsys.readouterr().err.startswith("frames: 3/3 in ")  # the progress line (stderr is not a terminal)
    assert main(["replay", str(tmp_path / "missing"), "-o", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a folder" in err[0] and not (tmp_path / "x.gif").exists()


def test_the_shipped_run_replays_out_of_the_box():
    run = cnnviz.load_snapshots()
    assert run.steps[0] == 0 and len(run) >= 10 and "skipped" not in run.info
    size = sum(f.stat().st_size for f in run.directory.iterdir())
    assert size < 5 * 2**20
    # the run learned: the class images end up classified as their classes, the start's do not
    end = run[-1]
    assert (end.class_probabilities.argmax(1) == np.asarray(end.classes)).mean() >= 0.9
    assert end.metrics["accuracy"] > 0.95 > run[1].metrics["accuracy"]


def test_any_classifier_color_logits_and_a_loaded_sequential(tmp_path):
    rng = np.random.default_rng(0)
    # a functional colour model with logits (no softmax) and 3 classes: the user's own classifier
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 5, activation="relu", name="stem")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    color = keras.Model(inputs, keras.layers.Dense(3, name="head")(x))
    color.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    images = rng.uniform(0, 1, (2, 32, 32, 3)).astype("float32")
    color.fit(rng.uniform(0, 1, (64, 32, 32, 3)), rng.integers(0, 3, 64), epochs=1, verbose=0,
              callbacks=[Snapshots(tmp_path / "color", images=images, class_steps=3)])
    snap = cnnviz.load_snapshots(tmp_path / "color")[-1]
    assert snap.layer == "stem" and snap.classes == [0, 1, 2]
    assert snap.class_images.shape == (3, 32, 32, 3) and snap.feature_maps.shape == (2, 28, 28, 8)
    np.testing.assert_allclose(snap.probe_images, images, atol=1e-3)
    np.testing.assert_array_equal(snap.filters, keras.ops.convert_to_numpy(color.get_layer("stem").kernel))
    # a Sequential loaded from a .keras file: cnnviz looks through a clone, which must follow the training
    path = tmp_path / "seq.keras"
    cnnviz.core.model.reference_model().save(path)
    loaded = keras.saving.load_model(path)
    loaded.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    loaded.fit(rng.uniform(0, 1, (64, 28, 28, 1)), rng.integers(0, 10, 64), epochs=2, verbose=0,
               callbacks=[Snapshots(tmp_path / "seq", class_steps=2)])
    run = cnnviz.load_snapshots(tmp_path / "seq")
    np.testing.assert_array_equal(run[-1].filters, keras.ops.convert_to_numpy(loaded.get_layer("conv1").kernel))
    assert np.abs(run[-1].filters - run[0].filters).max() > 1e-3  # and it did change


def test_snapshots_recalibrate_on_the_weights_of_each_snapshot(fitted):
    """After training, the callback's probe is calibrated on the trained weights (as a fresh probe is), not on the
    untrained network it saw first."""
    from cnnviz.core.build import get_probe
    from cnnviz.optvis.calibration import penalty_factor

    model, history, callback, log_dir = fitted
    fresh = keras.models.clone_model(model)
    fresh.set_weights(model.get_weights())
    held = callback._probe.cache["optvis-calibration"][1]["logit-spread"]  # what the last snapshot used
    assert penalty_factor(callback._probe) == pytest.approx(penalty_factor(get_probe(fresh)), rel=1e-6)
    assert callback._probe.cache["optvis-calibration"][1]["logit-spread"] == held  # not recomputed: still current
