"""Shared parts of the dashboard: the model picker, cached cnnviz calls, and image display helpers.

Every computation is a cnnviz call. Models are cached with ``st.cache_resource`` under a
*model reference*: ``"shipped"`` for the shipped model, or the path of a ``.keras`` file
(uploads are stored under their content hash, trained models under a unique name), so two
models never share a cache entry. Results are cached with ``st.cache_data`` keyed by that
reference and the inputs (numpy arrays are hashed by their bytes).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import re
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import streamlit as st

import cnnviz
from cnnviz.style import ATTRIBUTION_CMAP

# Streamlit calls keras.backend.clear_session() after every run, and that runs a full garbage collection:
# ~0.3 s with TensorFlow's ~360,000 objects loaded. Freezing what is loaded once (TensorFlow, models) takes
# it out of every collection, so a rerun costs what the page does and no more.
gc.freeze()
# tf-keras-vis calls Keras functional models with a list; Keras warns on every call. Not the user's concern.
warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match the expected structure")

SHIPPED = "shipped"
SHIPPED_LABEL = "shipped model (pretrained/mnist_cnn.keras)"
MODELS_DIR = Path(tempfile.gettempdir()) / "cnnviz-dashboard"
MAX_UPLOAD_MB = 50
_MIME_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
FIGURE_FORMATS = {fmt: _MIME_TYPES[fmt] for fmt in cnnviz.plots.FORMATS}  # the one list of formats lives in plots

# --------------------------------------------------------------------------- models


@st.cache_resource(max_entries=8, show_spinner="Loading the model...")
def get_model(model_ref: str):
    """The Keras model behind a reference (loaded safely by cnnviz.load_model, once per reference); a reference
    described in this session (``path#input_range=...``, see :mod:`cnnviz.dashboard.describe`) gives the
    described model, which every cnnviz call takes as ``model=``."""
    from cnnviz.dashboard.describe import split_ref

    base, facts = split_ref(model_ref)
    model = cnnviz.load_model(None if base == SHIPPED else base)
    cnnviz.probe.get_probe(model)  # build the probe models once
    # not gc.freeze()d: a frozen model outlives its eviction (max_entries would bound nothing)
    return cnnviz.describe(model, **facts) if facts else model


def model_path(model_ref: str) -> str | None:
    """The file of a reference; None for the shipped model (cnnviz then uses its own)."""
    from cnnviz.dashboard.describe import split_ref

    base = split_ref(model_ref)[0]
    return None if base == SHIPPED else base


def _registry() -> dict[str, str]:
    """label -> model reference, for this browser session."""
    if "models" not in st.session_state:
        st.session_state["models"] = {SHIPPED_LABEL: SHIPPED}
    return st.session_state["models"]


#: Models one browser session keeps in its picker besides the shipped one (the oldest added goes first).
MAX_SESSION_MODELS = 6


def register_model(label: str, model_ref: str, *, select: bool = False) -> None:
    """Add a model to the picker (and make it the current one when ``select``); the picker keeps the shipped
    model and the :data:`MAX_SESSION_MODELS` latest others."""
    registry = _registry()
    registry.pop(label, None)
    registry[label] = model_ref
    others = [k for k, ref in registry.items() if ref != SHIPPED]
    for old in others[:-MAX_SESSION_MODELS]:
        dropped = registry.pop(old)
        if dropped not in registry.values():
            st.session_state.get("snapshot_runs", {}).pop(old, None)
    if select:
        st.session_state["model_label"] = label


#: Uploaded models kept on disk at most (count and total size); the oldest used go first.
MAX_KEPT_UPLOADS = 20
MAX_KEPT_UPLOADS_MB = 400


UPLOAD_SUFFIXES = (".keras", ".h5", ".hdf5")


def uploads_dir() -> Path:
    return MODELS_DIR / "uploads"


def save_upload(data: bytes, name: str) -> str:
    """Write an uploaded model to a file named by its content hash; return the path (the model reference).
    Keeps at most :data:`MAX_KEPT_UPLOADS` files and :data:`MAX_KEPT_UPLOADS_MB` MiB of uploads."""
    if len(data) > MAX_UPLOAD_MB * 2**20:
        raise cnnviz.ModelError(f"{name} is {len(data) / 2**20:.0f} MiB; the dashboard takes models up to {MAX_UPLOAD_MB} MiB.")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise cnnviz.ModelError(f"{name} is not a .keras, .h5 or .hdf5 file; save your model with "
                                "model.save('name.keras').")
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = uploads_dir() / f"upload-{digest}{suffix}"
    if path.is_file():
        path.touch()  # used again: it is now the newest
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{time.time_ns()}.part")
        tmp.write_bytes(data)
        tmp.replace(path)
    prune_uploads(keep=path)
    return str(path)


def discard_upload(path: str | Path) -> None:
    """Delete an uploaded file that was refused (it stays on disk for nobody)."""
    Path(path).unlink(missing_ok=True)


def prune_uploads(keep: Path | None = None, *, max_files: int | None = None, max_mb: float | None = None) -> list[Path]:
    """Delete the oldest uploads (by last use) beyond the count and size bounds; never ``keep``. Returns what went."""
    max_files = MAX_KEPT_UPLOADS if max_files is None else max_files
    max_bytes = (MAX_KEPT_UPLOADS_MB if max_mb is None else max_mb) * 2**20
    files = []
    for path in (p for p in uploads_dir().glob("upload-*") if p.suffix in UPLOAD_SUFFIXES):
        try:
            stat = path.stat()
        except FileNotFoundError:  # another session pruned it
            continue
        files.append((stat.st_mtime, stat.st_size, path))
    files.sort(key=lambda item: item[0], reverse=True)  # newest first
    kept_count, kept_bytes, removed = 0, 0, []
    for _, size, path in files:
        if path == keep or (kept_count < max_files and kept_bytes + size <= max_bytes):
            kept_count += 1
            kept_bytes += size
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def new_trained_path(recipe: str) -> Path:
    """A fresh file name for a model trained in this session."""
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    return MODELS_DIR / f"trained-{recipe}-{time.strftime('%H%M%S')}-{time.time_ns() % 10**6:06d}.keras"


def model_picker() -> str:
    """The sidebar: which model every page shows, and an upload for your own ``.keras`` file. Returns the reference."""
    registry = _registry()
    with st.sidebar:
        st.markdown("### Model")
        labels = list(registry)
        if st.session_state.get("model_label") not in labels:
            st.session_state["model_label"] = labels[0]
        label = st.selectbox("Model shown on every page", labels, key="model_label")
        upload = st.file_uploader("Or upload a classifier (.keras, .h5, .hdf5)", type=["keras", "h5", "hdf5"],
                                  key="model_upload",
                                  help=f"Loaded with Keras safe_mode (no code runs); up to {MAX_UPLOAD_MB} MiB.")
        if upload is not None and st.session_state.get("upload_seen") != upload.file_id:
            st.session_state["upload_seen"] = upload.file_id
            ref = None
            try:
                ref = save_upload(upload.getvalue(), upload.name)
                model = get_model(ref)
                cnnviz.probe.get_probe(model)  # layer names, one image input, one class output
            except Exception as exc:  # refused: say why in one line, and keep nothing on disk
                if ref is not None:
                    get_model.clear(ref)  # a half-accepted model must not stay cached under a deleted file
                    discard_upload(ref)
                st.session_state["upload_error"] = f"{upload.name}: {short_message(exc)}"
            else:
                st.session_state.pop("upload_error", None)
                register_model(f"uploaded: {upload.name}", ref)
                st.session_state["pending_model_label"] = f"uploaded: {upload.name}"
                st.rerun()
        if "upload_error" in st.session_state:
            st.error(st.session_state["upload_error"])
    if registry[label] != SHIPPED and label.startswith("uploaded: "):  # say what the model takes: this session only
        from cnnviz.dashboard.describe import describe_form

        describe_form(label, registry[label], layer_names(registry[label])["classes"], register_model)
    return registry[label]


def apply_pending_selection() -> None:
    """Select a model registered in the previous run (a widget's value can only change before it is drawn)."""
    pending = st.session_state.pop("pending_model_label", None)
    if pending is not None:
        st.session_state["model_label"] = pending


def current_model_ref() -> str:
    return st.session_state.get("model_ref", SHIPPED)


def load_current_model():
    """The current model, or an error box and a stop when it cannot be loaded."""
    ref = current_model_ref()
    try:
        return get_model(ref)
    except (cnnviz.ModelError, ValueError) as exc:
        st.error(str(exc))
        st.stop()


# --------------------------------------------------------------------------- data


@st.cache_resource
def sample():
    """The bundled 1,000 + 1,000 image MNIST sample."""
    return cnnviz.load_sample()


@st.cache_resource(show_spinner="Looking for the full MNIST...")
def full_mnist(path: str = ""):
    """The full MNIST, or the DataError message saying where cnnviz looked."""
    try:
        return cnnviz.load_mnist(path or None, download=False)
    except (cnnviz.DataError, OSError, ValueError) as exc:
        return str(exc)


# --------------------------------------------------------------------------- cached cnnviz calls


@st.cache_data(max_entries=32)
def layer_table(model_ref: str) -> list[dict[str, Any]]:
    return cnnviz.layer_table(get_model(model_ref))


@st.cache_data(max_entries=32)
def layer_names(model_ref: str) -> dict[str, list[str]]:
    probe = cnnviz.probe.get_probe(get_model(model_ref))
    return {"all": probe.layer_names, "conv": probe.conv_layer_names, "spatial": probe.spatial_layer_names,
            "input_shape": list(probe.input_shape), "classes": probe.num_classes,
            "class_names": list(probe.class_names), "input_range": list(probe.input_range),
            "input_range_source": probe.input_range_source, "output_kind": probe.output_kind,
            "opaque": probe.opaque, "first_layer": probe.layer_names[0] if probe.layer_names else "",
            "convention": probe.convention,
            "first_conv_is_input_conv2d": _first_conv_reads_input(probe)}


def _first_conv_reads_input(probe) -> bool:
    """True when the first layer is a plain Conv2D on the input (what the convolution page can show)."""
    import keras

    if not probe.layer_names or probe.opaque:
        return False
    first = probe.layer(probe.layer_names[0])
    return type(first) is keras.layers.Conv2D and probe.input_range == (0.0, 1.0)


def needs_layers(model_ref: str, what: str) -> None:
    """Stop the page with one line when the model's layers cannot be shown (an untraceable subclassed model)."""
    opaque = layer_names(model_ref)["opaque"]
    if opaque:
        st.info(f"{what} needs the model's layers, and this model does not expose them: {opaque}")
        st.stop()


def to_display(model_ref: str, batch: np.ndarray) -> np.ndarray:
    """Images in the model's range -> [0, 1] for showing (a 0-255 or [-1, 1] model's input looks right)."""
    probe = cnnviz.probe.get_probe(get_model(model_ref))
    return np.clip(probe.to_display(np.asarray(batch, np.float32)), 0.0, 1.0)


@st.cache_data(max_entries=16)
def card_and_history(model_ref: str) -> tuple[dict | None, dict | None]:
    from cnnviz.train import load_card, load_history

    path = model_path(model_ref)
    return load_card(path), load_history(path)


@st.cache_data(max_entries=16)
def history_png(model_ref: str) -> bytes | None:
    _, history = card_and_history(model_ref)
    if not history or "loss" not in history:
        return None
    return figure_png(cnnviz.plots.plot_history(history, title="Accuracy and loss while training"))


@st.cache_data(max_entries=256, show_spinner=False)
def prepare(model_ref: str, image: Any) -> np.ndarray:
    """The 28x28 the model sees (N, H, W, C) for any input cnnviz.preprocess reads."""
    return cnnviz.probe.get_probe(get_model(model_ref)).prepare(image)


@st.cache_data(max_entries=256, show_spinner=False)
def feature_maps(model_ref: str, image: np.ndarray):
    return cnnviz.feature_maps(image, model=get_model(model_ref))


@st.cache_data(max_entries=256, show_spinner=False)
def attribution(model_ref: str, image: np.ndarray, method: str, target: int | None = None):
    return cnnviz.attribute(image, method=method, target=target, model=get_model(model_ref))


@st.cache_data(max_entries=64, show_spinner=False)
def pooling(feature_map: np.ndarray, size: int) -> dict[str, np.ndarray]:
    return cnnviz.features.pooling(feature_map, size)


@st.cache_data(max_entries=16, show_spinner=False)
def kernel_and_bias(model_ref: str, layer: str) -> tuple[np.ndarray, np.ndarray]:
    return cnnviz.convolution.kernel_and_bias(layer, model=get_model(model_ref))


@st.cache_data(max_entries=16, show_spinner="Drawing the filters...")
def filters_png(model_ref: str, layer: str) -> bytes:
    weights = cnnviz.filters(layer, model=get_model(model_ref))
    return figure_png(cnnviz.plots.plot_filters(weights, layer=layer))


@st.cache_data(max_entries=16, show_spinner="Optimizing an input for every filter...")
def filter_patterns(model_ref: str, layer: str, steps: int, seed: int):
    channels = next(row["output_shape"][-1] for row in layer_table(model_ref) if row["name"] == layer)
    return cnnviz.maximize_filter(layer, list(range(int(channels))), model=get_model(model_ref), steps=steps,
                                  seed=seed)


@st.cache_data(max_entries=64, show_spinner="Searching the sample for the strongest responses...")
def top_examples_png(model_ref: str, layer: str, index: int, k: int) -> bytes:
    top = cnnviz.top_examples(layer, index, k=k, model=get_model(model_ref))
    return figure_png(cnnviz.plots.plot_top_examples(top))


@st.cache_resource(max_entries=8, show_spinner="Looking for an atlas beside the model...")
def get_atlas(model_ref: str):
    """(atlas or None, one line on what was found): the ``cnnviz atlas`` file beside the model, if it matches;
    the line names files, never the server's folders."""
    from cnnviz.atlas import find_atlas

    atlas, note = find_atlas(model_path(model_ref), get_model(model_ref))
    return atlas, scrub_paths(note)


@st.cache_data(max_entries=64, show_spinner="Reading the atlas...")
def atlas_top_png(model_ref: str, layer: str, index: int, k: int) -> bytes:
    atlas, _ = get_atlas(model_ref)
    return figure_png(cnnviz.plots.plot_top_examples(atlas.top(layer, index, k)))


@st.cache_data(max_entries=64, show_spinner="Optimizing the class images...")
def maximize(model_ref: str, classes: tuple[int, ...], regularization: str, l1: float, tv: float, jitter: int,
             blur: float, steps: int, seed: int):
    return cnnviz.maximize(list(classes), model=get_model(model_ref), regularization=regularization, l1=l1, tv=tv,
                           jitter=jitter, blur=blur, steps=steps, seed=seed)


@st.cache_data(max_entries=64, show_spinner="Drawing the figure...")
def maximization_figure(model_ref: str, classes: tuple[int, ...], regularization: str, l1: float, tv: float,
                        jitter: int, blur: float, steps: int, seed: int, fmt: str = "png") -> bytes:
    result = maximize(model_ref, classes, regularization, l1, tv, jitter, blur, steps, seed)
    return cnnviz.plots.figure_bytes(cnnviz.plots.plot_maximization(result), fmt)


@st.cache_data(max_entries=64, show_spinner="Optimizing the class images...")
def maximize_open(model_ref: str, classes: tuple[int, ...], regularization: str, l1: float, tv: float, jitter: int,
                  blur: float, steps: int, seed: int, kind: str = "pixels", n: int = 1, objective: str = ""):
    """The class-image page's call: ``kind`` "pixels", "fourier" or "data prior"; ``objective`` a shorthand
    such as "conv2:5" (empty: each class's score)."""
    model = get_model(model_ref)
    extra = {"objective": objective.strip()} if objective.strip() else {}
    if kind == "data prior":
        return cnnviz.maximize(list(classes), model=model, prior="data", n=n, steps=steps, seed=seed, **extra)
    param = cnnviz.optvis.param.fourier() if kind == "fourier" else None
    return cnnviz.maximize(list(classes), model=model, regularization=regularization, l1=l1, tv=tv, jitter=jitter,
                           blur=blur, steps=steps, seed=seed, n=n, param=param, **extra)


@st.cache_data(max_entries=64, show_spinner="Drawing the figure...")
def maximization_open_figure(model_ref: str, classes: tuple[int, ...], regularization: str, l1: float, tv: float,
                             jitter: int, blur: float, steps: int, seed: int, kind: str = "pixels", n: int = 1,
                             objective: str = "", fmt: str = "png") -> bytes:
    result = maximize_open(model_ref, classes, regularization, l1, tv, jitter, blur, steps, seed, kind, n, objective)
    plot = cnnviz.plots.plot_class_variety if n > 1 else cnnviz.plots.plot_maximization
    return cnnviz.plots.figure_bytes(plot(result), fmt)


@st.cache_data(max_entries=16, show_spinner="Optimizing fake and constrained digits...")
def fake_vs_constrained(model_ref: str, steps: int, seed: int):
    from cnnviz.maximize import data_prior_available
    from cnnviz.maximize import fake_vs_constrained as experiment

    model = get_model(model_ref)
    return experiment(model, steps=steps, seed=seed, data_prior=data_prior_available(model),
                      examples=True)


@st.cache_data(max_entries=32, show_spinner="Drawing the figure...")
def fake_vs_constrained_figure(model_ref: str, steps: int, seed: int, fmt: str = "png") -> bytes:
    return cnnviz.plots.figure_bytes(cnnviz.plots.plot_fake_vs_constrained(fake_vs_constrained(model_ref, steps, seed)), fmt)


# --------------------------------------------------------------------------- figures and images


def figure_png(fig) -> bytes:
    return cnnviz.plots.figure_bytes(fig, "png")


def download_buttons(make: Callable[[str], bytes], stem: str, key: str) -> None:
    """One download button per format (PNG, SVG, PDF), side by side; each file is drawn when it is asked for."""
    columns = st.columns(len(FIGURE_FORMATS) + 2)
    for column, (fmt, mime) in zip(columns, FIGURE_FORMATS.items()):
        column.download_button(f"Download {fmt.upper()}", functools.partial(make, fmt), file_name=f"{stem}.{fmt}",
                               mime=mime, key=f"{key}-{fmt}", on_click="ignore")


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling, so small maps stay crisp in the browser."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def gray(image: np.ndarray, factor: int = 8) -> np.ndarray:
    """A (H, W[, 1]) image in [0, 1] as an enlarged uint8 grey picture; (H, W, 3) stays in colour."""
    img = np.asarray(image, np.float32)
    img = img[..., 0] if img.ndim == 3 and img.shape[-1] != 3 else img
    return enlarge((np.clip(img, 0, 1) * 255).astype(np.uint8), factor)


def colorize(values: np.ndarray, vmax: float | None = None, cmap: str = "viridis", vmin: float = 0.0) -> np.ndarray:
    """Map values to RGB uint8 with a matplotlib colour map (the scale cnnviz's plots use)."""
    vmax = float(np.max(values)) if vmax is None else vmax
    scaled = (np.asarray(values, np.float32) - vmin) / ((vmax - vmin) or 1.0)
    return (matplotlib.colormaps[cmap](np.clip(scaled, 0, 1))[..., :3] * 255).astype(np.uint8)


def mosaic(maps: np.ndarray, cols: int = 16, factor: int = 4, gap: int = 2) -> np.ndarray:
    """All channels of one layer (h, w, c) as one RGB grid, one shared colour scale (bright = strong)."""
    h, w, c = maps.shape
    rows = int(np.ceil(c / cols))
    colored = colorize(np.moveaxis(maps, -1, 0), float(maps.max()) or 1.0)  # (c, h, w, 3)
    cell_h, cell_w = h * factor, w * factor
    grid = np.full((rows * (cell_h + gap) - gap, cols * (cell_w + gap) - gap, 3), 255, np.uint8)
    for k in range(c):
        r, col = divmod(k, cols)
        grid[r * (cell_h + gap) : r * (cell_h + gap) + cell_h, col * (cell_w + gap) : col * (cell_w + gap) + cell_w] = (
            enlarge(colored[k], factor))
    return grid


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5, factor: int = 8) -> np.ndarray:
    """A heat map in [0, 1] over a grey image, in the colours plot_attribution uses."""
    img = np.asarray(image, np.float32)
    img = img[..., 0] if img.ndim == 3 else img
    base = np.repeat(np.clip(img, 0, 1)[..., None], 3, axis=-1)
    color = matplotlib.colormaps[ATTRIBUTION_CMAP](np.clip(heat, 0, 1))[..., :3]
    return enlarge(((1 - alpha) * base + alpha * color) * 255, factor).astype(np.uint8)


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.@+-]+){2,}[/\\]?")


