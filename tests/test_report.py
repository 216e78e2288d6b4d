"""The report: a real PDF (pypdf, pdftoppm), a real self-contained HTML file (every image decoded),
export in every format, and a bad input image listed while the rest is still built."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cnnviz
from cnnviz.cli import main
from cnnviz.report import report

# small settings: these tests are about the document, not the optimization
FAST = {"classes": [3, 6], "steps": 30, "filter_steps": 20, "examples": 2, "data": "sample"}
PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] (.+) \.\.\. (\d+\.\d) s$")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    sample = cnnviz.load_sample()
    good = folder / "my_six.png"
    Image.fromarray(255 - sample.x_test[np.flatnonzero(sample.y_test == 6)[1]]).save(good)  # dark ink on white paper
    bad = folder / "broken.png"
    bad.write_bytes(b"this is not a PNG file")
    return {"good": good, "bad": bad, "missing": folder / "nowhere.png"}


@pytest.fixture(scope="module")
def pdf(tmp_path_factory, inputs):
    lines: list[str] = []
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    result = report(path, images=[inputs["good"], inputs["bad"]], progress=lines.append, **FAST)
    return result, lines


@pytest.fixture(scope="module")
def html_report(tmp_path_factory, inputs):
    # the whole document is checked in the PDF; here what HTML adds, on a few sections
    path = tmp_path_factory.mktemp("html") / "report.html"
    return report(path, images=[inputs["good"], inputs["missing"]], progress=False,
                  sections=["architecture", "model_card", "filters", "attribution"], **FAST)


def test_pdf_has_title_page_and_one_page_per_figure(pdf):
    from pypdf import PdfReader

    result, _ = pdf
    reader = PdfReader(result.path)
    # the model card is on the title page; every other figure has its own page
    assert len(reader.pages) == result.pages == len(result.figures)
    expected = ["architecture", "model_card", "training_curves", "confusion_matrix", "conv1_filters",
                "conv1_patterns", "conv2_filters", "conv2_patterns",
                # from the atlas beside the shipped model (pretrained/mnist_cnn.atlas.npz), issue 13
                "conv1_dataset_examples", "conv2_dataset_examples", "class_dataset_examples",
                "conv2_concepts", "conv2_concept_map", "feature_maps_1", "feature_maps_2",
                "feature_maps_3", "pooling", "class_images", "class_variety", "attribution_gradcam", "attribution_saliency",
                "attribution_deletion", "attribution_sanity"]
    assert result.figures == expected
    title = reader.pages[0].extract_text()
    for text in ("What has this CNN learned?", "Why can a CNN recognize images?", "Model card", "34,826 parameters",
                 "test accuracy", "Contents", "Could not be used"):
        assert text in title, text
    assert "broken.png" in title
    texts = [page.extract_text() for page in reader.pages[1:]]  # vector text: extractable
    assert "1. Architecture" in texts[0] and "conv2" in texts[0] and "34,826" in texts[0]
    assert "2. Training curves" in texts[1]
    assert "Confusion matrix" in texts[2] and "bundled" in texts[2]  # says which test set
    assert "conv1 filters" in texts[3]
    assert "top dataset examples" in texts[7] and "60,000" in texts[7]
    assert "Feature maps of my_six.png" in texts[14]
    assert "Grad-CAM" in texts[-4] and "Saliency" in texts[-3]
    assert "Deletion curves" in texts[-2] and "Sanity check" in texts[-1] and "passes" in texts[-1]
    assert reader.metadata.title.startswith("What has this CNN learned?")


def test_pdf_renders_with_pdftoppm(pdf, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    result, _ = pdf
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(result.path), str(tmp_path / "page")], check=True,
                   capture_output=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == result.pages
    for page in pages:
        with Image.open(page) as img:
            assert np.asarray(img.convert("L")).std() > 1  # not blank


def test_bad_image_is_listed_and_the_rest_built(pdf):
    result, lines = pdf
    assert [f.what for f in result.failures] == [str(Path(result.failures[0].what))]
    assert result.failures[0].what.endswith("broken.png")
    assert "not an image" in result.failures[0].error
    assert any("broken.png" in line and "skipped" in line for line in lines)
    assert "feature_maps_3" in result.figures  # the good file was still used


def test_progress_line_per_section(pdf):
    result, lines = pdf
    steps = [m for m in map(PROGRESS.match, lines) if m]
    assert len(steps) == len(result.figures)
    assert [int(m.group(1)) for m in steps] == list(range(1, len(result.figures) + 1))
    assert {int(m.group(2)) for m in steps} == {len(result.figures)}
    assert lines[-1].startswith(f"wrote {result.path}")


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.images: list[str] = []
        self.tags: set[str] = set()
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action", "xlink:href"):
                self.refs.append((tag, name, value or ""))
            if name == "style":
                self.style += value or ""
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


def test_html_is_self_contained_and_every_image_decodes(html_report):
    text = html_report.path.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    assert "script" not in parser.tags and "link" not in parser.tags and "iframe" not in parser.tags
    for tag, name, value in parser.refs:
        assert value.startswith(("data:image/png;base64,", "data:image/jpeg;base64,", "#")), (tag, name, value[:80])
    assert "url(" not in parser.style and "@import" not in parser.style
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text, re.I)
    assert len(parser.images) == html_report.pages == len(html_report.figures) - 1  # the card is an HTML table
    for src in parser.images:
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1], validate=True))) as img:
            img.load()
            assert img.format in ("PNG", "JPEG") and img.width > 200 and img.height > 100
    for section in html_report.figures:
        if section != "model_card":
            assert f'id="{section}"' in text and f'href="#{section}"' in text
    assert "What has this CNN learned?" in text and "Model card" in text
    assert "nowhere.png" in text and "does not exist" in text  # the missing file is listed
    assert [Path(f.what).name for f in html_report.failures] == ["nowhere.png"]


def test_export_writes_every_format_asked_for(tmp_path, inputs, capsys):
    out = tmp_path / "figures"
    code = main(["export", "--formats", "png,svg,pdf", "-o", str(out), "--classes", "6", "--steps", "20",
                 "--filter-steps", "10", "--examples", "1", "--sample", "--images", str(inputs["bad"]),
                 "--sections", "class_images,training_curves,architecture,model_card,feature_maps"])
    captured = capsys.readouterr()
    assert code == 1  # built, but one input could not be used
    assert "broken.png" in captured.err
    index = json.loads((out / "figures.json").read_text())
    names = [f["name"] for f in index["figures"]]
    # the sections asked for, in the report's order
    assert names == ["architecture", "model_card", "training_curves", "feature_maps_1", "class_images", "class_variety"]
    assert index["failures"] and index["failures"][0]["what"].endswith("broken.png")
    from pypdf import PdfReader

    for name in names:
        with Image.open(out / f"{name}.png") as img:
            img.load()
        svg = (out / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
        assert len(PdfReader(out / f"{name}.pdf").pages) == 1
        assert all(entry["caption"] for entry in index["figures"])  # every figure says what it shows
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.{fmt}" for n in names for fmt in ("png", "svg", "pdf")] + ["figures.json"])


def test_export_only_the_formats_and_sections_asked_for(tmp_path):
    export = cnnviz.export_figures(tmp_path, "svg", classes=[], examples=0, filter_steps=5, data="sample",
                                   sections=["filters", "architecture"], progress=False)
    assert export.failures == []
    assert {p.suffix for p in tmp_path.iterdir()} == {".svg", ".json"}
    assert {p.stem for p in export.files} == set(export.figures)
    assert export.figures == ["architecture", "conv1_filters", "conv1_patterns", "conv2_filters", "conv2_patterns"]
    with pytest.raises(ValueError, match="unknown figure format"):
        cnnviz.export_figures(tmp_path, "png,gif", progress=False)
    with pytest.raises(ValueError, match="unknown report section 'filter'; use one of: architecture, model_card"):
        cnnviz.export_figures(tmp_path, "png", sections="filter,architecture", progress=False)


def test_cli_report_errors_clearly(tmp_path, capsys):
    assert main(["report", "-o", str(tmp_path / "report.docx"), "-q"]) == 2
    assert "report.pdf or report.html" in capsys.readouterr().err
    assert main(["report", "-o", str(tmp_path / "r.pdf"), "--data", str(tmp_path / "none.npz"), "-q"]) == 2
    assert "none.npz" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()


def test_full_default_report(tmp_path, capsys):
    """The whole report with every default (all classes, full steps, 4 example digits), through the CLI."""
    path = tmp_path / "report.pdf"
    assert main(["report", "-o", str(path)]) == 0
    captured = capsys.readouterr()
    assert f"saved {path}: 24 pages" in captured.out
    assert "[22/24] Attribution: Saliency" in captured.err
    assert "[24/24] Can I trust these maps? Sanity check" in captured.err
    from pypdf import PdfReader

    assert len(PdfReader(path).pages) == 24
