"""Parameterisations: how the optimized image is represented.

- :func:`pixels`: one number per pixel through a sigmoid (so the image stays in [0, 1]), optionally blurred;
- :func:`fourier`: the image's 2-D spectrum, scaled by 1/frequency (Lucid; Olah et al. 2017), so each
  step moves low frequencies as much as high ones: smoother images in fewer steps. Works on 1-channel
  images (colour decorrelation only applies with 3 channels);
- :func:`generator`: the latent vector of a generative model of the data (``"mnist"``: the VAE decoder
  shipped in ``pretrained/``), so every image is one the generator can draw: a data prior.

Each is a frozen dataclass (equal by value); :meth:`Param.build` returns the functions the loop uses.
Images come out in the *display* range [0, 1]; the renderer maps them to the model's range.

>>> p = fourier()
>>> built = p.build((28, 28, 1))
>>> built.image(built.init(2, seed=0)).shape
TensorShape([2, 28, 28, 1])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from ..registry import Registry

#: Lucid's colour correlation (square root of ImageNet's colour covariance), columns normalized.
_COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], np.float32)
_COLOR = _COLOR_SQRT / np.max(np.linalg.norm(_COLOR_SQRT, axis=0))


def gaussian_kernel(sigma: float, channels: int) -> tf.Tensor:
    """A depthwise Gaussian blur kernel (k, k, channels, 1)."""
    radius = max(1, int(round(2.5 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    g = np.exp(-(x**2) / (2 * sigma**2))
    k2 = np.outer(g, g) / np.outer(g, g).sum()
    return tf.constant(np.tile(k2[:, :, None, None], (1, 1, channels, 1)), tf.float32)


def blur(image: tf.Tensor, sigma: float) -> tf.Tensor:
    """``image`` (N, H, W, C) blurred with a Gaussian of ``sigma`` pixels (0: unchanged)."""
    if sigma <= 0:
        return image
    kernel = gaussian_kernel(sigma, int(image.shape[-1]))
    return tf.nn.depthwise_conv2d(image, kernel, strides=[1, 1, 1, 1], padding="SAME")


def _logit(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.02, 0.98)
    return np.log(x / (1 - x))


@dataclass(frozen=True)
class Built:
    """A parameterisation for one input shape: the parameters' shape, a start, and parameters -> image."""

    shape: tuple[int, ...]
    image: Callable[[tf.Tensor], tf.Tensor]
    init: Callable[..., np.ndarray]
    from_image: Callable[[np.ndarray], np.ndarray] | None = None


class Param:
    """Base of every parameterisation."""

    name = "param"

    def build(self, input_shape: tuple[int, int, int]) -> Built:  # pragma: no cover - subclasses define it
        raise NotImplementedError


@dataclass(frozen=True)
class Pixels(Param):
    """Pixels through a sigmoid, then an optional Gaussian blur of ``blur`` pixels (cnnviz's classic)."""

    blur: float = 0.0
    background: float = 0.12
    name = "pixels"

    def build(self, input_shape: tuple[int, int, int]) -> Built:
        sigma, offset = float(self.blur), float(_logit(np.float32(self.background)))

        def image(p: tf.Tensor) -> tf.Tensor:
            return blur(tf.sigmoid(p), sigma)

        def init(n: int, seed: int = 0) -> np.ndarray:
            return np.random.default_rng(seed).normal(offset, 0.5, size=(n, *input_shape)).astype(np.float32)

        def from_image(x: np.ndarray) -> np.ndarray:
            return _logit(x).astype(np.float32)

        return Built(tuple(input_shape), image, init, from_image)


