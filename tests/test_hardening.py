"""Hostile files, impossible settings and unwritable paths: one clear line, before any work, never a traceback.
Every bad file is built here, in tmp_path."""

from __future__ import annotations

import errno
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cnnviz
from cnnviz.cli import main
from cnnviz.cli.documents import _failure_summary
from cnnviz.core.paths import OutputError, _why, check_writable
from cnnviz.io.data import is_blank, preprocess
from cnnviz.io.decode import MAX_PIXELS, DataError
from cnnviz.report.options import Failure, ReportOptions


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (a 'decompression bomb' needs no more to be refused)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.fixture
def bombs(tmp_path) -> dict[str, Path]:
    huge = tmp_path / "bomb.png"  # 900 Mpx: beyond PIL's own limit, which fires while reading the header
    huge.write_bytes(png_header(30_000, 30_000))
    big = tmp_path / "big.png"  # 63 Mpx: under PIL's limit, over cnnviz's
    big.write_bytes(png_header(9_000, 7_000))
    return {"huge": huge, "big": big}


# --------------------------------------------------------------------------- images


@pytest.mark.parametrize("which, mpx", [("huge", "900 Mpx"), ("big", "63 Mpx")])
def test_decompression_bomb_refused_from_the_header(bombs, which, mpx):
    start = time.perf_counter()
    for source in (bombs[which], bombs[which].read_bytes()):
        with pytest.raises(DataError, match=rf"\({mpx}\).*up to {MAX_PIXELS // 10**6} Mpx"):
            preprocess(source)
    with pytest.raises(DataError, match=mpx):
        cnnviz.feature_maps(bombs[which])
    with pytest.raises(DataError, match=mpx):
        cnnviz.attribute(bombs[which], method="saliency")
    assert time.perf_counter() - start < 10  # nothing was decoded


