"""Real training on the bundled sample: it learns, it saves, it resumes, it is reproducible."""

import json

import keras
import numpy as np
import pytest

import cnnviz
from cnnviz.core.cards import sidecar


def test_short_training_on_the_sample_improves_accuracy(sample, tmp_path):
    untrained = cnnviz.core.model.reference_model()
    before = (untrained.predict(cnnviz.preprocess(sample.x_test), verbose=0).argmax(1) == sample.y_test).mean()
    out = tmp_path / "m.keras"
    result = cnnviz.train(sample, recipe="fast", epochs=2, seed=1, output=out, verbose=0, model=untrained)
    assert result.test_accuracy > before + 0.4
    assert result.test_accuracy > 0.75
    assert len(result.history["loss"]) == 2 and result.history["loss"][1] < result.history["loss"][0]
    assert {"accuracy", "val_accuracy", "loss", "val_loss", "epoch_seconds", "learning_rate"} <= set(result.history)
    assert out.is_file() and not out.with_name(out.name + ".backup").exists()
    history = json.loads(sidecar(out, "history").read_text())
    card = json.loads(sidecar(out, "card").read_text())
    assert history["loss"] == result.history["loss"]
    assert card["test_accuracy"] == result.test_accuracy and card["recipe"] == "fast"
    assert card["data"]["train_images"] == 1000
    reloaded = cnnviz.load_model(out)
    np.testing.assert_allclose(reloaded.predict(cnnviz.preprocess(sample.x_test[:5]), verbose=0),
                               result.model.predict(cnnviz.preprocess(sample.x_test[:5]), verbose=0), atol=1e-6)


def test_tutorial_recipe_is_the_default():
    recipe = cnnviz.training.recipes.RECIPES["tutorial"]
    assert (recipe.epochs, recipe.batch_size, recipe.learning_rate, recipe.schedule) == (15, 128, 1e-3, "constant")


def test_same_seed_same_run(sample):
    a = cnnviz.train(sample, epochs=1, seed=3, verbose=0, evaluate=False)
    b = cnnviz.train(sample, epochs=1, seed=3, verbose=0, evaluate=False)
    assert a.history["loss"] == pytest.approx(b.history["loss"], rel=1e-4)
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_allclose(wa, wb, atol=1e-4)


class Interrupt(keras.callbacks.Callback):
    def __init__(self, after_epoch):
        super().__init__()
        self.after_epoch = after_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after_epoch:
            raise KeyboardInterrupt("power cut")


def test_an_interrupted_run_resumes_from_its_last_finished_epoch(sample, tmp_path):
    out = tmp_path / "resumed.keras"
    with pytest.raises(KeyboardInterrupt):
        cnnviz.train(sample, epochs=4, seed=5, output=out, verbose=0, callbacks=[Interrupt(after_epoch=1)])
    assert not out.exists()
    backup = out.with_name(out.name + ".backup")
    partial = json.loads((backup / "history.partial.json").read_text())
    assert len(partial["loss"]) == 2

    epochs_run = []
    result = cnnviz.train(sample, epochs=4, seed=5, output=out, verbose=0,
                          on_epoch=lambda epoch, logs: epochs_run.append(epoch))
    assert epochs_run == [2, 3]  # only the epochs that were not finished
    assert len(result.history["loss"]) == 4
    assert result.history["loss"][:2] == partial["loss"]
    assert result.history["loss"][3] < result.history["loss"][0]  # it went on from the trained weights
    assert out.is_file() and not backup.exists()


def test_bad_settings_are_refused(sample):
    with pytest.raises(ValueError, match="unknown recipe 'quick'; choose one of: tutorial, fast, augmented"):
        cnnviz.train(sample, recipe="quick")
    with pytest.raises(ValueError, match="epochs and batch_size"):
        cnnviz.train(sample, epochs=0)
    with pytest.raises(ValueError, match="validation_split"):
        cnnviz.train(sample, validation_split=1.5)


def test_plot_history_draws_both_curves(tmp_path):
    fig = cnnviz.plots.plot_history(cnnviz.training.results.load_history())
    ax_acc, ax_loss = fig.axes
    assert [line.get_label() for line in ax_acc.lines] == ["train", "validation"]
    assert len(ax_acc.lines[0].get_xdata()) == cnnviz.training.results.load_card()["epochs_run"]
    for ext in ("png", "svg", "pdf"):
        path = cnnviz.plots.save_figure(fig, tmp_path / f"curves.{ext}")
        assert path.stat().st_size > 1000
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "curves.pdf").read_bytes()[:4] == b"%PDF"
    assert b"<svg" in (tmp_path / "curves.svg").read_bytes()[:400]
    with pytest.raises(ValueError, match=".png, .svg or .pdf"):
        cnnviz.plots.save_figure(fig, tmp_path / "curves.gif")
