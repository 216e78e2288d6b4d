"""NoiseTunnel: any gradient method averaged over noisy copies of the input (Captum's NoiseTunnel).

SmoothGrad (Smilkov et al. 2017) takes the mean over the copies, VarGrad (Adebayo et al. 2018) the
variance. The noise comes from a local ``numpy`` generator seeded with ``seed``: the same call gives the
same map, and nothing process-wide (TensorFlow's global seed) is touched.

>>> import cnnviz
>>> from cnnviz.core.build import get_probe
>>> probe = get_probe()
>>> x = probe.prepare(cnnviz.load_sample().x_test[:1])
>>> tunnel = NoiseTunnel(probe, base="ig", samples=4, steps=8)
>>> bool(np.allclose(tunnel.attribute(x, [7]), tunnel.attribute(x, [7])))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.probe import Probe
from .base import Method, get_method, reduce_channels, register
from .gradients import GradientMethod


class NoiseTunnel(Method):
    """``kind`` ("smoothgrad" | "vargrad") over the gradient method ``base`` with ``samples`` noisy copies;
    the noise's standard deviation is ``noise`` times each image's value range. Other options go to ``base``."""

    name = "noise_tunnel"
    title = "NoiseTunnel"
    needs = ("samples",)
    kind = "smoothgrad"

    def __init__(self, probe: Probe, base: str | type[Method] = "saliency", samples: int = 20, noise: float = 0.2,
                 seed: int = 0, kind: str | None = None, **base_options: Any) -> None:
        super().__init__(probe)
        cls = get_method(base)
        if not issubclass(cls, GradientMethod):
            raise ValueError(f"a noise tunnel wraps gradient methods; {cls.name!r} is not one.")
        if int(samples) < 1:
            raise ValueError(f"samples must be at least 1; got {samples}.")
        self.base = cls.build(probe, **base_options)
        self.samples, self.noise, self.seed = int(samples), float(noise), int(seed)
        self.kind = kind or self.kind
        if self.kind not in ("smoothgrad", "vargrad"):
            raise ValueError(f"kind must be 'smoothgrad' or 'vargrad'; got {self.kind!r}.")

    @classmethod
    def option_names(cls, **given: Any) -> list[str]:
        """Its own options and those of its ``base`` (saliency unless ``given`` names another)."""
        own = super().option_names()
        return own + [n for n in get_method(given.get("base", "saliency")).option_names(**given) if n not in own]

    def attribute(self, inputs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        axes = tuple(range(1, inputs.ndim))
        sigma = self.noise * (inputs.max(axis=axes, keepdims=True) - inputs.min(axis=axes, keepdims=True))
        n, s = len(inputs), self.samples
        noisy = np.repeat(inputs, s, axis=0) + np.repeat(sigma, s, axis=0) * rng.standard_normal(
            (n * s,) + inputs.shape[1:]).astype(np.float32)
        per = self.base.per_channel(noisy.astype(np.float32), np.repeat(np.asarray(targets), s))
        per = per.reshape((n, s) + inputs.shape[1:])
        if self.kind == "smoothgrad":
            return reduce_channels(per.mean(axis=1), self.base.channels)
        return reduce_channels(per, self.base.channels).reshape((n, s) + inputs.shape[1:3]).var(axis=1)


@register
class SmoothGrad(NoiseTunnel):
    """Saliency averaged over noisy copies (the mean of the gradients, then its size)."""

    name = "smoothgrad"
    title = "SmoothGrad"


@register
class VarGrad(NoiseTunnel):
    """The variance of the gradient over noisy copies."""

    name = "vargrad"
    title = "VarGrad"
    kind = "vargrad"
