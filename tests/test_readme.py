"""The README and the documentation's guides are tests: their command lines and code blocks run as written, in a
fresh folder, full MNIST absent ("run what the docs run").

Every ``cnnviz ...`` line of the shell blocks of the README and of the pages under docs/ (getting started, the
guides) runs in one temporary folder, in page order (the train line makes the ``my_model.keras`` that later lines
read), with ``HOME`` there (no Keras cache) and the MNIST download pointed at a closed local port: the lines must
work on the bundled sample and say so. Files a line names as the user's own (``my_digit.png``, ``my_digits/``,
``mnist.npz``) are made first from the sample. Every ``python`` block runs too, in the same folder. Lines and
blocks that take minutes (the report, the export), need several machines or are sketches over the reader's own
model are LEFT_OUT, each with the test that covers it; ``cnnviz dashboard`` is opened in Chromium.
Run with ``pytest -m "slow and browser" tests/test_readme.py``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.cli.serve import wait_until_serving

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
#: the pages whose commands and code run here: the README, then the site's pages in reading order
PAGES = [ROOT / "README.md", ROOT / "docs" / "index.md", ROOT / "docs" / "getting-started.md",
         *sorted((ROOT / "docs" / "guides").glob("*.md"), key=lambda p: (p.name != "cli.md", p.name))]
CLOSED_PORT = 8662  # nothing listens: the MNIST download fails at once, as offline
#: lines and code blocks not run here, and why (each is run by its own test, needs several machines, or is a
#: sketch over the reader's own model): a key matches a line or block that contains it
LEFT_OUT = {"cnnviz report": "minutes of work: tests/test_report.py", "cnnviz export": "tests/test_report.py",
            "multi-worker": "needs several machines: tests/test_distribute.py",
            "cnnviz dashboard": "a server: test_dashboard_command_serves_a_page_in_chromium below",
            "pets.keras": "the 'Bring your own model' example: tests/test_readme_byom.py runs it after its Python",
            'cnnviz.report("report.pdf", images=': "minutes of work: tests/test_report.py",
            '@register("my_section"': "a template: the section and plot_something are the reader's",
            "probe = cnnviz.core.build.get_probe(model)": "a sketch over the reader's model and images: tests/test_zoo.py",
            "check = cnnviz.sanity_check(images,": "a sketch over the reader's images: tests/test_sanity.py, "
                                                   "tests/test_faithfulness.py",
            "model.fit(x, y, epochs=15": "a sketch over the reader's model.fit: tests/test_snapshots.py",
            'cnnviz.maximize(range(10), prior="data")': "about a minute of optimization: tests/test_optvis.py, "
                                                        "tests/test_maximize.py",
            'c = cnnviz.concepts("conv2", n=8)': "fits 4..32 concepts: tests/test_concepts.py"}


def _blocks(langs: tuple[str, ...]) -> list[tuple[str, str]]:
    """(page, code) of every fenced block in ``langs``, page by page."""
    return [(page.relative_to(ROOT).as_posix(), body) for page in PAGES
            for lang, body in re.findall(r"^ *```(\w*)\n(.*?)^ *```", page.read_text(), re.S | re.M) if lang in langs]


def readme_cli_lines() -> list[str]:
    lines = []
    for _, body in _blocks(("bash", "sh", "")):
        for line in body.splitlines():
            command = line.split("  #")[0].strip()
            if command.startswith("cnnviz ") and command not in lines:
                lines.append(command)
    return lines


def readme_api_block() -> str:
    section = README.split("## The API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def docs_code_blocks() -> list:
    """Every python block of the pages but the README's API block (run below) and its copies."""
    api = readme_api_block()
    seen: list[str] = []
    blocks = []
    for page, code in _blocks(("python",)):
        if code.strip() != api.strip() and code not in seen:
            seen.append(code)
            blocks.append(pytest.param(code, id=f"{page}:{len(blocks)}"))
    return blocks


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CNNVIZ_MNIST", "MPLBACKEND")}
    bin_dir = str(Path(sys.executable).parent)  # where `cnnviz` is, as after `source .venv/bin/activate`
    return {**env, "HOME": str(home), "CNNVIZ_MNIST_URL": f"http://127.0.0.1:{CLOSED_PORT}/mnist.npz",
            "PYTHONPATH": str(ROOT), "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "STREAMLIT_SERVER_HEADLESS": "true"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A fresh folder with the files the README calls the user's own, made from the bundled sample."""
    from cnnviz.io.data import SAMPLE_PATH, load_sample

    folder = tmp_path_factory.mktemp("readme")
    sample = load_sample()
    Image.fromarray(255 - sample.x_test[np.flatnonzero(sample.y_test == 3)[0]]).resize((112, 112)).save(
        folder / "my_digit.png")  # dark ink on white paper, as a user's scan
    for digit in range(10):
        (folder / "my_digits" / str(digit)).mkdir(parents=True)
        for k in np.flatnonzero(sample.y_test == digit)[:3]:
            Image.fromarray(sample.x_test[k]).save(folder / "my_digits" / str(digit) / f"{k}.png")
    shutil.copy(SAMPLE_PATH, folder / "mnist.npz")  # a valid Keras-style file standing in for the user's
    return folder


def _cnnviz() -> list[str]:
    return [sys.executable, "-m", "cnnviz"]  # the same entry point as the console script, in this checkout


@pytest.mark.parametrize("line", readme_cli_lines())
def test_readme_command_line_runs_as_written(line, workdir):
    reason = next((why for key, why in LEFT_OUT.items() if key in line), None)
    if reason:
        pytest.skip(reason)
    args = shlex.split(line.replace("[MODEL]", ""))[1:]
    result = subprocess.run([*_cnnviz(), *args], cwd=workdir, env=_env(workdir), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    for flag in ("-o", "--out", "--curves", "--figure"):
        if flag in args:
            written = workdir / args[args.index(flag) + 1]
            assert written.exists(), f"{line}: {written.name} was not written"


@pytest.mark.parametrize("code", docs_code_blocks())
def test_docs_code_block_runs_as_written(code, workdir):
    reason = next((why for key, why in LEFT_OUT.items() if key in code), None)
    if reason:
        pytest.skip(reason)
    result = subprocess.run([sys.executable, "-c", code], cwd=workdir, env=_env(workdir), capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, f"{code}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr and "DeprecationWarning" not in result.stderr, result.stderr[-3000:]


def test_readme_api_block_runs_as_written(workdir):
    code = readme_api_block()
    code = "\n".join(line for line in code.splitlines() if "cnnviz.report(" not in line)  # minutes: test_report
    result = subprocess.run([sys.executable, "-c", code], cwd=workdir, env=_env(workdir), capture_output=True,
                            text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count("full MNIST was not found") <= 1, result.stderr[-3000:]
    assert (workdir / "six.pdf").is_file()


def test_dashboard_command_serves_a_page_in_chromium(workdir):
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        pytest.skip(f"Chromium not found at {chromium}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = workdir / "dashboard.log"
    with open(log, "w") as out:
        server = subprocess.Popen([*_cnnviz(), "dashboard", "--port", str(port)], cwd=workdir, env=_env(workdir),
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", server, timeout=120, log=log)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"],
                                        headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(180_000)
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("Accuracy and loss while training").first.wait_for()
            assert page.locator("[data-testid='stException']").count() == 0
            assert page.locator("[data-testid='stAlertContentError']").count() == 0
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "No runtime found" not in log.read_text() and "Traceback" not in log.read_text()
