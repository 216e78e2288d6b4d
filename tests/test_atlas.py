"""dataset_examples (the atlas): equal to the brute-force loop, exact under a strategy, memory bounded, round-trip."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import cnnviz
from cnnviz.atlas import atlas_path_for, dataset_examples, load_atlas
from cnnviz.io.decode import DataError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def atlas(sample):
    return dataset_examples(data=sample.x_test, labels=sample.y_test, k=9, batch_size=256)


@pytest.mark.slow  # 26 brute-force passes over the sample (every channel would be 106: ~150 s under load)
def test_channels_equal_the_brute_force_loop(atlas, sample):
    assert atlas.layers == ["conv1", "conv2", "predictions", "logits"]
    assert atlas.images_seen == 1000
    for layer in ["conv1", "conv2", "predictions"]:
        every = 1 if layer == "predictions" else 8  # the first and last channel of every block of 8
        channels = sorted({*range(0, atlas.channels(layer), every), atlas.channels(layer) - 1})
        for channel in channels:
            ref = cnnviz.top_examples(layer, channel, k=9, images=sample.x_test, labels=sample.y_test)
            got = atlas.top(layer, channel)
            np.testing.assert_allclose(got.activations, ref.activations, rtol=1e-5, atol=1e-6)
            clear = _clear_of_ties(ref.activations)  # saturated softmax rows tie at 1.0: any order is right
            where = f"{layer}:{channel}"
            np.testing.assert_array_equal(got.indices[clear], ref.indices[clear], err_msg=where)
            np.testing.assert_array_equal(got.boxes[clear], ref.boxes[clear], err_msg=where)
            np.testing.assert_array_equal(got.images[clear], ref.images[clear], err_msg=where)
            np.testing.assert_array_equal(got.labels[clear], ref.labels[clear], err_msg=where)


def _clear_of_ties(values: np.ndarray, tolerance: float = 1e-5) -> np.ndarray:
    """True where a top-k value differs from every other by more than float noise (its rank is then unique)."""
    gaps = np.abs(values[:, None] - values[None, :]) <= tolerance * np.maximum(1.0, np.abs(values[:, None]))
    return gaps.sum(axis=1) == 1


def test_tie_aware_comparison_still_sees_a_wrong_order():
    values = np.array([3.0, 2.0, 1.0, 1.0, 0.5])
    assert _clear_of_ties(values).tolist() == [True, True, False, False, True]


@pytest.mark.slow
def test_class_logits_equal_keras_logits_sorted(atlas, sample):
    probe = cnnviz.core.build.get_probe()
    logits = probe.logits_model.predict(cnnviz.preprocess(sample.x_test), verbose=0)  # Keras, one pass
    for c in range(10):
        order = np.argsort(-logits[:, c], kind="stable")[:9]
        top = atlas.top("logits", c)
        np.testing.assert_array_equal(top.indices, order)
        np.testing.assert_allclose(top.activations, logits[order, c], rtol=1e-5, atol=1e-5)
        assert np.all(top.boxes == [0, 0, 28, 28])
    # the strongest "7" logit images are sevens
    assert (atlas.top("logits", 7).labels == 7).mean() >= 0.8


def test_a_tf_data_dataset_gives_the_same_atlas(atlas, sample):
    ds = tf.data.Dataset.from_tensor_slices((sample.x_test, sample.y_test)).batch(300)
    other = dataset_examples(data=ds, k=9)
    for layer in atlas.layers:
        for channel in range(atlas.channels(layer)):
            got, ref = other.top(layer, channel), atlas.top(layer, channel)
            np.testing.assert_allclose(got.activations, ref.activations, rtol=1e-5, atol=1e-6)
            clear = _clear_of_ties(ref.activations)  # another batch size moves float ties (softmax at 1.0)
            np.testing.assert_array_equal(got.indices[clear], ref.indices[clear], err_msg=f"{layer}:{channel}")
            np.testing.assert_array_equal(got.labels[clear], ref.labels[clear], err_msg=f"{layer}:{channel}")


def test_round_trip_is_exact_and_atomic(atlas, tmp_path):
    path = atlas.save(tmp_path / "atlas.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas.npz"]  # no temporary file left
    back = load_atlas(path)
    assert back.layers == atlas.layers and back.k == atlas.k and back.images_seen == atlas.images_seen
    for layer in atlas.layers:
        np.testing.assert_array_equal(back.indices[layer], atlas.indices[layer])
        np.testing.assert_array_equal(back.activations[layer], atlas.activations[layer])
        np.testing.assert_array_equal(back.boxes[layer], atlas.boxes[layer])
    np.testing.assert_array_equal(back.images, atlas.images)
    np.testing.assert_array_equal(back.labels, atlas.labels)
    with pytest.raises(ValueError, match=r"saved as \.npz"):
        atlas.save(tmp_path / "atlas.json")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not an atlas"):
        load_atlas(tmp_path / "junk.npz")
    assert atlas_path_for(tmp_path / "m.keras") == tmp_path / "m.atlas.npz"


def test_bad_arguments_are_refused_before_work(sample):
    with pytest.raises(ValueError, match="layer 'conv9' not found"):
        dataset_examples(["conv9"], data=sample.x_test)
    with pytest.raises(ValueError, match="k must be"):
        dataset_examples(data=sample.x_test, k=0)
    with pytest.raises(DataError, match="do not fit the model's input"):
        dataset_examples(data=np.zeros((4, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="channel 40 is out of range"):
        dataset_examples(["conv1"], data=sample.x_test[:10], k=1).top("conv1", 40)


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.mark.slow
def test_memory_is_bounded_by_the_batch_not_the_dataset(sample):
    # 20,000 images: their conv1 maps alone would be 20,000 x 26 x 26 x 32 x 4 bytes = 1.7 GB.
    rng = np.random.default_rng(0)
    images = np.tile(sample.x_test, (20, 1, 1))
    images = np.clip(images.astype(np.int16) + rng.integers(-3, 4, images.shape), 0, 255).astype(np.uint8)
    dataset_examples(["conv1"], data=images[:1000], k=9, batch_size=500)  # trace once
    peaks = {}
    for n in (2000, 20000):
        rss_before = _rss()
        tracemalloc.start()
        result = dataset_examples(data=images[:n], k=9, batch_size=500)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rss_growth = _rss() - rss_before
        assert result.images_seen == n
    assert peaks[20000] < 64 * 2**20, peaks  # a batch of images and maps, not the dataset
    assert peaks[20000] < peaks[2000] + 8 * 2**20, peaks  # ten times the images, (almost) the same peak
    assert rss_growth < 400 * 2**20, rss_growth


@pytest.mark.slow
def test_exact_under_mirrored_strategy_on_two_logical_cpus(tmp_path):
    script = tmp_path / "run.py"
    out = tmp_path / "out.json"
    script.write_text(textwrap.dedent(f"""
        import json, numpy as np, cnnviz
        from cnnviz.core.distribute import configure_cpu_devices, get_strategy
        from cnnviz.atlas import dataset_examples
        configure_cpu_devices(2)
        s = cnnviz.load_sample()
        one = dataset_examples(data=s.x_test, k=5, batch_size=333)
        two = dataset_examples(data=s.x_test, k=5, batch_size=333, strategy="mirrored")  # odd batches: uneven slices
        def clear(v):  # ranks that float noise cannot swap (a saturated softmax ties at 1.0)
            close = np.abs(v[..., :, None] - v[..., None, :]) <= 1e-5 * np.maximum(1.0, np.abs(v[..., :, None]))
            return close.sum(-1) == 1
        json.dump({{"equal": all(np.array_equal(one.indices[n][clear(one.activations[n])],
                                                two.indices[n][clear(one.activations[n])]) and
                                 np.allclose(one.activations[n], two.activations[n], atol=1e-6) and
                                 np.array_equal(one.boxes[n][clear(one.activations[n])],
                                                two.boxes[n][clear(one.activations[n])]) for n in one.layers),
                    "replicas": get_strategy("mirrored").num_replicas_in_sync}},
                  open({str(out)!r}, "w"))
    """))
    env = {"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
           "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result == {"equal": True, "replicas": 2}


def test_the_report_uses_an_atlas_beside_the_model(tmp_path, sample):
    import shutil

    from cnnviz.core.pretrained import PRETRAINED_NAME, pretrained_dir
    from cnnviz.plots import plot_atlas
    from cnnviz.report.context import build_context
    from cnnviz.report.options import ReportOptions
    from cnnviz.report.registry import SECTIONS

    model_file = tmp_path / "m.keras"
    shutil.copy(pretrained_dir() / PRETRAINED_NAME, model_file)
    options = ReportOptions(examples=1, classes=(3, 6))
    ctx = build_context(str(model_file), None, options, lambda line: None)
    assert list(SECTIONS["atlas"].plan(ctx)) == []  # no atlas yet: the report says so, and how to make one
    assert any("no atlas beside the model" in note and "cnnviz atlas" in note for note in ctx.notes)

    dataset_examples(data=sample.x_test[:300], labels=sample.y_test[:300], k=4,
                     model=cnnviz.load_model(model_file)).save(atlas_path_for(model_file))
    ctx = build_context(str(model_file), None, options, lambda line: None)
    planned = list(SECTIONS["atlas"].plan(ctx))
    assert [p.name for p in planned] == ["conv1_dataset_examples", "conv2_dataset_examples", "class_dataset_examples"]
    fig = planned[-1].build()
    (tiles,) = [ax for ax in fig.axes if ax.images]  # one mosaic: a row per class, its value above each image
    labels = [t.get_text() for t in tiles.texts]
    assert [t for t in labels if t.startswith("#")] == ["#3", "#6"] and len(labels) == 2 + 2 * 4
    cnnviz.plots.save_figure(plot_atlas(load_atlas(atlas_path_for(model_file)), "conv1", channels=[0]), tmp_path / "a.png")

    other = cnnviz.core.model.reference_model()  # other weights: the atlas beside it is not used
    ctx = build_context(other, None, options, lambda line: None)
    ctx.cache["model_source"] = str(model_file)
    assert list(SECTIONS["atlas"].plan(ctx)) == []
    assert any("other weights" in note for note in ctx.notes)


@pytest.mark.slow
def test_the_filters_page_shows_the_shipped_atlas():
    from streamlit.testing.v1 import AppTest

    from cnnviz.core.pretrained import PRETRAINED_NAME, pretrained_dir

    shipped = load_atlas(atlas_path_for(pretrained_dir() / PRETRAINED_NAME))
    assert shipped.images_seen == 60000 and shipped.layers == ["conv1", "conv2", "predictions", "logits"]
    at = AppTest.from_file(str(ROOT / "cnnviz" / "dashboard" / "app.py"), default_timeout=180)
    at.session_state["filters_steps"] = 10
    at.run()
    at.switch_page("views/filters.py").run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("From the atlas: top examples of 60,000 images") for c in captions), captions


def test_cli_atlas_writes_the_file_and_refuses_a_wrong_name_first(tmp_path, capsys):
    from cnnviz.cli import main

    out = tmp_path / "a.npz"
    assert main(["atlas", "--sample", "--test", "--layers", "conv1,logits", "-k", "2", "-o", str(out)]) == 0
    assert "top 2 of 1,000 images for 42 channels (conv1, logits)" in capsys.readouterr().out
    atlas = load_atlas(out)
    assert atlas.layers == ["conv1", "logits"] and atlas.source == "mnist_sample.npz (test images)"
    assert main(["atlas", "--sample", "-o", str(tmp_path / "a.json")]) == 2
    assert "an atlas is saved as .npz" in capsys.readouterr().err
    assert not (tmp_path / "a.json").exists()
