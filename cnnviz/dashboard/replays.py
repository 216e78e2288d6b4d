"""The Train page's replay figures (a recorded run's snapshots), cached as PNG bytes per folder and version.

In a module of their own (not the page) so that the start-up warm-up (:mod:`cnnviz.dashboard.warm`) fills the
same cache entries the page reads.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import cnnviz
from cnnviz.dashboard import figures


def version(folder: str) -> float:
    """Changes whenever a snapshot is added (the index is rewritten after each)."""
    index = Path(folder) / "snapshots.json"
    return index.stat().st_mtime if index.is_file() else 0.0


@st.cache_data(max_entries=64, show_spinner=False)
def frame_png(folder: str, index: int, version: float) -> bytes:
    """Snapshot ``index`` of the run in ``folder`` (-1: the last) as one frame."""
    from cnnviz.replay import snapshot_frame

    return figures.figure_png(snapshot_frame(cnnviz.load_snapshots(folder), index))


@st.cache_data(max_entries=8, show_spinner=False)
def run_labels(folder: str, version: float) -> list[str]:
    return [s.label for s in cnnviz.load_snapshots(folder)]


@st.cache_data(max_entries=8, show_spinner=False)
def overview_png(folder: str, version: float) -> bytes:
    """Every snapshot of the run side by side."""
    from cnnviz.replay import plot_snapshots

    return figures.figure_png(plot_snapshots(folder))
