"""`cnnviz --version` is instant and `import cnnviz` changes nothing: TensorFlow loads when a name needs it."""

import subprocess
import sys
import time

import pytest

CHECK_CLI = """
import sys
import cnnviz.cli
try:
    cnnviz.cli.main(["--version"])
except SystemExit:
    pass
try:
    cnnviz.cli.build_parser().parse_args(["--help"])  # (`attribution --help` lists the methods: it loads them)
except SystemExit:
    pass
print(sorted(m for m in ("tensorflow", "keras", "matplotlib") if m in sys.modules))
"""

CHECK_IMPORT = """
import os, sys, types
env, fd2 = dict(os.environ), os.fstat(2)
import cnnviz
print("import:", dict(os.environ) == env, os.fstat(2).st_ino == fd2.st_ino,
      sorted(m for m in ("tensorflow", "keras", "matplotlib") if m in sys.modules))
level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
cnnviz.load_model  # the first name that needs TensorFlow: silenced while it loads, then all restored
import cnnviz.evaluate, cnnviz.report.options  # submodules named like the functions they export
print("use:", os.environ.get("TF_CPP_MIN_LOG_LEVEL") == level, os.fstat(2).st_ino == fd2.st_ino,
      callable(cnnviz.train) and not isinstance(cnnviz.train, types.ModuleType),
      callable(cnnviz.evaluate) and not isinstance(cnnviz.evaluate, types.ModuleType),
      callable(cnnviz.report) and not isinstance(cnnviz.report, types.ModuleType),
      isinstance(cnnviz.optvis.objectives, types.ModuleType),
      [n for n in cnnviz.__all__ if not hasattr(cnnviz, n)], set(cnnviz.__all__) <= set(dir(cnnviz)))
"""


def _python(code: str, **env) -> subprocess.CompletedProcess:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={**environment, **env})


def test_version_and_help_do_not_import_tensorflow():
    started = time.perf_counter()
    version = subprocess.run([sys.executable, "-m", "cnnviz", "--version"], capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - started
    assert version.returncode == 0 and version.stdout.startswith("cnnviz "), version.stderr
    result = _python(CHECK_CLI)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"  # the real property: no TensorFlow, Keras, matplotlib
    assert seconds < 5, f"cnnviz --version took {seconds:.1f} s (0.4 s idle)"  # margin for a loaded CI machine


@pytest.mark.slow
def test_import_cnnviz_has_no_side_effects_and_every_name_resolves():
    result = _python(CHECK_IMPORT)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines() if ": " in line)
    assert lines["import"] == "True True []"
    assert lines["use"] == "True True True True True True [] True"
