"""The Train page's snapshots, through Streamlit's AppTest: live frames while training, the replay slider."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import cnnviz
from cnnviz.training.snapshots import shipped_snapshots_dir

APP = Path(__file__).resolve().parents[1] / "cnnviz" / "dashboard" / "app.py"



def assert_ok(at) -> None:
    """No exception and no error box: pages catch exceptions into st.error, so both must be absent."""
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def train_page(**state) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page("views/train.py").run()
    assert_ok(at)
    return at


def slider(at: AppTest, folder: str):
    return at.select_slider(key=f"replay_slider_{folder}")


@pytest.mark.slow
def test_replay_slider_walks_through_the_shipped_run():
    at = train_page()
    folder = str(shipped_snapshots_dir())
    run = cnnviz.load_snapshots(folder)
    assert at.selectbox(key="replay_choice").value.startswith("shipped run")
    assert slider(at, folder).options == [s.label for s in run]
    last = [url for element in at.get("image") for url in element.value]
    slider(at, folder).set_value(0).run()
    assert_ok(at)
    first = [url for element in at.get("image") for url in element.value]
    assert first != last  # another snapshot, another frame


@pytest.mark.slow  # ~45 s on a loaded 2-core machine: a real training with a live frame per snapshot
def test_training_records_snapshots_and_offers_them_for_replay():
    at = train_page(train_epochs=1)
    at.button(key="FormSubmitter:train_form-Train").click().run()
    assert_ok(at)
    runs = at.session_state["snapshot_runs"]
    (label, folder), = runs.items()
    assert at.selectbox(key="replay_choice").value == label
    recorded = cnnviz.load_snapshots(folder)
    assert recorded.steps[0] == 0 and len(recorded) >= 8  # 8 batches of the sample, one snapshot each, + the start
    assert len(slider(at, folder).options) == len(recorded)