def test_pixel_limit_is_not_too_strict(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(np.pad(np.full((400, 300), 255, np.uint8), 50)).save(path)  # a normal photo-sized image
    assert preprocess(path).shape == (1, 28, 28, 1)


def test_sixteen_bit_png_is_scaled_by_its_range(tmp_path):
    rng = np.random.default_rng(0)
    pixels = (rng.random((28, 28)) ** 3 * 65535).astype(np.uint16)  # mostly dark background: not inverted
    path = tmp_path / "grey16.png"
    Image.fromarray(pixels).save(path)
    with Image.open(path) as img:
        assert img.mode.startswith("I")  # PIL really reads it as 16-bit
    got = preprocess(path)[0, ..., 0]
    np.testing.assert_allclose(got, pixels / 65535.0, atol=1e-6)
    np.testing.assert_allclose(preprocess(pixels)[0, ..., 0], pixels / 65535.0, atol=1e-6)  # a uint16 array too


def test_blank_images_are_flagged_everywhere(tmp_path, capsys):
    white = np.full((40, 40), 255, np.uint8)
    assert is_blank(preprocess(white)).tolist() == [True]
    assert is_blank(preprocess(cnnviz.load_sample().x_test[:2])).tolist() == [False, False]
    assert is_blank(np.full((1, 8, 8, 3), 127.0)).tolist() == [True]  # a 0-255 model range is blank too
    maps = cnnviz.feature_maps(np.stack([white[:28, :28], cnnviz.load_sample().x_test[0]]), layers=["conv1"])
    assert maps.blank.tolist() == [True, False]
    path = tmp_path / "white.png"
    Image.fromarray(white).save(path)
    assert main(["features", str(path), "--layers", "conv1", "-o", str(tmp_path / "f.png")]) == 0
    assert "blank" in capsys.readouterr().out and "guessing" in cnnviz.io.data.BLANK_NOTE


def test_a_folder_is_not_an_image_nor_a_model(tmp_path):
    with pytest.raises(DataError, match="is a folder, not an image file"):
        preprocess(tmp_path)
    with pytest.raises(cnnviz.ModelError, match="is a folder, not a model file"):
        cnnviz.load_model(tmp_path)


# --------------------------------------------------------------------------- model files


def test_truncated_or_non_zip_keras_file_says_so(tmp_path):
    shipped = Path(cnnviz.core.pretrained.pretrained_dir()) / "mnist_cnn.keras"
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(shipped.read_bytes()[:1000])
    text = tmp_path / "text.keras"
    text.write_text("not a model")
    for path in (truncated, text):
        with pytest.raises(cnnviz.ModelError, match=r"not a valid \.keras file \(truncated or not a zip\)") as info:
            cnnviz.load_model(path)
        assert "not found" not in str(info.value).lower()


def test_safe_mode_message_is_whole(tmp_path):
    import keras

    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(cnnviz.ModelError) as info:
        cnnviz.load_model(path)
    message = str(info.value)
    assert "safe mode" in message and "safe_mode=False" in message
    assert "\n" not in message and "\x1b" not in message
    assert message.rstrip().endswith((".", ")", "`", "'", '"'))  # not cut mid-sentence


# --------------------------------------------------------------------------- CLI settings and paths


@pytest.mark.parametrize("argv, says", [
    (["maximize", "--class", "-1"], "classes are numbered from 0"),
    (["maximize", "--class", "abc"], "not a class number"),
    (["maximize", "--class", "12"], "out of range"),
    (["report", "--classes", "9-3"], "runs backwards"),
])
def test_impossible_classes_one_line(argv, says, tmp_path, capsys):
    assert main([*argv, "-o", str(tmp_path / ("x.pdf" if argv[0] == "report" else "x.png"))]) == 2
    err = capsys.readouterr().err
    assert says in err and "invalid literal" not in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [
    ["maximize", "--steps", "100000000"], ["maximize", "--steps", "0"], ["maximize", "--learning-rate", "nan"],
    ["report", "--dpi", "100000"], ["report", "--examples", "-3"], ["train", "--epochs", "1000000"],
    ["features", "x.png", "--max-maps", "0"], ["dashboard", "--port", "0"],
])
def test_absurd_numbers_refused_before_work(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "out of range" in err or "is not" in err
    assert "Traceback" not in err


def test_report_options_refuse_absurd_numbers():
    with pytest.raises(ValueError, match="steps must be 1..10000"):
        ReportOptions(steps=100_000_000)
    with pytest.raises(TypeError, match="unknown report option"):
        ReportOptions.of(stepz=3)


def test_output_under_a_file_is_refused_before_work(tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for argv in (["features", str(tmp_path / "nothing.png")], ["report"], ["train", "--sample"],
                 ["maximize"], ["evaluate", "--sample", "--out"]):
        out = str(a_file / "sub" / ("r.pdf" if argv[0] == "report" else "m.keras" if argv[0] == "train" else "o.png"))
        args = [*argv, out] if argv[-1] == "--out" else [*argv, "-o", out]
        start = time.perf_counter()
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert f"{a_file} is a file, not a folder" in err, err
        assert time.perf_counter() - start < 5  # refused before loading data or training


def test_output_that_is_a_folder_or_wrong_kind(tmp_path, capsys):
    assert main(["maximize", "-o", str(tmp_path)]) == 2
    assert "it is a folder; give a file name" in capsys.readouterr().err
    start = time.perf_counter()
    assert main(["train", "--sample", "-o", str(tmp_path / "m.h5")]) == 2
    assert "name it e.g. mnist_cnn.keras" in capsys.readouterr().err
    assert time.perf_counter() - start < 5 and not (tmp_path / "m.h5").exists()  # refused before training
    export_target = tmp_path / "a_file"
    export_target.write_text("x")
    assert main(["export", "-o", str(export_target), "--formats", "png"]) == 2
    assert "it is a file; give a folder" in capsys.readouterr().err


def test_permission_denied_output(tmp_path):
    # as root, permissions are bypassed in ordinary folders; /sys refuses new files even to root
    target = Path("/sys/cnnviz-test/report.pdf")
    if not Path("/sys").is_dir():
        pytest.skip("no /sys on this system")
    with pytest.raises(OutputError, match="permission denied|read-only"):
        check_writable(target)


def test_read_only_message():
    # a read-only file system cannot be mounted without privileges in a test: check the message it maps to
    assert "read-only file system" in _why(OSError(errno.EROFS, "Read-only file system"), Path("/mnt/ro"))
    assert "permission denied" in _why(PermissionError(errno.EACCES, "Permission denied"), Path("/x"))


def test_check_writable_creates_nothing(tmp_path):
    target = tmp_path / "new" / "deeper" / "report.pdf"
    assert check_writable(target) == target
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- report failures


def test_report_lists_a_bomb_and_keeps_the_rest(bombs, tmp_path):
    from cnnviz.report.context import example_images

    probe = cnnviz.core.build.get_probe()
    good = tmp_path / "good.png"
    Image.fromarray(cnnviz.load_sample().x_test[0]).save(good)
    lines: list[str] = []
    batch, labels, failures = example_images(probe, [bombs["huge"], good, bombs["big"]], 1, lines.append)
    assert labels == ["a 7 from the MNIST test sample (#4)", "good.png"] and len(batch) == 2
    assert [Path(f.what).name for f in failures] == ["bomb.png", "big.png"]
    assert all("Mpx" in f.error and f.kind == "input" for f in failures)
    assert sum("skipped" in line for line in lines) == 2


def test_section_error_is_one_clean_line_and_not_an_input(monkeypatch):
    from cnnviz.report import registry
    from cnnviz.report.context import build_context

    def broken(ctx):
        def draw():
            raise ValueError("\x1b[1mInvalid shape\x1b[0m (None, 3)\n  received by layer 'conv1'")

        yield registry.Planned("broken", "Broken", "", draw)

    monkeypatch.setattr(registry, "SECTIONS", {"broken": registry.SectionSpec("broken", 1, broken)})
    ctx = build_context(None, None, ReportOptions(examples=0, classes=()), lambda line: None)
    lines: list[str] = []
    assert list(registry.build(ctx, lines.append)) == []
    [failure] = ctx.failures
    assert failure.kind == "section"
    assert failure.error == "ValueError: Invalid shape (None, 3) received by layer 'conv1'"
    assert "\x1b" not in lines[0] and "failed" in lines[0]
    summary = _failure_summary([failure, Failure("x.png", "not an image")])
    assert "1 input could not be used" in summary and "1 figure could not be built" in summary


def test_a_callers_figsize_wins_for_one_image():
    from cnnviz.plots import plot_attribution, plot_maximization

    one = cnnviz.attribute(cnnviz.load_sample().x_test[:1], method="saliency")
    assert tuple(plot_attribution(one, figsize=(5.0, 3.0)).get_size_inches()) == (5.0, 3.0)
    assert tuple(plot_attribution(one).get_size_inches()) == (3.6, 2.2)
    single = cnnviz.maximize([3], steps=2)
    assert tuple(plot_maximization(single, figsize=(4.0, 3.0)).get_size_inches()) == (4.0, 3.0)
