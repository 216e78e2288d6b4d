"""Page 2, Look inside: pick, upload or draw a digit; see the softmax, every layer's feature maps,
the four kinds of pooling, and saliency / Grad-CAM overlays. Everything updates as you draw."""

import numpy as np
import pandas as pd
import streamlit as st

import cnnviz
from cnnviz.attribution import get_method, method_names, method_title
from cnnviz.dashboard import cached, figures, models, page_messages, pictures

SOURCES = ["Draw", "Gallery", "Upload"]
METHODS = {name: method_title(name) for name in method_names()}  # the attribution registry

st.title("Look inside")
ref = models.current_model_ref()
models.load_current_model()
names = cached.layer_names(ref)
shape_text = "x".join(str(d) for d in names["input_shape"])

left, right = st.columns([1, 2], gap="large")
with left:
    photos = names.get("convention", "mnist") != "mnist"  # not MNIST-style: the user's own images, taken as they are
    if photos:
        from cnnviz.dashboard.describe import photo_gallery

        st.caption(f"This model takes {shape_text} images as they are (resized, grey/colour converted, no "
                   "inverting or centring). Upload photos; your uploads stay in this session's gallery.")
        source = "Photos"
        if names["mnist_like"]:  # 28x28 grey: the bundled digits are images of its kind
            source = st.radio("Input", ["Photos", "Gallery"], horizontal=True, key="input_source_photos",
                              captions=["your own images", "the bundled MNIST test sample, as it is"])
    else:
        source = st.radio("Input", SOURCES, horizontal=True, key="input_source",
                          captions=["with the mouse", "the bundled test sample", "a PNG or JPEG"])
    raw, raw_name = None, "This image"
    if source == "Photos":
        raw = photo_gallery()
    elif source == "Draw":
        from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

        st.caption("Draw one digit, large, in the black square. It is shrunk to 28x28 the way MNIST digits were.")
        canvas = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=252,
                           width=252, drawing_mode="freedraw", return_image_data=True, key="canvas")
        image_data = getattr(canvas, "image_data", None) if canvas is not None else None
        if image_data is not None and np.asarray(image_data)[..., :3].max() > 0:
            raw = np.ascontiguousarray(np.asarray(image_data, np.uint8))
    elif source == "Gallery":
        sample = cached.sample()
        digit = st.selectbox("Digit", list(range(10)), index=3, key="gallery_digit")
        example = st.slider("Example of that digit", 0, 99, 0, key="gallery_example")
        index = int(np.flatnonzero(sample.y_test == digit)[example])
        raw = sample.x_test[index]
        st.caption(f"Test sample image #{index}, labelled {digit}.")
    else:
        upload = st.file_uploader("An image of one digit", type=["png", "jpg", "jpeg"], key="digit_upload")
        if upload is not None:
            raw, raw_name = upload.getvalue(), upload.name

    if raw is None:
        st.info("Upload an image to see what the network makes of it." if photos else
                {"Upload": "Upload an image of one digit"}.get(source, "Draw a digit") +
                " (or pick one from the gallery) to see what the network makes of it.")
        st.stop()
    prepared = cached.prepare_or_stop(ref, raw, raw_name, st.error)
    maps = cached.feature_maps(ref, prepared)
    shown = cached.to_display(ref, maps.inputs)
    lo, hi = names["input_range"]
    st.image(pictures.gray(shown[0], 6), caption=f"What the model sees: {shape_text}, values {lo:g}..{hi:g}",
             output_format="PNG", width=168)
    if names["input_range_source"].startswith("assumed"):
        st.caption(f"Input range {lo:g}..{hi:g} is assumed: nothing in the model says what it was trained on.")
    for note in maps.notes:  # what was done to the image (cnnviz.io.images: the model's convention)
        st.caption(f"Done to the image: {note}.")

probabilities = maps.probabilities[0]
predicted = int(probabilities.argmax())
with right:
    class_names = names["class_names"]
    st.metric("Prediction", class_names[predicted], f"probability {probabilities[predicted]:.3f}", delta_color="off")
    if maps.blank[0]:
        st.warning(f"Note: {cnnviz.io.data.BLANK_NOTE}.", icon=":material/warning:")
    chart = pd.DataFrame({"probability": probabilities}, index=class_names)
    chart.index.name = "class"
    st.bar_chart(chart, y="probability", height=260, y_label="probability", x_label="class")

cached.needs_layers(ref, "Feature maps and pooling")

st.header("Feature maps of every layer")
st.caption("Each small square is one channel of the layer (bright = strong activation, one colour scale per layer). "
           "Convolutions find strokes and edges; pooling keeps the strongest response of each 2x2 window.")
MAX_LAYERS = 12  # a MobileNet has ~150 layers of maps: a few across the depth unless asked for all
spatial = names["spatial"]
if len(spatial) > MAX_LAYERS and not st.checkbox(f"Show all {len(spatial)} layers", key="all_layers"):
    picks = np.unique(np.linspace(0, len(spatial) - 1, MAX_LAYERS).round().astype(int))
    spatial = [spatial[i] for i in picks]
    st.caption(f"{len(spatial)} of {len(names['spatial'])} layers, spread across the depth.")
