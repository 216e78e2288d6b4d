"""Load: concurrent sessions (threads of one process, as Streamlit serves them) over three models, different seeds;
every answer equals the same call made alone; memory stays bounded over many model loads and evictions.
Scaled to run in CI (4 threads x 3 rounds, 60 model loads); CNNVIZ_LOAD_SCALE=N multiplies both."""

from __future__ import annotations

import gc
import os
import resource
import threading

import numpy as np
import pytest

import cnnviz

SCALE = int(os.environ.get("CNNVIZ_LOAD_SCALE", "1"))


def _calls(models: dict, sample) -> list[tuple[str, int, callable]]:
    calls = []
    for name, model in models.items():
        for seed in (0, 1):
            calls.append((f"{name} maximize seed {seed}", seed,
                          lambda m=model, s=seed: cnnviz.maximize([2, 5], model=m, steps=15, seed=s).images))
            calls.append((f"{name} smoothgrad seed {seed}", seed,
                          lambda m=model, s=seed: cnnviz.attribute(sample.x_test[:3], "smoothgrad", model=m, seed=s,
                                                                   smooth_samples=4).maps))
        calls.append((f"{name} feature maps", 0,
                      lambda m=model: cnnviz.feature_maps(sample.x_test[:4], model=m).maps["conv2"]))
    return calls


@pytest.mark.slow
def test_concurrent_sessions_get_the_answers_of_calls_made_alone(sample, tmp_path):
    uploaded = cnnviz.load_model(cnnviz.save_model(cnnviz.core.model.reference_model(seed=7), tmp_path / "up.keras"))
    trained = cnnviz.train(sample, recipe="fast", epochs=1, seed=2, evaluate=False, verbose=0).model
    models = {"shipped": None, "uploaded": uploaded, "trained": trained}
    calls = _calls(models, sample)
    alone = {name: np.array(call()) for name, _, call in calls}
    errors, mismatches = [], []

    def session(k: int) -> None:
        order = np.random.default_rng(k).permutation(len(calls))
        for _ in range(3 * SCALE):
            for i in order:
                name, _, call = calls[i]
                try:
                    got = np.array(call())
                except Exception as exc:  # noqa: BLE001 - collected and reported below
                    errors.append(f"{name}: {exc!r}")
                    continue
                if got.shape != alone[name].shape or np.abs(got - alone[name]).max() > 1e-5:
                    mismatches.append(name)

    threads = [threading.Thread(target=session, args=(k,)) for k in range(4 * SCALE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert not mismatches, sorted(set(mismatches))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


@pytest.mark.slow
def test_memory_stays_bounded_over_many_model_loads_and_evictions(tmp_path):
    from cnnviz.dashboard import models

    files = [str(cnnviz.save_model(cnnviz.core.model.reference_model(seed=i), tmp_path / f"m{i}.keras")) for i in range(6)]
    models.forget()
    for path in files:  # warm-up: every distinct graph traced once, the cache full
        cnnviz.core.build.get_probe(models.get_model(path))
    gc.collect()
    start = _rss_mb()
    for i in range(60 * SCALE):  # reload the same files after they are evicted: nothing may accumulate
        path = files[i % len(files)]
        models.forget(path)
        cnnviz.predict(np.zeros((28, 28), np.uint8), model=models.get_model(path))
    gc.collect()
    grown = _rss_mb() - start
    print(f"resident memory grew {grown:.0f} MB over {60 * SCALE} loads")
    assert grown < 45  # measured: 23 MB over 60 loads; 35 MB over 30 when each load was gc.freeze()d


def _first_calls(model, sample) -> list[np.ndarray]:
    """A fresh upload's first calls in the dashboard: its probe, a class image (a compiled loop traced), feature
    maps, and a gradient attribution."""
    return [np.array(cnnviz.maximize([3], model=model, steps=10, seed=1).images),
            np.array(cnnviz.feature_maps(sample.x_test[:2], model=model).maps["conv2"]),
            np.array(cnnviz.attribute(sample.x_test[:2], "saliency", model=model).maps)]


@pytest.mark.slow
def test_first_traces_on_new_models_from_several_threads_equal_calls_made_alone(sample):
    """Sessions that upload at once build probes and trace loops at once, two of them on the same model: every
    answer equals the call made alone on its own copy, and the shared model gets one probe (one set of loops)."""
    from cnnviz.core.build import get_probe
    from cnnviz.core.model import reference_model

    new = {seed: reference_model(seed=300 + seed) for seed in range(3)}
    who = [0, 0, 1, 2]  # two sessions on model 0
    start = threading.Barrier(len(who))
    got: dict[int, list] = {}
    probes: dict[int, object] = {}
    errors: list[str] = []

    def session(k: int) -> None:
        model = new[who[k]]
        start.wait()
        try:
            probes[k] = get_probe(model)
            got[k] = _first_calls(model, sample)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            errors.append(f"session {k}: {exc!r}")

    threads = [threading.Thread(target=session, args=(k,)) for k in range(len(who))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert probes[0] is probes[1], "two sessions on one model built two probes"
    for k, seed in enumerate(who):
        alone = _first_calls(reference_model(seed=300 + seed), sample)  # a copy of the same weights, traced alone
        for a, b in zip(got[k], alone):
            np.testing.assert_allclose(a, b, atol=1e-5)
