"""Watch a network learn: a figure with one column per snapshot, and an animation with one frame per snapshot.

Both draw what :func:`cnnviz.load_snapshots` returns; nothing here runs TensorFlow.

>>> run = load_snapshots()                                   # the run shipped with cnnviz
>>> fig = plot_snapshots(run, columns=4)
>>> first_two = SnapshotRun(run.snapshots[:2], run.directory)
>>> replay(first_two, "learning.gif").suffix
'.gif'
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .io.files import atomic_path
from .style import (
    ACCENT,
    ACTIVATION_CMAP,
    ATTRIBUTION_CMAP,
    DEFAULT_DPI,
    DIGIT_CMAP,
    TRAIN_COLOR,
    VALIDATION_COLOR,
    caption,
    cnnviz_style,
    figure,
    hide_ticks,
)
from .training.snapshots import SnapshotRun, filter_images, load_snapshots, normalize_maps, tile

ANIMATION_FORMATS = (".gif", ".mp4")


def _run(run: SnapshotRun | str | os.PathLike | None) -> SnapshotRun:
    return run if isinstance(run, SnapshotRun) else load_snapshots(run)


def _show(ax, image: np.ndarray, cmap: str = DIGIT_CMAP, title: str | None = None, **kwargs) -> None:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        kwargs = {"vmin": 0.0, "vmax": 1.0, **kwargs}
    else:  # colour: NaN padding becomes white
        image = np.where(np.isnan(image), 1.0, np.clip(image, 0, 1))
    ax.imshow(image, cmap=cmap, interpolation="nearest", **kwargs)
    hide_ticks(ax)
    if title:
        ax.set_title(title, fontsize=8)


def _chosen_channel(run: SnapshotRun, probe: int) -> int:
    """The channel most active for the probe image at the end of the run: the map worth following."""
    maps = run[-1].feature_maps[probe]
    return int(maps.reshape(-1, maps.shape[-1]).mean(axis=0).argmax())


def _short(snapshot) -> str:
    if snapshot.step == 0:
        return "start"
    return f"epoch {snapshot.step}" if snapshot.unit == "epoch" else f"batch {snapshot.step}"


def _curves(ax, run: SnapshotRun, upto: int | None = None, marks: list[int] | None = None) -> None:
    """Loss (left axis) and accuracy (right axis) against the run's step; ``upto`` cuts the curves there."""
    twin = ax.twinx()
    for axis, names, label in ((ax, ("loss", "val_loss"), "loss"), (twin, ("accuracy", "val_accuracy"), "accuracy")):
        for name in names:
            steps, values = run.metric(name)
            if upto is not None:
                keep = steps <= upto
                steps, values = steps[keep], values[keep]
            if not len(steps):
                continue
            color = VALIDATION_COLOR if name.startswith("val_") else TRAIN_COLOR
            # loss and accuracy differ in line, marker and label, not only in a dash that a small legend hides
            style, marker, side = ("--", "s", "left") if label == "loss" else ("-", "o", "right")
            axis.plot(steps, values, style, marker=marker, ms=3, lw=1.4 if label == "loss" else 1.0, color=color,
                      label=f"{name.replace('_', ' ')} ({side})", mfc="white" if label == "loss" else color)
        axis.set_ylabel(label)
    twin.set_ylim(0, 1.0)
    twin.spines["right"].set_visible(True)
    last = run[-1]
    ax.set_xlim(-0.02 * max(1, last.step), last.step * 1.02 + 1e-9)
    ax.set_xlabel("epoch" if last.unit == "epoch" else "batch")
    for m in marks or []:
        ax.axvline(m, color="0.8", lw=0.8, zorder=0)
    if upto is not None:
        ax.axvline(upto, color=ACCENT, lw=1.2)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="center right", ncols=2, handlelength=3)
    ax.grid(alpha=0.3)


def _columns(run: SnapshotRun, columns: int) -> list[int]:
    if len(run) <= columns:
        return list(range(len(run)))
    return sorted({int(round(i)) for i in np.linspace(0, len(run) - 1, columns)})