shapes = []
for name in spatial:
    layer_maps = maps.maps[name][0]
    h, w, c = layer_maps.shape
    shapes.append(f"{h}x{w}x{c}")
    factor = max(1, 72 // max(h, w))
    st.image(pictures.mosaic(layer_maps, cols=16 if c > 16 else c, factor=factor),
             caption=f"{name}: {h}x{w} x {c} maps (max activation {layer_maps.max():.2f})", output_format="PNG")
st.caption(f"Shapes: {'x'.join(str(d) for d in names['input_shape'])} -> " + " -> ".join(shapes))

st.header("Four kinds of pooling")
page_messages.tutorial_note("Pooling moves over the map the way a filter does, but instead of weighting the values it "
                     "keeps the largest one of each window.")
pool_left, pool_mid, pool_right = st.columns(3)
layer = pool_left.selectbox("Feature map of layer", names["spatial"], key="pool_layer")
channels = maps.maps[layer].shape[-1]
if channels > 1:
    channel = pool_mid.slider("Channel", 0, channels - 1, 0, key="pool_channel")
else:
    channel = 0
    pool_mid.caption(f"{layer} has one channel.")
size = pool_right.select_slider("Window", [2, 3, 4], value=2, key="pool_size")
fmap = maps.maps[layer][0, :, :, channel]
pooled = cached.pooling(fmap, size)
vmax = float(fmap.max()) or 1.0
columns = st.columns(5)
columns[0].image(pictures.enlarge(pictures.colorize(fmap, vmax), max(1, 140 // fmap.shape[0])),
                 caption=f"{layer} #{channel}: {fmap.shape[0]}x{fmap.shape[1]}", output_format="PNG")
for column, (kind, values) in zip(columns[1:], pooled.items()):
    label = f"{kind} pooling" if "global" not in kind else kind
    detail = f" = {float(values[0, 0]):.3f}" if values.size == 1 else f": {values.shape[0]}x{values.shape[1]}"
    column.image(pictures.enlarge(pictures.colorize(values, vmax), max(1, 140 // values.shape[0])),
                 caption=label + detail, output_format="PNG")

st.header("Which pixels decided it")
methods = st.multiselect("Methods", list(METHODS), default=["saliency", "gradcam"], format_func=METHODS.get,
                         key="attribution_methods")
if methods:
    columns = st.columns(len(methods) + 1)
    columns[0].image(pictures.gray(shown[0], 6), caption=f"input (model says {class_names[predicted]})",
                     output_format="PNG")
    for column, method in zip(columns[1:], methods):
        if "conv_layer" in get_method(method).needs and not names["conv"]:
            column.info(f"{METHODS[method]} needs a convolution layer; this model has none.")
            continue
        result = cached.attribution(ref, maps.inputs, method)
        column.image(pictures.overlay(shown[0].mean(axis=-1), result.maps[0], factor=6),
                     caption=f"{METHODS[method]} for class {class_names[result.targets[0]]}", output_format="PNG")
    st.caption("Bright yellow: pixels that raise the predicted class's score most; dark: pixels that matter little. "
               "Grad-CAM looks through the last convolution layer, so its map is coarser.")

    with st.expander("Can I trust this?", expanded=False):
        thing = "image" if photos else "digit"  # the user's photo is no digit
        st.markdown(f"A heat map can look plausible and still say nothing about the model. Two checks, on this {thing} "
                    "and the methods chosen above: **deletion** removes pixels (black; in a colour image, its mean "
                    "colour) in the order each map ranks them "
                    "(a map that found what the model uses makes its confidence fall faster than random order); "
                    "the **sanity check** re-initializes the layers at random, top first, and draws the maps again "
                    f"(a map that stays the same shows the {thing}'s shape, not what the network learned).")
        runnable = tuple(m for m in methods if "conv_layer" not in get_method(m).needs or names["conv"])
        trust_key = (ref, cached.digest(maps.inputs), runnable)
        if st.button("Run the checks (a few seconds)", key="trust_run", disabled=not runnable):
            st.session_state["trust_for"] = trust_key
        if st.session_state.get("trust_for") == trust_key:
            trust = figures.trust_check(ref, maps.inputs, runnable)
            for line, verdict in trust["verdicts"]:
                {"fails": st.error, "partly": st.warning}.get(verdict, st.success)(line)
            st.image(trust["deletion_png"], caption=f"Deletion curve for this {thing}", output_format="PNG")
            st.image(trust["sanity_png"], caption="Maps as the layers are randomized (left to right)",
                     output_format="PNG")
            st.caption(f"One {thing} is a first look: `cnnviz check` and bench/attribution.py run the same checks on "
                       "many test images.")
        else:
            st.caption("Computed on demand: press the button.")
