"""cnnviz.concepts and concept_map on zoo models (tests/zoo.py), colour and residual ones included: the fit runs,
the dictionary is non-negative, R^2 is at most PCA's bound, and concept_map's contributions add up to the
gradient x input of the layer (checked against the sum over concepts plus the rest)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from zoo import ZOO, build  # noqa: E402

import cnnviz  # noqa: E402
from cnnviz.concepts import concept_map, concepts  # noqa: E402
from cnnviz.concepts.tail import gradients  # noqa: E402

NAMES = [n for n in ("rgb_separable", "residual_bn", "rescaling", "symmetric", "nested", "mobilenet_v2") if n in ZOO]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_concepts_on_zoo_model(name):
    entry = build(name)
    probe = cnnviz.core.build.get_probe(entry.model, input_range=entry.override)
    layer = probe.conv_layer_names[-1]
    display = np.clip(np.asarray(probe.to_display(entry.x), np.float32), 0, 1)
    n = min(4, int(probe.tensor(layer).shape[-1]))
    c = concepts(layer, data=display, labels=entry.y, holdout_data=display, holdout_labels=entry.y, n=n, model=probe,
                 visualize=False, evidence=True, batch_size=100, k=3)
    assert (c.dictionary >= 0).all() and c.dictionary.shape[0] == n
    assert np.isfinite(c.r2) and c.r2 <= c.pca_r2 + 0.02
    assert c.patches.shape[-1] == probe.input_shape[-1]
    assert np.isfinite(c.evidence["fidelity"]["top_drop"])
    m = concept_map(entry.x[0], c)
    assert m.maps.shape == (n, *probe.input_shape[:2])
    # concepts + rest = gradient . activation at the layer (first-order account), computed directly
    x = probe.prepare(entry.x[0])
    acts, grads, _ = gradients(probe, layer, x, np.array([m.target], np.int32))
    direct = float((grads * np.maximum(acts, 0)).sum())
    assert m.contributions.sum() + m.residual == pytest.approx(direct, rel=1e-3, abs=1e-3)


@pytest.mark.slow
def test_report_concepts_section_fits_on_the_reports_own_images():
    """A 32x32 RGB model (the MNIST sample does not fit it): the report's concepts section fits on the report's own
    images (every 5th held out), and each top patch is a crop of one of those held-out images; with too few images it
    says so instead."""
    from cnnviz.report.context import build_context
    from cnnviz.report.options import ReportOptions
    from cnnviz.report.registry import SECTIONS

    entry = build("rgb_separable")
    images = entry.x[:25]
    ctx = build_context(entry.model, list(images), ReportOptions(), lambda line: None)
    planned = list(SECTIONS["concepts"].plan(ctx))
    assert [p.name for p in planned] == ["sep_concepts", "sep_concept_map"]
    assert "this report's 20 images, measured on 5 others" in planned[0].text
    for p in planned:
        assert p.build().cnnviz_caption
    c = ctx.cache["concepts"]
    assert (c.images_seen, c.holdout_seen) == (20, 5)
    held = images[4::5]
    for concept in range(c.n):
        i = int(c.patch_indices[concept, 0])
        top, left, bottom, right = c.patch_boxes[concept, 0]
        np.testing.assert_allclose(c.patches[concept, 0], held[i, top:bottom, left:right], atol=1e-6)

    few = build_context(entry.model, list(images[:5]), ReportOptions(), lambda line: None)
    assert list(SECTIONS["concepts"].plan(few)) == []
    assert any("at least 20" in note for note in few.notes)
