"""Training with tf.distribute for real: 2 logical CPU devices, 2 worker processes on localhost, a killed worker.

Logical CPU devices must be configured before TensorFlow starts its devices, and a
MultiWorkerMirroredStrategy owns its process: each run here is a fresh Python process.
The equivalence checks use the fast recipe, augmentation included: its random shifts are keyed by
(seed, epoch, batch), so every layout sees the same images.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import cnnviz
from cnnviz.core.distribute import STRATEGIES, get_strategy, is_chief

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", **extra}
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _python(code: str, tmp_path: Path, timeout: int = 300) -> dict:
    out = tmp_path / "result.json"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(code).replace("RESULT", repr(str(out))))
    proc = subprocess.run([sys.executable, str(script)], env=_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def test_the_strategies_are_a_registry_and_bad_names_are_refused():
    assert {"default", "auto", "mirrored", "multi-worker"} <= set(STRATEGIES)
    assert get_strategy("auto").num_replicas_in_sync == 1  # no GPU here: the default strategy
    assert is_chief(get_strategy(None))
    with pytest.raises(ValueError, match="unknown strategy 'mirrorred'; choose one of: default, auto"):
        cnnviz.train("sample", strategy="mirrorred")
    with pytest.raises(ValueError, match="unknown lr_scaling"):
        cnnviz.train("sample", lr_scaling="cubic")


@pytest.mark.slow  # ~25 s idle, ~95 s at load 11 (two trainings in a fresh process)
def test_mirrored_on_two_logical_cpus_matches_one_device(tmp_path):
    # Two replicas of 32 images = one device with batches of 64: same batches, averaged gradients.
    result = _python("""
        import json, numpy as np, cnnviz
        from cnnviz.core.distribute import configure_cpu_devices
        configure_cpu_devices(2)
        s = cnnviz.load_sample()
        one = cnnviz.train(s, recipe="fast", epochs=2, seed=4, batch_size=64, lr_scaling="none", verbose=0)
        two = cnnviz.train(s, recipe="fast", epochs=2, seed=4, batch_size=32, lr_scaling="none", verbose=0,
                           strategy="mirrored")
        diff = max(float(np.abs(a - b).max()) for a, b in zip(one.model.get_weights(), two.model.get_weights()))
        json.dump({"one": one.history["loss"], "two": two.history["loss"], "acc": [one.test_accuracy,
                   two.test_accuracy], "diff": diff, "card": two.card["settings"]["distribution"]}, open(RESULT, "w"))
    """, tmp_path)
    card = result["card"]
    assert card["replicas"] == 2 and card["strategy"] == "MirroredStrategy"
    assert card["global_batch_size"] == 64 and card["per_replica_batch_size"] == 32
    assert card["devices"][1].endswith("CPU:1")
    assert result["one"] == pytest.approx(result["two"], rel=1e-4)
    # Float sums in another order, amplified over 28 Adam steps: 1e-7 to 2e-4 on one CPU, 1.02e-3 on a Xeon with
    # AMX (oneDNN's kernels). A real difference (gradients summed instead of averaged, another batch order) moves
    # the weights by 1e-2 or more.
    assert result["diff"] < 3e-3
    assert abs(result["acc"][0] - result["acc"][1]) <= 0.001
    assert result["acc"][1] > 0.6  # and it learned


def test_cpu_devices_cannot_change_after_tensorflow_started():
    import tensorflow as tf

    from cnnviz.core.distribute import configure_cpu_devices

    have = len(tf.config.list_logical_devices("CPU"))
    with pytest.raises(ValueError, match="already started"):
        configure_cpu_devices(have + 1)


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _start_pair(tmp_path: Path, out: Path, epochs: int, extra: list[str] = ()) -> list[subprocess.Popen]:
    return _start_workers(tmp_path, ["--sample", "--recipe", "fast", "--epochs", str(epochs), "--strategy",
                                     "multi-worker", "--batch-size", "32", "--lr-scaling", "none", "--seed", "3",
                                     "--verbose", "2", "-o", str(out), *extra])


def _start_workers(tmp_path: Path, train_args: list[str]) -> list[subprocess.Popen]:
    """``cnnviz train *train_args`` in two worker processes on localhost (TF_CONFIG), each in its own folder with
    its log in ``w{i}/log{n}.txt`` (n counts this folder's earlier runs)."""
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    procs = []
    for i in range(2):
        home = tmp_path / f"w{i}"
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        env = _env(TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
                   TMPDIR=str(home / "tmp"))
        log = open(home / f"log{len(list(home.glob('log*')))}.txt", "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "cnnviz.cli", "train", *train_args], cwd=home, env=env,
                                      stdout=log, stderr=subprocess.STDOUT))
    return procs


def _wait(procs: list[subprocess.Popen], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    codes = []
    for p in procs:
        codes.append(p.wait(timeout=max(1.0, deadline - time.monotonic())))
    return codes


def _files(folder: Path) -> list[str]:
    """What a worker left in its working folder, outside its temporary folder (tmp/), and cnnviz's scratch in tmp/.

    TensorFlow's autograph writes its own files in the temporary folder (a killed process cannot
    remove them): the temporary folder is where a worker may write."""
    outside = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("log")
               and "tmp" not in p.relative_to(folder).parts]
    scratch = list((folder / "tmp").glob("cnnviz-worker-*"))
    return sorted(str(p.relative_to(folder)) for p in outside + scratch)


