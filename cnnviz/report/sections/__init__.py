"""The report's sections, one file each; importing a module registers its section (see ``registry.py``).
To add a section: a new file here with an ``@register(name, order)`` function, and one import line below."""

from . import (  # noqa: F401
    architecture,
    atlas,
    attribution,
    class_images,
    concepts,
    confusion,
    feature_maps,
    filters,
    how_it_learned,
    model_card,
    pooling,
    training,
    trust,
)
