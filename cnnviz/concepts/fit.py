"""Factor a layer into a few concepts: a non-negative dictionary fitted after one streaming pass.

Each image's activations at ``layer`` are (h, w, C): h * w points in channel space. A seeded random subset
of positions of every image (``positions`` per image; all of them for a small sample) is offered to a bounded,
uniform, seeded sample (at most 50,000 positions) as the data streams by, so memory is bounded by that sample
and one batch, whatever the dataset's size. Scikit-learn's ``NMF`` factors the sample from a deterministic NNDSVD
start and ``restarts`` seeded random starts, keeping the lowest error (:mod:`cnnviz.concepts.solve`). Held-out images
(the MNIST test split, or every 10th batch of a stream, at most ``holdout`` images) are not fitted: on them
cnnviz measures R^2, class importance, fidelity and finds each concept's top patches.

>>> import cnnviz
>>> c = cnnviz.concepts("conv2", n=4, visualize=False, evidence=False)  # doctest: +SKIP
>>> c.dictionary.shape, bool((c.dictionary >= 0).all()), 0.2 < c.r2 < 1  # doctest: +SKIP
((4, 64), True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..core.build import get_probe
from ..core.display import shows
from ..core.distribute import get_strategy
from ..core.probe import Probe
from ..features import receptive_field_of
from ..io.decode import DataError
from .solve import RESTARTS, _one_blas_thread, fit_dictionary
from .stream import (
    POSITIONS,
    Reservoir,
    Stream,
    positions_per_image,
    sample_rows,
    sampler,
    stream_rows,
)

METHODS = ("nmf",)
HOLDOUT = 1000  #: held-out images kept for R^2, importance, fidelity and patches
R2_BLOCK = 16384  #: rows per block of :func:`r2_score` (bounded memory)
MIN_ROWS = 5000  #: sampled positions below which the result says the dictionary may not have settled


class ConceptError(ValueError):
    """A concepts call that cannot run as asked (the message says what to change)."""


@dataclass
class Concepts:
    """A layer factored into ``n`` concepts (see :func:`concepts`).

    ``dictionary`` (n, C) non-negative, each row a direction in the layer's channel space;
    ``r2``: share of the held-out activations' variance the reconstruction explains (1 - SSE / SST,
    SST around each channel's mean); ``pca_r2``: the same for PCA at rank n (the best any n-dimensional
    linear factorization can do), ``importance`` (classes, n): mean over held-out images of each class of
    the class logit's gradient with respect to each concept's coefficients times the coefficients (the
    first-order share of the logit each concept carries); ``patches`` (n, k, h, w, c): crops of the
    receptive field where each concept is strongest (one per image, strongest first), with
    ``patch_indices`` (dataset positions, -1 where fewer), ``patch_positions`` (n, k, 2) row/col at the
    layer, ``patch_boxes`` (n, k, 4) top, left, bottom, right in input pixels, ``patch_values``;
    ``images``: each concept's feature visualization (n, H, W, C) in [0, 1] or None; ``evidence``: the
    checks of :mod:`cnnviz.concepts.evidence` when computed, and ``evidence["restarts"]`` what the random
    restarts of the NMF found (:mod:`cnnviz.concepts.solve`); ``notes``: what cnnviz could not be sure of.
    """

    layer: str
    method: str
    dictionary: np.ndarray
    r2: float
    pca_r2: float
    importance: np.ndarray
    patches: np.ndarray
    patch_indices: np.ndarray
    patch_positions: np.ndarray
    patch_boxes: np.ndarray
    patch_values: np.ndarray
    images: np.ndarray | None
    class_names: list[str]
    seed: int
    images_seen: int
    holdout_seen: int
    importance_counts: np.ndarray
    evidence: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    model_name: str = ""
    _estimator: Any = field(default=None, repr=False)
    _probe: Any = field(default=None, repr=False)
    _holdout: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return int(self.dictionary.shape[0])

    @property
    def r2_share(self) -> float:
        """``r2`` as a share of PCA's at the same n (1: as good as the best rank-n linear factorization)."""
        return float(self.r2 / self.pca_r2) if self.pca_r2 > 0 else float("nan")

    def coefficients(self, acts: np.ndarray) -> np.ndarray:
        """Non-negative coefficients (..., n) of activations (..., C) on the dictionary (the NMF's own solver)."""
        acts = np.asarray(acts, np.float32)
        flat = np.maximum(acts.reshape(-1, acts.shape[-1]), 0)
        with _one_blas_thread():
            out = self._estimator.transform(flat)
        return out.astype(np.float32).reshape(*acts.shape[:-1], self.n)

    def top_concepts(self) -> np.ndarray:
        """Each class's most important concept (classes,)."""
        return np.nanargmax(np.where(np.isnan(self.importance), -np.inf, self.importance), axis=1)


