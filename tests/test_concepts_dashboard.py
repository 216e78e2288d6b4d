"""The Concepts dashboard page through Streamlit's AppTest: a real fit on the bundled sample, no exception, no
st.error; picking another concept changes the pictures."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "cnnviz" / "dashboard" / "app.py"


@pytest.mark.slow
def test_concepts_page_fits_shows_and_switches_concept():
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.session_state["concepts_n"] = 4
    at.session_state["concepts_images"] = False
    at.run()
    assert not at.exception, at.exception
    at.switch_page("views/concepts.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    shown = [e.value for e in [*at.success, *at.warning]]
    assert any("R²" in v and "held-out" in v for v in shown), shown  # the evidence line (a warning when doubtful)
    before = [url for element in at.get("image") for url in element.value]
    at.radio(key="concepts_pick").set_value(2).run()
    assert not at.exception, at.exception
    assert not at.error
    after = [url for element in at.get("image") for url in element.value]
    assert after != before
