"""cnnviz dashboard: see what a CNN has learned on MNIST.

Run it with ``cnnviz dashboard``, ``python -m streamlit run dashboards/app.py`` from a checkout,
or ``streamlit run`` on this file. Thin by design: every computation is a cnnviz call (see
:mod:`cnnviz.dashboard.cached` for the cached calls).
"""

from pathlib import Path

import streamlit as st

from cnnviz.dashboard import memory, models, page_messages, picker, warm

HERE = Path(__file__).resolve().parent
APP_PATH = HERE / "app.py"


def main() -> None:
    """Lay out the pages and run the one the browser asked for (call it from a Streamlit script)."""
    models.prepare_process()  # once per server (never at import): backend, after-run cleaning, a warning filter
    st.set_page_config(page_title="cnnviz: what a CNN has learned", page_icon=":material/visibility:", layout="wide")
    pages = [
        st.Page(HERE / "views" / "model.py", title="Model", icon=":material/account_tree:", default=True),
        st.Page(HERE / "views" / "look_inside.py", title="Look inside", icon=":material/draw:"),
        st.Page(HERE / "views" / "convolution.py", title="Convolution, step by step", icon=":material/grid_on:"),
        st.Page(HERE / "views" / "filters.py", title="Filters", icon=":material/filter_alt:"),
        st.Page(HERE / "views" / "class_images.py", title="What the network sees", icon=":material/visibility:"),
        st.Page(HERE / "views" / "train.py", title="Train", icon=":material/model_training:"),
        st.Page(HERE / "views" / "concepts.py", title="Concepts", icon=":material/category:"),
    ]
    page = st.navigation(pages)
    try:
        with models.one_at_a_time_until_keras():  # the picker (an upload) and the page may import TensorFlow
            picker.apply_pending_selection()
            st.session_state["model_ref"] = picker.model_picker()
            with st.sidebar:
                st.caption("cnnviz brings the CNN tutorial to life: conv 3x3 -> pool 2x2 -> conv 3x3 -> pool 2x2 "
                           "-> softmax.")
            page_messages.run_page(page)
    finally:  # once per server, after the first page (even one that stops): the other pages' first visits
        warm.start()
        memory.now_and_then()  # garbage and freed pages back to the system, at most every few seconds


if __name__ == "__main__":
    main()