shows("cnnviz.concepts.plots:plot_concepts")(Concepts)


def r2_score(acts: np.ndarray, reconstruction: Any) -> float:
    """1 - SSE / SST over rows of (rows, C), SST around each column's mean (PCA's "explained variance").

    ``reconstruction``: an array like ``acts``, or a function ``(start, stop)`` giving the reconstruction of those
    rows. Computed block by block in float64, with no full copy of ``acts``.

    >>> a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> r2_score(a, a), round(r2_score(a, np.tile(a.mean(0), (3, 1))), 6), r2_score(a, lambda i, j: a[i:j])
    (1.0, 0.0, 1.0)
    """
    rows = R2_BLOCK
    mean = np.zeros(acts.shape[-1])
    for i in range(0, len(acts), rows):
        mean += np.asarray(acts[i:i + rows], np.float64).sum(axis=0)
    mean /= max(len(acts), 1)
    sse = sst = 0.0
    for i in range(0, len(acts), rows):
        block = np.asarray(acts[i:i + rows], np.float64)
        stop = min(i + rows, len(acts))
        rec = reconstruction(i, stop) if callable(reconstruction) else reconstruction[i:stop]
        sst += float(((block - mean) ** 2).sum())
        sse += float(((block - np.asarray(rec, np.float64)) ** 2).sum())
    return float(1.0 - sse / sst) if sst > 0 else float("nan")


