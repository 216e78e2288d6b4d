"""Page 4, Filters: the conv kernels, each filter's maximized pattern, and its top-activating examples."""

import streamlit as st

from cnnviz.dashboard import common

st.title("Filters")
st.markdown(
    "Each convolution layer learns a set of small filters. Below: their weights, the input pattern each one "
    "responds to most (found by optimizing an input, like the class images), and the sample images that "
    "excite it most."
)
common.tutorial_note("Nobody writes the numbers in a filter by hand: training learns them.")
ref = common.current_model_ref()
common.load_current_model()
common.needs_layers(ref, "The Filters page")
convs = common.layer_names(ref)["conv"]
if not convs:
    st.info("This page shows convolution layers, and this model has none.")
    st.stop()

controls = st.columns(3)
layer = controls[0].selectbox("Layer", convs, key="filters_layer")
steps = controls[1].slider("Optimization steps", 10, 500, 150, step=10, key="filters_steps")
seed = controls[2].number_input("Seed", 0, 10_000, 0, key="filters_seed")

st.subheader(f"{layer} kernels")
st.image(common.filters_png(ref, layer), width="stretch")

st.subheader(f"The pattern each {layer} filter responds to most")
patterns = common.filter_patterns(ref, layer, int(steps), int(seed))
st.image([common.gray(img, 3) for img in patterns.images], caption=[f"#{t}" for t in patterns.targets], width=84,
         output_format="PNG")
st.caption("Each image was optimized from noise to raise the filter's mean activation "
           f"({steps} steps, seed {seed}). conv1 filters like edges and strokes; conv2 ones combine them.")

st.subheader("One filter up close")
channels = len(patterns.targets)
index = st.slider("Filter", 0, channels - 1, 0, key="filters_index") if channels > 1 else 0
left, right = st.columns([1, 3])
left.image(common.gray(patterns.images[index], 6), caption=f"{layer} #{index}: its maximized pattern",
           output_format="PNG")
atlas, atlas_note = common.get_atlas(ref)
if atlas is not None and layer in atlas.layers:
    right.image(common.atlas_top_png(ref, layer, int(index), 12), width="stretch")
    right.caption(f"From the atlas: {atlas_note}.")
else:
    right.image(common.top_examples_png(ref, layer, int(index), 12), width="stretch")
    right.caption(f"From the 1,000-image test sample ({atlas_note}).")
