"""Every dashboard page in a real browser on models that are not MNIST-style: a 64x64 grey mini-Xception on
[-1, 1] and a 96x96 colour one (tests/zoo.py, random seeded weights), each uploaded as ``.h5`` in the sidebar and
described there, and a face-like photo uploaded on Look inside. No page may show an error or an exception, nor
talk of digits (the bundled sample is MNIST; these models are not). With CNNVIZ_SCREENSHOTS=<folder>, a
full-page screenshot of each page is saved there (docs/screenshots/photo_models/ keeps a set).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from photos import face
from test_dashboard_browser import ARGS, _chromium, _screenshot, _settle, served_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
#: nav label, heading, what the page shows when it is done (None: wait until it stops running)
PAGES = [
    ("Model", "The model", None),
    ("Look inside", "Look inside", None),
    ("Convolution, step by step", "Convolution, step by step", None),
    ("Filters", "Filters", "its maximized pattern"),
    ("What the network sees", "What the network sees", None),
    ("Train", "Train", None),
    ("Concepts", "Concepts", None),
]
MODELS = {  # name: (input shape, classes, seed, range label in the form, class names)
    "grey64": ((64, 64, 1), 7, 0, "-1..1", "angry, disgust, fear, happy, sad, surprise, neutral"),
    "colour96": ((96, 96, 3), 5, 1, "0..1", "cat, dog, bird, fish, horse"),
}
DIGIT = re.compile(r"\bdigits?\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from PIL import Image
    from zoo import mini_xception

    folder = tmp_path_factory.mktemp("photo_models")
    out = {}
    for name, (shape, classes, seed, _, _) in MODELS.items():
        path = folder / f"{name}.h5"
        mini_xception(shape, classes, seed=seed).save(path)
        photo = folder / f"{name}_face.png"
        Image.fromarray(face(200, colour=shape[-1] == 3)).save(photo)
        out[name] = (path, photo)
    return out


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from served_dashboard(tmp_path_factory, int(os.environ.get("CNNVIZ_BROWSER_PORT") or 0) or None)


@pytest.fixture
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(240_000)
        yield page
        browser.close()


def _pick(page, label: str, option: str) -> None:
    page.get_by_label(label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _errors(page) -> list[str]:
    shown = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    return [shown.nth(i).inner_text()[:500] for i in range(shown.count())]


@pytest.mark.parametrize("name", list(MODELS))
def test_every_page_on_a_photo_model(page, app_url, files, name):
    model_file, photo = files[name]
    _, _, _, range_label, class_names = MODELS[name]
    classes = [c.strip() for c in class_names.split(",")]
    page.goto(app_url)
    page.get_by_role("heading", name="The model").first.wait_for()
    _settle(page)
    page.locator("[data-testid='stSidebar'] input[type='file']").first.set_input_files(str(model_file))
    page.get_by_text("Describe this model").first.wait_for()
    _settle(page)
    _pick(page, "Input range it was trained on", range_label)
    page.get_by_label("Class names (comma-separated)").fill(class_names)
    page.get_by_role("button", name="Use for this session").click()
    _settle(page)
    problems = []  # every page is visited (and screenshot) before the test says what was wrong
    for label, heading, done in PAGES:
        page.locator("[data-testid='stSidebarNav']").get_by_text(label, exact=True).click()
        page.get_by_role("heading", name=heading).first.wait_for()
        _settle(page, done)
        if label == "Look inside":
            page.locator("[data-testid='stMain'] input[type='file']").first.set_input_files(str(photo))
            _settle(page, "Which pixels decided it")
            metric = page.locator("[data-testid='stMetricValue']").first.inner_text().strip()
            if metric not in classes:
                problems.append(f"{label}: the prediction {metric!r} is not one of the class names")
        problems += [f"{label}: {e}" for e in _errors(page)]
        text = page.locator("[data-testid='stMain']").inner_text()
        problems += [f"{label}: ...{text[max(0, m.start() - 120):m.end() + 80]}..." for m in DIGIT.finditer(text)]
        _screenshot(page, f"{name}_{label.split(',')[0].lower().replace(' ', '_')}")
    assert not problems, f"on the {name} model:\n" + "\n".join(problems)
