"""Load test of the dashboard in real browsers: N concurrent sessions against ONE Streamlit server.

    .venv/bin/python bench/dashboard_load.py --sessions 20 --rounds 30 --uploads 100

Three models: the shipped one, an uploaded one (``reference_model(seed=7)``, untrained) and a trained one
(trained once here by ``cnnviz.train``: the fast recipe, one epoch on the bundled sample, seed 1, then uploaded),
each session describing the two uploads with its own input range (the sidebar's "Describe this model" form).
Sessions with ``s % 4 == 1`` stay on "What the network sees" (steps 10, class s % 10; each round: a model, a seed);
the others stay on "Look inside" (Gallery; each round: a model, a digit). ``--uploads`` more models (each a
fresh ``reference_model(seed=1000 + i)``, uploaded as ``extra-a.keras`` and ``extra-b.keras`` in turn, so that
the picker shows a new name and keeps the session's two models) are spread over the sessions' rounds, so
the server loads and evicts them (``get_model`` keeps 8). Every answer a page shows (Look inside: the prediction,
its probability and the input range; class images: "k of n images are classified ... (mean softmax p)") is
recorded, then compared with the same library call made alone in this process. Any error box or exception on a
page counts as an error. The server's resident memory (VmRSS) is sampled throughout: ``start`` when every
session has its models (before the rounds), ``peak``, ``end``.

tests/test_dashboard_load.py runs :func:`run` at a small size; this script prints the table at any size.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
RUNNING = "[data-testid='stStatusWidgetRunningIcon'], [data-testid='stStatusWidgetRunningManIcon']"
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
SHIPPED_LABEL = "shipped model (pretrained/mnist_cnn.keras)"
MODELS = ("shipped", "uploaded", "trained")
FILES = {"uploaded": "random7.keras", "trained": "trained1.keras"}
#: the input range each session says its uploads take (the form's option labels; None: read from the model)
RANGES = {"uploaded": ("0..1", "0..255", "-1..1"), "trained": (None, "0..255")}
STEPS = 10  # class images: the slider's minimum, so that a round costs seconds


@dataclass
class Answer:
    """One answer a page showed: which session and round, the model and range it was told, the page's inputs."""

    session: int
    round: int
    page: str  # "look" or "class"
    model: str  # "shipped", "uploaded", "trained" or an extra's file name
    range: str | None
    inputs: tuple
    text: str


