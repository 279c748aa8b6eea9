"""Building the written corpus: stable ids, deterministic document splits, no leaks, bad drafts."""

from __future__ import annotations

import json
import random
from collections import Counter
from itertools import count

from conflict_events.cli import main
from conflict_events.training.corpus import (
    SPLITS,
    assign_splits,
    build_written,
    draft_files,
    split_for,
    written_id,
)
from conflict_events.training.records import Record, read_records
from conflict_events.training.validate import validate_files


def killed(text, span, value, doc):
    return {
        "source": "written",
        "doc_id": doc,
        "text": text,
        "events": ["casualty"],
        "numbers": [
            {
                "text": span,
                "occurrence": 1,
                "role": "killed",
                "qualifier": "exact",
                "value": value,
                "low": value,
                "high": value,
                "unit": None,
            }
        ],
    }


def calm(text, doc):
    return {"source": "written", "doc_id": doc, "text": text, "events": [], "numbers": []}


def write_drafts(path, drafts):
    path.write_text("".join(json.dumps(d) + "\n" for d in drafts), encoding="utf-8")
    return path


def doc_in(split, taken=()):
    """A doc id whose hashed split is ``split``."""
    return next(d for i in count() if (d := f"T-d{i:04d}") not in taken and split_for(d) == split)


def sample_drafts(docs=40):
    """Two drafts per document, with words drawn at random so no two documents look alike."""
    rng = random.Random(docs)
    letters = "abcdefghijklmnopqrstuvwxyz"

    def words(n):
        return " ".join("".join(rng.choice(letters) for _ in range(6)) for _ in range(n))

    drafts = []
    for d in range(docs):
        doc = f"S-d{d:04d}"
        drafts.append(
            killed(f"Gunmen killed {d + 2} villagers near {words(4)}.", str(d + 2), d + 2, doc)
        )
        drafts.append(calm(f"Markets reopened in {words(5)}.", doc))
    return drafts


def test_written_ids_are_stable_and_differ_by_text():
    assert written_id("Five died.") == written_id("Five died.")
    assert written_id("Five died.") != written_id("Six died.")
    assert written_id("Five died.").startswith("w-") and len(written_id("x")) == 14


def test_split_for_is_deterministic_and_near_80_10_10():
    keys = [f"doc-{i}" for i in range(6000)]
    first = [split_for(k) for k in keys]
    assert first == [split_for(k) for k in keys]
    shares = Counter(first)
    assert abs(shares["train"] / 6000 - 0.8) < 0.02
    assert abs(shares["dev"] / 6000 - 0.1) < 0.015
    assert abs(shares["test"] / 6000 - 0.1) < 0.015
    assert {split_for(k, (0, 0, 1)) for k in keys[:50]} == {"test"}


def test_build_keeps_documents_together_and_sets_source_licence_ids(tmp_path):
    path = write_drafts(tmp_path / "C1.jsonl", sample_drafts())
    corpus = build_written([path])
    assert corpus.bad == [] and len(corpus.records) == 80
    for name in SPLITS:
        for record in corpus.splits[name]:
            assert split_for(record.doc_id) == name
            assert record.source == "written" and record.licence == "Apache-2.0"
            assert record.id == written_id(record.text)
    assert all(corpus.splits[name] for name in SPLITS)


def test_build_is_deterministic_and_growing_drafts_move_nothing(tmp_path):
    drafts = sample_drafts()
    first = build_written([write_drafts(tmp_path / "a.jsonl", drafts[:40])])
    again = build_written([write_drafts(tmp_path / "b.jsonl", drafts[:40])])
    assert first.splits == again.splits
    grown = build_written([write_drafts(tmp_path / "c.jsonl", drafts)])
    where = {r.id: name for name in SPLITS for r in grown.splits[name]}
    assert all(where[r.id] == name for name in SPLITS for r in first.splits[name])


