"""``cnnviz maximize``, ``features``, ``filters``, ``attribution`` and ``check``: pictures of what the model
sees in one image, in a class, in a layer, and whether the attribution maps can be trusted."""

from __future__ import annotations

import argparse

from .args import class_names_of, model_of, note_blank, parse_classes


def cmd_maximize(args: argparse.Namespace) -> int:
    from ..fake_vs_constrained import fake_vs_constrained
    from ..maximize import maximize
    from ..plots import plot_fake_vs_constrained, plot_maximization, save_figure

    model = model_of(args)
    if args.classes is None:
        from ..core.build import get_probe

        classes = get_probe(model).default_classes()
    else:
        classes = parse_classes(args.classes)
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
    names = class_names_of(model)
    for t, p, c in zip(result.targets, result.predicted, result.confidence):
        print(f"class {names[t]}: the model sees {names[p]} with softmax {c:.4f}")
    for note in result.adjustments:
        print(f"adjusted on its own: {note}")
    if not result.reached.all():
        print(result.message)
    print(f"saved {save_figure(plot_maximization(result), args.output)}")
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    from ..features import feature_maps
    from ..plots import plot_feature_maps, save_figure

    model = model_of(args)
    fmaps = feature_maps(args.image, model=model, layers=args.layers)
    probs = fmaps.probabilities[0]
    print(f"prediction: {class_names_of(model)[int(probs.argmax())]} (softmax {probs.max():.4f})")
    for note in fmaps.notes:
        print(f"note: {note}")
    note_blank(fmaps.inputs)
    for name, maps in fmaps.maps.items():
        print(f"  {name}: {maps.shape[1]}x{maps.shape[2]} x {maps.shape[3]} maps")
    print(f"saved {save_figure(plot_feature_maps(fmaps, max_maps=args.max_maps), args.output)}")
    return 0


def cmd_filters(args: argparse.Namespace) -> int:
    from ..features import filters
    from ..plots import plot_filters, save_figure

    weights = filters(args.layer, model=model_of(args))
    print(f"{args.layer}: kernels {weights.shape[0]}x{weights.shape[1]}, {weights.shape[2]} input channels, "
          f"{weights.shape[3]} filters")
    print(f"saved {save_figure(plot_filters(weights, layer=args.layer), args.output)}")
    return 0


def cmd_attribution(args: argparse.Namespace) -> int:
    from ..attribution import attribute
    from ..plots import plot_attribution, save_figure

    model = model_of(args)
    result = attribute(args.image, method=args.method, target=args.target, model=model)
    print(f"{args.method} for class {class_names_of(model)[result.targets[0]]} "
          f"(softmax {result.probabilities[0, result.targets[0]]:.4f})")
    note_blank(getattr(result, "inputs", []))
    print(f"saved {save_figure(plot_attribution(result), args.output)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Can these attribution maps be trusted: sanity check (figure at -o) and deletion/insertion curves (beside it)."""
    from ..attribution import (
        faithfulness,
        get_method,
        plot_faithfulness,
        plot_sanity_check,
        sanity_check,
    )
    from ..core.paths import check_writable
    from ..io.data import load_sample
    from ..plots import save_figure

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
    model = model_of(args)
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


COMMANDS = {"maximize": cmd_maximize, "features": cmd_features, "filters": cmd_filters,
            "attribution": cmd_attribution, "check": cmd_check}