def _check(layer: str, n: int, method: str, positions: int, holdout: int, restarts: int, probe: Probe) -> None:
    if method not in METHODS:
        raise ConceptError(f"unknown method {method!r}; cnnviz factors layers with: {', '.join(METHODS)}.")
    for name, value, lo in (("n", n, 2), ("positions", positions, 1), ("holdout", holdout, 10),
                            ("restarts", restarts, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
            raise ConceptError(f"{name} must be a whole number >= {lo} (got {value!r}).")
    probe.require_layers()
    probe.layer(layer)  # raises with the valid names
    shape = probe.tensor(layer).shape
    if len(shape) != 4:
        raise ConceptError(f"layer {layer!r} is not spatial (output {tuple(shape)}); concepts factor a conv or pool "
                           f"layer: {', '.join(probe.spatial_layer_names)}.")
    if n > int(shape[-1]):
        raise ConceptError(f"n={n} concepts for {int(shape[-1])} channels; choose n <= {int(shape[-1])}.")


def concepts(
    layer: str,
    data: Any = None,
    n: int = 8,
    method: str = "nmf",
    model: keras.Model | Probe | None = None,
    seed: int = 0,
    *,
    labels: np.ndarray | None = None,
    holdout_data: Any = None,
    holdout_labels: np.ndarray | None = None,
    holdout: int = HOLDOUT,
    positions: int | None = None,
    k: int = 8,
    strategy: str | tf.distribute.Strategy | None = None,
    batch_size: int = 1000,
    visualize: bool = True,
    evidence: bool = True,
    restarts: int = RESTARTS,
) -> Concepts:
    """Factor ``layer`` into ``n`` non-negative concepts over ``data``, in one streaming pass.

    ``data``: as :func:`cnnviz.dataset_examples` takes it (images uint8 0-255 or float 0-1, an MNIST ``.npz`` or
    object, a ``tf.data.Dataset``); default: the bundled sample (fit on its 1,000 training images, measured on its
    1,000 test images). An ``.npz`` or MNIST object is fitted on its training split and measured on its test
    split; other data hold out every 10th batch (or pass ``holdout_data``). ``strategy``: as in
    :func:`cnnviz.train`. Same ``seed`` and data -> the same dictionary (the seed picks the sampled positions and
    the random restarts). ``restarts``: random starts of the NMF beside NNDSVD's, the lowest error kept (how many
    reached it: ``result.evidence["restarts"]``). ``visualize``: each concept's feature visualization (the data
    prior where the model has one). ``evidence``: fidelity and stability (the sample's two halves of alternate
    images, each fitted alone) in ``result.evidence``.

    >>> import cnnviz
    >>> c = cnnviz.concepts("conv2", n=4, visualize=False, evidence=False)
    >>> c.importance.shape, c.patches.shape[:2]
    ((10, 4), (4, 8))
    """
    from sklearn.decomposition import PCA

    probe = get_probe(model)
    _check(layer, n, method, POSITIONS if positions is None else positions, holdout, restarts, probe)
    if data is None:
        from ..io.data import load_sample

        sample = load_sample()
        data, labels = sample.x_train, sample.y_train
        if holdout_data is None:
            holdout_data, holdout_labels = sample.x_test, sample.y_test
    elif holdout_data is None and (hasattr(data, "x_test") or isinstance(data, (str, bytes)) or hasattr(data, "__fspath__")):
        from ..io.data import read_mnist_npz

        mnist = data if hasattr(data, "x_test") else read_mnist_npz(data)
        data, labels, holdout_data, holdout_labels = mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test
    strategy = get_strategy(strategy)
    step, replicas = sampler(probe, layer, strategy)
    shape = probe.tensor(layer).shape
    h, w, channels = int(shape[1]), int(shape[2]), int(shape[3])
    per_image = min(positions_per_image(positions, data, h * w), h * w)
    rng = np.random.default_rng(seed)

    halves = [Reservoir(sample_rows(channels) // 2, channels, rng) for _ in range(2)]  # images alternately
    held: dict[str, list] = {"inputs": [], "display": [], "labels": [], "index": []}
    seen = 0
    labels_known = True
    stream = Stream(probe, data, labels, holdout_data, holdout_labels, int(batch_size), int(holdout))
    for kind, inputs, display, batch_labels, index in stream:
        if kind == "holdout":
            held["inputs"].append(inputs)
            held["display"].append(display)
            held["index"].append(index)
            labels_known = labels_known and batch_labels is not None
            held["labels"].append(batch_labels)
            continue
        picks = np.argsort(rng.random((len(inputs), h * w)), axis=1)[:, :per_image]  # without replacement
        rows = np.maximum(stream_rows(step, replicas, inputs, picks), 0)  # (B, per_image, C)
        odd = (seen + np.arange(len(inputs))) % 2 == 1
        seen += len(inputs)
        halves[0].add(rows[~odd].reshape(-1, channels))
        halves[1].add(rows[odd].reshape(-1, channels))
        del rows
    if seen == 0:
        raise DataError("no images to fit: concepts need at least one batch of training images.")
    if not held["inputs"]:
        raise DataError("no held-out images: pass holdout_data=, or more than 9 batches of data.")
    rows = np.concatenate([halves[0].rows, halves[1].rows])
    if len(rows) < n:
        raise DataError(f"{len(rows)} positions for {n} concepts: fit on more images.")
    notes: list[str] = []
    if len(rows) < MIN_ROWS:
        notes.append(f"only {len(rows):,} positions ({seen} images): the dictionary may not have settled; fit on "
                     "more images.")
    fit = fit_dictionary(rows, n, seed=seed, restarts=restarts)
    nmf = fit.estimator

    h_inputs = np.concatenate(held["inputs"])
    h_display = np.concatenate(held["display"])
    h_index = np.concatenate(held["index"])
    result = Concepts(
        layer=layer, method=method, dictionary=nmf.components_.astype(np.float32), r2=float("nan"),
        pca_r2=float("nan"), importance=np.zeros((probe.num_classes, n), np.float32),
        patches=np.zeros((0,)), patch_indices=np.zeros((0,)), patch_positions=np.zeros((0,)),
        patch_boxes=np.zeros((0,)), patch_values=np.zeros((0,)), images=None,
        class_names=list(probe.class_names), seed=int(seed), images_seen=seen, holdout_seen=len(h_inputs),
        importance_counts=np.zeros(probe.num_classes, int), notes=notes, model_name=probe.model.name,
        _estimator=nmf, _probe=probe,
    )
    if fit.restarts:
        result.evidence["restarts"] = fit.restarts
        if fit.restarts["agree"] < len(fit.restarts["cosines"]):
            worse = max(e for i, e in enumerate(fit.restarts["errors"]) if i != fit.restarts["kept"])
            notes.append(f"{fit.restarts['agree']} of {len(fit.restarts['cosines'])} random restarts found this "
                         f"dictionary; the others found other concepts at up to "
                         f"{worse / min(fit.restarts['errors']) - 1:.1%} higher error (the lowest is kept).")
    from .tail import gradients

    # held-out: activations, coefficients, reconstruction, the gradient of the class of each image
    predicted = probe.classify(h_inputs)[0].argmax(axis=1)
    targets = np.concatenate(held["labels"]).astype(int) if labels_known else predicted
    if not labels_known:
        notes.append("no labels for the held-out images: importance is over the images the model assigns to each "
                     "class.")
    acts, grads, logits = gradients(probe, layer, h_inputs, targets.astype(np.int32))
    acts = np.maximum(acts, 0, out=acts)  # NMF reads non-negative activations (a ReLU layer's are already)
    if float(acts.min(initial=0)) < 0 or not np.isfinite(acts).all():
        raise ConceptError(f"layer {layer!r} has non-finite activations; check the model and the data.")
    coeff = result.coefficients(acts)  # (N, h, w, n)
    flat = acts.reshape(-1, channels)
    coeff_flat = coeff.reshape(-1, n)
    result.r2 = r2_score(flat, lambda i, j: coeff_flat[i:j] @ result.dictionary)
    pca = PCA(n_components=int(n), svd_solver="covariance_eigh").fit(rows)  # exact; fast for tall data
    del rows
    result.pca_r2 = r2_score(flat, lambda i, j: pca.inverse_transform(pca.transform(flat[i:j])))
    # importance: d logit_c / d coeff_k = grad . dictionary_k at each position; times the coefficient, summed
    contribution = np.einsum("bhwk,bhwc,kc->bk", coeff, grads, result.dictionary)
    counts = np.bincount(targets, minlength=probe.num_classes)
    importance = np.full((probe.num_classes, n), np.nan, np.float32)
    for c in np.nonzero(counts)[0]:
        importance[c] = contribution[targets == c].mean(axis=0)
    result.importance, result.importance_counts = importance, counts
    result._holdout = {"inputs": h_inputs, "display": h_display, "index": h_index, "targets": targets,
                       "acts": acts, "coeff": coeff, "logits": logits}
    _patches(result, probe, k=int(k))
    if evidence:
        from .evidence import fidelity, match_dictionaries

        result.evidence["fidelity"] = fidelity(result, seed=seed)
        if min(len(half.rows) for half in halves) >= n:
            a, b = (fit_dictionary(half.rows, n, seed=seed, restarts=0).estimator for half in halves)
            result.evidence["stability"] = match_dictionaries(a.components_, b.components_)
            result.evidence["stability_how"] = "two halves of the data (alternate images), each fitted alone"
        else:
            notes.append("too few images to fit two halves of the data apart: no stability check.")
    if visualize:
        from .images import visualize as draw

        result.images, note = draw(result, probe, seed=seed)
        if note:
            notes.append(note)
    return result


def _patches(result: Concepts, probe: Probe, k: int) -> None:
    """Each concept's k strongest held-out positions (one per image), cropped to their receptive field."""
    coeff, display, index = result._holdout["coeff"], result._holdout["display"], result._holdout["index"]
    count, h, w, n = coeff.shape
    k = min(k, count)
    size_h, size_w, jump_h, jump_w = receptive_field_of(probe, result.layer)
    height, width, ch = probe.input_shape
    size_h, size_w = min(size_h, height), min(size_w, width)
    best = coeff.reshape(count, h * w, n)
    arg = best.argmax(axis=1)  # (N, n) best position of each image
    value = np.take_along_axis(best, arg[:, None, :], axis=1)[:, 0, :]
    patches = np.zeros((n, k, size_h, size_w, ch), np.float32)
    boxes = np.zeros((n, k, 4), int)
    positions = np.zeros((n, k, 2), int)
    indices = np.full((n, k), -1, int)
    values = np.zeros((n, k), np.float32)
    for c in range(n):
        order = np.argsort(-value[:, c], kind="stable")[:k]
        for j, i in enumerate(order):
            r, col = divmod(int(arg[i, c]), w)
            top, left = min(r * jump_h, height - size_h), min(col * jump_w, width - size_w)
            patches[c, j] = display[i, top:top + size_h, left:left + size_w]
            boxes[c, j] = (top, left, top + size_h, left + size_w)
            positions[c, j] = (r, col)
            indices[c, j] = index[i]
            values[c, j] = value[i, c]
    result.patches, result.patch_boxes, result.patch_positions = patches, boxes, positions
    result.patch_indices, result.patch_values = indices, values
