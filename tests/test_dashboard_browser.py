"""The dashboard in a real browser: Streamlit on a free port, Debian's Chromium driven by Playwright.

Draws a digit with mouse strokes on the canvas and checks that a prediction appears, then
visits every page. With CNNVIZ_SCREENSHOTS=<folder>, saves a full-page screenshot of each.
Chromium missing: the test fails under CI=true and is skipped (with the reason) elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnviz.cli.serve import wait_until_serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PAGES = [  # url path, title, text shown last
    ("model", "The model", "Accuracy and loss while training"),
    ("look_inside", "Look inside", "Draw one digit"),
    ("convolution", "Convolution, step by step", "Play: slide over the next row"),
    ("filters", "Filters", "its maximized pattern"),
    ("class_images", "What the network sees", "Fake digits vs constrained digits"),
    ("train", "Train", "Time the epochs"),
]


def _chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if not path:
        message = f"Chromium not found at {CHROMIUM} (install Debian's chromium: apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from served_dashboard(tmp_path_factory)


def served_dashboard(tmp_path_factory, port: int | None = None):
    """Start ``streamlit run dashboards/app.py`` on ``port`` (a free one by default), yield its URL once it answers
    its health check, stop it afterwards (a generator for module fixtures: ``yield from``)."""
    port = port or _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    log = open(log_path, "w")  # a file, not a pipe: a full pipe nobody reads would block the server
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, timeout=60, log=log_path)
    except RuntimeError as exc:
        process.kill()
        pytest.fail(str(exc))
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(90_000)
        yield page
        browser.close()


RUNNING = "[data-testid='stStatusWidgetRunningIcon'], [data-testid='stStatusWidgetRunningManIcon']"


def _settle(page, done_text: str | None = None) -> None:
    """Wait until the script run is over: the page's last text shown, and no 'running' icon for 1.5 s."""
    if done_text:
        page.get_by_text(done_text).first.wait_for()
    quiet = 0
    deadline = time.time() + 180
    while quiet < 3 and time.time() < deadline:
        page.wait_for_timeout(500)
        quiet = quiet + 1 if page.locator(RUNNING).count() == 0 else 0
    assert quiet >= 3, "the app was still running after 180 s"


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']").first.inner_text()


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("CNNVIZ_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # Streamlit scrolls inside its own container, so "full page" means: make the window as tall as the page
        height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 6000)})
        page.wait_for_timeout(800)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
        page.set_viewport_size(size)


def test_draw_a_digit_and_see_the_prediction(page, app_url):
    page.goto(f"{app_url}/look_inside")
    page.get_by_role("heading", name="Look inside").wait_for()
    _settle(page)
    frame = page.frame_locator("iframe").first if page.locator("iframe").count() else None
    canvas = (frame or page).locator("canvas").last
    canvas.wait_for()
    box = canvas.bounding_box()
    assert box and box["width"] > 100
    # a "7": a stroke across the top, then down to the bottom left
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    strokes = [[(0.25, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]]
    for stroke in strokes:
        page.mouse.move(x0 + stroke[0][0] * w, y0 + stroke[0][1] * h)
        page.mouse.down()
        for fx, fy in stroke[1:]:
            page.mouse.move(x0 + fx * w, y0 + fy * h, steps=12)
        page.mouse.up()
    _settle(page, "Which pixels decided it")
    _no_exception(page)
    value = page.locator("[data-testid='stMetricValue']").first.inner_text().strip()
    assert value in {str(d) for d in range(10)}
    assert page.get_by_text("conv1: 26x26 x 32 maps").count() == 1
    _screenshot(page, "look_inside_drawn")


@pytest.mark.parametrize(("path", "title", "last_text"), PAGES)
def test_every_page_renders(page, app_url, path, title, last_text):
    page.goto(f"{app_url}/{path}" if path != "model" else app_url)
    page.get_by_role("heading", name=title).first.wait_for()
    if path == "class_images":  # the last figure has no text of its own: wait for its download buttons
        page.get_by_role("button", name="Download PDF").nth(1).wait_for(timeout=180_000)
    else:
        _settle(page, last_text)
    _settle(page)
    _no_exception(page)
    assert page.locator("[data-testid='stAlert'] >> text=Traceback").count() == 0
    if path == "look_inside":
        page.get_by_text("Gallery", exact=True).click()
        _settle(page, "Which pixels decided it")
    _no_exception(page)
    _screenshot(page, path)
