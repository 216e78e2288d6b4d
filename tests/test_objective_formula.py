"""A composed objective prints as the formula it is: evaluating the printed text gives the same scores."""

import numpy as np
import pytest
import tensorflow as tf

from cnnviz.optvis import objectives as O
from cnnviz.optvis.objectives import channel, class_logit, l1, l2, scale_penalties, total_variation

NAMESPACE = dict(O.OBJECTIVES)  # the objectives by the names their formulas print

COMPOSITIONS = {
    "the issue's": channel("conv2", 5) - (30 * l1() + 10 * total_variation()),
    "nested negation": -(class_logit(1) - class_logit(2)),
    "minus a difference": class_logit(3) - (class_logit(4) - 2 * l2()),
    "scaled sum": 0.5 * (channel("conv2", 1) + channel("conv1", 2)) - 3 * l1(),
    "float noise": (0.1 + 0.2) * class_logit(0) - (0.1 + 0.7) * l1(),
    "negative first": -30 * l1() + class_logit(7),
    "double negative": class_logit(2) - (-4) * l2(),
    "division": class_logit(5) / 4 - l1() / 8,
    "deep": class_logit(1) - 2 * (class_logit(2) - 3 * (class_logit(3) - 4 * l1())),
    "sum of negated sums": -(l1() + l2()) - (total_variation() + class_logit(0)),
}


def context(seed: int = 0) -> O.Context:
    rng = np.random.default_rng(seed)
    return O.Context(activations={"logits": tf.constant(rng.normal(size=(3, 10)), tf.float32),
                                  "conv1:pre": tf.constant(rng.normal(size=(3, 26, 26, 32)), tf.float32),
                                  "conv2:pre": tf.constant(rng.normal(size=(3, 11, 11, 64)), tf.float32)},
                     targets=tf.constant([0, 1, 2]), image=tf.constant(rng.uniform(size=(3, 28, 28, 1)), tf.float32),
                     param=tf.zeros((3, 1)))


@pytest.mark.parametrize("name", list(COMPOSITIONS))
def test_printed_formula_evaluates_to_the_same_scores(name):
    objective = COMPOSITIONS[name]
    text = str(objective)
    again = eval(text, dict(NAMESPACE))  # noqa: S307 - our own formula text
    ctx = context()
    np.testing.assert_allclose(again.score(ctx).numpy(), objective.score(ctx).numpy(), rtol=1e-5, atol=1e-5)
    assert "000" not in text.replace("1000", ""), text  # no float noise such as 0.30000000000000004


def test_the_issues_formula_reads_as_written():
    assert str(COMPOSITIONS["the issue's"]) == "channel('conv2', 5) - (30 * l1() + 10 * total_variation())"
    assert str(COMPOSITIONS["float noise"]) == "0.3 * class_logit(0) - 0.8 * l1()"


def test_calibrated_penalties_show_the_users_weights():
    # maximize scales the penalties to the model's logits (1.0000133 on the shipped model): the loop uses the
    # scaled weights, the formula shows the weights the user gave
    penalties = 30 * l1() + 10 * total_variation()
    objective = channel("conv2", 5) - scale_penalties(penalties, 1.0000133)
    assert str(objective) == "channel('conv2', 5) - (30 * l1() + 10 * total_variation())"
    assert O.skeleton(objective)[1] == pytest.approx([-1, 30 * 1.0000133, 10 * 1.0000133], rel=1e-12)
