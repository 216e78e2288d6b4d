"""Where users meet the trust checks: `cnnviz check` and the dashboard's "Can I trust this?" expander."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.cli import main

APP = Path(__file__).resolve().parents[1] / "cnnviz" / "dashboard" / "app.py"


@pytest.mark.slow
def test_cli_check_writes_both_figures_and_says_the_verdicts(tmp_path, capsys):
    out = tmp_path / "check.png"
    assert main(["check", "--methods", "saliency,gradcam", "--examples", "3", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Saliency: correlation after full randomization" in text and "Grad-CAM: correlation" in text
    assert "deletion area under the curve (lower is better), 3 images:" in text and "Random order" in text
    for path in (out, tmp_path / "check_deletion.png"):
        assert Image.open(path).size[0] > 500


def test_cli_check_refuses_bad_input_before_work(tmp_path, capsys):
    assert main(["check", "--methods", "saliency,lime", "-o", str(tmp_path / "c.png")]) == 2
    assert "unknown attribution method 'lime'; use one of: saliency" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["check", "-o", str(tmp_path / "file" / "c.png")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert main(["check", "--examples", "0"]) == 2
    assert "--examples must be 1..1000" in capsys.readouterr().err


@pytest.mark.slow
def test_dashboard_trust_expander_runs_on_demand():
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.session_state["input_source"] = "Gallery"
    at.run()
    at.switch_page("views/look_inside.py").run()
    assert not at.exception, at.exception
    methods = at.multiselect(key="attribution_methods")
    assert "ig" in methods.options or "Integrated Gradients" in methods.options  # the list comes from the registry
    assert not any("correlation after full randomization" in str(e.value) for e in at.success)
    images_before = len(at.get("image"))
    at.button(key="trust_run").click().run()
    assert not at.exception, at.exception
    lines = [e.value for e in (*at.success, *at.warning, *at.error)]
    assert any(line.startswith("Saliency: correlation after full randomization") for line in lines)
    assert any(line.startswith("Grad-CAM: correlation after full randomization") for line in lines)
    assert len(at.get("image")) == images_before + 2
    at.selectbox(key="gallery_digit").set_value(5).run()  # another digit: the checks wait for the button again
    assert not any("correlation after full randomization" in str(line) for line in
                   [e.value for e in (*at.success, *at.warning, *at.error)])
