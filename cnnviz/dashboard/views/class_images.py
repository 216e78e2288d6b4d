"""Page 5, What the network sees: activation maximization of the classes, and the tutorial's
"fake digits vs constrained digits" experiment. Figures download as PNG, SVG and PDF."""

import streamlit as st

import cnnviz
from cnnviz.dashboard import common
from cnnviz.maximize import DEFAULT, L1_CONSTRAINT, NONE

PRESETS = {
    "default": "default: L1 + total variation + jitter + blur",
    "none": "none: the tutorial's fake digits",
    "l1": "L1: the tutorial's 'fewer pixels' constraint",
}
PRESET_VALUES = {  # cnnviz's own presets, as the sliders' starting points
    name: vars(reg) for name, reg in (("default", DEFAULT), ("none", NONE), ("l1", L1_CONSTRAINT))
}

st.title("What the network sees")
st.markdown(
    "Start from noise and change the pixels until the network is as sure as it can be that the image is a "
    "given digit (activation maximization). Without constraints the result fools the network but looks like "
    "noise; asking for **fewer lit pixels** (L1) and smooth strokes (total variation) makes it readable."
)
common.tutorial_note("The natural question: what does the computer actually see? Does it see digits at all?")
ref = common.current_model_ref()
common.load_current_model()
classes_available = list(range(common.layer_names(ref)["classes"]))

top = st.columns([2, 3])
choice = top[0].selectbox("Class", ["all ten", *classes_available], key="class_choice",
                          format_func=lambda c: "all classes" if c == "all ten" else f"digit {c}")
preset = top[1].radio("Regularization", list(PRESETS), format_func=PRESETS.get, horizontal=True,
                      key="class_preset")
values = PRESET_VALUES[preset]
sliders = st.columns(6)
l1 = sliders[0].slider("L1 (fewer pixels)", 0.0, 100.0, float(values["l1"]), 0.5, key=f"l1_{preset}")
tv = sliders[1].slider("TV (smoothness)", 0.0, 30.0, float(values["tv"]), 0.5, key=f"tv_{preset}")
jitter = sliders[2].slider("Jitter (pixels)", 0, 4, int(values["jitter"]), key=f"jitter_{preset}")
blur = sliders[3].slider("Blur (sigma)", 0.0, 2.0, float(values["blur"]), 0.25, key=f"blur_{preset}")
steps = sliders[4].slider("Steps", 10, 1000, 200, 10, key="class_steps")
seed = sliders[5].number_input("Seed", 0, 10_000, 0, key="class_seed")

classes = tuple(classes_available) if choice == "all ten" else (int(choice),)
settings = (preset, float(l1), float(tv), int(jitter), float(blur), int(steps), int(seed))
try:
    result = common.maximize(ref, classes, *settings)
    png = common.maximization_figure(ref, classes, *settings)
except (ValueError, cnnviz.ModelError) as exc:
    st.error(str(exc))
    st.stop()
on_target = int((result.predicted == result.targets).sum())
st.markdown(f"**{on_target} of {len(result)}** images are classified as their target "
            f"(mean softmax {result.confidence.mean():.3f}).")
st.image(png, width="stretch")
stem = f"class-images-{'all' if len(classes) > 1 else classes[0]}-{preset}"
common.download_buttons(lambda fmt: common.maximization_figure(ref, classes, *settings, fmt=fmt), stem,
                        key="maximization")

st.header("Fake digits vs constrained digits")
st.markdown("The tutorial's experiment: every class without any constraint (top) and with the L1 constraint "
            f"(bottom), {steps} steps, seed {seed}.")
st.image(common.fake_vs_constrained_figure(ref, int(steps), int(seed)), width="stretch")
common.download_buttons(lambda fmt: common.fake_vs_constrained_figure(ref, int(steps), int(seed), fmt=fmt),
                        "fake-vs-constrained", key="fake")
