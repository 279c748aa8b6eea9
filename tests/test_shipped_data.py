"""The data the project ships: the written corpus and the real-text annotations meet their minimums."""

from __future__ import annotations

from pathlib import Path

from conflict_events.inference.labels import LabelSchema
from conflict_events.training.validate import (
    CorpusMinimums,
    CorpusStats,
    default_normaliser,
    validate_files,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = sorted((REPO / "data" / "corpus").glob("*.jsonl"))


def test_written_corpus_validates_and_meets_the_minimums():
    assert [p.name for p in CORPUS] == ["dev.jsonl", "test.jsonl", "train.jsonl"]
    report = validate_files(CORPUS, normaliser=default_normaliser())
    assert [str(p) for p in report.problems] == []
    stats = CorpusStats.from_records((x.record for x in report.records), LabelSchema.default())
    assert CorpusMinimums().shortfalls(stats) == []
    assert stats.records >= 2500 and stats.no_event_share >= 0.35


def test_real_text_annotations_meet_the_issue_minimums(shared_data):
    from conflict_events.training.heldout import HeldOut
    from conflict_events.training.sources import SOURCES
    from conflict_events.training.standoff import join

    result = join(REPO / "data" / "annotations", shared_data)
    assert result.problems == []
    records = result.records
    stats = CorpusStats.from_records(records, LabelSchema.default())
    assert stats.records >= 6500
    assert min(stats.events.values()) >= 300
    assert stats.numbers >= 800
    assert stats.no_event_share >= 0.35
    assert {r.source for r in records} == set(SOURCES)  # every registered source is annotated
    permissive = {name for name, info in SOURCES.items() if info.permissive}
    assert sum(r.source in permissive for r in records) >= 3000
    # WikiEvents is evaluation only: every one of its annotated sentences is held out
    wiki = [r for r in records if r.source == "wikievents"]
    assert len(wiki) >= 800 and len(HeldOut.load().heldout_records(wiki)) == len(wiki)


def test_reporting_corpus_is_what_its_drafts_build(tmp_path):
    """data/reporting/*.jsonl are build outputs: a hand edit of a split, or a draft added without
    rebuilding, shows here (rebuild with `conflict-events data build-written
    data/reporting/drafts --out data/reporting`)."""
    from conflict_events.training.corpus import SPLITS, build_written, draft_files
    from conflict_events.training.records import write_records

    drafts = draft_files([REPO / "data" / "reporting" / "drafts"])
    corpus = build_written(drafts, normaliser=default_normaliser())
    assert corpus.bad == []
    for name in SPLITS:
        write_records(tmp_path / f"{name}.jsonl", corpus.splits[name])
        built = (tmp_path / f"{name}.jsonl").read_text(encoding="utf-8")
        shipped = (REPO / "data" / "reporting" / f"{name}.jsonl").read_text(encoding="utf-8")
        assert built == shipped, f"data/reporting/{name}.jsonl differs from its drafts' build"
