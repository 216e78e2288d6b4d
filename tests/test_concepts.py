"""cnnviz.concepts against independent computations: R^2 by hand, the dictionary's sign, the seed, stability,
fidelity on the shipped model, concept_map's contributions against a finite difference through a separately built
tail of the network, the CLI and the report section."""

from __future__ import annotations

import numpy as np
import pytest

import cnnviz
from cnnviz.concepts import (
    ConceptError,
    concept_map,
    concepts,
    match_dictionaries,
    plot_concept_map,
    plot_concepts,
)
from cnnviz.concepts.solve import TOL, fit_dictionary
from cnnviz.concepts.stream import Reservoir


@pytest.fixture(scope="module")
def fitted():
    return concepts("conv2", n=8, seed=0, visualize=False, evidence=True)


@pytest.mark.slow
def test_dictionary_is_non_negative_and_shaped(fitted):
    assert fitted.dictionary.shape == (8, 64)
    assert (fitted.dictionary >= 0).all()
    assert fitted.importance.shape == (10, 8)
    assert fitted.patches.shape == (8, 8, 8, 8, 1)  # conv2 sees 8x8 pixels
    assert (fitted.patch_indices >= 0).all()


def test_r2_recomputed_by_hand(fitted):
    probe = cnnviz.core.build.get_probe()
    x = probe.prepare(cnnviz.load_sample().x_test)
    acts = np.maximum(probe.forward(x)["conv2"], 0).reshape(-1, 64).astype(np.float64)
    coeff = fitted.coefficients(acts)
    assert (coeff >= 0).all()
    sse = ((acts - coeff @ fitted.dictionary) ** 2).sum()
    sst = ((acts - acts.mean(axis=0)) ** 2).sum()
    assert fitted.r2 == pytest.approx(1 - sse / sst, abs=1e-4)
    # PCA's R^2 at rank 8 by SVD of the held-out activations themselves: an upper bound for any rank-8 linear fit
    centred = acts - acts.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    best = (s[:8] ** 2).sum() / (s**2).sum()
    assert fitted.pca_r2 <= best + 1e-6 and fitted.pca_r2 > best - 0.02
    assert fitted.r2 >= 0.9 * fitted.pca_r2  # the measured goal, at sample size (measured: 0.94)


def test_patches_are_where_the_concept_is_strongest(fitted):
    probe = cnnviz.core.build.get_probe()
    sample = cnnviz.load_sample()
    c = 3
    index = int(fitted.patch_indices[c, 0])
    acts = np.maximum(probe.forward(probe.prepare(sample.x_test[index:index + 1]))["conv2"][0], 0)
    coeff = fitted.coefficients(acts)[..., c]
    r, col = np.unravel_index(coeff.argmax(), coeff.shape)
    assert (r, col) == tuple(fitted.patch_positions[c, 0])
    top, left, bottom, right = fitted.patch_boxes[c, 0]
    np.testing.assert_allclose(fitted.patches[c, 0, ..., 0], sample.x_test[index, top:bottom, left:right] / 255.0,
                               atol=1e-6)


@pytest.mark.slow
def test_same_seed_same_dictionary_other_seed_same_concepts():
    a = concepts("conv2", n=6, seed=3, visualize=False, evidence=False, k=1)
    b = concepts("conv2", n=6, seed=3, visualize=False, evidence=False, k=1)
    np.testing.assert_array_equal(a.dictionary, b.dictionary)
    c = concepts("conv2", n=6, seed=4, visualize=False, evidence=False, k=1)
    assert not np.array_equal(a.dictionary, c.dictionary)
    assert match_dictionaries(a.dictionary, c.dictionary)["mean_cosine"] >= 0.9  # measured 0.99


def test_match_dictionaries_is_the_best_matching():
    rng = np.random.default_rng(0)
    a = rng.random((5, 7))
    perm = rng.permutation(5)
    got = match_dictionaries(a, a[perm] * 3.0)
    assert got["mean_cosine"] == pytest.approx(1.0)
    assert [c for _, c in got["pairs"]] == list(np.argsort(perm))
    from itertools import permutations  # brute force over every one-to-one matching

    b = rng.random((4, 7))
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    cos = unit(a[:4]) @ unit(b).T
    best = max(np.mean([cos[i, p[i]] for i in range(4)]) for p in permutations(range(4)))
    assert match_dictionaries(a[:4], b)["mean_cosine"] == pytest.approx(best, abs=1e-6)


def test_evidence_fidelity_and_stability(fitted):
    f = fitted.evidence["fidelity"]
    assert f["images"] == 1000
    assert f["top_drop"] > 0
    assert f["ratio"] >= 2.0, f  # measured 3.7 on the sample; the full-MNIST bench reports its own
    assert fitted.evidence["stability"]["mean_cosine"] >= 0.85  # halves of the sample; measured 0.93
    assert fitted.evidence["restarts"]["starts"] == 3


