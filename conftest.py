"""pytest at the repository root: the docstring examples of cnnviz/ run as tests (--doctest-modules), except the
dashboard's modules, which import Streamlit and run their page when imported, and the deprecated aliases of moved
modules, which warn when imported (tests/test_architecture.py checks them)."""

import pytest

#: the dashboard, and the deprecated alias modules of moved ones (they warn when imported)
collect_ignore = ["cnnviz/dashboard", "cnnviz/images.py", "cnnviz/callbacks.py", "cnnviz/objectives.py",
                  "cnnviz/param.py", "cnnviz/transforms.py"]


# The lanes: `make test` runs everything; `make test-fast` (the edit loop) leaves out what is marked slow or
# browser. Whole files that train, start servers, build wheels, run notebooks or write reports are slow here,
# so a new test in them joins the slow lane without a marker; elsewhere mark a test with @pytest.mark.slow.
SLOW_FILES = {
    "test_distribute.py", "test_train.py", "test_wheel.py", "test_notebook.py", "test_report.py",
    "test_snapshots.py", "test_dashboard_browser.py", "test_zoo_dashboard.py", "test_readme.py",
    "test_real_model_gradients.py", "test_load.py",
}
#: a single test over ~2.5 s (measured with `--durations=0` on 2 cores) in another file carries its own
#: @pytest.mark.slow. Zoo tests on MobileNetV2 (the largest zoo model) are slow too.
SLOW_PARAMS = ("mobilenet_v2",)
SLOW_DOCTEST_MODULES = ("training/loop.py", "training/results.py", "training/callbacks.py", "replay.py",
                        "report/__init__.py", "training/snapshots.py", "maximize.py", "concepts/fit.py",
                        "training/experiments.py")


#: the test files that take longest (minutes each on 2 cores), longest first. They are collected first, and the
#: Makefile runs xdist with --no-loadscope-reorder, so they start first on the parallel workers and the run does
#: not end with one worker alone on a long file (xdist otherwise orders files by their number of tests).
LONGEST_FILES = ("test_dashboard_photo_models.py", "test_report.py", "test_real_model_gradients.py",
                 "test_distribute.py", "test_dashboard_app.py", "test_dashboard_first_visit.py",
                 "test_dashboard_browser.py", "test_zoo_dashboard.py", "test_notebook.py", "test_readme.py",
                 "test_snapshots.py", "test_train.py", "test_load.py", "test_zoo.py", "test_optvis.py",
                 "test_wheel.py", "test_dashboard_load.py")


def _longest_first(item) -> int:
    name = item.path.name
    return LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_longest_first)  # stable: the order inside a file is kept
    for item in items:
        path = str(item.path)
        doctest = item.__class__.__name__ == "DoctestItem"
        slow_test = not doctest and (item.path.name in SLOW_FILES or any(p in item.name for p in SLOW_PARAMS))
        if slow_test or (doctest and path.endswith(SLOW_DOCTEST_MODULES)):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _docstring_examples_write_in_a_temporary_folder(request):
    """A docstring example that writes ``report.pdf`` writes it in its own temporary folder, not in the checkout
    or a fixed ``/tmp`` path (examples run in parallel workers and must not meet)."""
    if request.node.__class__.__name__ == "DoctestItem":
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.chdir(request.getfixturevalue("tmp_path"))
