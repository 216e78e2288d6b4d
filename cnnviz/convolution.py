"""The tutorial's convolution picture, step by step, in plain numpy.

A filter (kernel) slides over the image; at each position the patch under it is
multiplied with the kernel element by element and summed. ``stride`` is how far it
moves each step. A 28x28 image and a 3x3 kernel at stride 1 give a 26x26 map.
Keras' ``Conv2D`` computes exactly this ("valid" padding, cross-correlation), then adds
the bias and applies ReLU.

>>> import numpy as np
>>> image = np.arange(16.0).reshape(4, 4)
>>> kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
>>> convolve(image, kernel)
array([[-5., -5., -5.],
       [-5., -5., -5.],
       [-5., -5., -5.]], dtype=float32)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .core.display import shows
from .core.options import public

if TYPE_CHECKING:
    import keras
    from matplotlib.figure import Figure


def text_color(cmap: str, position: float) -> str:
    """"white" or "black", whichever reads better on the colour ``cmap`` gives ``position`` (0..1), by the
    cell's relative luminance (WCAG), so numbers stay readable on dark red, dark blue and black cells.

    >>> text_color("gray", 0.0), text_color("gray", 1.0), text_color("RdBu_r", 1.0), text_color("RdBu_r", 0.5)
    ('white', 'black', 'white', 'black')
    """
    import matplotlib

    rgb = np.asarray(matplotlib.colormaps[cmap](float(np.clip(position, 0.0, 1.0)))[:3])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    # contrast with white (1.05 / (L + 0.05)) against contrast with black ((L + 0.05) / 0.05)
    return "white" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "black"


def output_size(size: int, kernel: int, stride: int = 1) -> int:
    """How many positions a ``kernel``-wide window takes on a ``size``-wide input at ``stride`` ("valid").

    >>> output_size(28, 3), output_size(28, 3, stride=2)
    (26, 13)
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1 (got {stride}).")
    if kernel > size:
        raise ValueError(f"a {kernel}-wide kernel does not fit a {size}-wide input.")
    return (size - kernel) // stride + 1


def _check(image2d: Any, kernel: Any) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image2d, dtype=np.float32)
    k = np.asarray(kernel, dtype=np.float32)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if k.ndim == 4 and k.shape[2:] == (1, 1):
        k = k[:, :, 0, 0]
    if image.ndim != 2 or k.ndim != 2:
        raise ValueError(f"convolve takes a 2-D image and a 2-D kernel; got shapes {image.shape} and {k.shape}. "
                         "Pick one filter: cnnviz.filters('conv1')[:, :, 0, k].")
    if k.shape[0] > image.shape[0] or k.shape[1] > image.shape[1]:
        raise ValueError(f"a {k.shape[0]}x{k.shape[1]} kernel does not fit a {image.shape[0]}x{image.shape[1]} image.")
    return image, k


def conv_step(image2d: Any, kernel: Any, row: int, col: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray, float]:
    """One step of the slide: the output position (``row``, ``col``) sees the patch starting at
    (``row * stride``, ``col * stride``). Returns ``(patch, patch * kernel, their sum)``.

    >>> patch, product, total = conv_step(np.arange(16.0).reshape(4, 4), np.ones((2, 2)), 1, 1, stride=2)
    >>> patch.tolist(), total
    ([[10.0, 11.0], [14.0, 15.0]], 50.0)
    """
    image, k = _check(image2d, kernel)
    rows = output_size(image.shape[0], k.shape[0], stride)
    cols = output_size(image.shape[1], k.shape[1], stride)
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"position ({row}, {col}) is outside the {rows}x{cols} output of stride {stride}.")
    top, left = row * stride, col * stride
    patch = image[top : top + k.shape[0], left : left + k.shape[1]]
    product = patch * k
    return patch, product, float(product.sum())


def convolve(image2d: Any, kernel: Any, stride: int = 1) -> np.ndarray:
    """Slide ``kernel`` over ``image2d`` with ``stride``: every output value is ``sum(patch * kernel)``.

    Keras' Conv2D (valid padding) computes the same, then adds the bias and applies its activation.

    >>> convolve(np.ones((28, 28)), np.ones((3, 3))).shape
    (26, 26)
    >>> convolve(np.ones((28, 28)), np.ones((3, 3)), stride=2).shape
    (13, 13)
    """
    image, k = _check(image2d, kernel)
    rows = output_size(image.shape[0], k.shape[0], stride)
    cols = output_size(image.shape[1], k.shape[1], stride)
    windows = np.lib.stride_tricks.sliding_window_view(image, k.shape)[::stride, ::stride][:rows, :cols]
    return np.einsum("ijkl,kl->ij", windows, k).astype(np.float32)