def test_fidelity_drop_recomputed_with_keras_layers(fitted):
    """Remove concept k from one image's conv2 and run pool2 -> flatten -> dense as plain Keras layers."""
    model = cnnviz.load_model()
    probe = cnnviz.core.build.get_probe()
    x = probe.prepare(cnnviz.load_sample().x_test[:1])
    tail = [model.get_layer(n) for n in ("pool2", "flatten", "predictions")]

    def logits(acts):
        out = acts
        for layer in tail[:-1]:
            out = layer(out)
        dense = tail[-1]
        return (np.asarray(out) @ dense.kernel.numpy() + dense.bias.numpy())[0]

    acts = np.maximum(probe.forward(x)["conv2"], 0)
    coeff = fitted.coefficients(acts)
    k = 2
    edited = np.maximum(acts - coeff[..., k:k + 1] * fitted.dictionary[k], 0)
    from cnnviz.concepts.tail import logits_from

    np.testing.assert_allclose(logits_from(probe, "conv2", x, edited)[0], logits(edited), atol=1e-4)


def test_concept_map_contributions_match_a_numpy_backprop_and_a_finite_difference(fitted):
    """Contribution of concept k = gradient . (coeff_k (x) w_k). Checked two ways, apart from cnnviz's replay:
    (1) the gradient back-propagated by hand through pool2 (2x2 max, to the first maximum as TF does; conv2 is
    post-ReLU, so all-zero windows tie) -> flatten -> dense in float64 numpy; (2) a central finite difference along
    the part of the step where the activation is positive (no ties there)."""
    model = cnnviz.load_model()
    probe = cnnviz.core.build.get_probe()
    image = cnnviz.load_sample().x_test[0]
    m = concept_map(image, fitted)
    assert m.maps.shape == (8, 28, 28) and (m.maps >= -1e-6).all()
    x = probe.prepare(image)
    acts = np.maximum(probe.forward(x)["conv2"], 0).astype(np.float64)[0]
    coeff = fitted.coefficients(acts)
    dense = model.get_layer("predictions")
    assert tuple(model.get_layer("pool2").pool_size) == (2, 2)
    w = dense.kernel.numpy().astype(np.float64)[:, m.target].reshape(5, 5, 64)
    bias = float(dense.bias.numpy()[m.target])

    def logit(a):
        return float((a[:10, :10].reshape(5, 2, 5, 2, -1).max(axis=(1, 3)) * w).sum() + bias)

    windows = acts[:10, :10].reshape(5, 2, 5, 2, 64).transpose(0, 2, 1, 3, 4).reshape(5, 5, 4, 64)
    first = windows.argmax(axis=2)  # the first maximum in row-major order within each window
    grad = np.zeros_like(acts)
    for i in range(5):
        for j in range(5):
            for ch in range(64):
                di, dj = divmod(int(first[i, j, ch]), 2)
                grad[2 * i + di, 2 * j + dj, ch] = w[i, j, ch]
    assert m.logit == pytest.approx(logit(acts), abs=1e-3)
    eps = 1e-4
    for k in range(8):
        step = coeff[..., k:k + 1] * fitted.dictionary[k]
        assert m.contributions[k] == pytest.approx((grad * step).sum(), abs=1e-4), k
        live = np.where(acts > 1e-3, step, 0.0)
        fd = (logit(acts + eps * live) - logit(acts - eps * live)) / (2 * eps)
        assert (grad * live).sum() == pytest.approx(fd, abs=1e-4 + 1e-4 * abs(fd)), k


def test_bad_input_is_one_clear_error():
    with pytest.raises(ConceptError, match="not spatial"):
        concepts("predictions", visualize=False, evidence=False)
    with pytest.raises(ConceptError, match="n=100"):
        concepts("conv2", n=100)
    with pytest.raises(ConceptError, match="unknown method"):
        concepts("conv2", method="pca")
    with pytest.raises(ValueError, match="not found"):
        concepts("conv9")