@dataclass
class Outcome:
    """What a run found: answers, mismatches (answer, expected text), errors, RSS samples (MiB) and seconds."""

    answers: list[Answer] = field(default_factory=list)
    mismatches: list[tuple[Answer, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_start: float = 0.0
    rss_peak: float = 0.0
    rss_end: float = 0.0
    seconds: float = 0.0
    uploads: int = 0
    phases: dict[str, float] = field(default_factory=dict)  # seconds from the start when each phase ended
    rss_by_upload: list[tuple[int, float]] = field(default_factory=list)  # (extra uploads so far, RSS MiB)
    page_seconds: dict[str, list[float]] = field(default_factory=dict)  # server-side seconds of each full page run

    def table(self) -> str:
        rows = [("sessions x rounds answers checked", len(self.answers)), ("mismatches", len(self.mismatches)),
                ("errors", len(self.errors)), ("extra uploads", self.uploads),
                ("server RSS start / peak / end (MiB)", f"{self.rss_start:.0f} / {self.rss_peak:.0f} / "
                                                        f"{self.rss_end:.0f}"),
                ("seconds", f"{self.seconds:.0f} (" + ", ".join(f"{k} {v:.0f}" for k, v in self.phases.items())
                 + ")")]
        for page, times in sorted(self.page_seconds.items()):
            times = sorted(times)
            rows.append((f"server: {page[:22]} (s)", f"n {len(times)}, median {times[len(times) // 2]:.1f}, "
                                                      f"90% {times[int(len(times) * 0.9)]:.1f}, max {times[-1]:.1f}"))
        return "\n".join(f"{name:<38} {value}" for name, value in rows)


def model_files(folder: Path, uploads: int) -> dict[str, Path]:
    """Where :func:`make_models` writes each model: "uploaded", "trained", "extra-0", ..."""
    return {**{key: folder / name for key, name in FILES.items()},
            **{f"extra-{i}": folder / f"extra-{i}.keras" for i in range(uploads)}}


def make_models(files: dict[str, Path]) -> None:
    """The uploaded model (``reference_model(seed=7)``), the trained one (the fast recipe, one epoch on the
    sample, seed 1) and the extra models (``reference_model(seed=1000 + i)``), as .keras files."""
    import cnnviz

    files["uploaded"].parent.mkdir(parents=True, exist_ok=True)
    cnnviz.save_model(cnnviz.core.model.reference_model(seed=7), files["uploaded"])
    cnnviz.train("sample", recipe="fast", epochs=1, seed=1, output=files["trained"], verbose=0)
    for key, path in files.items():
        if key.startswith("extra-"):
            cnnviz.save_model(cnnviz.core.model.reference_model(seed=1000 + int(key[6:])), path)


@contextmanager
def served(log_path: Path) -> Iterator[tuple[str, int]]:
    """``streamlit run dashboards/app.py`` on a free port (as tests/test_dashboard_browser.py starts it):
    yields (url, server pid) once it answers its health check, and stops it afterwards."""
    from cnnviz.cli.serve import wait_until_serving

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "TMPDIR": str(log_path.parent),  # its own upload folder: no other server prunes this one's uploads
           "CNNVIZ_PAGE_LOG": str(log_path.parent / "pages.jsonl"),  # each page run's server-side seconds
           "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}  # as `cnnviz dashboard` starts it
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"), "--server.port",
             str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.maxUploadSize", "50"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(url, process, timeout=90, log=log_path)
            yield url, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class RssSampler(threading.Thread):
    """VmRSS of a process (MiB), every ``every`` seconds, until :meth:`stop`."""

    def __init__(self, pid: int, every: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self._stop_event = pid, every, [], threading.Event()

    def now(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.samples.append(self.now())
            except OSError:
                return
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


class Runs:
    """The script runs the server finished for one browser page, counted from its websocket (Streamlit's
    ``script_finished`` messages; a run that ends for a rerun is not counted: the rerun is)."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.page, self.finished, self._message = page, 0, ForwardMsg
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if isinstance(payload, bytes):
            message = self._message()
            message.ParseFromString(payload)
            if message.WhichOneof("type") == "script_finished" and \
                    message.script_finished != self._message.FINISHED_EARLY_FOR_RERUN:
                self.finished += 1

    async def after(self, action, marker: str | None = None, timeout: float = 600) -> None:
        """Do ``action`` (a coroutine function), then wait for a run to finish after it, ``marker`` (a text only
        the new state shows) when given, and the page drawn: no running icon, nothing stale, for 0.4 s."""
        before, deadline = self.finished, time.monotonic() + timeout
        await action()
        if marker is not None:
            await self.page.get_by_text(marker, exact=False).first.wait_for(timeout=timeout * 1000)
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page was still running after {timeout:.0f} s")
            await self.page.wait_for_timeout(200)
            busy = self.finished == before or await self.page.locator(f"{RUNNING}, [data-stale='true']").count()
            quiet = 0 if busy else quiet + 1


async def _errors(page, where: str) -> list[str]:
    boxes = page.locator(ERRORS)
    return [f"{where}: {text[:300]}" for text in await boxes.all_inner_texts()]


async def _choose(page, label: str, option: str, scope=None) -> bool:
    """Pick ``option`` in the selectbox labelled ``label``; False when it already shows it (no run)."""
    box = (scope or page).get_by_role("combobox", name=label)
    if await box.input_value() == option:
        return False
    await box.click()
    await page.get_by_role("option", name=option, exact=True).click()
    return True


class Session:
    """One browser session: its models, its page, its rounds."""

    def __init__(self, index: int, context, url: str, files: dict[str, Path], made: asyncio.Task, outcome: Outcome,
                 rss: RssSampler):
        self.s, self.context, self.url, self.files, self.made = index, context, url, files, made
        self.outcome, self.rss = outcome, rss
        self.page_kind = "class" if index % 4 == 1 else "look"
        self.ranges = {"shipped": None, "uploaded": RANGES["uploaded"][index % 3],
                       "trained": RANGES["trained"][index % 2]}
        self.labels = {"shipped": SHIPPED_LABEL, "uploaded": f"uploaded: {FILES['uploaded']}",
                       "trained": f"uploaded: {FILES['trained']}"}
        self.digit, self.seed, self.klass, self.extras = 3, 0, index % 10, 0

    async def setup(self) -> None:
        """Open Look inside (it waits for a drawing: cheap runs), upload and describe the two models, then go to
        the session's page: Look inside's gallery, or What the network sees at the minimum steps."""
        self.page = page = await self.context.new_page()
        page.set_default_timeout(600_000)
        self.runs = runs = Runs(page)
        await runs.after(lambda: page.goto(f"{self.url}/look_inside"), "Draw one digit")
        await self.made  # the models, made in a thread of this process meanwhile
        for key in ("uploaded", "trained"):
            await self.upload(self.files[key].name, self.files[key].read_bytes())
            if self.ranges[key]:
                await _choose(page, "Input range it was trained on", self.ranges[key])  # in a form: no run
                await runs.after(page.get_by_role("button", name="Use for this session").click)
        if self.page_kind == "look":
            await runs.after(page.get_by_text("Gallery", exact=True).click, "Which pixels decided it")
        else:
            async def to_class_images() -> None:
                await page.locator("[data-testid='stSidebarNav'] a").filter(has_text="What the network sees").click()
                slider = page.locator("[data-testid='stSlider']").filter(has_text="Steps").get_by_role("slider")
                await slider.focus()  # at once: the first run (80 steps) stops for the minimum
                await page.keyboard.press("Home")

            await runs.after(to_class_images, f"{STEPS} steps, seed 0.")
        await self.check("setup")

    async def upload(self, name: str, data: bytes) -> None:
        uploader = self.page.locator("[data-testid='stSidebar'] [data-testid='stFileUploaderDropzoneInput']")
        # the upload's run ends in st.rerun() (for a rerun: not counted); the run after it shows the model
        await self.runs.after(lambda: uploader.set_input_files({"name": name, "mimeType": "application/octet-stream",
                                                                "buffer": data}))
        box = self.page.get_by_role("combobox", name="Model shown on every page")
        deadline = time.monotonic() + 600
        while await box.input_value() != f"uploaded: {name}":  # the upload taken and selected, not a run before it
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} was not selected after 600 s")
            await self.page.wait_for_timeout(200)

    async def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in a selectbox and wait for the run it starts (none when it shows ``option`` already).
        Not waiting let the next input land on a page being redrawn, where it was lost: a class-image session then
        waited 600 s for a seed the page never got (one in 6 sessions, on an idle machine)."""
        box = self.page.get_by_role("combobox", name=label)
        if await box.input_value() != option:
            await self.runs.after(lambda: _choose(self.page, label, option))

    async def check(self, where: str) -> None:
        self.outcome.errors.extend(await _errors(self.page, f"session {self.s} {where}"))

    async def answer(self, r: int, model: str, model_range: str | None) -> None:
        """Change the page's input (a marker only the new state shows), wait, record what the page says."""
        page = self.page
        if self.page_kind == "look":
            self.digit = (self.digit + 3 + r % 2) % 10
            index = _first_of(self.digit)
            await self.runs.after(lambda: _choose(page, "Digit", str(self.digit)),
                                  f"Test sample image #{index}, labelled {self.digit}.")
            value = (await page.locator("[data-testid='stMetricValue']").first.inner_text()).strip()
            delta = (await page.locator("[data-testid='stMetricDelta']").first.inner_text()).strip()
            seen = next(t for t in await page.locator("[data-testid='stImage']").all_inner_texts()
                        if "What the model sees" in t)
            text, inputs = f"{value} {delta} | {seen.split(', ')[-1].strip()}", (index,)
        else:
            await self.choose("Class", f"digit {self.klass}")  # the session's class (a run the first time)
            self.seed = (self.seed + 1 + r % 2) % 5
            seed_box = page.get_by_role("spinbutton", name="Seed")

            async def new_seed() -> None:
                await seed_box.fill(str(self.seed))
                await seed_box.press("Enter")

            await self.runs.after(new_seed, f"{STEPS} steps, seed {self.seed}.")
            text = next(t for t in await page.locator("[data-testid='stMarkdownContainer']").all_inner_texts()
                        if "classified as their target" in t)
            inputs = (self.klass, self.seed)
        self.outcome.answers.append(Answer(self.s, r, self.page_kind, model, model_range, inputs, text.strip()))
        await self.check(f"round {r} ({model})")

    async def round(self, r: int, extras: list[int]) -> None:
        for i in extras:  # an extra model: uploaded, shown at once (it becomes the current model), then answered
            self.extras += 1
            await self.upload(f"extra-{'ab'[self.extras % 2]}.keras", self.files[f"extra-{i}"].read_bytes())
            self.outcome.uploads += 1
            self.outcome.rss_by_upload.append((self.outcome.uploads, self.rss.now()))
            await self.answer(r, f"extra-{i}", None)
        model = MODELS[(self.s + r) % 3]
        await self.choose("Model shown on every page", self.labels[model])
        await self.answer(r, model, self.ranges[model])


@functools.cache
def _first_of(digit: int) -> int:
    """The index of the first test-sample image of ``digit`` (the gallery's example 0)."""
    import numpy as np

    import cnnviz

    return int(np.flatnonzero(cnnviz.load_sample().y_test == digit)[0])


def _extras_of(s: int, sessions: int, rounds: int, uploads: int) -> dict[int, list[int]]:
    """Round -> the extra uploads session ``s`` makes in it (upload i goes to session i % sessions, spread out)."""
    mine = [i for i in range(uploads) if i % sessions == s]
    plan: dict[int, list[int]] = {}
    for j, i in enumerate(mine):
        plan.setdefault(j * rounds // len(mine), []).append(i)
    return plan


async def _drive(url: str, files: dict[str, Path], sessions: int, rounds: int, uploads: int, outcome: Outcome,
                 rss: RssSampler, started: float, chromium: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)

        def made() -> None:
            make_models(files)
            outcome.phases["models made"] = time.perf_counter() - started

        making = asyncio.create_task(asyncio.to_thread(made))  # while the sessions open their first page
        ready = asyncio.Barrier(sessions)

        async def one(s: int) -> None:
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            session = Session(s, context, url, files, making, outcome, rss)
            try:
                try:
                    await session.setup()
                finally:  # every session has its models (or failed) before the rounds start
                    if await ready.wait() == 0:
                        outcome.rss_start = rss.now()
                        outcome.phases["sessions set up"] = time.perf_counter() - started
                plan = _extras_of(s, sessions, rounds, uploads)
                for r in range(rounds):
                    await session.round(r, plan.get(r, []))
            except Exception as exc:  # noqa: BLE001 - a session that fails is an error of the run, not the end of it
                outcome.errors.append(f"session {s}: {type(exc).__name__}: {str(exc)[:300]}")
            finally:
                await context.close()

        await asyncio.gather(*(one(s) for s in range(sessions)))
        await browser.close()


def expected(answer: Answer, files: dict[str, Path], cache: dict) -> str:
    """The text the page should show for ``answer``: the same library calls, made alone in this process."""
    import numpy as np

    import cnnviz
    from cnnviz.dashboard.describe import RANGES as FORM_RANGES
    from cnnviz.optvis.presets import DEFAULT

    key = (answer.model, answer.range)
    if key not in cache:
        model = cnnviz.load_model(None if answer.model == "shipped" else files[answer.model])
        ranged = FORM_RANGES[answer.range] if answer.range else None
        cache[key] = cnnviz.describe(model, input_range=ranged) if ranged else cnnviz.core.build.get_probe(model)
    probe = cache[key]
    if answer.page == "look":
        x = probe.prepare(cnnviz.load_sample().x_test[answer.inputs[0]])
        p = cnnviz.feature_maps(x, model=probe).probabilities[0]
        k = int(np.argmax(p))
        lo, hi = probe.input_range
        return f"{probe.class_names[k]} probability {p[k]:.3f} | values {lo:g}..{hi:g}"
    klass, seed = answer.inputs
    result = cnnviz.maximize([klass], model=probe, regularization="default", l1=DEFAULT.l1, tv=DEFAULT.tv,
                             jitter=DEFAULT.jitter, blur=DEFAULT.blur, steps=STEPS, seed=seed, n=1, param=None)
    on_target = int((result.predicted == result.targets).sum())
    return (f"{on_target} of {len(result)} images are classified as their target "
            f"(mean softmax {result.confidence.mean():.3f}).")


def page_seconds(log: Path) -> dict[str, list[float]]:
    """The server's page log (``CNNVIZ_PAGE_LOG``, :mod:`cnnviz.dashboard.page_times`): seconds of each page run
    that ran to its end (not the runs a widget change cut short for a rerun), by page title."""
    times: dict[str, list[float]] = {}
    if log.is_file():
        for line in log.read_text().splitlines():
            run = json.loads(line)
            if run["outcome"] == "ok":
                times.setdefault(run["page"], []).append(run["seconds"])
    return times


def run(sessions: int, rounds: int, uploads: int, folder: Path | None = None, chromium: str | None = None) -> Outcome:
    """Make the models, start one server, drive ``sessions`` browser sessions for ``rounds`` rounds with
    ``uploads`` extra uploads among them, then check every answer against the library alone."""
    folder = Path(folder or tempfile.mkdtemp(prefix="cnnviz-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    outcome = Outcome()
    with served(folder / "server.log") as (url, pid):
        outcome.phases["server up"] = time.perf_counter() - started
        files = model_files(folder / "models", uploads)
        rss = RssSampler(pid)
        rss.start()
        try:
            asyncio.run(_drive(url, files, sessions, rounds, uploads, outcome, rss, started,
                               chromium or os.environ.get("CNNVIZ_CHROMIUM") or "/usr/bin/chromium"))
            outcome.phases["rounds done"] = time.perf_counter() - started
            outcome.rss_end = rss.now()
        finally:
            rss.stop()
        outcome.rss_peak = max(rss.samples, default=0.0)
    outcome.page_seconds = page_seconds(folder / "pages.jsonl")
    cache: dict = {}
    for answer in outcome.answers:
        want = expected(answer, files, cache)
        if answer.text != want:
            outcome.mismatches.append((answer, want))
    outcome.seconds = outcome.phases["answers checked"] = time.perf_counter() - started
    (folder / "outcome.json").write_text(json.dumps(  # every answer, for a look afterwards
        {"answers": [vars(a) for a in outcome.answers], "mismatches": [[vars(a), want] for a, want in
                                                                          outcome.mismatches],
         "errors": outcome.errors, "rss_by_upload": outcome.rss_by_upload, "phases": outcome.phases,
         "page_seconds": outcome.page_seconds}, indent=1))
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--verbose", action="store_true", help="print every answer")
    parser.add_argument("--folder", type=Path, default=None, help="where the models and the server log go")
    args = parser.parse_args(argv)
    outcome = run(args.sessions, args.rounds, args.uploads, args.folder)
    print(f"{args.sessions} sessions x {args.rounds} rounds, {args.uploads} uploads, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(outcome.table())
    step = max(1, len(outcome.rss_by_upload) // 10)
    print("server RSS (MiB) after n uploads:", ", ".join(f"{n}: {mib:.0f}" for n, mib in outcome.rss_by_upload[::step]))
    if args.verbose:
        for answer in outcome.answers:
            print(answer)
    for answer, want in outcome.mismatches[:20]:
        print(f"MISMATCH {answer}: expected {want!r}")
    for error in outcome.errors[:20]:
        print(f"ERROR {error}")
    return 1 if outcome.mismatches or outcome.errors else 0


if __name__ == "__main__":
    sys.exit(main())
