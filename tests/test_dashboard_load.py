"""The dashboard under load in real browsers, at a size CI affords: bench/dashboard_load.py's core (the same code
the full-size benchmark runs: 20 sessions x 30 rounds, 100 uploads; numbers in docs/benchmarks.md).

Two concurrent sessions on one server: one on Look inside, one on What the network sees (steps 10, a seed per
round), over the shipped model, an uploaded untrained one (each session says another input range for it) and a
trained one, and one extra upload. Every answer the pages show must equal the same library call made alone in
this process; no error box or exception on any page; the server's resident memory stays under 1.5 GB.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from test_dashboard_browser import _chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_spec = importlib.util.spec_from_file_location("dashboard_load", Path(__file__).parents[1] / "bench" / "dashboard_load.py")
load = sys.modules["dashboard_load"] = importlib.util.module_from_spec(_spec)  # its dataclasses look it up
_spec.loader.exec_module(load)


def test_concurrent_sessions_see_what_lone_calls_give(tmp_path):
    outcome = load.run(sessions=2, rounds=2, uploads=1, folder=tmp_path, chromium=_chromium())
    assert not outcome.errors, outcome.errors
    assert not outcome.mismatches, outcome.mismatches
    answers = outcome.answers
    assert len(answers) == 2 * 2 + 1
    assert {a.model for a in answers} == {"shipped", "uploaded", "trained", "extra-0"}
    assert {a.page for a in answers} == {"look", "class"}
    assert {a.range for a in answers if a.model == "uploaded"} == {"0..1", "0..255"}  # one file, two ranges
    assert outcome.rss_peak <= 1536, outcome.table()
