"""The ``cnnviz`` command: a thin layer over the library's calls.

    cnnviz train --recipe fast --epochs 3 -o my_model.keras
    cnnviz evaluate [MODEL] --out confusion.png
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    COMMANDS[func.__name__.removeprefix("cmd_")] = func
    return func


def _model(args: argparse.Namespace):
    from .model import load_model

    return load_model(getattr(args, "model", None))


@command
def cmd_train(args: argparse.Namespace) -> int:
    from .train import train

    data = "sample" if args.sample else args.data
    result = train(data, recipe=args.recipe, epochs=args.epochs, batch_size=args.batch_size,
                   learning_rate=args.learning_rate, seed=args.seed, output=args.output, verbose=args.verbose)
    print(f"trained {len(result.history['loss'])} epochs in {result.seconds:.1f} s "
          f"(recipe {result.recipe.name}); test accuracy {result.test_accuracy:.4f}, loss {result.test_loss:.4f}")
    print(f"saved {result.path} with its history and model card beside it")
    if args.curves:
        from .plots import plot_history, save_figure

        print(f"curves: {save_figure(plot_history(result.history), args.curves)}")
    return 0


@command
def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    data = "sample" if args.sample else args.data
    result = evaluate(_model(args), data)
    print(f"test images: {result.images:,} ({Path(result.source).name})")
    print(f"test accuracy: {result.accuracy:.4f}")
    print(f"test loss: {result.loss:.4f}")
    print("per-class accuracy: " + "  ".join(f"{d}: {a:.3f}" for d, a in enumerate(result.per_class_accuracy)))
    if args.out:
        from .plots import plot_confusion, save_figure

        print(f"confusion matrix: {save_figure(plot_confusion(result), args.out)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnviz", description="See what a convolutional neural network has learned.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train the reference CNN on MNIST")
    p.add_argument("--recipe", default="tutorial", help="tutorial (default), fast or augmented")
    p.add_argument("--epochs", type=int, default=None, help="epochs (default: the recipe's)")
    p.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: the recipe's)")
    p.add_argument("--learning-rate", type=float, default=None, help="peak learning rate (default: the recipe's)")
    p.add_argument("--data", default=None, help="path to a Keras-style mnist.npz (default: $CNNVIZ_MNIST, Keras' cache, download)")
    p.add_argument("--sample", action="store_true", help="train on the 1,000-image sample bundled with cnnviz")
    p.add_argument("--seed", type=int, default=None, help="random seed for a reproducible run")
    p.add_argument("-o", "--output", default="mnist_cnn.keras", help="where to save the model (default: mnist_cnn.keras)")
    p.add_argument("--curves", default=None, help="also save the accuracy/loss curves to this PNG/SVG/PDF")
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="0 silent, 1 progress bar, 2 a line per epoch")

    p = sub.add_parser("evaluate", help="test accuracy, loss, per-class accuracy and confusion matrix")
    p.add_argument("model", nargs="?", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--data", default=None, help="path to a Keras-style mnist.npz")
    p.add_argument("--sample", action="store_true", help="evaluate on the bundled 1,000-image test sample")
    p.add_argument("--out", default=None, help="save the confusion matrix figure here (PNG/SVG/PDF)")

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cnnviz`` console script."""
    args = build_parser().parse_args(argv)
    from .data import DataError
    from .model import ModelError

    try:
        return COMMANDS[args.command](args)
    except (DataError, ModelError, ValueError, FileNotFoundError) as exc:
        print(f"cnnviz {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cnnviz {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
