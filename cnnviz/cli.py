"""The ``cnnviz`` command: a thin layer over the library's calls.

    cnnviz train --recipe fast --epochs 3 -o my_model.keras
    cnnviz evaluate [MODEL] --out confusion.png
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    COMMANDS[func.__name__.removeprefix("cmd_")] = func
    return func


def _said(args: argparse.Namespace) -> dict:
    """What --card FILE, --input-range, --class-names and --convention say about the model (flags win over the
    card file); empty when none is given."""
    import json

    from .core.contract import parse_range

    said: dict = {}
    card = getattr(args, "card", None)
    if card:
        try:
            facts = json.loads(Path(card).expanduser().read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"--card {card}: cannot read it as a JSON model card ({exc}).") from None
        if not isinstance(facts, dict):
            raise ValueError(f"--card {card}: a model card is a JSON object with input_range, class_names, convention.")
        said.update({k: facts[k] for k in ("input_range", "class_names", "convention") if facts.get(k) is not None})
    if getattr(args, "input_range", None):
        said["input_range"] = parse_range(args.input_range)
    if getattr(args, "class_names", None):
        said["class_names"] = [n.strip() for n in args.class_names.split(",")]
    if getattr(args, "convention", None):
        said["convention"] = args.convention
    return said


def _model(args: argparse.Namespace):
    """The model of --model (default: the shipped one), described by the flags for this command only; a given
    range that contradicts the card is said on stderr."""
    from .core.model import load_model

    model = load_model(getattr(args, "model", None))
    said = _said(args)
    if not said:
        return model
    from .core.build import describe

    described = describe(model, **said)
    for warning in described.warnings:
        print(f"cnnviz {args.command}: warning: {warning}", file=sys.stderr)
    return described


def _names(model) -> list[str]:
    """The class names of a (described) model: what every printed line calls a class."""
    from .core.build import get_probe

    return list(get_probe(model).class_names)


@command
def cmd_train(args: argparse.Namespace) -> int:
    from .training.loop import train

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
        from .plots import plot_history, save_figure

        print(f"curves: {save_figure(plot_history(result.history), args.curves)}")
    return 0


def _snapshots_option(args: argparse.Namespace) -> dict:
    """``--snapshots DIR --snapshot-every N|Nb`` -> the ``snapshots=`` keyword of train (empty without DIR)."""
    if args.snapshots is None:
        return {}
    from .training.callbacks import Snapshots
    from .training.snapshots import snapshots_beside

    args.snapshots = args.snapshots or str(snapshots_beside(args.output))

    text = str(args.snapshot_every).strip().lower()
    unit = "batch" if text.endswith("b") else "epoch"
    try:
        every = int(text.rstrip("b"))
    except ValueError:
        raise ValueError(f"--snapshot-every takes N (epochs) or Nb (batches), e.g. 1 or 50b; got {args.snapshot_every!r}.") from None
    return {"snapshots": Snapshots(args.snapshots, every=every, unit=unit)}


@command
def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    data = "sample" if args.sample else args.data
    model = _model(args)
    result = evaluate(model, data)
    print(f"test images: {result.images:,} ({Path(result.source).name})")
    print(f"test accuracy: {result.accuracy:.4f}")
    print(f"test loss: {result.loss:.4f}")
    names = _names(model)
    print("per-class accuracy: " + "  ".join(f"{names[d] if d < len(names) else d}: {a:.3f}"
                                             for d, a in enumerate(result.per_class_accuracy)))
    if args.out:
        from .plots import plot_confusion, save_figure

        print(f"confusion matrix: {save_figure(plot_confusion(result), args.out)}")
    return 0


_CLASS_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def _parse_classes(text: str) -> list[int]:
    """'6' -> [6]; '0-9' -> [0..9]; '1,3,5' -> [1, 3, 5]; anything else is a ValueError that says what to write.

    >>> _parse_classes("1,3-5")
    [1, 3, 4, 5]
    >>> _parse_classes("-1")
    Traceback (most recent call last):
    ...
    ValueError: class '-1' is not a class number: classes are numbered from 0; write a class (6), a list (1,3,5) or a range (0-9).
    """
    out: list[int] = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _CLASS_PART.match(part)
        if not match:
            raise ValueError(f"class {part.strip()!r} is not a class number: classes are numbered from 0; "
                             "write a class (6), a list (1,3,5) or a range (0-9).")
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        if hi < lo:
            raise ValueError(f"class range {part.strip()!r} runs backwards; write it low-high, e.g. 0-9.")
        if hi - lo >= 10_000:
            raise ValueError(f"class range {part.strip()!r} is too long (at most 10,000 classes at once).")
        out.extend(range(lo, hi + 1))
    if not out:
        raise ValueError(f"no class given in {text!r}; write a class (6), a list (1,3,5) or a range (0-9).")
    return out


def _number(kind: type, lo: float, hi: float) -> Callable[[str], float]:
    """An argparse type: a ``kind`` (int or float) within lo..hi, else one line saying the allowed range."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if not (lo <= value <= hi):  # also refuses nan
            raise argparse.ArgumentTypeError(f"{text} is out of range: use {lo:g} to {hi:g}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _note_blank(images) -> None:
    """Print the blank-image note for the prepared images that are blank."""
    from .io.data import BLANK_NOTE, is_blank

    if len(images) and is_blank(images).any():
        print(f"note: {BLANK_NOTE}")


@command
def cmd_maximize(args: argparse.Namespace) -> int:
    from .maximize import fake_vs_constrained, maximize
    from .plots import plot_fake_vs_constrained, plot_maximization, save_figure

    model = _model(args)
    if args.classes is None:
        from .core.build import get_probe

        classes = get_probe(model).default_classes()
    else:
        classes = _parse_classes(args.classes)
    if args.compare:
        experiment = fake_vs_constrained(model, classes=classes, steps=args.steps, seed=args.seed,
                                         data_prior=args.prior == "data")
        rows = [("no constraint", experiment.plain), ("L1 constraint", experiment.constrained)]
        for name, result in rows + ([("data prior", experiment.data)] if experiment.data is not None else []):
            print(f"{name}: " + "  ".join(f"{t}->{p} ({c:.3f})" for t, p, c in
                                           zip(result.targets, result.predicted, result.confidence)))
        print(f"saved {save_figure(plot_fake_vs_constrained(experiment), args.output)}")
        return 0
    result = maximize(classes, model=model, steps=args.steps, seed=args.seed, learning_rate=args.learning_rate,
                      regularization=args.regularization, l1=args.l1, l2=args.l2, tv=args.tv, jitter=args.jitter,
                      blur=args.blur, prior=args.prior, n=args.n, param=args.param)
    names = _names(model)
    for t, p, c in zip(result.targets, result.predicted, result.confidence):
        print(f"class {names[t]}: the model sees {names[p]} with softmax {c:.4f}")
    for note in result.adjustments:
        print(f"adjusted on its own: {note}")
    if not result.reached.all():
        print(result.message)
    print(f"saved {save_figure(plot_maximization(result), args.output)}")
    return 0


@command
def cmd_features(args: argparse.Namespace) -> int:
    from .features import feature_maps
    from .plots import plot_feature_maps, save_figure

    model = _model(args)
    fmaps = feature_maps(args.image, model=model, layers=args.layers)
    probs = fmaps.probabilities[0]
    print(f"prediction: {_names(model)[int(probs.argmax())]} (softmax {probs.max():.4f})")
    for note in fmaps.notes:
        print(f"note: {note}")
    _note_blank(fmaps.inputs)
    for name, maps in fmaps.maps.items():
        print(f"  {name}: {maps.shape[1]}x{maps.shape[2]} x {maps.shape[3]} maps")
    print(f"saved {save_figure(plot_feature_maps(fmaps, max_maps=args.max_maps), args.output)}")
    return 0


@command
def cmd_filters(args: argparse.Namespace) -> int:
    from .features import filters
    from .plots import plot_filters, save_figure

    weights = filters(args.layer, model=_model(args))
    print(f"{args.layer}: kernels {weights.shape[0]}x{weights.shape[1]}, {weights.shape[2]} input channels, "
          f"{weights.shape[3]} filters")
    print(f"saved {save_figure(plot_filters(weights, layer=args.layer), args.output)}")
    return 0


@command
def cmd_attribution(args: argparse.Namespace) -> int:
    from .attribution import attribute
    from .plots import plot_attribution, save_figure

    model = _model(args)
    result = attribute(args.image, method=args.method, target=args.target, model=model)
    print(f"{args.method} for class {_names(model)[result.targets[0]]} "
          f"(softmax {result.probabilities[0, result.targets[0]]:.4f})")
    _note_blank(getattr(result, "inputs", []))
    print(f"saved {save_figure(plot_attribution(result), args.output)}")
    return 0


@command
def cmd_check(args: argparse.Namespace) -> int:
    """Can these attribution maps be trusted: sanity check (figure at -o) and deletion/insertion curves (beside it)."""
    from .attribution import (
        faithfulness,
        get_method,
        plot_faithfulness,
        plot_sanity_check,
        sanity_check,
    )
    from .core.paths import check_writable
    from .io.data import load_sample
    from .plots import save_figure

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not methods:
        raise ValueError("--methods is empty; give names such as saliency,gradcam,ig.")
    for m in methods:
        get_method(m)  # unknown names: one line listing the known ones, before any work
    if not 1 <= args.examples <= 1000:
        raise ValueError(f"--examples must be 1..1000 (got {args.examples}).")
    out = check_writable(args.output)
    curves_path = out.with_name(f"{out.stem}_{args.metric}{out.suffix}")
    check_writable(curves_path)
    images = args.images if args.images else load_sample().x_test[:args.examples]
    model = _model(args)
    check = sanity_check(images, methods=methods, model=model)
    for line in check.summary():
        print(line)
    curves = faithfulness(images, methods=methods, model=model, metric=args.metric)
    better = "lower" if args.metric == "deletion" else "higher"
    print(f"{args.metric} area under the curve ({better} is better), {len(curves.targets)} images:")
    for row in curves.table():
        beats = "" if row["beats_random"] is None else ("  beats random" if row["beats_random"] else "  NOT better than random")
        print(f"  {row['title']:<22} {row['auc']:.3f} +/- {row['std']:.3f}{beats}")
    print(f"saved {save_figure(plot_sanity_check(check), out)}")
    print(f"saved {save_figure(plot_faithfulness(curves), curves_path)}")
    return 0


def _report_options(args: argparse.Namespace):
    """The CLI's report flags as one :class:`~cnnviz.report.ReportOptions` (its checks give the error lines)."""
    from .report import ReportOptions

    steps = {} if args.steps is None else {"steps": args.steps}
    return ReportOptions(classes=None if args.classes is None else _parse_classes(args.classes),
                         examples=args.examples, data="sample" if args.sample else args.data,
                         filter_steps=args.filter_steps, dpi=args.dpi,
                         max_layers=None if args.all_layers else args.max_layers, **steps)


def _failure_summary(failures) -> str:
    """"; 1 input could not be used, 1 figure failed (listed in the report)" or ""."""
    inputs = sum(1 for f in failures if getattr(f, "kind", "input") == "input")
    figures = len(failures) - inputs
    parts = ([f"{inputs} input{'s' if inputs != 1 else ''} could not be used"] if inputs else []) + \
        ([f"{figures} figure{'s' if figures != 1 else ''} could not be built"] if figures else [])
    return f"; {', '.join(parts)} (listed in the report)" if parts else ""


def _print_failures(failures) -> int:
    for failure in failures:
        what = "could not use" if getattr(failure, "kind", "input") == "input" else "could not build"
        print(f"  {what} {failure}", file=sys.stderr)
    return 1 if failures else 0


@command
def cmd_report(args: argparse.Namespace) -> int:
    from .report import report

    result = report(args.output, args.model, args.images, options=_report_options(args), progress=not args.quiet,
                    **_said(args))
    print(f"saved {result.path}: {result.pages} {'pages' if result.path.suffix == '.pdf' else 'figures'} "
          f"in {result.seconds:.1f} s" + _failure_summary(result.failures))
    return _print_failures(result.failures)


@command
def cmd_export(args: argparse.Namespace) -> int:
    from .report import export_figures

    result = export_figures(args.output, args.formats, args.model, args.images, options=_report_options(args),
                            progress=not args.quiet, **_said(args))
    print(f"saved {len(result.files)} files ({len(result.figures)} figures as {args.formats}) to {result.directory}/ "
          f"in {result.seconds:.1f} s")
    return _print_failures(result.failures)


@command
def cmd_atlas(args: argparse.Namespace) -> int:
    from .atlas import atlas_path_for, dataset_examples
    from .core.distribute import configure_cpu_devices
    from .core.paths import check_writable
    from .io.data import resolve_data

    output = Path(args.output) if args.output else (atlas_path_for(args.model) if args.model else Path("atlas.npz"))
    if output.suffix != ".npz":
        raise ValueError(f"an atlas is saved as .npz; got {output.name!r} (try -o {output.stem}.npz).")
    check_writable(output)
    configure_cpu_devices(args.cpu_devices)
    mnist = resolve_data("sample" if args.sample else args.data, download=False)
    images, labels = (mnist.x_test, mnist.y_test) if args.test else (mnist.x_train, mnist.y_train)
    layers = [n.strip() for n in args.layers.split(",") if n.strip()] if args.layers else None
    atlas = dataset_examples(layers, data=images, labels=labels, k=args.k, batch_size=args.batch_size,
                             strategy=args.strategy, model=_model(args))
    atlas.source = f"{Path(mnist.source).name} ({'test' if args.test else 'training'} images)"
    atlas.save(output)
    channels = sum(atlas.channels(n) for n in atlas.layers)
    print(f"saved {output}: top {atlas.k} of {atlas.images_seen:,} images for {channels} channels "
          f"({', '.join(atlas.layers)})")
    return 0


@command
def cmd_concepts(args: argparse.Namespace) -> int:
    from .concepts import concepts, plot_concepts
    from .concepts.plots import evidence_line
    from .plots import save_figure

    data = None
    if args.data:
        from .io.data import resolve_data

        data = resolve_data(args.data, download=False)
    result = concepts(args.layer, data=data, n=args.n, model=_model(args), seed=args.seed,
                      visualize=not args.no_images, strategy=args.strategy)
    print(f"{result.n} concepts of {result.layer} from {result.images_seen:,} images: {evidence_line(result)}")
    for note in result.notes:
        print(f"  note: {note}")
    print(f"saved {save_figure(plot_concepts(result), args.output)}")
    return 0


@command
def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the Streamlit app. The process *becomes* Streamlit (exec), so a signal to ``cnnviz dashboard``
    reaches the server itself; the app is not imported here (its cached functions would warn "No runtime found")."""
    import importlib.util

    if importlib.util.find_spec("streamlit") is None:
        raise ValueError('the dashboard needs Streamlit: in a cnnviz checkout run `pip install -e ".[dashboard]"` '
                         "(or `make dashboard`).")
    app = Path(__file__).resolve().parent / "dashboard" / "app.py"
    port = pick_port(args.port)
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # this process is the server: TensorFlow's C++ notices are noise
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(sys.executable, command)  # does not return
    import subprocess  # pragma: no cover - Windows has no exec that keeps the process: wait for the child

    return subprocess.call(command)  # pragma: no cover


DEFAULT_PORT = 8501


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` on every interface now (as Streamlit does)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
        except OSError:
            return False
    return True


def pick_port(requested: int | None, *, start: int = DEFAULT_PORT, tries: int = 20) -> int:
    """``requested`` if free (else a ValueError naming a free one); with no request the first free port from
    ``start`` on, saying so when it is not ``start``."""
    if requested is not None:
        if port_is_free(requested):
            return requested
        free = next((p for p in range(requested + 1, min(requested + 1 + tries, 65536)) if port_is_free(p)), None)
        hint = f"use --port {free}" if free else "use --port with a free port"
        raise ValueError(f"port {requested} is taken (another dashboard or server is using it); stop it, or {hint}.")
    for port in range(start, min(start + tries, 65536)):
        if port_is_free(port):
            if port != start:
                print(f"cnnviz dashboard: port {start} is taken; serving on port {port} (choose one with --port)",
                      flush=True)
            return port
    raise ValueError(f"ports {start}-{start + tries - 1} are all taken; choose a free one with --port.")


@command
def cmd_replay(args: argparse.Namespace) -> int:
    from .replay import plot_snapshots, replay
    from .training.snapshots import load_snapshots

    run = load_snapshots(args.dir)
    print(f"{len(run)} snapshots in {run.directory}", flush=True)
    print(f"animation: {replay(run, args.output, fps=args.fps, verbose=True)}")
    if args.figure:
        from .plots import save_figure

        print(f"figure: {save_figure(plot_snapshots(run), args.figure)}")
    return 0


class MethodNames:
    """The attribution registry's method names as argparse ``choices``, read only when argparse checks a value
    (so building the parser, ``--help`` and ``--version`` do not import TensorFlow; new methods appear live)."""

    @staticmethod
    def _names() -> list[str]:
        from .attribution import method_names

        return method_names()

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnviz", description="See what a convolutional neural network has learned.")
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"cnnviz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train the reference CNN on MNIST")
    p.add_argument("--recipe", default="tutorial", help="tutorial (default), fast or augmented")
    p.add_argument("--epochs", type=_number(int, 1, 1000), default=None, help="epochs (default: the recipe's)")
    p.add_argument("--batch-size", type=_number(int, 1, 65536), default=None, help="mini-batch size (default: the recipe's)")
    p.add_argument("--learning-rate", type=_number(float, 1e-8, 10), default=None, help="peak learning rate (default: the recipe's)")
    p.add_argument("--data", default=None, help="path to a Keras-style mnist.npz (default: $CNNVIZ_MNIST, Keras' cache, download)")
    p.add_argument("--sample", action="store_true", help="train on the 1,000-image sample bundled with cnnviz")
    p.add_argument("--seed", type=_number(int, 0, 2**32 - 1), default=None, help="random seed for a reproducible run")
    p.add_argument("-o", "--output", default="mnist_cnn.keras", help="where to save the model (default: mnist_cnn.keras)")
    p.add_argument("--curves", default=None, help="also save the accuracy/loss curves to this PNG/SVG/PDF")
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="0 silent, 1 progress bar, 2 a line per epoch")
    p.add_argument("--snapshots", nargs="?", const="", default=None, metavar="DIR",
                   help="record filters, feature maps, class images and saliency while training (TensorBoard + "
                        "cnnviz) in DIR (no DIR: beside the model, e.g. mnist_cnn.snapshots/)")
    p.add_argument("--snapshot-every", default="1", metavar="N",
                   help="a snapshot every N epochs, or every N batches with a 'b' suffix (e.g. 50b); default 1")
    p.add_argument("--strategy", default=None,
                   help="default, auto (all GPUs when there are several), mirrored, multi-worker (reads TF_CONFIG)")
    p.add_argument("--cpu-devices", type=int, default=None, help="split the CPU into N logical devices (replicas)")
    p.add_argument("--lr-scaling", default="linear", help="learning rate vs replicas: linear (default), sqrt, none")
    p.add_argument("--precision", default="float32", help="float32 (default), mixed_float16 or mixed_bfloat16")
    p.add_argument("--xla", action=argparse.BooleanOptionalAction, default=None, help="compile with XLA (--no-xla: off)")

    p = sub.add_parser("evaluate", help="test accuracy, loss, per-class accuracy and confusion matrix")
    p.add_argument("model", nargs="?", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--data", default=None, help="path to a Keras-style mnist.npz")
    p.add_argument("--sample", action="store_true", help="evaluate on the bundled 1,000-image test sample")
    p.add_argument("--out", default=None, help="save the confusion matrix figure here (PNG/SVG/PDF)")

    p = sub.add_parser("maximize", help="the image each class (or filter) likes most")
    p.add_argument("--class", "-c", dest="classes", default=None,
                   help="a class, a list (1,3,5) or a range (0-9); default: the model's first 10")
    p.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--steps", type=_number(int, 1, 10_000), default=None,
                   help="optimization steps (default: 80 for pixels, 200 with --param fourier, 80 with --prior data)")
    p.add_argument("--learning-rate", type=_number(float, 1e-8, 1000), default=None,
                   help="Adam's step (default: one per parameterisation)")
    p.add_argument("--seed", type=_number(int, 0, 2**32 - 1), default=0)
    p.add_argument("--regularization", default=None, help="default, none (fake digits) or l1 (the tutorial's constraint)")
    p.add_argument("--prior", choices=["data"], default=None,
                   help="data: digits drawn by cnnviz's generative model of MNIST (what the model responds to among "
                        "natural digits); default: pixels (what it responds to at all)")
    p.add_argument("-n", type=_number(int, 1, 64), default=1, help="how many different images per class (default 1)")
    p.add_argument("--param", choices=["pixels", "fourier"], default=None,
                   help="how the image is represented: pixels, or fourier (smoother, often more readable)")
    for name in ("l1", "l2", "tv", "blur"):
        p.add_argument(f"--{name}", type=_number(float, 0, 1e6), default=None, help=f"{name} weight (overrides the preset)")
    p.add_argument("--jitter", type=_number(int, 0, 1000), default=None, help="random shift in pixels per step")
    p.add_argument("--compare", action="store_true", help="the tutorial's experiment: no constraint vs L1, side by side")
    p.add_argument("-o", "--output", default="maximize.png")

    p = sub.add_parser("features", help="feature maps of every layer for an image")
    p.add_argument("image", help="an image file (PNG, JPEG, ...)")
    p.add_argument("--model", default=None)
    p.add_argument("--layers", nargs="*", default=None, help="layer names (default: every conv and pooling layer)")
    p.add_argument("--max-maps", type=_number(int, 1, 256), default=16)
    p.add_argument("-o", "--output", default="features.png")

    p = sub.add_parser("filters", help="the kernels of a conv layer")
    p.add_argument("layer", nargs="?", default="conv1")
    p.add_argument("--model", default=None)
    p.add_argument("-o", "--output", default="filters.png")

    p = sub.add_parser("attribution", help="which pixels made the prediction: saliency, Grad-CAM, integrated "
                                           "gradients, ... for an image")
    p.add_argument("image")
    p.add_argument("--method", default="gradcam", choices=MethodNames(), metavar="METHOD",
                   help="gradcam (default), saliency, ig, ...: an unknown name lists them all")
    p.add_argument("--target", type=_number(int, 0, 1_000_000), default=None, help="class to explain (default: the predicted one)")
    p.add_argument("--model", default=None)
    p.add_argument("-o", "--output", default="attribution.png")

    p = sub.add_parser("check", help="can the attribution maps be trusted? sanity check and deletion curves")
    p.add_argument("images", nargs="*", help="image files (default: digits from the bundled test sample)")
    p.add_argument("--methods", default="saliency,gradcam,ig",
                   help="comma-separated method names (default: saliency,gradcam,ig); see attribution --method")
    p.add_argument("--metric", default="deletion", choices=("deletion", "insertion"))
    p.add_argument("--examples", type=int, default=8, help="sample digits to use when no image is given (default: 8)")
    p.add_argument("--model", default=None)
    p.add_argument("-o", "--output", default="check.png",
                   help="the sanity-check figure; the curves go beside it as <name>_<metric>.png")

    for name, help_text in (("report", "one PDF or self-contained HTML document explaining the model, the tutorial's way"),
                            ("export", "every figure of the report as separate PNG/SVG/PDF files with stable names")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
        p.add_argument("--images", nargs="+", default=None, metavar="FILE",
                       help="image files to show after the example digits (unreadable ones are listed, the rest built)")
        p.add_argument("--examples", type=_number(int, 0, 50), default=4, help="example digits from the bundled sample (default: 4)")
        p.add_argument("--classes", default=None, help="class images to draw: a class, a list (1,3,5) or a range (0-9); "
                                                       "default: the model's first 10")
        p.add_argument("--data", default=None, help="mnist.npz for the confusion matrix (default: the full MNIST if "
                                                    "found without a download, else the bundled test sample)")
        p.add_argument("--sample", action="store_true", help="confusion matrix on the bundled 1,000-image test sample")
        p.add_argument("--steps", type=_number(int, 1, 10_000), default=None,
                       help="maximization steps for the class images (default: 80, cnnviz.maximize's own)")
        p.add_argument("--filter-steps", type=_number(int, 1, 10_000), default=150, help="maximization steps for the filter patterns")
        p.add_argument("--dpi", type=_number(int, 30, 600), default=150, help="resolution of raster images (default: 150)")
        p.add_argument("--max-layers", type=_number(int, 1, 1000), default=8, help="layers given filter, pattern and feature-map "
                                                                 "figures, chosen across depth (default: 8)")
        p.add_argument("--all-layers", action="store_true", help="every layer (slow on big models)")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
        if name == "report":
            p.add_argument("-o", "--output", default="report.pdf", help="report.pdf or report.html (default: report.pdf)")
        else:
            p.add_argument("--formats", default="png,svg,pdf", help="comma-separated: png, svg, pdf (default: all three)")
            p.add_argument("-o", "--output", default="figures", help="directory for the files (default: figures)")

    p = sub.add_parser("replay", help="an animated GIF (or MP4) of a run recorded with --snapshots, one frame per snapshot")
    p.add_argument("dir", nargs="?", default=None, help="the snapshots folder (default: the run shipped with cnnviz)")
    p.add_argument("-o", "--output", default="learning.gif", help="learning.gif, or .mp4 when ffmpeg is installed")
    p.add_argument("--fps", type=float, default=4.0, help="frames per second (default: 4)")
    p.add_argument("--figure", default=None, help="also save every snapshot side by side to this PNG/SVG/PDF")
    p = sub.add_parser("atlas", help="top dataset examples of every channel, in one pass, saved as one .npz")
    p.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--data", default=None, help="mnist.npz (default: $CNNVIZ_MNIST or Keras' cache)")
    p.add_argument("--sample", action="store_true", help="the bundled 1,000-image sample")
    p.add_argument("--test", action="store_true", help="the test images instead of the training images")
    p.add_argument("--layers", default=None, help="comma-separated layers; 'logits' for the class scores "
                                                  "(default: every conv and dense layer, and the logits)")
    p.add_argument("-k", "--k", type=int, default=9, help="examples per channel (default: 9)")
    p.add_argument("--batch-size", type=int, default=1000, help="images per batch: bounds the memory (default: 1000)")
    p.add_argument("--strategy", default=None, help="default, auto, mirrored or multi-worker (as for train)")
    p.add_argument("--cpu-devices", type=int, default=None, help="split the CPU into N logical devices")
    p.add_argument("-o", "--output", default=None,
                   help="the .npz to write (default: <model>.atlas.npz beside --model, else atlas.npz)")

    p = sub.add_parser("concepts", help="a layer factored into n concepts (NMF): patches, pictures, class importance")
    p.add_argument("--layer", required=True, help="a conv or pool layer, e.g. conv2")
    p.add_argument("-n", "--n", type=_number(int, 2, 256), default=8, help="concepts (default: 8)")
    p.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--data", default=None, help="mnist.npz: fit on its training images, measure on its test images "
                                                "(default: the bundled 1,000-image sample)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same concepts (default: 0)")
    p.add_argument("--no-images", action="store_true", help="skip the feature visualizations (faster)")
    p.add_argument("--strategy", default=None, help="default, auto, mirrored or multi-worker (as for train)")
    p.add_argument("-o", "--output", default="concepts.png", help="the figure (.png, .svg, .pdf)")

    p = sub.add_parser("dashboard", help="open the Streamlit dashboard")
    p.add_argument("--port", type=_number(int, 1, 65535), default=None,
                   help="the port to serve on (default: 8501, or the next free one)")

    for p in sub.choices.values():  # every command that takes a model can be told about it (this command only)
        if any(action.dest == "model" for action in p._actions):
            p.add_argument("--input-range", default=None, metavar="LO,HI",
                           help="pixel values the model expects: 0,255 or, with =, --input-range=-1,1 (default: read from the model)")
            p.add_argument("--class-names", default=None, metavar="A,B,C",
                           help="one name per class, comma-separated (default: the model card's, else 0, 1, ...)")
            p.add_argument("--convention", default=None, choices=("mnist", "as-is"),
                           help="mnist: MNIST-style digits (invert dark-on-light, paper to black, 20x20 box, centre of "
                                "mass); as-is: only resize, grey/RGB and the range (default: from the model card)")
            p.add_argument("--card", default=None, metavar="FILE",
                           help="a JSON model card with input_range, class_names and/or convention (flags win)")

    return parser


#: The flags that name a file to write, and whether it is a folder of files (export) or a figure file.
OUTPUTS = ("output", "out", "curves", "figure")

#: (command, flag) -> the suffixes that output may have and what to say otherwise; every other output is a
#: figure (.png, .svg, .pdf), except the report's (cmd_report checks its own formats) and export's folder.
OUTPUT_SUFFIXES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("train", "output"): ((".keras",), "cannot save the model as {name!r}: Keras 3 saves models as .keras files; "
                                       "name it e.g. mnist_cnn.keras."),
    ("replay", "output"): ((".gif", ".mp4"), "cannot write an animation to {name!r}: name it .gif (or .mp4 with ffmpeg)."),
    ("atlas", "output"): ((".npz",), "an atlas is saved as .npz; got {name!r} (try -o {stem}.npz)."),
}


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output that has the wrong kind of name or cannot be written there.

    >>> check_outputs(build_parser().parse_args(["atlas", "-o", "/tmp/cnnviz-doc-atlas.png"]))
    Traceback (most recent call last):
    ValueError: an atlas is saved as .npz; got 'cnnviz-doc-atlas.png' (try -o cnnviz-doc-atlas.npz).
    """
    from .core.paths import check_writable

    for flag in OUTPUTS:
        value = getattr(args, flag, None)
        if value is None:
            continue
        if args.command == "export":
            check_writable(value, directory=True)
            continue
        check_writable(value)
        path = Path(value)
        suffixes, message = OUTPUT_SUFFIXES.get((args.command, flag), (None, ""))
        if suffixes is not None:
            if path.suffix.lower() not in suffixes:
                raise ValueError(message.format(name=path.name, stem=path.stem))
        elif args.command != "report" and path.suffix.lower().lstrip(".") not in _figure_formats():
            raise ValueError(f"cannot save a figure as {path.name!r}: name it .png, .svg or .pdf.")


#: commands that never need TensorFlow (they start without importing it)
WITHOUT_TENSORFLOW = frozenset({"dashboard"})


def _figure_formats() -> tuple[str, ...]:
    from .plots import FORMATS

    return FORMATS


def _user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the input was wrong" (one line, exit 2), from the modules loaded so far:
    a DataError can only come from cnnviz.io.data once it is imported, so the CLI never imports it for that."""
    found: list[type[BaseException]] = [ValueError, FileNotFoundError]
    for module, name in (("cnnviz.io.data", "DataError"), ("cnnviz.core.model", "ModelError")):
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cnnviz`` console script: every error is one line on stderr (exit 2), never a
    traceback (set CNNVIZ_DEBUG=1 to see one)."""
    import warnings

    from PIL import Image

    # the console script owns its process: PIL's warning about large images is noise next to cnnviz's own line
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    args = build_parser().parse_args(argv)  # --version and --help end here, before TensorFlow is imported
    from .style import headless

    headless()  # this process draws to files: no display needed (a library import never picks a backend)
    from .core.messages import describe_error, one_line

    try:
        check_outputs(args)
        if args.command not in WITHOUT_TENSORFLOW:
            from ._quiet import import_tensorflow_quietly

            import_tensorflow_quietly()  # its C++ start-up lines are noise in a terminal
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(f"cnnviz {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if isinstance(exc, _user_errors()):  # wrong input: one line saying what and what to do
            print(f"cnnviz {args.command}: error: {one_line(exc, 2000)}", file=sys.stderr)
            return 2
        if os.environ.get("CNNVIZ_DEBUG"):  # anything else: still one line, with a way to see more
            raise
        print(f"cnnviz {args.command}: error: {describe_error(exc)} (set CNNVIZ_DEBUG=1 to see the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
