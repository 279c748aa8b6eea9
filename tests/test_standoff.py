"""Stand-off import (drafts → offsets + hash) and join (→ records), on a tiny corpus the test
writes in the WCEP layout (sentences written by the project)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from conflict_events.training.standoff import (
    DocumentIndex,
    StandoffRecord,
    import_drafts,
    join,
    locate_sentence,
    merge,
    read_standoff,
    run_import,
    sentence_sha256,
    write_annotations,
)

DOCS = {
    "1": "Rebels seized Tine. At least 2,500 civilians fled Tine. Rebels seized Tine.",
    "2": "Shelling hit the main hospital in Aldier. Two nurses were killed.",
}


def write_corpus(root: Path, docs: dict[str, str] = DOCS) -> Path:
    folder = root / "wcep_sep2015" / "wikipedia"
    folder.mkdir(parents=True, exist_ok=True)
    entries = [{"id": k, "description": v} for k, v in docs.items()]
    (folder / "wikitimes_CEP.json").write_text(json.dumps(entries), encoding="utf-8")
    return root


def write_drafts(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


FLED = {
    "source": "wcep_sep2015",
    "doc_id": "1",
    "text": "At least 2,500 civilians fled Tine.",
    "events": ["displacement"],
    "numbers": [
        {
            "text": "2,500",
            "role": "displaced",
            "qualifier": "at_least",
            "value": 2500,
            "low": 2500,
            "high": None,
            "unit": "civilians",
        }
    ],
    "annotator": "E1",
}
SEIZED = {
    "source": "wcep_sep2015",
    "doc_id": "1",
    "text": "Rebels seized Tine.",
    "events": ["territorial-change"],
    "annotator": "E1",
}


def test_locate_sentence_counts_repeats() -> None:
    assert locate_sentence(DOCS["1"], "Rebels seized Tine.") == (0, 2)
    assert locate_sentence(DOCS["1"], "Nobody fled.") == (-1, 0)


def test_import_locates_sentences_and_keeps_no_text(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "data")
    drafts = write_drafts(tmp_path / "E1.jsonl", [FLED, SEIZED])
    report = import_drafts([drafts], root)
    assert report.errors == []
    assert report.notes == [
        f"{drafts}:2: the sentence occurs 2 times in wcep_sep2015 '1'; using the first, at offset 0"
    ]
    (where, fled), (_, seized) = report.records
    assert where == f"{drafts}:1"
    assert DOCS["1"][fled.start : fled.end] == FLED["text"]
    assert fled.sha256 == sentence_sha256(FLED["text"])
    number = fled.numbers[0]
    assert FLED["text"][number.start : number.end] == "2,500"
    assert (number.role, number.quantity.qualifier, number.quantity.high) == (
        "displaced",
        "at_least",
        None,
    )
    assert (seized.start, seized.end, seized.annotator) == (0, 19, "E1")
    out = tmp_path / "annotations"
    counts, result, problems = write_annotations(out, report.records)
    assert counts == {"wcep_sep2015": 2} and problems == [] and result.conflicts == []
    stored = (out / "wcep_sep2015.jsonl").read_text(encoding="utf-8")
    assert "2,500 civilians" not in stored and "Rebels" not in stored
    assert [json.loads(x)["start"] for x in stored.splitlines()] == [0, 20]  # sorted by offset


def test_import_reports_each_bad_line_and_goes_on(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "data")
    bad = [
        {**FLED, "doc_id": "99"},
        {**FLED, "text": "At least 2,500  civilians fled Tine."},
        {**FLED, "events": []},
        {**FLED, "source": "nope"},
        "{not json",
        {**SEIZED, "numbers": [{"text": "40", "role": None}]},
        SEIZED,
    ]
    drafts = write_drafts(tmp_path / "bad.jsonl", bad)
    report = import_drafts([drafts], root)
    assert len(report.records) == 1
    errors = "\n".join(report.errors)
    assert f"{drafts}:1: source 'wcep_sep2015' has no document '99'" in errors
    assert f"{drafts}:2: the sentence does not occur" in errors and "different whitespace" in errors
    assert (
        f"{drafts}:3: number '2,500' has role 'displaced' but the sentence lacks its event"
        in errors
    )
    assert f"{drafts}:4: unknown source 'nope'" in errors
    assert f"{drafts}:5: malformed JSON" in errors
    assert f"{drafts}:6:" in errors and "'40' does not occur" in errors


def test_merge_dedupes_and_reports_conflicts(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "data")
    first = write_drafts(tmp_path / "a.jsonl", [SEIZED])
    again = write_drafts(tmp_path / "b.jsonl", [{**SEIZED, "annotator": "E2"}])
    other = write_drafts(tmp_path / "c.jsonl", [{**SEIZED, "events": []}])
    items = import_drafts([first, again, other], root).records
    result = merge(items)
    assert len(result.records) == 1 and result.identical == 1
    assert result.records[0].events == ("territorial-change",)
    (conflict,) = result.conflicts
    assert (
        conflict.startswith(f"{other}:1: conflicts with {first}:1") and "kept the first" in conflict
    )
    assert merge(items, replace=True).records[0].events == ()


def test_write_annotations_merges_with_existing_file(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "data")
    out = tmp_path / "annotations"
    write_annotations(
        out, import_drafts([write_drafts(tmp_path / "a.jsonl", [SEIZED])], root).records
    )
    write_annotations(
        out, import_drafts([write_drafts(tmp_path / "b.jsonl", [FLED])], root).records
    )
    records, problems = read_standoff(out / "wcep_sep2015.jsonl")
    assert problems == [] and [r.start for _, r in records] == [0, 20]


def test_join_rebuilds_records_and_checks_the_hash(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "data")
    out = tmp_path / "annotations"
    write_annotations(
        out, import_drafts([write_drafts(tmp_path / "a.jsonl", [FLED, SEIZED])], root).records
    )
    result = join(out, root)
    assert result.problems == []
    fled = next(r for r in result.records if r.events == ("displacement",))
    assert fled.text == FLED["text"] and fled.numbers[0].text == "2,500"
    assert fled.known_labels is None and fled.source == "wcep_sep2015" and fled.licence
    # The corpus changes under the annotation: reported, not silently mislabelled.
    changed = {
        **DOCS,
        "1": "Rebels seized Tine. At least 2,600 civilians fled Tine. Rebels seized Tine.",
    }
    result = join(out, write_corpus(tmp_path / "changed", changed))
    assert [r.events for r in result.records] == [("territorial-change",)]
    (problem,) = result.problems
    assert problem.startswith(f"{out / 'wcep_sep2015.jsonl'}:2: sha256 mismatch")


def test_join_reports_bad_lines_and_missing_documents(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "data")
    good = StandoffRecord("x", "wcep_sep2015", "2", 0, 41, sentence_sha256(DOCS["2"][:41]))
    path = tmp_path / "wcep_sep2015.jsonl"
    lines = [
        json.dumps(good.to_dict()),
        json.dumps({**good.to_dict(), "doc_id": "7"}),
        json.dumps({**good.to_dict(), "end": 400}),
        json.dumps({**good.to_dict(), "numbers": [{"start": 0, "end": 90}]}),
        json.dumps({**good.to_dict(), "extra": 1}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = join(path, index=DocumentIndex(root))
    assert [r.text for r in result.records] == ["Shelling hit the main hospital in Aldier."]
    assert [p.split(": ", 1)[0] for p in result.problems] == [f"{path}:{n}" for n in (4, 5, 2, 3)]


def test_run_import_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_corpus(tmp_path / "data")
    drafts = write_drafts(tmp_path / "a.jsonl", [SEIZED, {**SEIZED, "doc_id": "99"}])
    args = argparse.Namespace(
        drafts=[str(drafts)], data_dir=str(root), out=str(tmp_path / "ann"), replace=False
    )
    assert run_import(args) == 1
    captured = capsys.readouterr()
    assert "1 records" in captured.out and f"{drafts}:2:" in captured.err
    assert (tmp_path / "ann" / "wcep_sep2015.jsonl").is_file()


def test_standoff_record_round_trip() -> None:
    data = {
        "id": "s:1:0-5",
        "source": "s",
        "doc_id": "1",
        "start": 0,
        "end": 5,
        "sha256": "ab",
        "events": ["casualty"],
        "numbers": [
            {
                "start": 0,
                "end": 1,
                "value": 5,
                "low": 5,
                "high": 5,
                "qualifier": "exact",
                "role": "killed",
                "unit": None,
            }
        ],
        "licence": "CC BY 4.0",
        "annotator": "E1",
    }
    record = StandoffRecord.from_dict(data)
    assert StandoffRecord.from_dict(record.to_dict()) == record
    assert record.to_dict()["numbers"][0]["value"] == 5.0
