"""The tf.data input pipeline of training: the same validation split as Keras' ``validation_split``,
a shuffled, batched, prefetched training set, sharding set explicitly for several workers.

>>> import numpy as np
>>> x, y = np.zeros((10, 28, 28, 1), "float32"), np.eye(10, dtype="float32")
>>> data = training_data(x, y, batch_size=4, validation_split=0.2, seed=1)
>>> (data.train_size, data.validation_size, data.steps_per_epoch)
(8, 2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .augment import Augmentation, augment_batch


@dataclass
class TrainingData:
    """The training and validation datasets built from arrays, and their sizes."""

    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    train_size: int
    validation_size: int
    steps_per_epoch: int
    global_batch_size: int


def split(n: int, validation_split: float) -> int:
    """How many images go to training: Keras' ``validation_split`` keeps the LAST fraction, unshuffled.

    >>> split(60000, 0.1)
    54000
    """
    return n - int(n * validation_split)


def _options() -> tf.data.Options:
    # The arrays live in memory on every worker (there are no files to shard): each worker
    # keeps its share of the batches. Said here, not left to TensorFlow's guess and its warning.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return options


def augment_key(seed: int, epoch, batch) -> tf.Tensor:
    """The random key of one training batch's augmentation: ``(seed, epoch, batch)`` and nothing else.

    >>> [int(v) for v in augment_key(3, 1, 2)]
    [3, -1048579]
    """
    return tf.stack([tf.cast(seed, tf.int64), -(tf.cast(epoch, tf.int64) * 2**20 + tf.cast(batch, tf.int64)) - 1])


def epoch_order(n: int, seed: int, epoch) -> tf.Tensor:
    """The order of the ``n`` training images in ``epoch``: a permutation that depends on ``(seed, epoch)`` only.

    >>> [int(i) for i in epoch_order(5, seed=1, epoch=0)] == [int(i) for i in epoch_order(5, seed=1, epoch=0)]
    True
    """
    key = tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.argsort(tf.random.stateless_uniform([n], seed=key), stable=True)


def training_data(x: np.ndarray, y: np.ndarray, *, batch_size: int, validation_split: float = 0.1,
                  seed: int | None = None, augment: Augmentation | None = None, epochs: int = 1,
                  first_epoch: int = 0) -> TrainingData:
    """Datasets for ``model.fit(train, steps_per_epoch=...)``; ``batch_size`` is the GLOBAL batch.

    Training: one stream of epochs ``first_epoch .. epochs - 1``; each epoch is a fresh shuffle
    of the indices that depends only on ``(seed, epoch)`` (so a resumed run, a run on several
    replicas and a run on one device see the same batches), batched, the images gathered per
    batch (what Keras does for numpy arrays, without copying the images element by element);
    ``augment`` (an :class:`~cnnviz.training.augment.Augmentation`) warps each batch with draws keyed by
    ``(seed, epoch, batch)``, so augmented runs match across layouts and resumes too; prefetched. Validation: the last
    ``validation_split`` of the arrays, batched and cached (it is the same every epoch).

    >>> xs = np.arange(20, dtype="float32")
    >>> d = training_data(xs, xs, batch_size=8, validation_split=0.25, seed=0)
    >>> [int(v) for v, _ in d.validation.unbatch()]
    [15, 16, 17, 18, 19]
    >>> sorted(int(v) for b, _ in d.train for v in b) == list(range(15))
    True
    """
    n_fit = split(len(x), validation_split)
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    x_fit, y_fit = tf.constant(x[:n_fit]), tf.constant(y[:n_fit])

    def one_epoch(epoch):
        batches = tf.data.Dataset.from_tensor_slices(epoch_order(n_fit, seed, epoch)).batch(batch_size)
        return batches.enumerate().map(lambda b, i: (epoch, b, i))

    def gather(epoch, b, i):
        images = tf.gather(x_fit, i)
        if augment is not None:  # a key of its own per batch, apart from epoch_order's (seed, epoch)
            images = augment_batch(images, augment_key(seed, epoch, b), augment)
        return images, tf.gather(y_fit, i)

    train = tf.data.Dataset.range(first_epoch, epochs).flat_map(one_epoch)
    train = train.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    train = train.prefetch(tf.data.AUTOTUNE).with_options(_options())
    validation = None
    if n_fit < len(x):
        validation = (tf.data.Dataset.from_tensor_slices((x[n_fit:], y[n_fit:])).batch(batch_size).cache()
                      .prefetch(tf.data.AUTOTUNE).with_options(_options()))
    return TrainingData(train=train, validation=validation, train_size=n_fit, validation_size=len(x) - n_fit,
                        steps_per_epoch=-(-n_fit // batch_size), global_batch_size=batch_size)


def evaluation_data(x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> tf.data.Dataset:
    """A batched test set with the same explicit sharding (every worker must take part in evaluation).

    >>> int(evaluation_data(np.zeros((5, 2)), np.zeros(5), batch_size=2).cardinality())
    3
    """
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).with_options(_options())