@pytest.mark.slow
def test_plots_render(fitted, tmp_path):
    fig = plot_concepts(fitted)
    assert "R²" in fig.cnnviz_caption and "held-out" in fig.cnnviz_caption
    cnnviz.plots.save_figure(fig, tmp_path / "c.png")
    cnnviz.plots.save_figure(plot_concept_map(concept_map(cnnviz.load_sample().x_test[1], fitted)), tmp_path / "m.png")
    assert (tmp_path / "c.png").stat().st_size > 10_000
    assert fitted._repr_png_()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_cli_writes_a_png(tmp_path):
    from cnnviz.cli import main

    out = tmp_path / "concepts.png"
    assert main(["concepts", "--layer", "conv2", "-n", "4", "--no-images", "-o", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_feature_visualizations_rise_with_the_data_prior():
    c = concepts("conv2", n=3, visualize=True, evidence=False, k=1)
    assert c.images.shape == (3, 28, 28, 1)
    assert any("data prior" in note for note in c.notes)
    assert not any("did not rise" in note for note in c.notes)
    # each picture scores higher on its own concept than on the others' (relative to a typical image)
    probe = cnnviz.core.build.get_probe()
    acts = np.maximum(probe.forward(probe.prepare(c.images))["conv2"], 0).mean(axis=(1, 2))
    unit = c.dictionary / np.linalg.norm(c.dictionary, axis=1, keepdims=True)
    held = np.maximum(c._holdout["acts"], 0).mean(axis=(1, 2)) @ unit.T
    score = (acts @ unit.T) / held.mean(axis=0)
    assert (score.argmax(axis=1) == np.arange(3)).all(), score


@pytest.mark.slow
def test_report_section_builds(tmp_path):
    from cnnviz.report.context import build_context
    from cnnviz.report.options import ReportOptions
    from cnnviz.report.registry import SECTIONS

    ctx = build_context(None, None, ReportOptions(), lambda line: None)
    planned = list(SECTIONS["concepts"].plan(ctx))
    assert [p.name for p in planned] == ["conv2_concepts", "conv2_concept_map"]
    for p in planned:
        assert p.build().cnnviz_caption


def test_reservoir_keeps_the_rows_with_the_smallest_keys():
    """Fed in uneven batches, the reservoir holds exactly the ``cap`` rows whose keys (the same seeded draws, made
    here in one go) are smallest, in stream order: a uniform sample without replacement, bounded in size."""
    stream = np.arange(1000, dtype=np.float32)[:, None] * np.array([[1.0, -1.0]], np.float32)
    r = Reservoir(100, 2, np.random.default_rng(5))
    start = 0
    for size in (1, 250, 7, 300, 42, 400):
        r.add(stream[start:start + size])
        start += size
        assert len(r.rows) == min(100, start)
    keys = np.random.default_rng(5).random(1000)
    np.testing.assert_array_equal(r.rows, stream[np.sort(np.argsort(keys)[:100])])
    assert r.offered == 1000


def test_fit_keeps_the_lowest_error_of_its_starts():
    """Data made of 3 known non-negative parts: the kept dictionary is those parts (up to scale and order), its error
    is the lowest of every start (each refitted here with scikit-learn directly), and the restarts agree."""
    from sklearn.decomposition import NMF

    rng = np.random.default_rng(1)
    parts = np.zeros((3, 9))
    parts[0, :3], parts[1, 3:6], parts[2, 6:] = 1.0, 2.0, 0.5
    rows = (rng.random((3000, 3)) ** 3 @ parts).astype(np.float32)
    fit = fit_dictionary(rows, 3, seed=2, restarts=2)
    assert match_dictionaries(fit.estimator.components_, parts)["mean_cosine"] > 0.999
    fits = [NMF(3, init=init, random_state=s, solver="cd", max_iter=400, tol=TOL).fit(rows)
            for init, s in (("nndsvd", 2), ("random", 2001), ("random", 2002))]
    np.testing.assert_allclose(fit.estimator.components_, fits[0].components_, rtol=1e-5)
    np.testing.assert_allclose(fit.restarts["errors"][1:], [f.reconstruction_err_ for f in fits[1:]], rtol=1e-4)
    assert fit.restarts["errors"][0] <= min(fit.restarts["errors"][1:])  # NNDSVD's is the lowest here: kept
    assert fit.restarts["kept"] == 0 and fit.restarts["agree"] == 2 and fit.restarts["starts"] == 3


def test_a_restart_that_finds_a_lower_error_is_kept():
    """Data where NNDSVD's start ends 3% above random starts (found by a search over seeds, checked here with
    scikit-learn directly): the kept dictionary is a random start's, refined, with the lowest error of all."""
    from sklearn.decomposition import NMF

    rng = np.random.default_rng(32)
    parts = rng.random((6, 8)) * (rng.random((6, 8)) < 0.5)
    rows = (rng.random((800, 6)) ** 3 @ parts).astype(np.float32)
    nndsvd = NMF(4, init="nndsvd", solver="cd", max_iter=400, tol=TOL).fit(rows).reconstruction_err_
    randoms = [NMF(4, init="random", random_state=s, solver="cd", max_iter=400, tol=TOL).fit(rows).reconstruction_err_
               for s in (1, 2, 3)]
    assert min(randoms) < 0.98 * nndsvd
    fit = fit_dictionary(rows, 4, seed=0, restarts=3)
    assert fit.restarts["kept"] > 0
    assert fit.estimator.reconstruction_err_ <= min(randoms) * 1.001
