"""A probe wraps any Keras image classifier into the clean functional models cnnviz needs: the model contract.

Built once per model and cached (by :func:`cnnviz.core.build.get_probe`). It replays the model as one flat graph that shares the model's
weights (nested sub-models opened up, subclassed models traced; see :mod:`cnnviz.core.graph`), names
every layer, and knows the contract (see :mod:`cnnviz.core.contract`):

- ``input_range`` / ``input_range_source``: the pixel values the model expects and where that was read;
  ``to_model`` / ``to_display`` map between display images in [0, 1] and that range (numpy or tf);
  ``prepare(image)`` returns a batch in the MODEL's range: the one place where images are converted;
- ``output_kind`` ("softmax", "logits", "sigmoid"), ``num_classes``, ``class_names``, and the
  ``"logits"`` / ``"probabilities"`` tensors, right for every kind;
- ``conv_layer_names`` (Conv2D, SeparableConv2D, DepthwiseConv2D, Conv2DTranspose, also nested) and
  ``last_conv_layer``.

>>> from cnnviz.core.build import get_probe
>>> probe = get_probe()
>>> probe.layer_names
['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'predictions']
>>> probe.input_range, probe.output_kind, probe.last_conv_layer
((0.0, 1.0), 'softmax', 'conv2')
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import keras
import numpy as np

from . import contract
from .batches import FORWARD_BATCH
from .checks import ModelError
from .contract import PreActivation, Range

__all__ = ["PreActivation", "Probe"]

#: Described views (another range or image convention) kept per model, least recently used dropped first.
MAX_VIEWS = 4

#: guards the probes kept on a model and their described views (shared with :mod:`cnnviz.core.build`)
_lock = threading.RLock()

SPATIAL_TYPES = ("Conv", "Pool", "Activation", "ReLU", "BatchNormalization", "Dropout")


@dataclass(eq=False)
class Probe:
    """The models cnnviz looks through and the model's contract. Build with :func:`get_probe`."""

    model: keras.Model  # the flat graph (input -> the model's output), sharing the source's weights
    layer_names: list[str]
    logits_model: keras.Model
    activations_model: keras.Model
    source: keras.Model  # the model as the user gave it
    input_range: Range
    input_range_source: str
    output_kind: str
    binary: bool
    class_names: list[str]
    traced: str = ""  # how a subclassed model was traced ("" otherwise)
    convention: str = "as-is"  # how the model wants its images (cnnviz.io.images.CONVENTIONS)
    convention_source: str = ""
    warnings: tuple[str, ...] = ()  # what the user said that contradicts the model or its card
    opaque: str = ""  # why per-layer views are not available ("" when they are)
    _shape: tuple = ()  # an untraceable model's input shape (it has no .inputs)
    _records: dict[str, Any] = field(default_factory=dict, repr=False)
    _tensors: dict[str, Any] = field(default_factory=dict, repr=False)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)  # compiled helpers built on this probe
    _views: OrderedDict = field(default_factory=OrderedDict, repr=False)  # shared by a probe and its views

    # ------------------------------------------------------------------ input side

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of one input image."""
        return tuple(int(d) for d in (self._shape or self.model.inputs[0].shape[1:]))

    @property
    def mnist_like(self) -> bool:
        """Whether the bundled MNIST digits are images of this model's kind (its convention is "mnist", or it takes
        28x28 grey images): only then do they serve as examples or as the "real images" a target is compared with.

        >>> from cnnviz.core.build import get_probe
        >>> get_probe().mnist_like
        True
        """
        return self.convention == "mnist" or self.input_shape == (28, 28, 1)

    @property
    def input_range_assumed(self) -> bool:
        """True when nothing in the model, its card or the user said the range: [0, 1] is a guess."""
        return self.input_range_source.startswith("assumed")

    def to_model(self, images_01: Any) -> Any:
        """Display images in [0, 1] -> the model's range (affine; numpy arrays or tf tensors, also in a graph).

        >>> from cnnviz.core.build import get_probe
        >>> get_probe().to_model(np.array([0.0, 1.0]))
        array([0., 1.])
        """
        lo, hi = self.input_range
        return images_01 * (hi - lo) + lo if (lo, hi) != (0.0, 1.0) else images_01

    def to_display(self, x: Any) -> Any:
        """The inverse of :meth:`to_model`: model-range values -> display values (1 = the top of the range)."""
        lo, hi = self.input_range
        return (x - lo) / (hi - lo) if (lo, hi) != (0.0, 1.0) else x

    def prepare(self, image: Any) -> np.ndarray:
        """``image`` as a float32 batch (N, H, W, C) in the MODEL's range (what the model takes as is).

        A float array already shaped like the model's input and within its range is taken as model
        input (except [0, 1] floats for a 0-255 model: those are scaled, with a note); anything else (uint8, files, PIL images, other sizes, grey for colour) is read as pixels,
        adapted (see :meth:`prepare_with_notes`) and mapped with :meth:`to_model`.

        >>> from cnnviz.core.build import get_probe
        >>> get_probe().prepare(np.zeros((2, 28, 28), np.uint8)).shape
        (2, 28, 28, 1)
        """
        return self.prepare_with_notes(image)[0]

    def prepare_with_notes(self, image: Any) -> tuple[np.ndarray, list[str]]:
        """:meth:`prepare`, and what was done to fit the model (its image convention, grey -> RGB, resize, range):
        :func:`cnnviz.io.images.prepare`, the one image path."""
        from ..io.images import prepare

        return prepare(image, self.input_shape, self.input_range, self.convention, self.input_range_source)

    # ------------------------------------------------------------------ output side

    @property
    def num_classes(self) -> int:
        """Number of classes; a single sigmoid (or logit) unit counts as two: "not c" and "c"."""
        return int(self.logits_model.outputs[0].shape[-1])

    @property
    def logits_from_softmax(self) -> bool:
        """True when the model ends in a softmax whose logits the probe exposes."""
        return self.output_kind == "softmax"

    def default_classes(self, limit: int = 10) -> list[int]:
        """The first ``min(limit, num_classes)`` classes (what the report and CLI show by default).

        >>> from cnnviz.core.build import get_probe
        >>> get_probe().default_classes(3)
        [0, 1, 2]
        """
        return list(range(min(int(limit), self.num_classes)))

    def check_class(self, index: int) -> int:
        """``index`` as an int, or a ValueError if it is not a class of this model."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"a class must be an integer 0..{self.num_classes - 1}; got {index!r}.")
        if not 0 <= int(index) < self.num_classes:
            raise ValueError(f"class {index} is out of range: this model has classes 0..{self.num_classes - 1}.")
        return int(index)

    # ------------------------------------------------------------------ layers

    @property
    def conv_layer_names(self) -> list[str]:
        """Convolution-like layers (Conv2D, SeparableConv2D, DepthwiseConv2D, Conv2DTranspose), input side first."""
        return [n for n in self.layer_names if contract.is_conv(self._records[n].layer)]

    @property
    def last_conv_layer(self) -> str | None:
        """The convolution-like layer nearest the output (Grad-CAM's default), or None."""
        convs = self.conv_layer_names
        return convs[-1] if convs else None

    @property
    def spatial_layer_names(self) -> list[str]:
        """Layers whose output is a stack of 2-D maps (conv, pooling, ...), input side first."""
        return [n for n in self.layer_names if len(self._tensors[n].shape) == 4]

    def layer(self, name: str) -> keras.layers.Layer:
        """The model's own layer called ``name`` (nested ones too), or a ValueError listing the valid names."""
        self._check_open()
        if name not in self._records:
            raise ValueError(f"layer {name!r} not found; layers are: {', '.join(self.layer_names)}.")
        return self._records[name].layer

    def tensor(self, name: str):
        """The symbolic tensor called ``name`` on the probe's graph: a layer's output, "logits", "probabilities",
        or "<layer>:pre" (a conv-like or dense layer before its activation)."""
        self._check_open()
        if name in ("logits", "probabilities"):
            return self._tensors[name]
        if name.endswith(":pre"):
            layer = self.layer(name[:-4])
            record = self._records[name[:-4]]
            if contract.pre_activation_fn(layer) is None:
                return record.output
            key = ("pre", name[:-4])
            if key not in self.cache:
                self.cache[key] = PreActivation(layer, name=f"{name[:-4]}_pre")(record.input)
            return self.cache[key]
        self.layer(name)
        return self._tensors[name]

    def require_layers(self) -> None:
        """Raise :class:`ModelError` (what works, what does not, what to do) when the layers cannot be shown."""
        if self.opaque:
            raise ModelError(self.opaque)

    _check_open = require_layers

    # ------------------------------------------------------------------ running

    def classify(self, images: np.ndarray, batch_size: int = FORWARD_BATCH) -> tuple[np.ndarray, np.ndarray]:
        """(logits, probabilities) for a prepared batch, in batches; cheaper than :meth:`forward` on big models."""
        key = "classify_head"
        if key not in self.cache:
            self.cache[key] = self.activations_model if self.opaque else keras.Model(
                self.model.inputs[0], [self._tensors["logits"], self._tensors["probabilities"]])
        head = self.cache[key]
        parts = [[keras.ops.convert_to_numpy(t) for t in head(images[i : i + batch_size], training=False)]
                 for i in range(0, len(images), batch_size)]
        if not parts:
            return np.zeros((0, self.num_classes), np.float32), np.zeros((0, self.num_classes), np.float32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def forward(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Every layer's activation for a prepared batch, plus 'logits' and 'probabilities', in one pass."""
        outputs = self.activations_model(images, training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        names = [*self.layer_names, "logits", "probabilities"]
        return {name: keras.ops.convert_to_numpy(out) for name, out in zip(names, outputs)}

    def with_input_range(self, input_range: Range | None) -> Probe:
        """This probe with another input range (see :meth:`described`)."""
        return self.described(input_range=input_range)

    def described(self, *, input_range: Range | None = None, class_names: Sequence[str] | None = None,
                  convention: str | None = None) -> Probe:
        """A view of this probe with what the caller says about the model (``None``: keep this probe's);
        this probe, its model and every other caller are unchanged.

        A view with another range or convention has its own compiled helpers (a few such views are kept per
        model, least recently used dropped); class names alone share this probe's.

        >>> from cnnviz.core.build import get_probe
        >>> p = get_probe()
        >>> v = p.described(input_range=(0, 255), class_names="zero one two three four five six seven eight nine".split())
        >>> v.input_range, v.class_names[1], p.input_range, p.class_names[1]
        ((0.0, 255.0), 'one', (0.0, 1.0), '1')
        """
        from ..io.images import check_convention

        if input_range is None and class_names is None and convention is None:
            return self
        found, source = self.input_range, self.input_range_source
        warnings = list(self.warnings)
        if input_range is not None:
            found, source = contract.check_range(input_range), "given by the user (input_range=)"
            if found != self.input_range and not self.input_range_assumed:
                warnings.append(f"the given input range {found[0]:g}..{found[1]:g} contradicts "
                                f"{self.input_range[0]:g}..{self.input_range[1]:g} from {self.input_range_source}: "
                                "answers will be wrong unless the model really takes the given range")
        style, style_source = self.convention, self.convention_source
        if convention is not None:
            style, style_source = check_convention(convention), "given by the user (convention=)"
        key = (found, style)
        with _lock:
            view = self if (self.input_range, self.convention) == key else self._views.get(key)
            if view is None:
                view = replace(self, input_range=found, convention=style, cache={})
                self._views[key] = view
                while len(self._views) > MAX_VIEWS:
                    self._views.popitem(last=False)
            elif key in self._views:
                self._views.move_to_end(key)
        names = self.class_names if class_names is None else _check_names(class_names, self.num_classes,
                                                                            self.binary)
        return replace(view, input_range_source=source, convention_source=style_source, class_names=names,
                       warnings=tuple(dict.fromkeys(warnings)), cache=view.cache)


def keras_model_of(model: Any) -> Any:
    """The Keras model behind a described :class:`Probe` (anything else is returned as it is)."""
    return model.source if isinstance(model, Probe) else model


def _check_names(names: Sequence[str], num: int, binary: bool) -> list[str]:
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    names = [str(n) for n in names]
    if binary and len(names) == 1:
        return [f"not {names[0]}", names[0]]
    if len(names) != num:
        raise ValueError(f"{len(names)} class names given for a model with {num} classes; give one name per class "
                         f"(e.g. {', '.join(str(i) for i in range(min(num, 3)))}{', ...' if num > 3 else ''}).")
    return names
