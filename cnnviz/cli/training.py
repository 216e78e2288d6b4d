"""``cnnviz train``, ``evaluate`` and ``replay``: train a model, measure it, replay its snapshots."""

from __future__ import annotations

import argparse
from pathlib import Path

from .args import class_names_of, model_of


def cmd_train(args: argparse.Namespace) -> int:
    from ..training.loop import train

    data = "sample" if args.sample else args.data
    result = train(data, recipe=args.recipe, epochs=args.epochs, batch_size=args.batch_size,
                   learning_rate=args.learning_rate, seed=args.seed, output=args.output, verbose=args.verbose,
                   strategy=args.strategy, cpu_devices=args.cpu_devices, lr_scaling=args.lr_scaling,
                   precision=args.precision, xla=args.xla,
                   **_snapshots_option(args))
    print(f"trained {len(result.history['loss'])} epochs in {result.seconds:.1f} s "
          f"(recipe {result.recipe.name}); test accuracy {result.test_accuracy:.4f}, loss {result.test_loss:.4f}")
    if result.path is None:
        print("this worker saved nothing: the chief saves the model")
        return 0
    print(f"saved {result.path} with its history and model card beside it")
    if args.snapshots:
        print(f"snapshots: {args.snapshots} (TensorBoard: tensorboard --logdir {args.snapshots}; "
              f"replay: cnnviz replay {args.snapshots} -o learning.gif)")
    if args.curves:
        from ..plots import plot_history, save_figure

        print(f"curves: {save_figure(plot_history(result.history), args.curves)}")
    return 0


def _snapshots_option(args: argparse.Namespace) -> dict:
    """``--snapshots DIR --snapshot-every N|Nb`` -> the ``snapshots=`` keyword of train (empty without DIR)."""
    if args.snapshots is None:
        return {}
    from ..training.callbacks import Snapshots
    from ..training.snapshots import snapshots_beside

    args.snapshots = args.snapshots or str(snapshots_beside(args.output))

    text = str(args.snapshot_every).strip().lower()
    unit = "batch" if text.endswith("b") else "epoch"
    try:
        every = int(text.rstrip("b"))
    except ValueError:
        raise ValueError(f"--snapshot-every takes N (epochs) or Nb (batches), e.g. 1 or 50b; got {args.snapshot_every!r}.") from None
    return {"snapshots": Snapshots(args.snapshots, every=every, unit=unit)}


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..evaluate import evaluate

    data = "sample" if args.sample else args.data
    model = model_of(args)
    result = evaluate(model, data)
    print(f"test images: {result.images:,} ({Path(result.source).name})")
    print(f"test accuracy: {result.accuracy:.4f}")
    print(f"test loss: {result.loss:.4f}")
    names = class_names_of(model)
    print("per-class accuracy: " + "  ".join(f"{names[d] if d < len(names) else d}: {a:.3f}"
                                             for d, a in enumerate(result.per_class_accuracy)))
    if args.out:
        from ..plots import plot_confusion, save_figure

        print(f"confusion matrix: {save_figure(plot_confusion(result), args.out)}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from ..replay import plot_snapshots, replay
    from ..training.snapshots import load_snapshots

    run = load_snapshots(args.dir)
    print(f"{len(run)} snapshots in {run.directory}", flush=True)
    print(f"animation: {replay(run, args.output, fps=args.fps, verbose=True)}")
    if args.figure:
        from ..plots import save_figure

        print(f"figure: {save_figure(plot_snapshots(run), args.figure)}")
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "replay": cmd_replay}
