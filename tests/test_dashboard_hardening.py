"""The dashboard under bad input: page errors become a short message with closed details (no traceback,
no server path), refused uploads leave nothing on disk, kept uploads are bounded, blank images are named."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import cnnviz
from cnnviz.dashboard import model_files

APP = Path(__file__).resolve().parents[1] / "cnnviz" / "dashboard" / "app.py"


def _failing_page_script():
    from cnnviz.dashboard import page_messages

    class Page:
        def run(self):
            raise RuntimeError("boom while reading /srv/cnnviz/secret/models/upload-1.keras")

    page_messages.run_page(Page())


def test_a_failing_page_shows_a_short_message_and_closed_details():
    at = AppTest.from_function(_failing_page_script, default_timeout=60).run()
    assert not at.exception  # caught: no traceback on the page
    [error] = at.error
    assert "boom while reading upload-1.keras" in error.value and "/srv" not in error.value
    [details] = at.expander
    assert details.label == "Details" and details.proto.expanded is False
    shown = " ".join(code.value for code in at.code)
    assert "RuntimeError" in shown and "/srv" not in shown and "Traceback" not in shown


@pytest.fixture
def uploads(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(model_files, "MODELS_DIR", tmp_path)
    return tmp_path / "uploads"


def test_refused_uploads_are_deleted(uploads, tmp_path):
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    uploader = at.sidebar.file_uploader[0]
    uploader.upload("garbage.keras", b"PK\x03\x04 but not really a zip", "application/octet-stream").run()
    assert not at.exception and at.sidebar.error
    assert list(uploads.glob("*")) == []  # nothing refused stays on disk
    good = cnnviz.save_model(cnnviz.core.model.reference_model(), tmp_path / "fresh.keras")
    at.sidebar.file_uploader[0].upload("fresh.keras", good.read_bytes(), "application/octet-stream").run()
    assert not at.exception and not at.sidebar.error
    assert len(list(uploads.glob("upload-*.keras"))) == 1  # what is accepted is kept


def test_kept_uploads_are_bounded_oldest_first(uploads):
    uploads.mkdir(parents=True)
    paths = []
    for k in range(6):
        path = uploads / f"upload-{k:016x}.keras"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1_000_000 + k, 1_000_000 + k))  # k = 0 is the oldest
        paths.append(path)
    removed = model_files.prune_uploads(max_files=4)
    assert sorted(removed) == paths[:2]
    assert sorted(uploads.iterdir()) == paths[2:]
    removed = model_files.prune_uploads(keep=paths[2], max_files=10, max_mb=2500 / 2**20)  # room for 2.5 files
    assert sorted(removed) == paths[3:4]  # the newest two fit; the oldest is kept because it is in use
    assert sorted(uploads.iterdir()) == [paths[2], paths[4], paths[5]]


def test_look_inside_names_a_blank_image():
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.session_state["input_source"] = "Upload"
    at.run()
    at.switch_page("views/look_inside.py").run()
    buffer = io.BytesIO()
    Image.fromarray(np.full((60, 60), 255, np.uint8)).save(buffer, format="PNG")
    at.file_uploader(key="digit_upload").upload("white.png", buffer.getvalue(), "image/png").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.warning and "blank" in at.warning[0].value and "guessing" in at.warning[0].value


_IMPORT_RACE = """
import threading
from cnnviz.dashboard import models
errors = []
def first_run(module):
    try:
        with models.one_at_a_time_until_keras():
            __import__(module)
    except Exception as exc:
        errors.append(repr(exc)[:200])
threads = [threading.Thread(target=first_run, args=(m,)) for m in ("keras", "cnnviz.attribution", "tensorflow")]
[t.start() for t in threads]
[t.join() for t in threads]
print("errors:", errors)
"""


@pytest.mark.slow
def test_first_page_runs_on_a_fresh_server_import_tensorflow_one_at_a_time():
    """Two sessions (or a session and the warm-up) on a fresh server: their first runs import TensorFlow. Together
    they deadlock on its module locks and leave it half-imported for good (without the guard: a _DeadlockError,
    then "Registering two gradient with name 'ReduceDataset'"); one at a time, none fails."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(APP.parents[2]), "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run([sys.executable, "-c", _IMPORT_RACE], capture_output=True, text=True, env=env, timeout=300)
    assert "errors: []" in out.stdout, out.stdout + out.stderr[-2000:]


def test_an_upload_a_page_shows_is_not_the_oldest(uploads, tmp_path):
    """Pruning goes by last use: a model a session looks at is used now, however long ago it was uploaded (other
    sessions' uploads then prune others first; the load test's 100 uploads deleted models sessions were using)."""
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    good = cnnviz.save_model(cnnviz.core.model.reference_model(), tmp_path / "fresh.keras")
    at.sidebar.file_uploader[0].upload("fresh.keras", good.read_bytes(), "application/octet-stream").run()
    [path] = uploads.glob("upload-*.keras")
    os.utime(path, (1_000_000, 1_000_000))  # uploaded long ago
    at.switch_page("views/look_inside.py").run()
    assert not at.exception and not at.error
    assert path.stat().st_mtime > 1_000_000 + 3600


def test_a_session_whose_upload_is_gone_gets_one_line(uploads, tmp_path):
    """A model pruned from disk and evicted from memory while a session still shows it: one error line on the
    page (no exception from the sidebar, no server path)."""
    from cnnviz.dashboard import cached, models

    at = AppTest.from_file(str(APP), default_timeout=180).run()
    good = cnnviz.save_model(cnnviz.core.model.reference_model(), tmp_path / "fresh.keras")
    at.sidebar.file_uploader[0].upload("fresh.keras", good.read_bytes(), "application/octet-stream").run()
    [path] = uploads.glob("upload-*.keras")
    path.unlink()  # pruned by other sessions' uploads
    models.forget()  # and evicted
    cached.layer_names.clear()
    at.switch_page("views/look_inside.py").run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "does not exist" in error.value and str(uploads) not in error.value
