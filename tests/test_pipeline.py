"""The tf.data training pipeline: Keras' validation split, every image once per epoch, an order that depends on
(seed, epoch) only (so resumed and distributed runs see the same batches)."""

from __future__ import annotations

import numpy as np

from cnnviz.training.pipeline import epoch_order, evaluation_data, split, training_data


def _epochs(data, steps: int) -> list[list[int]]:
    """The training stream cut into epochs of ``steps`` batches: the image numbers of each epoch, in order."""
    batches = [b.numpy()[:, 0] for _, b in data.train]
    return [[int(v) for b in batches[e * steps : (e + 1) * steps] for v in b] for e in range(len(batches) // steps)]


def test_the_validation_split_is_keras_last_fraction_unshuffled():
    x = np.arange(100, dtype="float32")[:, None]
    data = training_data(x, x, batch_size=16, validation_split=0.1, seed=0, epochs=2)
    assert split(100, 0.1) == data.train_size == 90 and data.validation_size == 10
    assert [int(v) for _, b in data.validation for v in b.numpy()[:, 0]] == list(range(90, 100))  # as Keras' validation_split
    epochs = _epochs(data, data.steps_per_epoch)
    assert len(epochs) == 2
    for order in epochs:  # every training image once per epoch, none of the validation images
        assert sorted(order) == list(range(90))
    assert epochs[0] != epochs[1]  # reshuffled each epoch
    assert evaluation_data(x, x, batch_size=30).cardinality() == 4


def test_the_order_depends_on_seed_and_epoch_only():
    x = np.arange(50, dtype="float32")[:, None]
    whole = _epochs(training_data(x, x, batch_size=8, validation_split=0.0, seed=3, epochs=3), 7)
    resumed = _epochs(training_data(x, x, batch_size=8, validation_split=0.0, seed=3, epochs=3, first_epoch=2), 7)
    assert resumed == whole[2:]  # a run resumed at epoch 2 sees what the whole run saw in epoch 2
    again = _epochs(training_data(x, x, batch_size=8, validation_split=0.0, seed=3, epochs=3), 7)
    assert again == whole
    other = _epochs(training_data(x, x, batch_size=8, validation_split=0.0, seed=4, epochs=1), 7)
    assert other[0] != whole[0]
    assert np.array_equal(epoch_order(50, 3, 1).numpy(), np.array(whole[1]))
