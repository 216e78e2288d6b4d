"""Page 4, Filters: the conv kernels, each filter's maximized pattern, and its top-activating examples."""

import numpy as np
import streamlit as st

import cnnviz
from cnnviz.dashboard import cached, describe, figures, models, page_messages, pictures
from cnnviz.dashboard.describe import mnist_style
from cnnviz.optvis.presets import FILTER_STEPS

st.title("Filters")
ref = models.current_model_ref()
models.load_current_model()
digits = mnist_style(cached.layer_names(ref))  # the bundled MNIST sample fits this model; else the user's images
st.markdown(
    "Each convolution layer learns a set of small filters. Below: their weights, the input pattern each one "
    "responds to most (found by optimizing an input, like the class images), and "
    f"{'the sample images' if digits else 'those of your images'} that excite it most."
)
page_messages.tutorial_note("Nobody writes the numbers in a filter by hand: training learns them.")
cached.needs_layers(ref, "The Filters page")
convs = cached.layer_names(ref)["conv"]
if not convs:
    st.info("This page shows convolution layers, and this model has none.")
    st.stop()

controls = st.columns(3)
layer = controls[0].selectbox("Layer", convs, key="filters_layer")
steps = controls[1].slider("Optimization steps", 10, 500, FILTER_STEPS, step=10, key="filters_steps")
seed = controls[2].number_input("Seed", 0, 10_000, 0, key="filters_seed")

st.subheader(f"{layer} kernels")
st.image(figures.filters_png(ref, layer), width="stretch")

st.subheader(f"The pattern each {layer} filter responds to most")
patterns = cached.filter_patterns(ref, layer, int(steps), int(seed))
# a mid-grey frame around each tile, so a white or black pattern does not run into its neighbours
def framed(tile: np.ndarray) -> np.ndarray:
    """``tile`` with 3 mid-grey pixels around it (height and width only: a colour tile keeps its 3 channels)."""
    return np.pad(tile, ((3, 3), (3, 3)) + ((0, 0),) * (tile.ndim - 2), constant_values=128)


st.image([framed(pictures.gray(img, 3)) for img in patterns.images],
         caption=[f"#{t}" for t in patterns.targets], width=84, output_format="PNG")
st.caption("Each image was optimized from noise to raise the filter's mean activation "
           f"({steps} steps, seed {seed})." + (" conv1 filters like edges and strokes; conv2 ones combine them."
                                               if digits else ""))
kernel, _ = cached.kernel_and_bias(ref, layer)
weights = np.asarray(kernel).reshape(-1, np.asarray(kernel).shape[-1])  # (taps x inputs, filters)
positive, negative = np.flatnonzero((weights >= 0).all(axis=0)), np.flatnonzero((weights <= 0).all(axis=0))
if len(positive) or len(negative):
    named = "; ".join(f"all {sign}: #{', #'.join(map(str, idx))}" for sign, idx in
                      (("positive", positive), ("negative", negative)) if len(idx))
    st.info(f"Some {layer} filters have weights of one sign ({named}). For such a filter every lit pixel adds "
            "(or every lit pixel subtracts) the same way wherever it is, so the input it likes most is flat: all "
            "white for positive weights, all black for negative ones. A flat pattern there is the right answer, "
            "not a failed optimization.", icon=":material/info:")

def is_flat(img: np.ndarray) -> bool:
    """One value per colour channel on (nearly) every pixel, a thin edge aside."""
    img = np.asarray(img, np.float32).reshape(img.shape[0], img.shape[1], -1)
    return float(np.mean(np.abs(img - np.median(img, axis=(0, 1))) < 0.05)) > 0.9


flat = [int(t) for t, img in zip(patterns.targets, patterns.images) if is_flat(img)]
activation = getattr(cnnviz.core.build.get_probe(models.get_model(ref)).layer(layer), "activation", None)
if flat and getattr(activation, "__name__", "") == "linear" and not (len(positive) or len(negative)):
    st.info(f"{layer} has no activation of its own, so its mean response is a weighted sum of the input's pixels: "
            "the input that raises it most is flat, at the top of the range where the filter's weights sum to a "
            "positive number and at the bottom where they sum to a negative one (per colour channel in a colour "
            f"image; the edge, which fewer positions see, may differ). Flat patterns here ({', '.join(f'#{t}' for t in flat)}) are that "
            "answer, not a failed optimization; the layers after a ReLU show more.", icon=":material/info:")

st.subheader("One filter up close")
channels = len(patterns.targets)
index = st.slider("Filter", 0, channels - 1, 0, key="filters_index") if channels > 1 else 0
left, right = st.columns([1, 3])
left.image(pictures.gray(patterns.images[index], 6), caption=f"{layer} #{index}: its maximized pattern",
           output_format="PNG")
if not digits:  # the bundled sample is MNIST digits: not images of this model's kind
    photos = {}
    for name, data in describe.session_photos().items():
        try:
            photos[name] = cached.prepare(ref, data)
        except (cnnviz.DataError, ValueError):
            continue  # one this model cannot read; Look inside says why
    if photos:
        images = np.concatenate(list(photos.values()))
        k = min(12, len(images))
        right.image(figures.top_examples_png(ref, layer, int(index), k, images),
                    width="stretch" if k >= 8 else 560)  # a figure of a few images is small
        right.caption(f"From your {len(images)} image{'s' if len(images) > 1 else ''} of this session "
                      f"({', '.join(photos)}). Add more below or on Look inside.")
    else:
        right.info("No images of this model's kind yet: the bundled sample is handwritten MNIST, which this model was "
                   "not made for. Upload a few of your own (PNG or JPEG, any size) below or on Look inside; this "
                   "session keeps them, and the ones that excite this filter most show here.")
    added = right.file_uploader("Add your images", type=["png", "jpg", "jpeg"], accept_multiple_files=True,
                                key="filters_photos_upload")
    if added and any(a.name not in describe.session_photos() for a in added):
        describe.add_photos(added)
        st.rerun()
    st.stop()
atlas, atlas_note = cached.get_atlas(ref)
if atlas is not None and layer in atlas.layers:
    right.image(figures.atlas_top_png(ref, layer, int(index), 12), width="stretch")
    right.caption(f"From the atlas: {atlas_note}.")
else:
    right.image(figures.top_examples_png(ref, layer, int(index), 12), width="stretch")
    right.caption(f"From the 1,000-image test sample ({atlas_note}).")