def kernel_and_bias(layer: str = "conv1", model: keras.Model | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The kernel (kh, kw, in, filters) and bias (filters,) of a conv layer, as numpy arrays.

    >>> kernel, bias = kernel_and_bias("conv1")
    >>> kernel.shape, bias.shape
    ((3, 3, 1, 32), (32,))
    """
    import keras

    from .core.build import get_probe
    from .features import filters

    kernel = filters(layer, model)
    conv = get_probe(model).layer(layer)
    bias = conv.bias if getattr(conv, "use_bias", False) else None
    bias = np.zeros(kernel.shape[-1], np.float32) if bias is None else keras.ops.convert_to_numpy(bias).copy()
    return kernel, bias


@shows("cnnviz.convolution:plot_convolution_step")  # drawn by this figure when it ends a notebook cell
@dataclass
class ConvolutionStep:
    """Everything the step-by-step picture shows for one position of one filter."""

    image: np.ndarray  # (H, W) input
    kernel: np.ndarray  # (kh, kw)
    bias: float
    stride: int
    row: int
    col: int
    patch: np.ndarray
    product: np.ndarray
    total: float  # sum of the product
    output: np.ndarray  # the full output map: sum(patch * kernel) + bias, then ReLU
    filled: int  # how many output positions are done, row by row, this one included

    @property
    def value(self) -> float:
        """The output at this position: ReLU(total + bias), what conv1 stores in its feature map."""
        return max(0.0, self.total + self.bias)


def convolution_step(image2d: Any, kernel: Any, step: int, stride: int = 1, bias: float = 0.0) -> ConvolutionStep:
    """The ``step``-th position (row by row, from 0) of ``kernel`` sliding over ``image2d``.

    >>> s = convolution_step(np.ones((5, 5)), np.ones((3, 3)), step=4)
    >>> (s.row, s.col, s.total, s.output.shape, s.filled)
    (1, 1, 9.0, (3, 3), 5)
    """
    image, k = _check(image2d, kernel)
    cols = output_size(image.shape[1], k.shape[1], stride)
    rows = output_size(image.shape[0], k.shape[0], stride)
    if not 0 <= step < rows * cols:
        raise ValueError(f"step {step} is outside 0..{rows * cols - 1} ({rows}x{cols} positions at stride {stride}).")
    row, col = divmod(int(step), cols)
    patch, product, total = conv_step(image, k, row, col, stride)
    output = np.maximum(convolve(image, k, stride) + np.float32(bias), 0.0)
    return ConvolutionStep(image=image, kernel=k, bias=float(bias), stride=int(stride), row=row, col=col, patch=patch,
                           product=product, total=total, output=output, filled=int(step) + 1)


def plot_convolution_step(step: ConvolutionStep, *, dpi: int = 110) -> Figure:
    """The tutorial's convolution picture: the input with the window, the patch, the kernel, their
    product and its sum, and the output map filled in up to this position.

    >>> fig = plot_convolution_step(convolution_step(np.eye(6), np.eye(3), step=0))
    >>> len(fig.axes) >= 5
    True
    """
    import matplotlib
    from matplotlib.patches import Rectangle

    from .style import (
        ACCENT,
        ACTIVATION_CMAP,
        DIGIT_CMAP,
        SIGNED_CMAP,
        figure,
        hide_ticks,
        symmetric_limits,
    )

    kh, kw = step.kernel.shape
    fig = figure(figsize=(11.0, 3.1), dpi=dpi)
    axes = fig.subplots(1, 5, width_ratios=[1.6, 1, 1, 1, 1.6])
    ax = axes[0]
    ax.imshow(step.image, cmap=DIGIT_CMAP, vmin=0, vmax=max(1.0, float(step.image.max())), interpolation="nearest")
    top, left = step.row * step.stride, step.col * step.stride
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), kw, kh, fill=False, edgecolor=ACCENT, linewidth=2))
    ax.set_title(f"input {step.image.shape[0]}x{step.image.shape[1]}\nwindow at ({top}, {left}), stride {step.stride}")
    hide_ticks(ax)
    lo, hi = symmetric_limits(step.kernel)
    plo, phi = symmetric_limits(step.product)
    panels = [
        ("patch", step.patch, DIGIT_CMAP, 0.0, max(1.0, float(step.image.max()))),
        ("kernel (weights)", step.kernel, SIGNED_CMAP, lo, hi),
        ("patch x kernel", step.product, SIGNED_CMAP, plo, phi),
    ]
    for ax, (title, values, cmap, vmin, vmax) in zip(axes[1:4], panels):
        ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        for (r, c), v in np.ndenumerate(values):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color=text_color(cmap, (v - vmin) / ((vmax - vmin) or 1.0)))
        ax.set_title(title)
        hide_ticks(ax)
    axes[3].set_xlabel(f"sum = {step.total:.3f}\n+ bias {step.bias:.3f} -> ReLU = {step.value:.3f}", fontsize=9)
    ax = axes[4]
    shown = np.full(step.output.shape, np.nan, np.float32)
    shown.ravel()[: step.filled] = step.output.ravel()[: step.filled]
    vmax = float(step.output.max()) or 1.0
    cmap = matplotlib.colormaps[ACTIVATION_CMAP].with_extremes(bad="0.92")
    ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    ax.add_patch(Rectangle((step.col - 0.5, step.row - 0.5), 1, 1, fill=False, edgecolor=ACCENT, linewidth=2))
    ax.set_title(f"output {step.output.shape[0]}x{step.output.shape[1]}\n{step.filled} of {step.output.size} done")
    hide_ticks(ax)
    return fig

#: unknown keyword options are one-line errors (cnnviz.core.options), as in every public call
kernel_and_bias = public(kernel_and_bias)

__all__ = [
    "ConvolutionStep", "convolution_step", "convolve", "kernel_and_bias", "output_size",
    "plot_convolution_step",
]