def plot_snapshots(run: SnapshotRun | str | os.PathLike | None = None, *, columns: int = 8, probe: int = 0,
                   channel: int | None = None, dpi: int = DEFAULT_DPI) -> Figure:
    """Snapshots as columns (start -> end): conv filters, one feature map, the class images, saliency; curves below.

    ``run``: what :func:`cnnviz.load_snapshots` returned, or its folder (``None``: the shipped run).
    ``columns``: at most this many snapshots, evenly spaced, first and last included.
    ``probe``: which probe image; ``channel``: which feature map (default: the one most active at the end).

    >>> len(plot_snapshots(columns=3).axes) > 12
    True
    """
    run = _run(run)
    if columns < 1:
        raise ValueError(f"columns must be >= 1 (got {columns}).")
    if not 0 <= probe < len(run[0].probe_images):
        raise ValueError(f"probe must be 0..{len(run[0].probe_images) - 1} (got {probe}).")
    picked = _columns(run, columns)
    channel = _chosen_channel(run, probe) if channel is None else int(channel)
    layer = run[0].layer
    rows = ("filters", "feature map", "class images", "saliency")
    fig = figure(figsize=(1.25 * len(picked) + 1.0, 7.2), dpi=dpi)
    grid = fig.add_gridspec(len(rows) + 1, len(picked), height_ratios=[1, 1, 0.55, 1, 1.5])
    with cnnviz_style():
        for col, i in enumerate(picked):
            snap = run[i]
            fmap = snap.feature_maps[probe, ..., channel]
            cells = (
                (tile(filter_images(snap.filters), value=np.nan), "RdBu_r", {"vmin": 0, "vmax": 1}),
                (fmap, ACTIVATION_CMAP, {"vmin": 0, "vmax": max(float(fmap.max()), 1e-6)}),
                (tile(snap.class_images, columns=5, value=np.nan), DIGIT_CMAP, {"vmin": 0, "vmax": 1}),
                (snap.attribution[probe], ATTRIBUTION_CMAP, {"vmin": 0, "vmax": 1}),
            )
            for row, (image, cmap, kw) in enumerate(cells):
                ax = fig.add_subplot(grid[row, col])
                _show(ax, image, cmap=cmap if image.ndim == 2 or image.shape[-1] == 1 else None, **kw)
                if row == 0:
                    ax.set_title(_short(snap), fontsize=8)
                if col == 0:
                    ax.set_ylabel(f"{layer} {rows[row]}" if row < 2 else rows[row], fontsize=8)
                    if row == 1:
                        ax.set_ylabel(f"{layer} map {channel}", fontsize=8)
        _curves(fig.add_subplot(grid[len(rows), :]), run, marks=[run[i].step for i in picked])
    fig.suptitle(f"How it learned ({len(run)} snapshots, {len(picked)} shown)")
    return caption(fig, f"Columns are moments of training. Rows: the {layer} filters (blue negative, red positive), "
                        f"feature map {channel} of {layer} for probe image {probe}, the class images (a few "
                        "maximization steps per snapshot, each starting from the previous one's), the saliency of "
                        "the probe image, and the loss/accuracy curves"
                        + (" (per batch, Keras reports the running average over the current epoch)."
                           if run[-1].unit == "batch" else "."))


