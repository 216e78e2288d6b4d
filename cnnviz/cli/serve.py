"""``cnnviz dashboard``: serve the Streamlit app on a free port."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the Streamlit app. The process *becomes* Streamlit (exec), so a signal to ``cnnviz dashboard``
    reaches the server itself; the app is not imported here (its cached functions would warn "No runtime found")."""
    import importlib.util

    if importlib.util.find_spec("streamlit") is None:
        raise ValueError('the dashboard needs Streamlit: in a cnnviz checkout run `pip install -e ".[dashboard]"` '
                         "(or `make dashboard`).")
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    port = pick_port(args.port)
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # this process is the server: TensorFlow's C++ notices are noise
    # glibc gives each of the server's many threads its own malloc arena; two arenas kept the resident memory of
    # 6 browser sessions and 20 uploads at 1.42 GB instead of 1.74 GB, at the same speed (bench/dashboard_load.py).
    # Read when the exec'd server starts; a value the user set wins.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(sys.executable, command)  # does not return
    import subprocess  # pragma: no cover - Windows has no exec that keeps the process: wait for the child

    return subprocess.call(command)  # pragma: no cover


DEFAULT_PORT = 8501


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` on every interface now (as Streamlit does)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
        except OSError:
            return False
    return True


def pick_port(requested: int | None, *, start: int = DEFAULT_PORT, tries: int = 20) -> int:
    """``requested`` if free (else a ValueError naming a free one); with no request the first free port from
    ``start`` on, saying so when it is not ``start``."""
    if requested is not None:
        if port_is_free(requested):
            return requested
        free = next((p for p in range(requested + 1, min(requested + 1 + tries, 65536)) if port_is_free(p)), None)
        hint = f"use --port {free}" if free else "use --port with a free port"
        raise ValueError(f"port {requested} is taken (another dashboard or server is using it); stop it, or {hint}.")
    for port in range(start, min(start + tries, 65536)):
        if port_is_free(port):
            if port != start:
                print(f"cnnviz dashboard: port {start} is taken; serving on port {port} (choose one with --port)",
                      flush=True)
            return port
    raise ValueError(f"ports {start}-{start + tries - 1} are all taken; choose a free one with --port.")


def wait_until_serving(url: str, process, timeout: float = 90.0, log: Path | None = None) -> None:
    """Return once the Streamlit server at ``url`` answers its health check (``/_stcore/health`` says ``ok``);
    a RuntimeError (with the end of ``log``, the server's output file) when ``process`` (its ``Popen``) exits
    first or ``timeout`` seconds pass. The tests and the load bench start servers with it.

    >>> import subprocess, sys
    >>> wait_until_serving("http://127.0.0.1:9", subprocess.Popen([sys.executable, "-c", "exit(3)"]), timeout=30)
    Traceback (most recent call last):
    ...
    RuntimeError: the server exited (code 3) before it answered at http://127.0.0.1:9
    """
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            pass
        code = process.poll()
        if code is not None or time.monotonic() > deadline:
            said = f"exited (code {code}) before it answered" if code is not None else \
                f"did not answer within {timeout:g} s"
            tail = f":\n{Path(log).read_text(errors='replace')[-3000:]}" if log and Path(log).is_file() else ""
            raise RuntimeError(f"the server {said} at {url}{tail}")
        time.sleep(0.3)


COMMANDS = {"dashboard": cmd_dashboard}
