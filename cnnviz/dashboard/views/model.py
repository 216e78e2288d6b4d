"""Page 1, Model: the architecture (table and diagram), the model card, the training curves."""

import pandas as pd
import streamlit as st

from cnnviz.dashboard import cached, figures, models, page_messages

st.title("The model")
ref = models.current_model_ref()
models.check_current_model()
table = cached.layer_table(ref)
names = cached.layer_names(ref)
card, history = cached.card_and_history(ref)

if ref == models.SHIPPED:
    st.markdown(
        "The tutorial's CNN: **input -> convolution -> pooling -> convolution -> pooling -> flatten -> softmax**. "
        "Each 3x3 filter turns a 28x28 image into a 26x26 map; each 2x2 pooling halves it."
    )
else:  # a user's model: what it is, not the tutorial's
    lo, hi = names["input_range"]
    listed = ", ".join(names["class_names"][:10]) + (", ..." if names["classes"] > 10 else "")
    st.markdown(
        f"This model takes **{'x'.join(map(str, names['input_shape']))}** images (values {lo:g}..{hi:g}, "
        f"{names['input_range_source']}) through **{len(table)} layers** to **{names['classes']} classes** "
        f"({listed})."
    )


def shape_text(shape) -> str:
    return " x ".join(str(d) for d in shape)


input_shape = tuple(names["input_shape"])
rows = [{"layer": "input", "type": "Input", "output shape": shape_text(input_shape), "parameters": 0}]
rows += [{"layer": r["name"], "type": r["type"], "output shape": shape_text(r["output_shape"]),
          "parameters": r["parameters"]} for r in table]
left, right = st.columns([3, 2])
with left:
    st.subheader("Layers")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(f"{sum(r['parameters'] for r in table):,} parameters in all.")
with right:
    st.subheader("Diagram")
    nodes = [("input", "Input", shape_text(input_shape))] + [(r["name"], r["type"], shape_text(r["output_shape"]))
                                                             for r in table]
    dot = ["digraph { rankdir=TB; node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", fontname=Helvetica, "
           "fontsize=11]; edge [color=\"#777777\"];"]
    for i, (name, kind, shape) in enumerate(nodes):
        dot.append(f'n{i} [label="{name} ({kind})\\n{shape}"];')
        if i:
            dot.append(f"n{i - 1} -> n{i};")
    dot.append("}")
    st.graphviz_chart("\n".join(dot), width="content")

st.subheader("Model card")
if card:
    cols = st.columns(4)
    accuracy = card.get("test_accuracy")
    cols[0].metric("Test accuracy", f"{accuracy:.2%}" if accuracy is not None else "n/a")
    cols[1].metric("Training time", f"{card.get('seconds', 0):.0f} s", help=str(card.get("machine", {})))
    data = card.get("data", {})
    cols[2].metric("Training images", f"{data.get('train_images', 0):,}", help=f"source: {data.get('source')}")
    cols[3].metric("Epochs", card.get("epochs_run", "n/a"))
    st.caption(f"Recipe **{card.get('recipe')}**: {card.get('recipe_description', '')}  "
               f"Tested on {data.get('test_images', 0):,} images. Trained {card.get('trained_at', '')} with "
               f"TensorFlow {card.get('versions', {}).get('tensorflow', '?')}.")
else:
    st.info("This model has no model card (cnnviz writes one beside every model it trains).")

st.subheader("Accuracy and loss while training")
png = figures.history_png(ref)
if png:
    st.image(png, width=900)
else:
    st.info("This model has no training history saved beside it.")
page_messages.tutorial_note("Always plot accuracy and loss while training: the two curves are the quickest way to see "
                     "that something went wrong.")
