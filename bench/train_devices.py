"""Training throughput per replica: one device vs MirroredStrategy on N devices vs two worker processes, in one run.

    python bench/train_devices.py --data mnist.npz [--images 12000] [--epochs 2] [--replicas 1 2]

Every configuration runs in a fresh process (logical devices and a multi-worker strategy must
be set up before TensorFlow starts). Without GPUs, "N replicas" are N logical CPU devices
(``cpu_devices=N``): they share the same cores, so this measures the overhead of the
strategy, not a speed-up. With GPUs, MirroredStrategy takes them instead.
Reported: images/s of the last epoch (the first one traces), per replica and in all, the
scaling against one replica, and the effect of XLA and of mixed precision on one device.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(spec: dict) -> None:
    import numpy as np

    import cnnviz
    from cnnviz.core.distribute import configure_cpu_devices
    from cnnviz.io.data import MNIST

    configure_cpu_devices(spec.get("cpu_devices"))
    full = cnnviz.load_mnist(spec["data"], download=False) if spec["data"] != "sample" else cnnviz.load_sample()
    n = spec["images"]
    mnist = MNIST(full.x_train[:n], full.y_train[:n], full.x_test[:1000], full.y_test[:1000], source=full.source)
    result = cnnviz.train(mnist, recipe="fast", epochs=spec["epochs"], batch_size=spec["batch"], seed=1,
                          strategy=spec.get("strategy"), lr_scaling="none", precision=spec.get("precision", "float32"),
                          xla=spec.get("xla"), verbose=0, evaluate=False, validation_split=0.0,
                          output=spec.get("output"))
    last = result.history["epoch_seconds"][-1]
    dist = result.card["settings"]["distribution"]
    out = {"images_per_second": n / last, "epoch_seconds": last, "replicas": dist["replicas"],
           "workers": dist["workers"], "global_batch": dist["global_batch_size"], "chief": dist["chief"],
           "loss": float(np.round(result.history["loss"][-1], 4))}
    Path(spec["result"]).write_text(json.dumps(out))


def _run(spec: dict, env_extra: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "TF_CPP_MIN_LOG_LEVEL": "2", **(env_extra or {})}
    return subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec)], env=env)


def measure(spec: dict, folder: Path, name: str) -> dict:
    spec = {**spec, "result": str(folder / f"{name}.json")}
    if _run(spec).wait() != 0:
        raise SystemExit(f"{name} failed")
    return json.loads(Path(spec["result"]).read_text())


def two_workers(spec: dict, folder: Path) -> dict:
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    procs = []
    for i in range(2):
        worker = {**spec, "strategy": "multi-worker", "result": str(folder / f"worker{i}.json"),
                  "output": str(folder / "mw.keras")}
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        procs.append(_run(worker, {"TF_CONFIG": tf_config}))
    if [p.wait() for p in procs] != [0, 0]:
        raise SystemExit("two-worker run failed")
    return json.loads((folder / "worker0.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="mnist.npz (default: $CNNVIZ_MNIST; 'sample' for the sample)")
    parser.add_argument("--images", type=int, default=12000, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64, help="per-replica batch")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip", nargs="*", default=[], help="any of: workers, xla, mixed")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    data = args.data or os.environ.get("CNNVIZ_MNIST") or "sample"
    base = {"data": data, "images": args.images, "epochs": args.epochs, "batch": args.batch}
    rows = {}
    print(f"load before: {os.getloadavg()}; {os.cpu_count()} CPUs; {args.images} images/epoch, per-replica batch "
          f"{args.batch}, images/s of the last of {args.epochs} epochs", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in args.replicas:
            spec = {**base, "strategy": "mirrored", "cpu_devices": n} if n > 1 else dict(base)
            rows[f"{n} replica(s), one process"] = measure(spec, folder, f"r{n}")
        if "workers" not in args.skip:
            rows["2 workers (2 processes, localhost)"] = two_workers(base, folder)
        if "xla" not in args.skip:
            rows["1 replica, XLA"] = measure({**base, "xla": True}, folder, "xla")
        if "mixed" not in args.skip:
            rows["1 replica, mixed_float16"] = measure({**base, "precision": "mixed_float16"}, folder, "mixed")
    one = rows["1 replica(s), one process"]["images_per_second"]
    print(f"{'configuration':40s} {'replicas':>8s} {'images/s':>9s} {'per replica':>11s} {'vs 1 replica':>12s}")
    for name, row in rows.items():
        per = row["images_per_second"] / row["replicas"]
        print(f"{name:40s} {row['replicas']:8d} {row['images_per_second']:9.0f} {per:11.0f} "
              f"{row['images_per_second'] / one:11.2f}x")
    print(f"load after: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "load_end": os.getloadavg(), "time": time.time()},
                                              indent=2))


if __name__ == "__main__":
    main()
