"""The CAM family on tf-keras-vis: Grad-CAM, Grad-CAM++, LayerCAM, Score-CAM (a conv layer's maps,
weighted by what they do to the target, upsampled to the input).

tf-keras-vis calls its model with a list and calls ``model.predict`` (Score-CAM); the model handed to it
here takes a list and predicts silently, so no warning filter or Keras logging switch is needed.

>>> import cnnviz
>>> from cnnviz.probe import get_probe
>>> probe = get_probe()
>>> x = probe.prepare(cnnviz.load_sample().x_test[:2])
>>> GradCAM(probe).attribute(x, [7, 2]).shape
(2, 28, 28)
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from ..probe import Probe
from .base import Method, check_needs, register


class _SilentModel(keras.Model):
    """A functional model whose ``predict`` prints no progress bar (Score-CAM calls it once per image)."""

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        return super().predict(x, batch_size=batch_size, verbose=0, steps=steps, callbacks=callbacks)


def vis_model(probe: Probe) -> keras.Model:
    """The logits model with a list input, as tf-keras-vis calls it (cached on the probe)."""
    if "attribution_vis_model" not in probe.cache:
        from .gradients import scores_model

        logits = scores_model(probe)
        probe.cache["attribution_vis_model"] = _SilentModel(inputs=[logits.inputs[0]], outputs=[logits.outputs[0]],
                                                            name=f"{logits.name}_vis")
    return probe.cache["attribution_vis_model"]


class CAMMethod(Method):
    """A tf-keras-vis CAM class run on ``layer`` (default: the last conv layer)."""

    needs = ("conv_layer",)

    def __init__(self, probe: Probe, layer: str | None = None) -> None:
        super().__init__(probe)
        self.layer = check_needs(type(self), probe, layer)

    def _vis(self):
        raise NotImplementedError

    def attribute(self, inputs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        from tf_keras_vis.utils.scores import CategoricalScore

        cam = self._vis()(vis_model(self.probe), clone=False)
        maps = cam(CategoricalScore(list(targets)), inputs, penultimate_layer=self.layer, normalize_cam=False,
                   seek_penultimate_conv_layer=False)  # the layer is the probe's choice, a conv-like layer
        maps = np.nan_to_num(np.asarray(maps, np.float32))
        return maps.max(axis=-1) if maps.ndim == 4 else maps


@register
class GradCAM(CAMMethod):
    """Grad-CAM (Selvaraju et al. 2017): maps weighted by their mean gradient."""

    name = "gradcam"
    title = "Grad-CAM"

    def _vis(self):
        from tf_keras_vis.gradcam import Gradcam

        return Gradcam


@register
class GradCAMPlusPlus(CAMMethod):
    """Grad-CAM++ (Chattopadhyay et al. 2018): higher-order weights per location."""

    name = "gradcam++"
    title = "Grad-CAM++"

    def _vis(self):
        from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus

        return GradcamPlusPlus


@register
class LayerCAM(CAMMethod):
    """LayerCAM (Jiang et al. 2021): each location weighted by its own positive gradient."""

    name = "layercam"
    title = "LayerCAM"

    def _vis(self):
        from tf_keras_vis.layercam import Layercam

        return Layercam


@register
class ScoreCAM(CAMMethod):
    """Score-CAM (Wang et al. 2020): maps weighted by the softmax score of the input masked with each map."""

    name = "scorecam"
    title = "Score-CAM"

    def _vis(self):
        from tf_keras_vis.scorecam import Scorecam

        return Scorecam
