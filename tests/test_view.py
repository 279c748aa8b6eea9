"""Output for people: the terminal view of ``tag``, ``show`` (terminal and HTML in a real
browser), and the progress bar's total, percentage, ETA, failures and skipping phase."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conflict_events.cli import main

pytest.importorskip("torch", reason="the tiny test model is built with the [train] extra")

DOCS = (
    "At least 25,000 civilians have fled the town. Three people were killed and 12 wounded.",
    "Rebels captured some 15 villages near the river. It rained.",
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def in_terminal(argv: list[str], cwd: Path, stdout_tty: bool = True) -> tuple[str, str]:
    """Run ``conflict-events`` with stderr (and stdout) on a pseudo-terminal: (stdout, stderr)."""
    command = [sys.executable, "-m", "conflict_events.cli", *argv]
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=follower if stdout_tty else subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    piped = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(timeout=120)
    os.close(leader)
    terminal = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r", "\n")
    return piped, terminal


@pytest.fixture(scope="module")
def tagged(counting_onnx_model, tmp_path_factory) -> Path:
    """``tag`` output (JSONL) of DOCS by the model that counts every number as killed."""
    folder = tmp_path_factory.mktemp("tagged")
    source = write_jsonl(
        folder / "docs.jsonl", [{"text": t, "id": f"d{i}"} for i, t in enumerate(DOCS)]
    )
    out = folder / "tagged.jsonl"
    argv = ["tag", str(source), "--model", str(counting_onnx_model), "--id-field", "id", "-q"]
    assert main([*argv, "--out", str(out)]) == 0
    return out


def test_tag_on_a_terminal_prints_the_readable_view_and_jsonl_when_piped(
    counting_onnx_model, tagged, tmp_path
):
    source = write_jsonl(tmp_path / "docs.jsonl", [{"text": DOCS[0], "id": "d0"}])
    argv = ["tag", str(source), "--model", str(counting_onnx_model), "--id-field", "id"]
    _, screen = in_terminal(argv, tmp_path)
    assert "{" not in screen  # no JSON
    assert "At least 25,000" in screen and "⟨killed ≥25,000⟩" in screen
    assert "Three⟨killed 3⟩" in screen and "casualty" in screen  # events under the sentence
    assert re.search(r"killed\s+│\s+≥25,000\s+│\s+civilians\s+│\s+0", screen)  # the summary
    piped, _ = in_terminal(argv, tmp_path, stdout_tty=False)
    assert json.loads(piped.splitlines()[0])["id"] == "d0"


def test_show_draws_saved_output_on_the_terminal(tagged, tmp_path):
    _, screen = in_terminal(["show", str(tagged)], tmp_path)
    assert "d0" in screen and "d1" in screen and "⟨killed ~15⟩" in screen
    assert "1 of 2 sentences report no event" in screen or "It rained" in screen


class _Marks(HTMLParser):
    """The number spans of a page: (role, value, text, label) of each ``mark.number``."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[dict] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "mark" and "number" in (attrs.get("class") or "").split():
            self.marks.append({**attrs, "text": "", "label": ""})
            self.depth = 1
        elif self.depth and tag == "span":
            self.depth = 2

    def handle_endtag(self, tag):
        if self.depth == 2 and tag == "span":
            self.depth = 1
        elif self.depth and tag == "mark":
            self.depth = 0

    def handle_data(self, data):
        if self.depth:
            self.marks[-1]["text" if self.depth == 1 else "label"] += data


def test_show_writes_html_that_a_browser_renders_with_highlighted_spans(tagged, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no headless Chromium here: .ci/run installs it (apt-get install chromium)")
    page = tmp_path / "tagged.html"
    assert main(["show", str(tagged), "--html", str(page)]) == 0
    assert "http" not in page.read_text().split("<body>")[0]  # no external assets
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    parser = _Marks()
    parser.feed(dom)
    numbers = [
        n
        for line in tagged.read_text().splitlines()
        for s in json.loads(line)["sentences"]
        for n in s["numbers"]
    ]
    assert len(parser.marks) == len(numbers) >= 4
    for mark, number in zip(parser.marks, numbers, strict=True):
        assert mark["text"] == number["text"] and mark["data-role"] == number["role"]
        assert mark["label"].startswith(f"{number['role']} ")
    # The browser draws the highlight: the killed colour is on the screenshot.
    image = pytest.importorskip("PIL.Image")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1000,700", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    pixels = {rgb for _, rgb in image.open(shot).convert("RGB").getcolors(2**24)}
    assert (0xF4, 0xA3, 0xA3) in pixels  # ROLE_COLORS["killed"]


def test_progress_shows_total_percentage_eta_failures_and_a_skipping_phase(onnx_model, tmp_path):
    rows = [{"text": f"{DOCS[i % 2]} Report {i}.", "id": f"r{i}"} for i in range(60)]
    source = write_jsonl(tmp_path / "docs.jsonl", rows)
    with open(source, "a") as f:
        f.write("not json\n")
    argv = [
        "tag",
        str(source),
        "--model",
        str(onnx_model),
        "--id-field",
        "id",
        "--out",
        "out.jsonl",
    ]
    _, screen = in_terminal(argv, tmp_path)
    size = re.escape(f"{source.stat().st_size / 1000:.1f}")
    assert re.search(rf"100%\s+{size}/{size} kB\s+eta", screen), screen  # total, %, ETA
    assert "60 docs" in screen and "1 failed" in screen
    lines = (tmp_path / "out.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "out.jsonl").write_bytes(b"".join(lines[:40]))
    _, screen = in_terminal([*argv, "--resume"], tmp_path)
    assert "skipping finished documents" in screen and "40 skipped" in screen


def test_show_never_writes_its_page_over_the_input(tagged, tmp_path, capsys):
    before = tagged.read_bytes()
    alias = tmp_path / "alias.html"
    alias.hardlink_to(tagged)
    for page in (tagged, alias):
        assert main(["show", str(tagged), "--html", str(page), "--overwrite"]) == 2
        assert "is the input" in capsys.readouterr().err
    assert tagged.read_bytes() == before
