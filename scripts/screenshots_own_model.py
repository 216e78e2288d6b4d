"""Screenshots of the dashboard with models of your own: a 64x64 grey mini-Xception (.h5) and a 96x96 colour
model (.keras), each uploaded, described in the sidebar form, and shown a photo on Look inside.

    python scripts/screenshots_own_model.py OUT_DIR [PORT]      (needs Chromium at /usr/bin/chromium)
"""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import keras  # noqa: E402
from photos import face  # noqa: E402
from PIL import Image  # noqa: E402
from zoo import mini_xception  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
out.mkdir(parents=True, exist_ok=True)
m1 = mini_xception()
m1.save(out / "faces64.h5")
L = keras.layers
m2 = keras.Sequential(
    [
        keras.Input((96, 96, 3)),
        L.Conv2D(8, 3, activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(16, 3, activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(3, activation="softmax"),
    ]
)
m2.save(out / "pets96.keras")
Image.fromarray(face(200)).save(out / "face.png")
Image.fromarray(face(240, colour=True)).save(out / "face_colour.jpg")
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8610
env = dict(os.environ, PYTHONPATH=str(ROOT))
log = open(out / "server.log", "w")
proc = subprocess.Popen(
    [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "dashboards" / "app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ],
    cwd=ROOT,
    env=env,
    stdout=log,
    stderr=subprocess.STDOUT,
)
url = f"http://127.0.0.1:{port}"
try:
    for _ in range(200):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    from playwright.sync_api import sync_playwright

    RUNNING = "[data-testid='stStatusWidgetRunningIcon'], [data-testid='stStatusWidgetRunningManIcon']"

    def settle(page):
        quiet = 0
        deadline = time.time() + 240
        while quiet < 4 and time.time() < deadline:
            page.wait_for_timeout(500)
            quiet = quiet + 1 if page.locator(RUNNING).count() == 0 else 0

    def shot(page, name):
        h = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": 1400, "height": min(int(h) + 40, 5000)})
        page.wait_for_timeout(800)
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": 1400, "height": 1000})
        errs = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
        print(name, "errors:", [errs.nth(i).inner_text()[:200] for i in range(errs.count())])

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        for model_file, names, rng, photo in (
            ("faces64.h5", "angry,disgust,fear,happy,sad,surprise,neutral", "-1..1", "face.png"),
            ("pets96.keras", "cat,dog,fox", "-1..1", "face_colour.jpg"),
        ):
            page = b.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(240_000)
            page.goto(url)
            settle(page)
            page.locator("section[data-testid='stSidebar'] input[type='file']").first.set_input_files(
                str(out / model_file)
            )
            settle(page)
            page.wait_for_timeout(2000)
            settle(page)
            form = page.locator("[data-testid='stForm']")
            form.wait_for()
            form.get_by_role("combobox").first.click(timeout=20000)
            page.get_by_role("option", name=rng).click()
            form.get_by_role("textbox").fill(names)
            form.get_by_role("combobox").nth(1).click()
            page.get_by_role("option", name="as-is (photos)").click()
            form.get_by_role("button", name="Use for this session").click()
            settle(page)
            stem = model_file.split(".")[0]
            shot(page, f"{stem}_model")
            page.locator("[data-testid='stSidebarNav'] a", has_text="Look inside").first.click()
            settle(page)
            page.locator("[data-testid='stMain'] input[type='file']").first.set_input_files(str(out / photo))
            settle(page)
            page.wait_for_timeout(1500)
            settle(page)
            shot(page, f"{stem}_look_inside")
finally:
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
