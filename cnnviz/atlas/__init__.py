"""The atlas: the top dataset examples of every channel of a model, found in one pass over a dataset
(:func:`dataset_examples`) and kept as one ``.npz`` file beside the model (:class:`Atlas`, :func:`load_atlas`,
:func:`find_atlas`)."""

from .files import (
           ATLAS_VERSION,
           LOGITS,
           Atlas,
           atlas_path_for,
           find_atlas,
           load_atlas,
           model_fingerprint,
)
from .search import dataset_examples, default_layers

__all__ = ["ATLAS_VERSION", "LOGITS", "Atlas", "atlas_path_for", "dataset_examples", "default_layers", "find_atlas",
           "load_atlas", "model_fingerprint"]
