"""An option an attribution method does not take is an error naming what it takes, never dropped in silence;
when several methods are asked for at once, an option goes to those that take it and is an error only when
none of them does."""

import numpy as np
import pytest

import cnnviz
from cnnviz.attribution import Method, UnusedOption
from cnnviz.core.build import get_probe


@pytest.fixture(scope="module")
def digits():
    return cnnviz.load_sample().x_test[:2]


@pytest.mark.parametrize("call", [
    lambda x: cnnviz.attribute(x, "saliency", steps=50),
    lambda x: cnnviz.attribution.saliency(x, steps=50),
    lambda x: cnnviz.attribute(x, "gradcam", patch=3),
])
def test_one_method_refuses_an_option_it_does_not_take(digits, call):
    with pytest.raises(UnusedOption, match=r"takes no option '(steps|patch)'; it takes: ") as err:
        call(digits)
    assert "\n" not in str(err.value) and isinstance(err.value, ValueError)


def test_the_message_names_what_the_method_takes_as_the_call_spells_it(digits):
    with pytest.raises(UnusedOption) as err:
        cnnviz.attribute(digits, "saliency", smooth_samples=4)
    assert str(err.value) == "saliency takes no option 'smooth_samples'; it takes: batch_size."
    with pytest.raises(UnusedOption, match=r"smoothgrad takes no option 'patch'; it takes: base, smooth_samples, "
                                           r"smooth_noise, seed, kind, batch_size\."):
        cnnviz.attribute(digits, "smoothgrad", patch=3)
    with pytest.raises(UnusedOption, match="saliency takes no option 'layer'"):
        cnnviz.attribute(digits, "saliency", layer="conv2")


def test_options_a_method_takes_still_reach_it(digits):
    probe = get_probe()
    few = cnnviz.attribute(digits, "ig", steps=2).raw
    many = cnnviz.attribute(digits, "ig", steps=64).raw
    assert not np.allclose(few, many)
    # a noise tunnel takes its base method's options too
    tunnel = cnnviz.attribution.REGISTRY["smoothgrad"].build(probe, base="ig", steps=3, samples=2)
    assert tunnel.base.steps == 3
    with pytest.raises(UnusedOption, match="takes no option 'steps'"):
        cnnviz.attribution.REGISTRY["smoothgrad"].build(probe, steps=3)  # its default base, saliency, takes none


def test_several_methods_share_the_options_that_one_of_them_takes(digits):
    with pytest.raises(UnusedOption, match=r"none of the methods asked for \(saliency, gradcam\) takes option "
                                           r"'patch'; they take: saliency: batch_size; gradcam: layer\."):
        cnnviz.faithfulness(digits, methods=["saliency", "gradcam"], patch=7)
    with pytest.raises(UnusedOption, match="none of the methods asked for"):
        cnnviz.sanity_check(digits, methods=["saliency", "gradcam"], patch=7, independent=False)
    # patch is occlusion's: it reaches occlusion, and saliency runs without it
    small = cnnviz.faithfulness(digits, methods=["saliency", "occlusion"], patch=2, stride=2)
    big = cnnviz.faithfulness(digits, methods=["saliency", "occlusion"], patch=14, stride=14)
    alone = cnnviz.faithfulness(digits, methods=["occlusion"], patch=14, stride=14)
    np.testing.assert_array_equal(big.curves["occlusion"], alone.curves["occlusion"])
    np.testing.assert_array_equal(big.curves["saliency"], small.curves["saliency"])
    assert not np.array_equal(big.curves["occlusion"], small.curves["occlusion"])


def test_a_users_method_with_open_options_takes_any():
    class Anything(Method):
        name = "anything"

        def __init__(self, probe, **options):
            super().__init__(probe)
            self.options = options

        def attribute(self, inputs, targets):
            return np.ones(inputs.shape[:3], np.float32)

    assert Anything.build(get_probe(), whatever=1).options == {"whatever": 1}
