"""One registry idiom: every "look up by name" answers an unknown name with one line listing the known ones."""

import pytest

from cnnviz.registry import Registry, UnknownName


def test_a_registry_reads_like_a_dict_in_its_order_and_names_what_is_missing():
    r = Registry("colour", order=lambda name, value: value)
    r.register("blue", 3)
    r.register("red")(1)
    assert r.names() == list(r) == ["red", "blue"] and dict(r.items()) == {"red": 1, "blue": 3}
    assert r.get("red") == 1 and r.get("green", None) is None and "red" in r and len(r) == 2
    with pytest.raises(UnknownName, match=r"^unknown colour 'green'; use one of: red, blue\.$"):
        r.get("green")
    assert r.pop("red") == 1 and r.names() == ["blue"]


@pytest.mark.parametrize("lookup, message", [
    ("cnnviz.optvis.param:as_param", "unknown parameterisation 'pixel'; use one of: pixels, fourier, generator, data"),
    ("cnnviz.optvis.transforms:as_transforms", "unknown transform 'pixel'; use one of: jitter, pad, scale, rotate"),
    ("cnnviz.optvis.objectives:OBJECTIVES.get", "unknown objective 'pixel'; use one of: class_logit, channel, neuron"),
    ("cnnviz.optvis.presets:PRESETS.get", "unknown regularization 'pixel'; use one of: none, default, l1"),
    ("cnnviz.attribution:get_method", "unknown attribution method 'pixel'; use one of: saliency, smoothgrad"),
    ("cnnviz.core.distribute:get_strategy", "unknown strategy 'pixel'; choose one of: default, auto, mirrored"),
    ("cnnviz.training.recipes:RECIPES.get", "unknown recipe 'pixel'; choose one of: tutorial, fast, augmented"),
    ("cnnviz.report.registry:SECTIONS.get", "unknown report section 'pixel'; use one of: architecture, model_card"),
])
def test_every_lookup_by_name_is_one_registry(lookup, message):
    import importlib

    module, _, attr = lookup.partition(":")
    target = importlib.import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    if module == "cnnviz.report.registry":
        import cnnviz.report  # noqa: F401  (registers the sections)
    with pytest.raises(UnknownName) as caught:
        target("pixel")
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
