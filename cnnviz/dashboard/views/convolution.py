"""Page 3, Convolution step by step: one conv1 filter sliding over the input, with a stride you set."""

import time

import numpy as np
import streamlit as st

import cnnviz
from cnnviz.dashboard import cached, figures, models, page_messages
from cnnviz.dashboard.describe import mnist_style, session_photos

st.title("Convolution, step by step")
st.markdown(
    "A convolution is a small filter sliding over the image: at each position the 3x3 **patch** under it is "
    "multiplied element by element with the **kernel**, and the products are **summed** (then the bias is added "
    "and ReLU keeps only positive values). The **stride** is how far the filter moves each step."
)
page_messages.tutorial_note("A convolution multiplies a filter, value by value, with a patch of the pixel matrix and "
                     "adds up the products; then it moves on to the next patch.")
ref = models.current_model_ref()
models.load_current_model()
names = cached.layer_names(ref)
first_conv = names["conv"][0] if names["conv"] else None
if first_conv is None:
    st.info("This page shows a convolution layer, and this model has none.")
    st.stop()
if not names["first_conv_is_input_conv2d"]:
    lo, hi = names["input_range"]
    if names["first_layer"] == first_conv and (lo, hi) != (0.0, 1.0):  # a Conv2D first, on another range
        st.info(f"This page slides a filter over an image of [0, 1] pixel values; this model's first layer, "
                f"{first_conv}, reads values in {lo:g}..{hi:g}, so its filter is not shown here. The Filters page "
                "shows its kernels, and Look inside what it makes of your images.")
    else:
        st.info(f"This page shows a Conv2D that reads the [0, 1] input image directly; this model starts with "
                f"{names['first_layer'] or 'no readable layer'} (input range {lo:g}..{hi:g}), so there is no such "
                "filter to slide.")
    st.stop()
kernel, bias = cached.kernel_and_bias(ref, first_conv)
if kernel.shape[2] != 1:
    st.info(f"{first_conv} reads {kernel.shape[2]} input channels; this page shows single-channel (grey) inputs.")
    st.stop()

controls = st.columns(4)
if mnist_style(names):
    sample = cached.sample()
    digit = controls[0].selectbox("Input: a gallery digit", list(range(10)), index=7, key="conv_digit")
    raw = sample.x_test[int(np.flatnonzero(sample.y_test == digit)[0])]
else:  # the bundled sample is MNIST digits, not images of this model's kind: the session's own images
    photos = session_photos()
    if not photos:
        st.info("No image of this model's kind yet (the bundled sample is handwritten MNIST): upload one on Look "
                "inside, and this session keeps it for this page too.")
        st.stop()
    raw = photos[controls[0].selectbox("Input: one of your images", list(photos), key="conv_photo")]
filter_index = controls[1].slider(f"{first_conv} filter", 0, kernel.shape[-1] - 1, 0, key="conv_filter")
stride = controls[2].select_slider("Stride", [1, 2, 3], value=1, key="conv_stride")
image = cached.prepare_or_stop(ref, raw, "This image", st.warning)[0, :, :, 0]
rows = cnnviz.convolution.output_size(image.shape[0], kernel.shape[0], stride)
cols = cnnviz.convolution.output_size(image.shape[1], kernel.shape[1], stride)
total = rows * cols
step_key = f"conv_step_{stride}"
st.session_state.setdefault(step_key, min(total - 1, (rows // 2) * cols + cols // 2))
if "conv_pending_step" in st.session_state:  # set by Play in the previous run, before the slider is drawn
    st.session_state[step_key] = min(total - 1, st.session_state.pop("conv_pending_step"))
step = controls[3].slider("Position (row by row)", 0, total - 1, key=step_key)
st.caption(f"A {image.shape[0]}x{image.shape[1]} input and a {kernel.shape[0]}x{kernel.shape[1]} filter at "
           f"stride {stride} give a {rows}x{cols} output: {total} positions.")

picture = st.empty()


def show(position: int) -> None:
    result = cnnviz.convolution.convolution_step(image, kernel[:, :, 0, filter_index], position, stride=stride,
                                     bias=float(bias[filter_index]))
    picture.image(figures.figure_png(cnnviz.convolution.plot_convolution_step(result)), width="stretch")
    return result


result = show(step)
st.markdown(f"Position ({result.row}, {result.col}): sum of products **{result.total:.3f}** + bias "
            f"**{result.bias:.3f}** -> ReLU -> **{result.value:.3f}** "
            f"(row {result.row}, column {result.col} of the output map).")
if st.button("Play: slide over the next row", key="conv_play"):
    start = min(step + 1, total - 1)
    for position in range(start, min(total, start + cols)):
        show(position)
        time.sleep(0.05)
    st.session_state["conv_pending_step"] = start + cols - 1
    st.rerun()
