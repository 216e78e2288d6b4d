"""Real-looking test images made in code (no downloads): a face-like photo, photographed handwritten digits."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter


def face(size: int = 200, colour: bool = False, seed: int = 0) -> np.ndarray:
    """A smooth face-like photo: a shaded oval face with darker eyes, brows and mouth, hair, on a light wall
    with a lighting gradient and a little noise. uint8 (size, size) grey or (size, size, 3) colour."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    wall = 0.82 + 0.1 * xx - 0.05 * yy  # a light background, lit from the right
    skin = 0.62 + 0.18 * np.exp(-((xx - 0.58) ** 2 + (yy - 0.42) ** 2) / 0.08)  # shading on the face
    oval = ((xx - 0.5) / 0.28) ** 2 + ((yy - 0.52) / 0.36) ** 2
    face_mask = 1 / (1 + np.exp((oval - 1) * 12))  # soft edge
    hair = (((xx - 0.5) / 0.32) ** 2 + ((yy - 0.3) / 0.24) ** 2 < 1) & (yy < 0.3)
    img = wall * (1 - face_mask) + skin * face_mask
    img = np.where(hair, 0.25 + 0.05 * xx, img)

    def blob(cx, cy, rx, ry, depth):
        return depth * np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2))

    img = img - blob(0.4, 0.45, 0.05, 0.025, 0.45) - blob(0.6, 0.45, 0.05, 0.025, 0.45)  # eyes
    img = img - blob(0.4, 0.39, 0.07, 0.012, 0.25) - blob(0.6, 0.39, 0.07, 0.012, 0.25)  # brows
    img = img - blob(0.5, 0.72, 0.11, 0.02, 0.35) - blob(0.5, 0.58, 0.02, 0.06, 0.08)  # mouth, nose
    img = np.clip(img + rng.normal(0, 0.01, img.shape), 0, 1)
    if not colour:
        return (img * 255).round().astype(np.uint8)
    tint = np.stack([img * 1.0, img * 0.85 + 0.05 * face_mask, img * 0.75 + 0.1 * (1 - face_mask)], -1)
    return (np.clip(tint, 0, 1) * 255).round().astype(np.uint8)


def photographed_digit(digit: np.ndarray, size: int = 160, paper: float = 235.0, seed: int = 0) -> np.ndarray:
    """An MNIST digit (28x28, white on black) as if written with a pen on off-white paper and photographed:
    dark ink with soft edges on ``paper``-grey paper, lit unevenly (a gradient and a vignette), a little noise.
    uint8 (size, size)."""
    rng = np.random.default_rng(seed)
    ink = Image.fromarray(digit.astype(np.uint8)).resize((size // 2, size // 2), Image.BICUBIC)
    canvas = Image.new("L", (size, size), 0)
    canvas.paste(ink, (size // 4 + int(rng.integers(-8, 9)), size // 4 + int(rng.integers(-8, 9))))
    stroke = np.asarray(canvas.filter(ImageFilter.GaussianBlur(1.5)), np.float32) / 255  # soft pen edges
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    light = paper + 18 * (xx - 0.5) - 12 * (yy - 0.5) - 25 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2)  # uneven light
    pen = 60.0  # a dark-grey pen, not black
    img = light * (1 - stroke) + pen * stroke + rng.normal(0, 3.0, light.shape)
    return np.clip(img, 0, 255).round().astype(np.uint8)


EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def expression_face(expression: int, size: int = 64, seed: int = 0) -> np.ndarray:
    """A face-like photo showing one of seven made-up expressions (:data:`EXPRESSIONS`: the mouth's curve and
    opening, the brows' tilt and height, the eyes' opening), with a random shift, scale, lighting and noise, so
    that a classifier has something real to learn. uint8 (size, size) grey."""
    rng = np.random.default_rng(seed)
    dx, dy = rng.uniform(-0.04, 0.04, 2)
    s = rng.uniform(0.92, 1.08)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    xx, yy = (xx - 0.5 - dx) / s + 0.5, (yy - 0.5 - dy) / s + 0.5
    light = rng.uniform(-0.08, 0.08)
    wall = 0.8 + light + 0.1 * xx - 0.05 * yy
    oval = ((xx - 0.5) / 0.28) ** 2 + ((yy - 0.52) / 0.36) ** 2
    face_mask = 1 / (1 + np.exp((oval - 1) * 12))
    skin = 0.6 + light + 0.15 * np.exp(-((xx - 0.58) ** 2 + (yy - 0.42) ** 2) / 0.08)
    img = wall * (1 - face_mask) + skin * face_mask

    def blob(cx, cy, rx, ry, depth):
        return depth * np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2))

    # (mouth curve: + smiles, mouth opening, brow tilt: + inner ends down, brow height, eye opening)
    curve, opening, tilt, brow, eye = {
        0: (0.0, 0.0, 0.05, 0.40, 0.020), 1: (-0.02, 0.01, 0.03, 0.39, 0.015), 2: (-0.01, 0.03, -0.04, 0.36, 0.040),
        3: (0.06, 0.0, 0.0, 0.38, 0.025), 4: (-0.06, 0.0, -0.05, 0.38, 0.022), 5: (0.0, 0.06, 0.0, 0.33, 0.040),
        6: (0.0, 0.0, 0.0, 0.38, 0.025)}[int(expression)]
    img = img - blob(0.4, 0.45, 0.05, eye, 0.45) - blob(0.6, 0.45, 0.05, eye, 0.45)  # eyes
    for side in (-1, 1):  # brows: a row of blobs, tilted
        for t in np.linspace(0, 1, 6):
            x = 0.5 + side * (0.04 + 0.12 * t)
            img = img - blob(x, brow + tilt * (1 - t), 0.02, 0.01, 0.12)
    for t in np.linspace(-1, 1, 9):  # the mouth: a curved stroke, corners up for a smile
        img = img - blob(0.5 + 0.11 * t, 0.72 - curve * t * t, 0.018, 0.012, 0.18)
    if opening:
        img = img - blob(0.5, 0.72, 0.05, opening, 0.4)
    img = np.clip(img + rng.normal(0, 0.015, img.shape), 0, 1)
    return (img * 255).round().astype(np.uint8)
