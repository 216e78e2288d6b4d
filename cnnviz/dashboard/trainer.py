"""Training for the dashboard in a child process, with its progress streamed back as JSON lines.

The Train page must not train in the server: Streamlit serves every session from threads of one
process, so a training there would slow every session, take the server down if it crashed, and
share TensorFlow's and Keras' process-wide state with every user. Here a fresh Python process
(``python -m cnnviz.dashboard.trainer SETTINGS``) trains, writes its model and snapshots to the
paths it is given, and prints one JSON object per line: ``{"event": "epoch", ...}`` after each
epoch, then ``{"event": "done", ...}`` or ``{"event": "error", "message": ...}``. The same child runs the
batch-size experiment (``"task": "batch_sizes"``): one ``{"event": "batch_size", "row": ...}`` per size, then
``{"event": "done", "timing": ...}``. Every "done" event carries the child's ``pid``.

>>> job = TrainJob.start({"data": "sample", "recipe": "fast", "epochs": 1, "batch_size": 32, "seed": 0,
...                       "output": None, "snapshots": None, "limit": 200})
>>> [e["event"] for e in job.events()][-1]
'done'
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

#: The settings a run takes (JSON): data ("sample", "full" or a path to mnist.npz), recipe, epochs, batch_size
#: (None: the recipe's), seed, output (a .keras path or None), snapshots (a folder or None), snapshot_every
#: (batches), limit (train on the first N images only: for tests); task ("train", the default, or "batch_sizes":
#: :func:`cnnviz.training.experiments.time_batch_sizes` over batch_sizes, with data, epochs and seed).
SETTINGS = ("data", "recipe", "epochs", "batch_size", "seed", "output", "snapshots", "snapshot_every", "limit",
            "task", "batch_sizes")


class TrainJob:
    """A training running in a child process; :meth:`events` yields what it reports, line by line."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.stderr_tail = ""

    @classmethod
    def start(cls, settings: dict[str, Any]) -> TrainJob:
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown training settings {sorted(unknown)}; use: {', '.join(SETTINGS)}.")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen([sys.executable, "-m", "cnnviz.dashboard.trainer", json.dumps(settings)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        return cls(process)

    def events(self) -> Iterator[dict[str, Any]]:
        """Each event as the child reports it; at the end, an "error" event if the child died without saying."""
        finished = False
        for line in self.process.stdout:
            if not line.startswith("{"):
                continue  # anything else a library prints
            event = json.loads(line)
            finished = finished or event["event"] in ("done", "error")
            yield event
        code = self.process.wait()
        self.stderr_tail = self.process.stderr.read()[-2000:]
        if not finished:
            yield {"event": "error", "message": f"the training process ended without a result (exit code {code})."}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _emit(**event: Any) -> None:
    print(json.dumps(event), flush=True)


def _data(settings: dict[str, Any]) -> Any:
    """The ``data`` setting as cnnviz takes it: "sample", None for "full" (the usual places), or a path;
    cut to the first ``limit`` images when one is given."""
    import cnnviz

    data: Any = settings["data"]
    if data == "full":
        data = None  # cnnviz looks in the usual places
    if settings.get("limit"):
        data = cnnviz.load_sample() if data == "sample" else cnnviz.io.data.resolve_data(data)
        n = int(settings["limit"])
        data = type(data)(data.x_train[:n], data.y_train[:n], data.x_test[:n], data.y_test[:n], data.source)
    return data


def _time_batch_sizes(settings: dict[str, Any]) -> None:
    """The batch-size experiment, one "batch_size" event per size as it is timed."""
    from cnnviz.training.experiments import time_batch_sizes

    timing = time_batch_sizes(settings["batch_sizes"], data=_data(settings), epochs=int(settings.get("epochs") or 1),
                              seed=int(settings.get("seed") or 0),
                              on_result=lambda size, row: _emit(event="batch_size", batch_size=size, row=row))
    _emit(event="done", timing=timing, pid=os.getpid())


def _run(settings: dict[str, Any]) -> None:
    if settings.get("task", "train") == "batch_sizes":
        return _time_batch_sizes(settings)
    import numpy as np

    import cnnviz

    data = _data(settings)
    snapshots = None
    if settings.get("snapshots"):
        snapshots = cnnviz.Snapshots(settings["snapshots"], every=int(settings.get("snapshot_every") or 1),
                                     unit="batch",
                                     on_snapshot=lambda s: _emit(event="snapshot", step=int(s.step)))
    epochs = int(settings["epochs"])

    def on_epoch(epoch: int, logs: dict) -> None:
        _emit(event="epoch", epoch=epoch + 1, epochs=epochs,
              **{k: float(v) for k, v in logs.items() if np.ndim(v) == 0})

    result = cnnviz.train(data, recipe=settings["recipe"], epochs=epochs, batch_size=settings.get("batch_size"),
                          seed=settings.get("seed"), output=settings.get("output"), verbose=0, on_epoch=on_epoch,
                          snapshots=snapshots)
    _emit(event="done", path=str(result.path) if result.path else None, accuracy=result.test_accuracy,
          seconds=result.seconds, batch_size=int(settings.get("batch_size") or result.recipe.batch_size),
          pid=os.getpid())


def main(argv: list[str]) -> int:
    try:
        _run(json.loads(argv[0]))
    except Exception as exc:  # noqa: BLE001 - reported to the page in one line, the details on stderr
        from cnnviz.core.messages import one_line

        _emit(event="error", message=one_line(exc, 400), kind=type(exc).__name__)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