def scrub_paths(text: str) -> str:
    """Server file paths replaced by their last part (the user has no business with the server's folders).

    >>> scrub_paths("cannot read /tmp/cnnviz-dashboard/uploads/upload-1.keras now")
    'cannot read upload-1.keras now'
    """
    return _PATH.sub(lambda m: re.split(r"[/\\]", m.group(0).rstrip("/\\"))[-1], text)


def short_message(exc: BaseException) -> str:
    """One line for the user: cnnviz's own errors as they are, anything else with its type; no server paths."""
    from cnnviz.messages import describe_error, one_line

    if isinstance(exc, (cnnviz.DataError, cnnviz.ModelError, ValueError)):
        return scrub_paths(one_line(exc, 400))
    return scrub_paths(describe_error(exc, 400))


def show_error(exc: BaseException) -> None:
    """A page failed: a short message, and the details (type, whole message; never a traceback or a server
    path) in an expander that is closed by default."""
    from cnnviz.messages import one_line

    st.error(f"This page could not be shown: {short_message(exc)}", icon=":material/error:")
    with st.expander("Details", expanded=False):
        st.code(scrub_paths(f"{type(exc).__module__}.{type(exc).__qualname__}: {one_line(exc, 4000)}"),
                language=None, wrap_lines=True)
        st.caption("Try another model or input; if it keeps failing, report the details above.")


