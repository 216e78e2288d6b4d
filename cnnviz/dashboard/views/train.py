"""Page 6, Train: train the reference CNN with live curves, use the result on every page, and the
tutorial's batch-size experiment (time per epoch for a few batch sizes)."""

import math

import pandas as pd
import streamlit as st

import cnnviz
from cnnviz.dashboard import cached, figures, model_files, page_messages, picker, replays

st.title("Train")
st.markdown("Train the tutorial's CNN yourself. The trained model is saved and joins the model picker in the "
            "sidebar, so every page can show it.")
page_messages.tutorial_note("One epoch is one pass over every mini-batch of the training set.")

sample_label = "bundled sample (1,000 train + 1,000 test images)"
with st.expander("Where is the full MNIST?", expanded=False):
    mnist_path = st.text_input("Path to a Keras-style mnist.npz (empty: look in the usual places)", "",
                               key="mnist_path")
    full = cached.full_mnist(mnist_path.strip())
    if isinstance(full, str):
        st.code(full, language=None)  # where cnnviz looked, and how to point it at a file
datasets = {sample_label: "sample"}
if isinstance(full, str):
    st.caption("Full MNIST not found, so training uses the bundled sample (see \"Where is the full MNIST?\").")
else:
    datasets[f"full MNIST ({len(full.x_train):,} train + {len(full.x_test):,} test images)"] = "full"

RECIPE_BATCH = "the recipe's"
with st.form("train_form"):
    cols = st.columns(4)
    recipe = cols[0].selectbox("Recipe", list(cnnviz.training.recipes.RECIPES), key="train_recipe",
                               help="\n\n".join(f"**{k}**: {r.description}" for k, r in cnnviz.training.recipes.RECIPES.items()))
    epochs = cols[1].number_input("Epochs", 1, 50, 3, key="train_epochs")
    batch_choice = cols[2].select_slider("Batch size", [RECIPE_BATCH, 8, 16, 32, 64, 128, 256, 512],
                                         value=RECIPE_BATCH, key="train_batch",
                                         help="\"the recipe's\": the batch size the chosen recipe was tuned with.")
    dataset = cols[3].selectbox("Data", list(datasets), key="train_data")
    submitted = st.form_submit_button("Train", type="primary")

