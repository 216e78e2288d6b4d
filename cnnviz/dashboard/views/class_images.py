"""Page 5, What the network sees: activation maximization of the classes, and the tutorial's
"fake digits vs constrained digits" experiment. Figures download as PNG, SVG and PDF."""

import streamlit as st

import cnnviz
from cnnviz.dashboard import cached, figures, models, page_messages
from cnnviz.dashboard.describe import mnist_style
from cnnviz.optvis.presets import CLASS_STEPS, DEFAULT, L1_CONSTRAINT, NONE

PRESETS = {
    "default": "default: L1 + total variation + jitter + blur",
    "none": "none: the tutorial's fake digits",
    "l1": "L1: the tutorial's 'fewer pixels' constraint",
}
PRESET_VALUES = {  # cnnviz's own presets, as the sliders' starting points
    name: vars(reg) for name, reg in (("default", DEFAULT), ("none", NONE), ("l1", L1_CONSTRAINT))
}

st.title("What the network sees")
ref = models.current_model_ref()
models.load_current_model()
names = cached.layer_names(ref)
digits = mnist_style(names)  # the tutorial's digit wording and the MNIST data prior fit this model
classes_available = list(range(names["classes"]))
if digits:
    st.markdown(
        "Start from noise and change the pixels until the network is as sure as it can be that the image is a "
        "given digit (activation maximization). Without constraints the result fools the network but looks like "
        "noise; asking for **fewer lit pixels** (L1) and smooth strokes (total variation) makes it readable."
    )
    page_messages.tutorial_note("The natural question: what does the computer actually see? Does it see digits at all?")
else:
    st.markdown(
        "Start from noise and change the pixels until the network is as sure as it can be that the image is of a "
        "given class (activation maximization). Without constraints the result fools the network but looks like "
        "noise; asking for **fewer strong pixels** (L1) and smoothness (total variation) makes it easier to read."
    )

top = st.columns([2, 3])
choice = top[0].selectbox("Class", ["all ten", *classes_available], key="class_choice",
                          format_func=lambda c: "all classes" if c == "all ten" else
                          f"digit {c}" if digits else names["class_names"][c])
preset = top[1].radio("Regularization", list(PRESETS), horizontal=True, key="class_preset",
                      format_func=lambda p: PRESETS[p] if digits else PRESETS[p].replace("fake digits", "fake images"))
values = PRESET_VALUES[preset]
sliders = st.columns(6)
l1 = sliders[0].slider("L1 (fewer pixels)", 0.0, 100.0, float(values["l1"]), 0.5, key=f"l1_{preset}")
tv = sliders[1].slider("TV (smoothness)", 0.0, 30.0, float(values["tv"]), 0.5, key=f"tv_{preset}")
jitter = sliders[2].slider("Jitter (pixels)", 0, 4, int(values["jitter"]), key=f"jitter_{preset}")
blur = sliders[3].slider("Blur (sigma)", 0.0, 2.0, float(values["blur"]), 0.25, key=f"blur_{preset}")
steps = sliders[4].slider("Steps", 10, 1000, CLASS_STEPS["pixels"], 10, key="class_steps",
                          help="More steps climb further; the learning rate is set so that the default reads best.")
seed = sliders[5].number_input("Seed", 0, 10_000, 0, key="class_seed")

KINDS = {
    "pixels": "pixels: every pixel is free, so you see what the model responds to at all (even non-digits)",
    "fourier": "fourier: the image is built from smooth waves, low frequencies first, which favours strokes",
    "data prior": "data prior: a generative model of MNIST draws the digit, so you see what the model responds "
                  "to among natural digits (the sliders above do not apply)",
}
more = st.columns([3, 1, 2])
# the data prior's generator draws MNIST digits: for other models it would be a claim about MNIST, not them
kinds = list(KINDS) if digits else [k for k in KINDS if k != "data prior"]
if st.session_state.get("class_param") not in kinds:
    st.session_state.pop("class_param", None)
kind = more[0].radio("Image made of", kinds, horizontal=True, key="class_param",
                     help="How the optimized image is represented.")
more[0].caption(KINDS[kind] if digits else KINDS[kind].replace("non-digits", "nothing like the class")
                .replace("favours strokes", "favours smooth shapes"))
n = int(more[1].number_input("Images per class", 1, 4, 1, key="class_n",
                             help="More than one: a diversity term keeps them different from each other."))
more[1].caption("diversity: several different inputs the model accepts as the class")
objective = more[2].text_input("Objective (optional)", "", key="class_objective",
                               help="Empty: each class's score. 'conv2:5': filter 5 of layer conv2 instead.")
more[2].caption("what is maximized: empty = the class's score (logit); 'layer:channel' = one filter")

classes = tuple(classes_available) if choice == "all ten" else (int(choice),)
fixed_target = False
if objective.strip():
    from cnnviz.optvis.reached import uses_target

    try:
        fixed_target = not uses_target(cnnviz.optvis.objectives.as_objective(objective.strip()))
    except (TypeError, ValueError):
        fixed_target = False  # the call below says what is wrong with it
    if fixed_target and len(classes) > 1:
        classes = classes[:1]  # the objective names its own channel: one image, not one copy per class
settings = (preset, float(l1), float(tv), int(jitter), float(blur), int(steps), int(seed), kind, n, objective)
try:
    result = cached.maximize_open(ref, classes, *settings)
    png = figures.maximization_open_figure(ref, classes, *settings)
except (ValueError, cnnviz.ModelError) as exc:
    st.error(str(exc))
    st.stop()
if objective.strip():
    alone = " It names its own channel, so the class choice does not apply: one image." if fixed_target else ""
    st.markdown(f"Maximized **{result.objective}**: {result.message.rstrip('.')}.{alone}")
    if not result.reached.all():
        st.warning("Not reached: the objective did not rise above what real images give it.")
else:
    on_target = int((result.predicted == result.targets).sum())
    st.markdown(f"**{on_target} of {len(result)}** images are classified as their target "
                f"(mean softmax {result.confidence.mean():.3f}).")
    if not result.reached.all():
        st.warning(result.message)
st.image(png, width="stretch")
stem = f"class-images-{'all' if len(classes) > 1 else classes[0]}-{preset if kind != 'data prior' else 'data'}"
figures.download_buttons(lambda fmt: figures.maximization_open_figure(ref, classes, *settings, fmt=fmt), stem,
                        key="maximization")

if digits:
    st.header("Fake digits vs constrained digits")
    st.markdown("The tutorial's experiment: every class without any constraint (top) and with the L1 constraint "
                f"(below it), {steps} steps, seed {seed}. For digit models two more rows: the data prior's digits and "
                "each class's highest-scoring real digit from the sample (people predict a unit best from real "
                "examples, Borowski et al. 2021). Pixels show what the model responds to at all; the data prior shows "
                "what it responds to among natural digits. Both are true.")
else:
    st.header("Fake vs constrained class images")
    st.markdown("The tutorial's experiment: every class without any constraint (top) and with the L1 constraint "
                f"(below it), {steps} steps, seed {seed}. Pixels show what the model responds to at all, which "
                "need not look like anything a person would call the class.")
st.image(figures.fake_vs_constrained_figure(ref, int(steps), int(seed)), width="stretch")
figures.download_buttons(lambda fmt: figures.fake_vs_constrained_figure(ref, int(steps), int(seed), fmt=fmt),
                        "fake-vs-constrained", key="fake")