def run_page(page) -> None:
    """Run a Streamlit page; any exception becomes :func:`show_error` (Streamlit's rerun/stop pass through:
    they are not Exceptions)."""
    try:
        page.run()
    except Exception as exc:
        show_error(exc)


def tutorial_note(text: str) -> None:
    """A note, in our own words, that ties a page to the part of the tutorial it brings to life."""
    st.caption(f"Tutorial: {text}")


# --------------------------------------------------------------------------- can I trust this map?


def digest(array: np.ndarray) -> str:
    """A short content hash of an array (to know which digit a stored result belongs to)."""
    import hashlib

    return hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


@st.cache_data(max_entries=32, show_spinner="Running the deletion curve and the sanity check...")
def trust_check(model_ref: str, image: np.ndarray, methods: tuple[str, ...]) -> dict[str, Any]:
    model = get_model(model_ref)
    check = cnnviz.sanity_check(image, methods=list(methods), model=model)
    curves = cnnviz.faithfulness(image, methods=list(methods), model=model)
    verdicts = [(line, check.verdicts[m]) for line, m in zip(check.summary(), check.methods)]
    return {"verdicts": verdicts, "sanity_png": figure_png(cnnviz.attribution.plot_sanity_check(check)),
            "deletion_png": figure_png(cnnviz.attribution.plot_faithfulness(curves))}
