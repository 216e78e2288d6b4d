"""`cnnviz dashboard` as a user runs it: a real process, real ports, a real SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cnnviz.cli import pick_port, port_is_free

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def listening(port: int) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    s.listen()
    return s


def env() -> dict:
    return {**{k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}, "PYTHONPATH": str(ROOT), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "STREAMLIT_SERVER_HEADLESS": "true"}


def test_a_taken_port_says_to_use_another_or_moves_on():
    port = free_port()
    with listening(port):
        assert not port_is_free(port)
        with pytest.raises(ValueError, match=r"port \d+ is taken .* use --port \d+"):
            pick_port(port)
        assert pick_port(None, start=port) > port  # no --port: the next free one
        result = subprocess.run([sys.executable, "-m", "cnnviz", "dashboard", "--port", str(port)], env=env(),
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--port" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # starts a Streamlit server: ~5 s idle
def test_dashboard_starts_quietly_and_sigterm_stops_the_server(tmp_path):
    port = free_port()
    log = tmp_path / "dashboard.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "cnnviz", "dashboard", "--port", str(port)], env=env(),
                                   stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.time() < deadline, "the dashboard did not answer within 120 s"
            time.sleep(0.5)
        server_env = (Path("/proc") / str(process.pid) / "environ").read_bytes().split(b"\0")
        assert b"MALLOC_ARENA_MAX=2" in server_env  # the server (cnnviz exec'd into it) runs with two malloc arenas
        process.send_signal(signal.SIGTERM)  # to the cnnviz process only, not its group
        process.wait(timeout=30)
        time.sleep(0.5)
        assert port_is_free(port), "a Streamlit server still serves after SIGTERM to cnnviz dashboard"
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text()
    assert "No runtime found" not in text, text
    assert "Traceback" not in text, text