@pytest.mark.slow
def test_two_workers_train_together_and_only_the_chief_writes(tmp_path, sample):
    # 2 workers x 32 images per step = the one-process run's batch of 64; same seed, same batches.
    shared = tmp_path / "shared"
    shared.mkdir()
    out = shared / "mw.keras"
    procs = _start_pair(tmp_path, out, epochs=3)
    try:
        assert _wait(procs, 300) == [0, 0], (tmp_path / "w1" / "log0.txt").read_text()[-2000:]
    finally:
        for p in procs:
            p.kill()
    assert sorted(p.name for p in shared.iterdir()) == ["mw.card.json", "mw.history.json", "mw.keras"]
    for i in range(2):  # nothing in either working folder; the worker's scratch folder is cleaned up
        assert _files(tmp_path / f"w{i}") == []
    card = json.loads((shared / "mw.card.json").read_text())
    assert card["settings"]["distribution"]["workers"] == 2 and card["settings"]["distribution"]["replicas"] == 2
    assert card["settings"]["distribution"]["global_batch_size"] == 64
    one = cnnviz.train(sample, recipe="fast", epochs=3, seed=3, batch_size=64, lr_scaling="none", verbose=0)
    chief = cnnviz.load_model(out)
    acc = float((chief.predict(cnnviz.preprocess(sample.x_test), verbose=0).argmax(1) == sample.y_test).mean())
    # The same batches and the same averaged gradients: only float summation order differs, so the
    # 1,000 test images agree to a few images at most (0.003 = 3 images, the tolerance).
    assert abs(acc - one.test_accuracy) <= 0.003, (acc, one.test_accuracy)
    assert card["test_accuracy"] == pytest.approx(acc, abs=1e-6)


@pytest.mark.slow
def test_a_killed_worker_resumes_from_the_last_finished_epoch(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    out = shared / "kill.keras"
    partial = shared / "kill.keras.backup" / "history.partial.json"
    procs = _start_pair(tmp_path, out, epochs=6, extra=["--batch-size", "8"])
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # wait for the first finished epoch, then kill worker 1 mid-epoch
            if partial.is_file() and len(json.loads(partial.read_text()).get("loss", [])) >= 1:
                break
            assert all(p.poll() is None for p in procs), "a worker ended early"
            time.sleep(0.2)
        time.sleep(0.5)
        procs[1].send_signal(signal.SIGKILL)
        procs[1].wait()
        done_before = len(json.loads(partial.read_text())["loss"])
        assert done_before < 6
        try:  # the chief cannot go on alone: it fails or waits for its peer
            procs[0].wait(timeout=20)
        except subprocess.TimeoutExpired:
            procs[0].kill()
            procs[0].wait()
    finally:
        for p in procs:
            p.kill()
    assert not out.exists()
    procs = _start_pair(tmp_path, out, epochs=6, extra=["--batch-size", "8"])
    try:
        assert _wait(procs, 300) == [0, 0], (tmp_path / "w0" / "log1.txt").read_text()[-2000:]
    finally:
        for p in procs:
            p.kill()
    log = (tmp_path / "w0" / "log1.txt").read_text()
    first = int(log.split("Epoch ", 1)[1].split("/", 1)[0])
    assert first == done_before + 1  # Keras counts from 1: it started after the last finished epoch
    history = json.loads((shared / "kill.history.json").read_text())
    assert len(history["loss"]) == 6
    assert _files(tmp_path / "w1") == []
    np.testing.assert_array_less(history["loss"][-1], history["loss"][0])


def test_mixed_precision_computes_in_float16_and_keeps_the_output_float32(sample):
    result = cnnviz.train(sample, recipe="fast", epochs=1, seed=2, precision="mixed_float16", verbose=0)
    layers = {layer.name: layer for layer in result.model.layers}
    assert layers["conv1"].compute_dtype == "float16" and layers["conv1"].kernel.dtype == "float32"
    assert layers["predictions"].compute_dtype == "float32"
    probs = result.model.predict(cnnviz.preprocess(sample.x_test[:50]), verbose=0)
    assert probs.dtype == np.float32 and np.allclose(probs.sum(1), 1, atol=1e-3)
    assert result.card["settings"]["distribution"]["precision"] == "mixed_float16"
    assert result.test_accuracy > 0.5  # it learned (one epoch on 900 images)
    optimizer = result.model.optimizer  # float16 gradients underflow without loss scaling
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    scale = float(optimizer.dynamic_scale.numpy())
    assert scale >= 2.0 and float(optimizer.scale_loss(tf.constant(1.5))) == pytest.approx(1.5 * scale)
    with pytest.raises(ValueError, match="unknown precision 'half'"):
        cnnviz.train(sample, precision="half")


@pytest.mark.slow
def test_the_readme_two_worker_command_runs_with_the_fast_recipe_as_it_is(tmp_path):
    """README: ``cnnviz train --recipe fast --strategy multi-worker`` on two processes, the recipe's own batch size
    (the sample: 900 images / 128 = 8 steps, so the fast recipe's steps_per_execution=4 would apply), no shortcut."""
    shared = tmp_path / "shared"
    shared.mkdir()
    out = shared / "mw.keras"
    procs = _start_workers(tmp_path, ["--sample", "--recipe", "fast", "--epochs", "1", "--strategy", "multi-worker",
                                      "--seed", "1", "-o", str(out)])  # as the README says it, no extra flags
    try:
        assert _wait(procs, 300) == [0, 0], (tmp_path / "w0" / "log0.txt").read_text()[-3000:]
    finally:
        for p in procs:
            p.kill()
    assert "steps_per_execution 1 under MultiWorkerMirroredStrategy" in (tmp_path / "w0" / "log0.txt").read_text()
    distribution = json.loads((shared / "mw.card.json").read_text())["settings"]["distribution"]
    assert distribution["workers"] == 2 and distribution["steps_per_execution"] == 1
    assert "MultiWorkerMirroredStrategy" in distribution["steps_per_execution_note"]
