"""The built wheel, installed into a fresh virtual environment outside the checkout, runs the dashboard.

Builds the wheel with ``pip wheel --no-deps --no-build-isolation`` (hatchling from the dev extra),
makes a venv in a temporary folder, points it at this interpreter's site-packages for the
dependencies (a .pth line: nothing is downloaded, and the checkout's own editable cnnviz is not
picked up because .pth files there are not processed), installs the wheel with ``--no-deps``,
then, from another directory, runs ``python -m cnnviz --version``, reads the shipped model,
sample and snapshots from the installed package, starts ``cnnviz dashboard`` on a free port
and opens a page in Chromium.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

import cnnviz
from cnnviz.cli.serve import wait_until_serving

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (pip install -e '.[dev]')")
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)])
    wheel, = dist.glob("cnnviz-*.whl")
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "_shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)])
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(STREAMLIT_SERVER_HEADLESS="true", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", TF_CPP_MIN_LOG_LEVEL="3")
    return env_dir, elsewhere, env


def test_installed_package_is_the_wheel_and_carries_its_data(installed):
    env_dir, elsewhere, env = installed
    python = str(env_dir / "bin" / "python")
    done = _run([python, "-m", "cnnviz", "--version"], cwd=elsewhere, env=env)
    assert done.stdout.strip() == f"cnnviz {cnnviz.__version__}"
    done = _run([str(env_dir / "bin" / "cnnviz"), "--version"], cwd=elsewhere, env=env)
    assert done.stdout.strip() == f"cnnviz {cnnviz.__version__}"
    code = ("import cnnviz; print(cnnviz.__file__); print(cnnviz.load_model().count_params()); "
            "print(len(cnnviz.load_sample().x_test)); print(len(cnnviz.load_snapshots()))")
    where, params, sample, snapshots = _run([python, "-c", code], cwd=elsewhere, env=env).stdout.split()
    assert Path(where).is_relative_to(env_dir) and not Path(where).is_relative_to(ROOT)
    assert int(params) == cnnviz.load_model().count_params()
    assert int(sample) == len(cnnviz.load_sample().x_test)
    assert int(snapshots) == len(cnnviz.load_snapshots())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cnnviz_dashboard_from_the_wheel_opens_in_chromium(installed):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    env_dir, elsewhere, env = installed
    port = _free_port()
    log_path = elsewhere / "dashboard.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(env_dir / "bin" / "cnnviz"), "dashboard", "--port", str(port)], cwd=elsewhere,
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, timeout=90, log=log_path)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(f"{url}/train")
            page.get_by_text("Watch it learn").first.wait_for()
            page.get_by_text("All snapshots side by side").first.wait_for()  # the shipped run, from the wheel
            assert page.locator("[data-testid='stException']").count() == 0
            browser.close()
        assert "Traceback" not in log_path.read_text()
    finally:
        os.killpg(process.pid, 15)  # cnnviz dashboard starts streamlit as a child: stop the whole group
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