def _freqs(h: int, w: int) -> np.ndarray:
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[: w // 2 + 1 + (w % 2)]
    return np.sqrt(fx * fx + fy * fy)


@dataclass(frozen=True)
class Fourier(Param):
    """The image as its 2-D spectrum with 1/f^``decay_power`` scaling (decorrelated space), then a sigmoid.
    ``decorrelate`` also decorrelates colours on 3-channel images (no-op on grey ones)."""

    decorrelate: bool = True
    decay_power: float = 1.0
    sd: float = 0.01
    background: float = 0.12
    name = "fourier"

    def build(self, input_shape: tuple[int, int, int]) -> Built:
        h, w, c = input_shape
        freqs = _freqs(h, w)
        fh, fw = freqs.shape
        scale = (1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** self.decay_power * np.sqrt(h * w)).astype(np.float32)
        offset = float(_logit(np.float32(self.background)))
        color = _COLOR if (self.decorrelate and c == 3) else np.eye(c, dtype=np.float32)
        scale_t, color_t = tf.constant(scale), tf.constant(color)

        def image(p: tf.Tensor) -> tf.Tensor:  # p: (n, 2, c, fh, fw)
            spectrum = tf.complex(p[:, 0] * scale_t, p[:, 1] * scale_t)
            spatial = tf.signal.irfft2d(spectrum)[:, :, :h, :w]  # (n, c, h, w)
            spatial = tf.transpose(spatial, [0, 2, 3, 1]) / 4.0
            spatial = tf.einsum("nhwc,dc->nhwd", spatial, color_t)
            return tf.sigmoid(spatial + offset)

        def init(n: int, seed: int = 0) -> np.ndarray:
            return (np.random.default_rng(seed).normal(0.0, self.sd, size=(n, 2, c, fh, fw))).astype(np.float32)

        def from_image(x: np.ndarray) -> np.ndarray:
            z = (_logit(x) - offset) @ np.linalg.inv(color).T * 4.0  # undo the colour mix and /4
            spec = np.fft.rfft2(np.transpose(z, (0, 3, 1, 2))) / scale  # even width: exactly fw columns
            return np.stack([spec.real, spec.imag], axis=1).astype(np.float32)

        return Built((2, c, fh, fw), image, init, from_image if w % 2 == 0 else None)


def _decoder_path(name: str) -> Path:
    if name in ("mnist", "data"):
        from ..core.pretrained import pretrained_dir

        return pretrained_dir() / "mnist_vae_decoder.keras"
    return Path(name)


@dataclass(frozen=True)
class Generator(Param):
    """The latent vector of a generator (``"mnist"``: cnnviz's shipped VAE decoder; or a path to a
    ``.keras`` model mapping (latent,) -> (H, W, 1 or 3) in [0, 1]). Its output is resized and its
    channels repeated to fit the model. Start: a draw from the standard normal prior (times ``sd``)."""

    source: str = "mnist"
    sd: float = 0.7
    name = "generator"

    def build(self, input_shape: tuple[int, int, int]) -> Built:
        import keras

        path = _decoder_path(self.source)
        if not path.is_file():
            raise ValueError(f"the generator {str(path)!r} is not a file; train it with scripts/train_prior.py "
                             "or pass generator('path/to/decoder.keras').")
        decoder = keras.saving.load_model(path, compile=False)
        latent = int(decoder.inputs[0].shape[-1])
        h, w, c = input_shape

        def image(z: tf.Tensor) -> tf.Tensor:
            x = decoder(z, training=False)
            if tuple(x.shape[1:3]) != (h, w):
                x = tf.image.resize(x, (h, w))
            if x.shape[-1] != c:
                x = tf.repeat(tf.reduce_mean(x, axis=-1, keepdims=True), c, axis=-1)
            return x

        def init(n: int, seed: int = 0) -> np.ndarray:
            return (np.random.default_rng(seed).normal(0.0, 1.0, size=(n, latent)) * self.sd).astype(np.float32)

        return Built((latent,), image, init, None)


def pixels(blur: float = 0.0) -> Param:
    """Pixels through a sigmoid, optionally blurred (sigma ``blur`` pixels): what cnnviz always did.

    >>> pixels(0.5) == pixels(0.5)
    True
    """
    return Pixels(float(blur))


def fourier(decorrelate: bool = True, decay_power: float = 1.0) -> Param:
    """The image's spectrum with 1/f scaling (Lucid's FFT image), grey or colour.

    >>> fourier().build((28, 28, 1)).shape
    (2, 1, 28, 15)
    """
    return Fourier(bool(decorrelate), float(decay_power))


def generator(source: str = "mnist") -> Param:
    """The latent space of a generator: ``"mnist"`` (shipped VAE decoder) or a path to a decoder.

    >>> generator().build((28, 28, 1)).shape[0] >= 8
    True
    """
    return Generator(str(source))


__all__ = ["Fourier", "Generator", "Param", "Pixels", "as_param", "blur", "fourier", "generator", "pixels"]

PARAMS: Registry[Callable[[], Param]] = Registry("parameterisation", hint=", or cnnviz.optvis.param.*()")
for _name, _make in {"pixels": pixels, "fourier": fourier, "generator": generator, "data": generator}.items():
    PARAMS.register(_name, _make)


def as_param(value: Param | str | None) -> Param:
    """A parameterisation from its name ("pixels", "fourier", "generator") or as is.

    >>> as_param("fourier") == fourier()
    True
    """
    if value is None:
        return pixels()
    if isinstance(value, Param):
        return value
    return PARAMS.get(value)()
