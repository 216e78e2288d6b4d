"""Concepts: a layer factored into a few parts a person can name; click one, see it on a digit."""

import numpy as np
import streamlit as st

import cnnviz
from cnnviz.concepts.plots import evidence_line
from cnnviz.dashboard import cached, models, pictures
from cnnviz.dashboard import concepts_calls as calls
from cnnviz.dashboard.describe import mnist_style

st.title("Concepts")
st.markdown(
    "A layer's channels share their work: one idea is spread over many channels, and one channel mixes several "
    "ideas. Here the layer's activations are factored into a few **concepts** (non-negative matrix "
    "factorization, as in Lucid's Building Blocks and CRAFT): each is a direction in the layer's channels, shown "
    "by the image patches where it is strongest, by a feature visualization, and by how much each class uses it."
)
ref = models.current_model_ref()
models.load_current_model()
cached.needs_layers(ref, "The Concepts page")
names = cached.layer_names(ref)
spatial = names["spatial"]
if not spatial:
    st.info("This page factors convolution or pooling layers, and this model has none.")
    st.stop()
if not mnist_style(names):  # the page fits on the bundled MNIST sample: not images of this model's kind
    shape = "x".join(map(str, names["input_shape"]))
    st.info(f"Concepts are fitted on a few hundred labelled images of the kind the model was made for; the only "
            f"labelled set this dashboard holds is the bundled MNIST sample, and this model takes {shape} images "
            "that are not MNIST-style. Fit them on your own images from Python: "
            "`cnnviz.concepts(layer, images, labels=labels, model=model)` (images: uint8 or 0..1 floats; a "
            "`tf.data.Dataset` works too).")
    st.stop()

controls = st.columns([2, 2, 1, 1])
default = spatial.index("conv2") if "conv2" in spatial else len(spatial) - 1
layer = controls[0].selectbox("Layer", spatial, index=default, key="concepts_layer")
channels = next((int(r["output_shape"][-1]) for r in cached.layer_table(ref) if r["name"] == layer), 16)
if channels < 2:
    st.info(f"{layer} has {channels} channel: there is nothing to factor. Pick another layer.")
    st.stop()
top = min(16, channels)
if st.session_state.get("concepts_n", 8) > top:  # a layer with fewer channels than the last one's choice
    st.session_state["concepts_n"] = top
n = controls[1].slider("Concepts n", 2, top, min(8, top), key="concepts_n", help=f"at most {layer}'s {channels} channels")
seed = int(controls[2].number_input("Seed", 0, 10_000, 0, key="concepts_seed"))
images = controls[3].toggle("Pictures", True, key="concepts_images", help="feature visualizations (slower)")

try:
    result = calls.fit(ref, layer, int(n), seed, bool(images))
except (cnnviz.DataError, ValueError) as exc:
    st.warning(f"These concepts cannot be fitted: {exc}")
    st.stop()
line = evidence_line(result)
if "DOUBTFUL" in line:
    st.warning(line)
else:
    st.success(line)
for note in result.notes:
    st.caption(note)
st.image(calls.concepts_png(ref, layer, int(n), seed, bool(images)), width="stretch")

st.subheader("One concept on one digit")
left, right = st.columns([1, 2], gap="large")
with left:
    source = st.radio("Digit", ["Gallery", "Draw"], horizontal=True, key="concepts_source")
    raw = None
    if source == "Draw":
        from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

        canvas = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=196,
                           width=196, drawing_mode="freedraw", return_image_data=True, key="concepts_canvas")
        data = getattr(canvas, "image_data", None) if canvas is not None else None
        if data is not None and np.asarray(data)[..., :3].max() > 0:
            raw = np.ascontiguousarray(np.asarray(data, np.uint8))
    else:
        sample = cached.sample()
        index = st.slider("Test sample image", 0, len(sample.x_test) - 1, 0, key="concepts_example")
        raw = sample.x_test[index]
    concept = st.radio("Concept", list(range(result.n)), horizontal=True, key="concepts_pick",
                       format_func=lambda c: f"{c}")
if raw is None:
    right.info("Draw a digit to see where each concept sits in it.")
    st.stop()
prepared = cached.prepare_or_stop(ref, raw, "This image", right.warning)
cmap, png = calls.concept_map(ref, layer, int(n), seed, bool(images), prepared[0])
with right:
    share = cmap.contributions[concept]
    st.markdown(f"**Concept {concept}** gives the **{cmap.class_name}** logit **{share:+.2f}** "
                f"(gradient x coefficient; the logit is {cmap.logit:.2f}).")
    cols = st.columns(3)
    shown = cached.to_display(ref, prepared)[0]
    grey = shown.mean(axis=-1, keepdims=True)
    heat = pictures.colorize(cmap.maps[concept], float(cmap.maps.max()) or 1.0).astype(np.float32) / 255
    overlay = np.clip(0.45 * grey + 0.55 * heat, 0, 1)
    cols[0].image(pictures.gray(overlay, 5), caption=f"where concept {concept} sits", output_format="PNG")
    if result.images is not None:
        cols[1].image(pictures.gray(result.images[concept], 5), caption="its feature visualization", output_format="PNG")
    cols[2].image(pictures.gray(result.patches[concept, 0], 12), caption="its strongest patch", output_format="PNG")
st.image(png, width="stretch")
