"""Integration tests on the shipped default model (model/default): metrics, real articles, wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "model" / "default"
SHARED_ARTICLE = REPO.parent / "shared" / "examples" / "idlib-displacement.txt"
TOLERANCE = 0.01

pytestmark = pytest.mark.integration

if not (DEFAULT / "config.json").is_file():
    pytest.skip("no shipped default model in model/default", allow_module_level=True)


@pytest.fixture(scope="module")
def tagger():
    from conflict_events.inference import EventTagger

    return EventTagger.from_pretrained()


def _card_figures(test_file: str) -> dict:
    metrics = json.loads((DEFAULT / "report" / "metrics.json").read_text())
    (section,) = [s for s in metrics["sections"] if s["file"].endswith(test_file)]
    return section["systems"][section["default_system"]]


def test_default_model_loads_offline_without_torch():
    code = (
        "import sys; from conflict_events.inference import EventTagger; "
        "t = EventTagger.from_pretrained(); print(t.tag(['Rebels seized three villages.'])[0].labels); "
        "print(any(m in sys.modules for m in ('torch', 'transformers', 'datasets')))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    labels, heavy = out.stdout.strip().splitlines()
    assert "territorial-change" in labels and heavy == "False"


@pytest.mark.parametrize("test_file", ["data/corpus/test.jsonl", "data/reporting/test.jsonl"])
def test_metrics_on_the_written_test_splits_stay_at_the_card_figures(tagger, test_file):
    from conflict_events.training.metrics import event_metrics, number_metrics
    from conflict_events.training.records import read_records

    card = _card_figures(test_file)
    records = read_records(REPO / test_file)
    results = tagger.tag([r.text for r in records])
    labels = tagger.labels
    events = event_metrics(
        [r.events for r in records], [r.labels for r in results], labels.event_labels
    )
    numbers = number_metrics(
        [r.numbers for r in records], [r.numbers for r in results], labels.number_roles
    )
    assert events.macro_f1 >= card["events"]["macro_f1"] - TOLERANCE
    assert events.micro.f1 >= card["events"]["micro"]["f1"] - TOLERANCE
    assert numbers.strict.f1 >= card["numbers"]["strict"]["f1"] - TOLERANCE


def _figures(results) -> set[tuple]:
    return {(n.role, n.value, n.low, n.qualifier.value) for s in results for n in s.numbers}


def test_the_shipped_example_article(tagger):
    text = (REPO / "examples" / "idlib-report.txt").read_text(encoding="utf-8")
    (doc,) = tagger.tag_documents([text])
    found = _figures(doc.sentences)
    assert ("displaced", 30000.0, 30000.0, "at_least") in found
    assert ("places", 12.0, 12.0, "approximate") in found
    assert ("killed", 7.0, 7.0, "exact") in found
    assert set(doc.summary.events) >= {
        "displacement",
        "casualty",
        "territorial-change",
        "attack-on-infrastructure",
    }
    for number in (n for s in doc.sentences for n in s.numbers):
        assert text[number.start : number.end] == number.text
        assert number.value not in (2020.0, 28.0, 3_000_000.0), f"{number} is not an event count"


@pytest.mark.skipif(
    not SHARED_ARTICLE.is_file(), reason=f"{SHARED_ARTICLE} is only on the project's machines"
)
def test_the_real_idlib_article_facts():
    out = subprocess.run(
        [sys.executable, "-m", "conflict_events.cli", "tag", str(SHARED_ARTICLE)],
        capture_output=True,
        text=True,
        check=True,
    )
    (doc,) = [json.loads(line) for line in out.stdout.splitlines()]
    numbers = [n for s in doc["sentences"] for n in s["numbers"]]
    found = {(n["role"], n["value"], n["qualifier"]) for n in numbers}
    assert ("displaced", 25000.0, "at_least") in found
    assert any(r == "displaced" and v == 205000.0 for r, v, _ in found)
    assert ("killed", 5.0, "exact") in found
    assert ("killed", 3.0, "exact") in found and ("killed", 2.0, "exact") in found
    assert ("killed", 1300.0, "at_least") in found
    assert ("places", 15.0, "approximate") in found
    infrastructure = [
        s for s in doc["sentences"] if "hospitals" in s["text"] and "mosques" in s["text"]
    ]
    assert any(e["label"] == "attack-on-infrastructure" for e in infrastructure[0]["events"])
    text = SHARED_ARTICLE.read_text(encoding="utf-8")
    for n in numbers:
        if n["role"] in ("killed", "injured", "displaced"):
            assert n["value"] not in (2011.0, 22.0, 2018.0, 2_400_000.0), n
        assert text[n["start"] : n["end"]] == n["text"]


def test_wheel_installs_without_extras_and_tags(tmp_path):
    wheel_dir = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheel_dir.glob("conflict_events-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True
    )
    code = (
        "import importlib.util, sys; "
        "from conflict_events.inference import EventTagger; "
        "r = EventTagger.from_pretrained().tag(['At least 40 people were killed in the blast.'])[0]; "
        "print(r.labels); print([importlib.util.find_spec(m) is None for m in ('torch', 'transformers', 'datasets')])"
    )
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    labels, missing = out.stdout.strip().splitlines()
    assert "casualty" in labels
    assert missing == "[True, True, True]"
    tagged = subprocess.run(
        [str(env_dir / "bin" / "conflict-events"), "tag", "-"],
        input="Five people died.\n",
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert (
        json.loads(tagged.stdout.splitlines()[0])["sentences"][0]["events"][0]["label"]
        == "casualty"
    )
