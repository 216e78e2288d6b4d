"""``cnnviz atlas`` and ``concepts``: what a layer responds to across a dataset."""

from __future__ import annotations

import argparse
from pathlib import Path

from .args import model_of


def cmd_atlas(args: argparse.Namespace) -> int:
    from ..atlas import atlas_path_for, dataset_examples
    from ..core.distribute import configure_cpu_devices
    from ..core.paths import check_writable
    from ..io.data import resolve_data

    output = Path(args.output) if args.output else (atlas_path_for(args.model) if args.model else Path("atlas.npz"))
    if output.suffix != ".npz":
        raise ValueError(f"an atlas is saved as .npz; got {output.name!r} (try -o {output.stem}.npz).")
    check_writable(output)
    configure_cpu_devices(args.cpu_devices)
    mnist = resolve_data("sample" if args.sample else args.data, download=False)
    images, labels = (mnist.x_test, mnist.y_test) if args.test else (mnist.x_train, mnist.y_train)
    layers = [n.strip() for n in args.layers.split(",") if n.strip()] if args.layers else None
    atlas = dataset_examples(layers, data=images, labels=labels, k=args.k, batch_size=args.batch_size,
                             strategy=args.strategy, model=model_of(args))
    atlas.source = f"{Path(mnist.source).name} ({'test' if args.test else 'training'} images)"
    atlas.save(output)
    channels = sum(atlas.channels(n) for n in atlas.layers)
    print(f"saved {output}: top {atlas.k} of {atlas.images_seen:,} images for {channels} channels "
          f"({', '.join(atlas.layers)})")
    return 0


def cmd_concepts(args: argparse.Namespace) -> int:
    from ..concepts import concepts, plot_concepts
    from ..concepts.plots import evidence_line
    from ..plots import save_figure

    data = None
    if args.data:
        from ..io.data import resolve_data

        data = resolve_data(args.data, download=False)
    result = concepts(args.layer, data=data, n=args.n, model=model_of(args), seed=args.seed,
                      visualize=not args.no_images, strategy=args.strategy)
    print(f"{result.n} concepts of {result.layer} from {result.images_seen:,} images: {evidence_line(result)}")
    for note in result.notes:
        print(f"  note: {note}")
    print(f"saved {save_figure(plot_concepts(result), args.output)}")
    return 0


COMMANDS = {"atlas": cmd_atlas, "concepts": cmd_concepts}