if submitted:
    from cnnviz.dashboard.trainer import TrainJob

    batch_size = cnnviz.training.recipes.RECIPES[recipe].batch_size if batch_choice == RECIPE_BATCH else int(batch_choice)
    n_train = len(cnnviz.load_sample().x_train) if datasets[dataset] == "sample" else len(full.x_train)
    progress = st.progress(0.0, text="Starting a training process...")
    chart = st.empty()
    live = st.empty()
    rows: list[dict] = []
    path = model_files.new_trained_path(recipe)
    snapshot_dir = cnnviz.training.snapshots.snapshots_beside(path)  # where the report finds them too
    batches = math.ceil(n_train * 0.9 / batch_size) * int(epochs)
    # a child process trains: the server stays responsive, survives a crash there, and keeps its own random state
    job = TrainJob.start({"data": "sample" if datasets[dataset] == "sample" else (mnist_path.strip() or "full"),
                          "recipe": recipe, "epochs": int(epochs), "batch_size": batch_size, "seed": 0,
                          "output": str(path), "snapshots": str(snapshot_dir),
                          "snapshot_every": max(1, batches // 12)})
    result = None
    try:
        for event in job.events():
            if event["event"] == "epoch":
                rows.append({k: event.get(k) for k in ("epoch", "accuracy", "val_accuracy", "loss", "val_loss")})
                progress.progress(event["epoch"] / int(epochs), text=f"Epoch {event['epoch']} of {epochs}: accuracy "
                                  f"{event.get('accuracy', 0):.3f}, validation accuracy {event.get('val_accuracy', 0):.3f}")
                frame = pd.DataFrame(rows).set_index("epoch")
                with chart.container():
                    left, right = st.columns(2)
                    left.line_chart(frame[["accuracy", "val_accuracy"]], height=220, y_label="accuracy")
                    right.line_chart(frame[["loss", "val_loss"]], height=220, y_label="loss")
            elif event["event"] == "snapshot":  # the network as it is now: filters, maps, class images, saliency
                live.image(replays.frame_png(str(snapshot_dir), -1, replays.version(str(snapshot_dir))), width=900)
            elif event["event"] == "error":
                st.error(f"Training failed: {page_messages.scrub_paths(event['message'])}")
                st.stop()
            elif event["event"] == "done":
                result = event
    finally:
        job.stop()
    label = (f"trained: {recipe}, {int(epochs)} epoch{'s' if epochs > 1 else ''}, batch {result['batch_size']}, "
             f"{'sample' if datasets[dataset] == 'sample' else 'full MNIST'} ({path.stem[-6:]})")
    picker.register_model(label, result["path"])
    st.session_state.setdefault("snapshot_runs", {})[label] = str(snapshot_dir)
    st.session_state["replay_choice"] = label  # the replay below shows this run
    st.session_state["last_training"] = {"label": label, "path": result["path"], "accuracy": result["accuracy"],
                                         "seconds": result["seconds"]}
    st.rerun()  # the sidebar's model picker is drawn before this page: draw it again, with the new model

last = st.session_state.get("last_training")
if last:
    st.success(f"{last['label']}: test accuracy {last['accuracy']:.2%} after {last['seconds']:.1f} s of training. "
               "It is in the model picker in the sidebar.")
    png = figures.history_png(last["path"])
    if png:
        st.image(png, width=900)
    cols = st.columns(3)
    if cols[0].button("Show this model on every page", key="use_trained", type="primary"):
        st.session_state["pending_model_label"] = last["label"]
        st.rerun()
    with open(last["path"], "rb") as file:
        cols[1].download_button("Download the .keras file", file.read(), file_name="mnist_cnn_trained.keras",
                                mime="application/octet-stream", key="download_trained", on_click="ignore")

st.header("Watch it learn: replay a recorded run")
st.markdown("Every training run above records **snapshots** (cnnviz's `Snapshots` callback): conv1's filters, its "
            "feature maps, the class images and a saliency map, about a dozen times. Pick a run and slide through "
            "it; `cnnviz replay FOLDER -o learning.gif` makes an animation of the same frames, and "
            "`tensorboard --logdir FOLDER` shows them in TensorBoard.")
from cnnviz.training.snapshots import shipped_snapshots_dir  # noqa: E402

runs = {"shipped run: the earlier 2-epoch fast recipe on the full MNIST, a snapshot every 40 batches": str(shipped_snapshots_dir()),
        **st.session_state.get("snapshot_runs", {})}
other = "another folder..."
options = [*runs, other]
run_label = st.selectbox("Recorded run", options, key="replay_choice")
folder = runs.get(run_label) or st.text_input("Folder a Snapshots callback wrote to (its log_dir)", "",
                                              key="replay_folder").strip()
if folder:
    try:
        labels = replays.run_labels(folder, replays.version(folder))
    except FileNotFoundError as exc:
        st.info(str(exc))
        labels = []
    if labels:
        position = st.select_slider("Snapshot", options=list(range(len(labels))), value=len(labels) - 1,
                                    format_func=lambda i: labels[i], key=f"replay_slider_{folder}")
        st.image(replays.frame_png(folder, int(position), replays.version(folder)), width=900)
        with st.expander("All snapshots side by side"):
            st.image(replays.overview_png(folder, replays.version(folder)), width=1100)

st.header("The batch-size experiment")
st.markdown("How long does one epoch take for different batch sizes? Each batch is one parameter update: small "
            "batches make many updates per epoch, large ones are computed in parallel. Each run here is a real "
            "training (tutorial recipe) on the data chosen above; the first epoch (graph building) is not timed.")
page_messages.tutorial_note("Batch size matters for speed: in the tutorial an epoch took 166 s with batch size 1 and "
                     "17 s with batch size 10.")
sizes = st.multiselect("Batch sizes", [1, 4, 16, 32, 64, 128, 256, 512], default=[1, 16, 128, 512],
                       key="batch_sizes")
if st.button("Time the epochs", key="run_batch_experiment", disabled=not sizes):
    from cnnviz.dashboard.trainer import TrainJob

    bar = st.progress(0.0, text="Starting a timing process...")
    # a child process trains, as the Train button's does: the server stays responsive and keeps its own state
    job = TrainJob.start({"task": "batch_sizes", "batch_sizes": sorted(sizes), "seed": 0,
                          "data": "sample" if datasets[dataset] == "sample" else (mnist_path.strip() or "full")})
    try:
        for done, event in enumerate(job.events(), start=1):
            if event["event"] == "batch_size":
                bar.progress(done / len(sizes), text=f"batch size {event['batch_size']}: "
                             f"{event['row']['seconds_per_epoch']:.2f} s per epoch")
            elif event["event"] == "error":
                st.error(f"Timing failed: {page_messages.scrub_paths(event['message'])}")
            elif event["event"] == "done":
                st.session_state["batch_timing"] = event["timing"]
                st.session_state["batch_timing_pid"] = event["pid"]  # the process that timed them (not the server)
    finally:
        job.stop()
timing = st.session_state.get("batch_timing")
if timing:
    st.image(figures.figure_png(cnnviz.training.experiments.plot_batch_timing(timing)), width=800)
    st.dataframe(pd.DataFrame(timing), hide_index=True)
