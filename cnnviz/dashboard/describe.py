"""Telling the dashboard about an uploaded model (range, class names, image convention), for this session only,
and the session's own photos for models that are not MNIST-style.

What the user says is kept in the model *reference* of this session's picker (``path#range=-1,1&...``), so
every cached call is keyed on it and no other session (nor the shared model) sees it.

>>> ref = with_facts("/tmp/m.keras", {"input_range": (-1.0, 1.0), "class_names": ["cat", "dog"]})
>>> ref
'/tmp/m.keras#input_range=-1,1&class_names=cat|dog'
>>> split_ref(ref)
('/tmp/m.keras', {'input_range': (-1.0, 1.0), 'class_names': ['cat', 'dog']})
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

RANGES = {"read from the model": None, "0..1": (0.0, 1.0), "0..255": (0.0, 255.0), "-1..1": (-1.0, 1.0)}
CONVENTIONS = {"read from the model": None, "as-is (photos)": "as-is", "mnist (digits)": "mnist"}
MAX_PHOTOS = 8  # the session's own gallery, newest kept


def split_ref(model_ref: str) -> tuple[str, dict[str, Any]]:
    """``path#facts`` -> (path, facts); a plain reference has no facts."""
    base, _, fragment = str(model_ref).partition("#")
    facts: dict[str, Any] = {}
    for part in filter(None, fragment.split("&")):
        key, _, value = part.partition("=")
        value = unquote(value)
        if key == "input_range":
            facts[key] = tuple(float(v) for v in value.split(","))
        elif key == "class_names":
            facts[key] = [unquote(v) for v in value.split("|")]
        elif key == "convention":
            facts[key] = value
    return base, facts


def with_facts(model_ref: str, facts: dict[str, Any]) -> str:
    """The reference of ``model_ref``'s model described by ``facts`` (None values dropped)."""
    base, _ = split_ref(model_ref)
    parts = []
    if facts.get("input_range") is not None:
        parts.append("input_range=" + ",".join(f"{v:g}" for v in facts["input_range"]))
    if facts.get("class_names"):
        parts.append("class_names=" + "|".join(quote(str(n), safe="") for n in facts["class_names"]))
    if facts.get("convention"):
        parts.append(f"convention={facts['convention']}")
    return base + ("#" + "&".join(parts) if parts else "")


def describe_form(label: str, model_ref: str, num_classes: int, register) -> None:
    """The sidebar form under an uploaded model: range, class names, convention; on submit the session's
    picker entry ``label`` points at the described reference (``register(label, ref)``)."""
    import streamlit as st

    import cnnviz

    _, facts = split_ref(model_ref)
    with st.sidebar.expander("Describe this model", expanded=not facts):
        with st.form(key=f"describe-{label}"):
            given = facts.get("input_range")
            ranges = list(RANGES)
            index = next((i for i, r in enumerate(RANGES.values()) if r == given), 0)
            range_label = st.selectbox("Input range it was trained on", ranges, index=index)
            names = st.text_input("Class names (comma-separated)", ", ".join(facts.get("class_names") or []),
                                  placeholder=", ".join(str(i) for i in range(min(num_classes, 4))))
            conventions = list(CONVENTIONS)
            style = next((i for i, c in enumerate(CONVENTIONS.values()) if c == facts.get("convention")), 0)
            convention_label = st.selectbox("Images", conventions, index=style,
                                            help="as-is: photos are only resized and converted grey/RGB; mnist: "
                                                 "digits are inverted, cleaned, fitted into 20x20 and centred")
            if st.form_submit_button("Use for this session"):
                new = {"input_range": RANGES[range_label], "convention": CONVENTIONS[convention_label],
                       "class_names": [n.strip() for n in names.split(",") if n.strip()] or None}
                try:
                    if new["class_names"] and len(new["class_names"]) != num_classes:
                        raise ValueError(f"{len(new['class_names'])} class names given for a model with "
                                         f"{num_classes} classes; give one name per class.")
                    ref = with_facts(model_ref, new)
                    if ref != model_ref:
                        register(label, ref)  # same label: the picker keeps it selected
                        st.rerun()
                except (ValueError, cnnviz.ModelError) as exc:
                    st.error(str(exc))


def mnist_style(names: dict[str, Any]) -> bool:
    """Whether the model (``cached.layer_names``) takes MNIST-style digits: the bundled sample, the canvas and
    the pages' digit wording are for those models only.

    >>> mnist_style({"convention": "as-is"})
    False
    """
    return names.get("convention", "mnist") == "mnist"


def session_photos(key: str = "photos") -> dict[str, bytes]:
    """This session's own images (name -> file bytes), as uploaded on Look inside (or :func:`add_photos`)."""
    import streamlit as st

    return st.session_state.setdefault(key, {})


def add_photos(uploads: Any, key: str = "photos") -> None:
    """Keep uploaded files (``st.file_uploader`` results) in this session's gallery, newest last, at most
    :data:`MAX_PHOTOS`."""
    photos = session_photos(key)
    for upload in uploads or []:
        if upload is not None and upload.name not in photos:
            photos[upload.name] = upload.getvalue()
    while len(photos) > MAX_PHOTOS:
        photos.pop(next(iter(photos)))


def photo_gallery(key: str = "photos") -> bytes | None:
    """Look inside for a model that is not MNIST-style: upload a PNG/JPEG (any size), or pick one of this
    session's uploads. Returns the image file's bytes, or None."""
    import streamlit as st

    photos = session_photos(key)
    uploads = st.file_uploader("Photos (PNG or JPEG, any size; pick several, or a folder's files, at once)",
                               type=["png", "jpg", "jpeg"], key=f"{key}_upload", accept_multiple_files=True) or []
    add_photos(uploads, key)
    if not photos:
        return None
    names = list(photos)
    newest = uploads[-1].name if uploads else None
    default = names.index(newest) if newest in names else len(names) - 1
    chosen = st.radio("Your images", names, index=default, key=f"{key}_pick", horizontal=True)
    st.image([photos[n] for n in names], caption=names, width=64)
    return photos[chosen]
