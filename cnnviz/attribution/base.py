"""The registry of attribution methods and what every method shares.

A method is one small class: a ``name`` (what users type), a ``title`` (what figures say), what it
``needs`` ("conv_layer", "baseline", "samples") and one call, ``attribute(inputs, targets)``, that
returns raw relevance (N, H, W) for a batch already in the model's range (Captum's shape). Build it
with the probe and the options it takes: ``Saliency(probe).attribute(x, [3])``.

>>> import cnnviz.attribution  # importing the package registers every method
>>> sorted(REGISTRY)[:3]
['grad_x_input', 'gradcam', 'gradcam++']
>>> get_method("lime")
Traceback (most recent call last):
...
cnnviz.registry.UnknownName: unknown attribution method 'lime'; use one of: saliency, smoothgrad, vargrad, grad_x_input, ig, occlusion, gradcam, gradcam++, layercam, scorecam.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..core.display import shows
from ..core.options import UnknownOption
from ..core.probe import Probe
from ..registry import Registry

ORDER = ("saliency", "smoothgrad", "vargrad", "grad_x_input", "ig", "occlusion", "gradcam", "gradcam++",
         "layercam", "scorecam")
#: Every attribution method by name, in the order menus show them (:data:`ORDER`, then the rest by name).
REGISTRY: Registry[type[Method]] = Registry(
    "attribution method", order=lambda n, _: (ORDER.index(n), "") if n in ORDER else (len(ORDER), n))


@shows("cnnviz.plots:plot_attribution")  # drawn by this figure when it ends a notebook cell
@dataclass
class Attribution:
    """One heat map (N, H, W) in [0, 1] per input image, for the class in ``targets``.

    ``raw`` keeps the maps before the per-image rescaling to [0, 1] (signed where the method is)."""

    method: str
    maps: np.ndarray
    inputs: np.ndarray
    targets: list[int]
    probabilities: np.ndarray
    layer: str | None = None
    title: str = ""
    raw: np.ndarray | None = None
    class_names: list[str] = field(default_factory=list)  # the model's, for titles ("" list: the indices)

    def __post_init__(self) -> None:
        if not self.title:
            self.title = method_title(self.method)


class Method:
    """Base class of an attribution method; subclasses set the class attributes and ``attribute``."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()  # any of "conv_layer", "baseline", "samples"
    gradient: ClassVar[bool] = False  # a NoiseTunnel can wrap it

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.layer: str | None = None

    def attribute(self, inputs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        """Raw relevance (N, H, W) of every pixel of ``inputs`` (in the model's range) for ``targets``."""
        raise NotImplementedError

    @classmethod
    def option_names(cls, **given: Any) -> list[str]:
        """The options this method takes by name (its constructor's; ``given``: what the call says, for methods
        whose options depend on it, as a noise tunnel's on its ``base``).

        >>> get_method("ig").option_names()
        ['steps', 'baseline', 'batch_size']
        """
        params = inspect.signature(cls.__init__).parameters
        return [n for n, p in params.items() if n not in ("self", "probe") and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    @classmethod
    def build(cls, probe: Probe, **options: Any) -> Method:
        """An instance with ``options`` (None values: the defaults); an option it does not take is an error.

        >>> from cnnviz.core.build import get_probe
        >>> get_method("saliency").build(get_probe(), steps=50)
        Traceback (most recent call last):
        ...
        cnnviz.attribution.base.UnusedOption: saliency takes no option 'steps'; it takes: batch_size.
        """
        return cls(probe, **options_for([cls], options)[0])


class UnusedOption(UnknownOption):
    """An option given to attribution methods none of which takes it (a ValueError, named with what they take)."""


def _takes_any(cls: type[Method]) -> bool:
    """A method whose constructor takes ``**options`` and does not say which (a user's own class)."""
    params = inspect.signature(cls.__init__).parameters.values()
    return cls.option_names.__func__ is Method.option_names.__func__ and any(p.kind is p.VAR_KEYWORD for p in params)


def options_for(classes: Sequence[type[Method]], options: dict[str, Any],
                spelled: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The options (None values dropped) each of ``classes`` takes; an option none of them takes is an
    :class:`UnusedOption` naming what each one takes (``spelled``: how the caller spells a name, for that line).

    >>> [sorted(o) for o in options_for([get_method("saliency"), get_method("ig")], {"steps": 8, "layer": None})]
    [[], ['steps']]
    """
    given = {k: v for k, v in options.items() if v is not None}
    takes = [None if _takes_any(cls) else cls.option_names(**given) for cls in classes]
    unused = [k for k in given if not any(t is None or k in t for t in takes)]
    if unused:
        def say(names: Sequence[str]) -> str:
            return ", ".join((spelled or {}).get(n, n) for n in names) or "no options"

        asked = ", ".join(repr((spelled or {}).get(k, k)) for k in unused)
        if len(classes) == 1:
            raise UnusedOption(f"{classes[0].name} takes no option {asked}; it takes: {say(takes[0] or [])}.")
        each = "; ".join(f"{cls.name}: {say(t or [])}" for cls, t in zip(classes, takes))
        raise UnusedOption(f"none of the methods asked for ({', '.join(c.name for c in classes)}) takes option "
                           f"{asked}; they take: {each}.")
    return [dict(given) if t is None else {k: v for k, v in given.items() if k in t} for t in takes]


def register(cls: type[Method]) -> type[Method]:
    """Class decorator: make ``cls`` available by its ``name`` everywhere (API, CLI, dashboard, report)."""
    return REGISTRY.register(cls.name, cls)


def method_names() -> list[str]:
    """The registered names, in the order menus show them.

    >>> method_names()[:2]
    ['saliency', 'smoothgrad']
    """
    return REGISTRY.names()


def method_title(name: str) -> str:
    """The display title of a method name ("gradcam" -> "Grad-CAM"); unknown names are returned as they are.

    >>> method_title("ig")
    'Integrated Gradients'
    """
    cls = REGISTRY.get(name, None)
    return cls.title if cls is not None else name


def get_method(method: str | type[Method]) -> type[Method]:
    """The method class registered as ``method`` (a class is returned as it is), or a ValueError listing the names."""
    if isinstance(method, type) and issubclass(method, Method):
        return method
    return REGISTRY.get(method)


def check_needs(cls: type[Method], probe: Probe, layer: str | None) -> str | None:
    """The conv layer a method will use (None when it needs none); a clear ValueError when it cannot run."""
    if "conv_layer" not in cls.needs:
        return None
    convs = probe.conv_layer_names
    if not convs:
        raise ValueError(f"{cls.name} needs a convolution layer, and this model has none "
                         f"(layers: {', '.join(probe.layer_names)}); use method='saliency' or 'ig' instead.")
    used = layer or getattr(probe, "last_conv_layer", None) or convs[-1]
    if used not in convs:
        probe.layer(used)  # unknown names: the list of layers
        raise ValueError(f"{cls.name} needs a convolution layer; {used!r} is not one (conv layers: {', '.join(convs)}).")
    return used


def reduce_channels(grads: np.ndarray, how: str) -> np.ndarray:
    """(N, H, W, C) -> (N, H, W): "absmax" (largest |value| over channels) or "sum" (signed sum)."""
    if grads.ndim == 3:
        return grads
    if how == "absmax":
        return np.abs(grads).max(axis=-1)
    return grads.sum(axis=-1)


def normalize(maps: np.ndarray) -> np.ndarray:
    """Each map rescaled to [0, 1] (a constant map becomes 0).

    >>> normalize(np.array([[[1.0, 3.0]]])).tolist()
    [[[0.0, 1.0]]]
    """
    out = np.zeros_like(maps, dtype=np.float32)
    for i, m in enumerate(maps):
        lo, hi = float(m.min()), float(m.max())
        out[i] = (m - lo) / (hi - lo) if hi > lo else 0.0
    return out


def method_options() -> list[str]:
    """Every option an attribution method's constructor takes (``attribute(..., **options)``).

    >>> "steps" in method_options()
    True
    """
    names: list[str] = []
    for cls in REGISTRY.values():
        for name, p in inspect.signature(cls.__init__).parameters.items():
            if name not in ("self", "probe", "layer", "samples", "noise", "seed") and \
                    p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and name not in names:
                names.append(name)
    return names