def test_near_duplicate_documents_are_merged_into_one_split(tmp_path):
    train_doc = doc_in("train")
    test_doc = doc_in("test")
    drafts = [
        killed(
            "At least 25 people were killed in Gao on Monday, police said.", "25", 25, train_doc
        ),
        killed("At least 40 people were killed in Gao on Monday, police said.", "40", 40, test_doc),
        calm("The curfew in Gao was lifted after the elections in March.", test_doc),
    ]
    for draft in drafts[:2]:
        draft["numbers"][0].update(qualifier="at_least", high=None)
    corpus = build_written([write_drafts(tmp_path / "d.jsonl", drafts)])
    assert corpus.moved_groups == 1 and corpus.largest_cluster == 2
    keep = split_for(min(train_doc, test_doc))
    assert len(corpus.splits[keep]) == 3
    splits, moved, largest = assign_splits(corpus.records)
    assert (moved, largest) == (1, 2) and splits == corpus.splits


def test_bad_drafts_are_listed_with_their_line(tmp_path):
    good = sample_drafts(3)
    wrong_role = killed("Rebels took 12 villages near Tine.", "12", 12, "B-d1")
    wrong_role["events"] = ["territorial-change"]
    missing = killed("Seven people died in Beni.", "seven", 7, "B-d2")
    other_source = dict(calm("A quiet night in Goma.", "B-d3"), source="re3d")
    changed = json.loads(json.dumps(good[0]))
    changed["numbers"][0]["unit"] = "villagers"
    drafts = [*good, wrong_role, missing, other_source, good[1], changed]
    path = write_drafts(tmp_path / "bad.jsonl", drafts)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("{oops\n")
    corpus = build_written([path])
    assert [(p.line, p.message) for p in corpus.bad] == [
        (7, "numbers[0] '12' has role 'killed' but the record's events lack 'casualty'"),
        (
            8,
            "numbers[0] 'seven' does not occur in the text (it occurs with different case at offset 0)",
        ),
        (9, "source is 're3d'; written drafts have 'written'"),
        (10, f"duplicate text of {path}:2 (same annotation)"),
        (11, f"duplicate text of {path}:1 (different annotation)"),
        (12, "malformed JSON: Expecting property name enclosed in double quotes (column 2)"),
    ]
    assert len(corpus.records) == 6  # every good line once, no duplicate kept


def test_cli_fails_on_bad_drafts_unless_skip_bad(tmp_path, capsys):
    drafts = sample_drafts(30)
    drafts.append(killed("Nobody died.", "two", 2, "B-d1"))
    folder = tmp_path / "drafts"
    folder.mkdir()
    write_drafts(folder / "C1.jsonl", drafts[:30])
    write_drafts(folder / "C2.jsonl", drafts[30:])
    assert draft_files([folder]) == [folder / "C1.jsonl", folder / "C2.jsonl"]
    out = tmp_path / "corpus"
    args = ["data", "build-written", str(folder), "--out", str(out), "--no-normaliser"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert f"{folder / 'C2.jsonl'}:31: numbers[0] 'two' does not occur in the text" in captured.out
    assert "nothing written" in captured.err and not out.exists()
    assert main([*args, "--skip-bad"]) == 0
    captured = capsys.readouterr()
    assert f"{folder / 'C2.jsonl'}:31:" in captured.out
    written = {name: read_records(out / f"{name}.jsonl") for name in SPLITS}
    assert sum(len(r) for r in written.values()) == 60
    assert validate_files([out / f"{name}.jsonl" for name in SPLITS]).ok
    assert "records                     60" in captured.out


def test_written_files_round_trip_to_the_built_records(tmp_path):
    path = write_drafts(tmp_path / "C1.jsonl", sample_drafts(12))
    out = tmp_path / "corpus"
    assert main(["data", "build-written", str(path), "--out", str(out)]) == 0
    corpus = build_written([path])
    for name in SPLITS:
        assert read_records(out / f"{name}.jsonl") == corpus.splits[name]
        assert all(isinstance(r, Record) for r in corpus.splits[name])