def snapshot_frame(run: SnapshotRun | str | os.PathLike | None, index: int, *, probe: int = 0, dpi: int = 80) -> Figure:
    """One animation frame: snapshot ``index``'s filters, feature maps, class images and saliency, curves so far.

    >>> snapshot_frame(None, 0).get_size_inches().tolist()
    [9.6, 5.4]
    """
    run = _run(run)
    snap = run[index]
    fig = figure(figsize=(9.6, 5.4), dpi=dpi)
    grid = fig.add_gridspec(2, 4, height_ratios=[1.7, 1])
    with cnnviz_style():
        panels = (
            (tile(filter_images(snap.filters), value=np.nan), "RdBu_r", f"{snap.layer} filters"),
            (tile(normalize_maps(snap.feature_maps[probe:probe + 1]), value=np.nan), ACTIVATION_CMAP,
             f"{snap.layer} feature maps"),
            (tile(snap.class_images, columns=5, value=np.nan), DIGIT_CMAP, "class images " + "".join(str(c) for c in snap.classes)
             if len(snap.classes) <= 10 else "class images"),
            (np.concatenate([snap.probe_images[probe][..., 0], np.full((snap.attribution.shape[1], 1), np.nan),
                             snap.attribution[probe]], axis=1), ATTRIBUTION_CMAP, "probe image | saliency"),
        )
        for col, (image, cmap, title) in enumerate(panels):
            _show(fig.add_subplot(grid[0, col]), image, cmap=cmap if image.ndim == 2 or image.shape[-1] == 1 else None,
                  title=title)
        _curves(fig.add_subplot(grid[1, :]), run, upto=snap.step)
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in snap.metrics.items() if k in ("loss", "accuracy", "val_accuracy"))
    fig.suptitle(f"{snap.label}" + (f": {metrics}" if metrics else " (untrained)"))
    return fig


def _rgb(fig: Figure) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def replay_frames(run: SnapshotRun | str | os.PathLike | None = None, *, probe: int = 0, dpi: int = 80,
                  verbose: bool = False) -> list[np.ndarray]:
    """Every frame of the animation as an RGB array (H, W, 3), one per snapshot, all the same size.

    ``verbose``: a progress bar on stderr (drawing takes ~0.3-0.6 s a frame).

    >>> run = load_snapshots()
    >>> len(replay_frames(SnapshotRun(run.snapshots[:2], run.directory)))
    2
    """
    run = _run(run)
    from .progress import progress

    return [_rgb(snapshot_frame(run, i, probe=probe, dpi=dpi))
            for i in progress(range(len(run)), label="frames", verbose=verbose)]


def replay(run: SnapshotRun | str | os.PathLike | None = None, output: str | os.PathLike = "learning.gif", *,
           fps: float = 4.0, probe: int = 0, dpi: int = 80, verbose: bool = False) -> Path:
    """Write the run as an animated GIF (or an MP4 when ffmpeg is installed), one frame per snapshot.

    The last frame is held for two seconds. Written atomically. ``verbose``: a progress bar.

    >>> run = load_snapshots()
    >>> replay(SnapshotRun(run.snapshots[-2:], run.directory), "replay.gif").name
    'replay.gif'
    """
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in ANIMATION_FORMATS:
        raise ValueError(f"cannot write an animation to {output.name!r}: use a .gif (or .mp4 with ffmpeg) file name.")
    ffmpeg = shutil.which("ffmpeg")
    if suffix == ".mp4" and ffmpeg is None:
        raise ValueError("writing .mp4 needs ffmpeg on the PATH, and it is not there; write a .gif instead.")
    if fps <= 0:
        raise ValueError(f"fps must be > 0 (got {fps}).")
    frames = replay_frames(run, probe=probe, dpi=dpi, verbose=verbose)
    with atomic_path(output, suffix=suffix) as tmp:
        if suffix == ".gif":
            _write_gif(frames, tmp, fps)
        else:
            _write_mp4(frames, tmp, fps, ffmpeg)
    return output


def _write_gif(frames: list[np.ndarray], path: Path, fps: float) -> None:
    from PIL import Image

    images = [Image.fromarray(f).quantize(colors=128, method=Image.Quantize.MEDIANCUT) for f in frames]
    durations = [int(1000 / fps)] * len(images)
    durations[-1] = max(durations[-1], 2000)
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0,
                   disposal=1)


def _write_mp4(frames: list[np.ndarray], path: Path, fps: float, ffmpeg: str) -> None:
    h, w = frames[0].shape[:2]
    cmd = [ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", str(fps), "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", "-f", "mp4",
           str(path)]
    subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), check=True)


__all__ = ["plot_snapshots", "replay"]
