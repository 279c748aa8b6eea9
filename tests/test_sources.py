"""Readers, sentence candidates and converters of the public corpora, on tiny corpora the tests
write themselves in each corpus's layout (every sentence here is the project's own)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from conflict_events.training.heldout import HeldOut
from conflict_events.training.sources import (
    SOURCES,
    SourceDocument,
    SourceError,
    iter_documents,
)
from conflict_events.training.sources.cli import main as sources_main
from conflict_events.training.sources.convert import CANDIDATE_ONLY, CONVERTIBLE, convert
from conflict_events.training.sources.mapping import counts_in, matches, parse_number, unit_after
from conflict_events.training.sources.sentences import document_sentences, sentence_spans

# --- tiny corpora in the real layouts -------------------------------------------------------


def write_re3d(root: Path) -> None:
    docs = {
        "CENTCOM": [("C1", "Coalition strikes hit two bridges. Some 40 fighters were killed.")],
        "BBC Online": [("B1", "Rebels seized the town of Tine. About 300 families fled.")],
    }
    for publisher, items in docs.items():
        folder = root / "re3d" / publisher
        folder.mkdir(parents=True)
        lines = [json.dumps({"_id": i, "sourceName": publisher, "text": t}) for i, t in items]
        (folder / "documents.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
        text = items[0][1]
        start = text.index("40") if "40" in text else text.index("300")
        entity = {"begin": start, "end": start + 2, "type": "Quantity", "documentId": items[0][0]}
        (folder / "entities.json").write_text(json.dumps(entity) + "\n", encoding="utf-8")


def write_wcep(root: Path) -> None:
    folder = root / "wcep_sep2015" / "wikipedia"
    folder.mkdir(parents=True)
    entries = [
        {
            "id": "9",
            "description": "Gunmen kill five guards at a depot. ",
            "category": {"name": "War_Conflict"},
        },
        {
            "id": "10",
            "description": "A new bridge opens in the capital.",
            "category": {"name": "Business"},
        },
    ]
    (folder / "wikitimes_CEP.json").write_text(json.dumps(entries), encoding="utf-8")


DISASTER_COLUMNS = ["id", "split", "message", "original", "genre", "refugees", "death", "event"]


def write_disaster(root: Path, rows: list[dict[str, str]] | None = None) -> None:
    folder = root / "disaster_response_messages"
    folder.mkdir(parents=True)
    rows = rows or [
        {"id": "1", "message": "Floods killed 12 people in the valley.", "death": "1"},
        {"id": "2", "message": "We need water and rice in the north.", "death": "0"},
        {"id": "2", "message": "We need water and rice in the north.", "death": "0"},
        {"id": "3", "message": "Many families are refugees near the river now.", "refugees": "1"},
        {"id": "4", "message": "Several people died in the storm last night.", "death": "0"},
        {"id": "5", "message": "Pray for the town, the storm took everything.", "death": "1"},
    ]
    for name, split in (
        ("disaster_response_test.csv", "test"),
        ("disaster_response_validation.csv", "validation"),
    ):
        with (folder / name).open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, DISASTER_COLUMNS)
            writer.writeheader()
            for row in rows if split == "test" else []:
                full = {c: "0" for c in DISASTER_COLUMNS} | {
                    "split": split,
                    "genre": "news",
                    "original": "",
                }
                writer.writerow(full | row)


def write_crisislex(root: Path) -> None:
    folder = root / "crisislext26" / "data" / "CrisisLexT26" / "2013_Test_floods"
    folder.mkdir(parents=True)
    (folder / "2013_Test_floods-tweets_labeled.csv").write_text(
        "Tweet ID, Tweet Text, Information Source, Information Type, Informativeness\n"
        '"111","Two bridges washed away near the old mill",Media,Infrastructure and utilities,Related and informative\n',
        encoding="utf-8",
    )


IDMC_HEADER = [
    "Country_or_region",
    "URL",
    "Tag",
    "Excerpt",
    "Mentions",
    "Displacement figure",
    "Reporting term",
    "Reporting unit",
    "Specific location",
    "Location (Country)",
]


def write_internal_displacement(root: Path) -> None:
    import openpyxl

    folder = root / "internal-displacement" / "data"
    folder.mkdir(parents=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["excerpt_id", "excerpt", "Quantity", "Term", "Unit", "Location", "Country"])
    sheet.append(
        [
            1.0,
            "Some 2,500 people fled Kalehe after the floods.",
            2500.0,
            "Forced to Flee",
            "People",
            "Kalehe",
            "COD",
        ]
    )
    book.save(folder / "IDETECT_test_dataset-NLP.xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(IDMC_HEADER)
    rows = [
        (
            "Storms hit the coast. More than 1,200 families were evacuated from Tolo.",
            "1200",
            "Evacuated",
            "Households",
        ),
        ("The storm destroyed 80 houses in Tolo.", "80", "Destroyed Housing", "Households"),
        ("Unas 300 personas de la zona fueron evacuadas.", "300", "Evacuated", "People"),
        ("About 700 residents were displaced in Kibu.", "900", "Displaced", "People"),
    ]
    for text, figure, term, unit in rows:
        sheet.append(
            ["X", "http://example.org", "Disasters", text, "Y", figure, term, unit, "Tolo", "X"]
        )
    book.save(folder / "IDMC_fully_labelled.csv.xlsx")


def write_humset(root: Path) -> None:
    texts = root / "humset_quantity_isi" / "Data" / "text_sources"
    truth = root / "humset_quantity_isi" / "Data" / "GroundTruthISI"
    texts.mkdir(parents=True)
    truth.mkdir(parents=True)
    text = (
        "Clashes killed 14 civilians in Bura. Over 3,000 people fled to Gadi. "
        "Partners distributed kits to 500 households. Prices rose by 12 per cent."
    )
    (texts / "a1_1.txt").write_text(text, encoding="utf-8")
    (texts / "a1_2.txt").write_text("No annotation here.", encoding="utf-8")

    def ann(quantity: str, unit: str, event: str, modifier: str | None = None) -> dict:
        q = text.index(quantity)
        item = {
            "quantity": {"text": quantity, "begin": q, "end": q + len(quantity)},
            "unit": {
                "text": unit,
                "begin": text.index(unit, q),
                "end": text.index(unit, q) + len(unit),
            },
            "eventDescription": {"text": event, "begin": 0, "end": 1},
            "eventType": "EventP",
        }
        if modifier:
            m = text.index(modifier)
            item["modifier"] = {"text": modifier, "begin": m, "end": m + len(modifier)}
        return item

    annotations = [
        ann("14", "civilians", "killed"),
        ann("3,000", "people", "fled", "Over"),
        ann("500", "households", "distributed"),
        ann("12 per cent", "cent", "rose"),
    ]
    (truth / "a1_1.txt.json").write_text(json.dumps(annotations), encoding="utf-8")


def write_case(root: Path) -> None:
    folder = root / "case2021_task2" / "task2" / "test_dataset"
    folder.mkdir(parents=True)
    rows = [
        ("1", "Rebels overran the border post at dawn.", "NON_STATE_ACTOR_OVERTAKES_TER"),
        ("2", "Government troops retook the hill town of Sabo.", "GOV_REGAINS_TERIT"),
        ("4", 'An air strike hit a "market" in the east.', "AIR_STRIKE"),
    ]
    lines = ["id\tEventSnippet\tSubType"] + ["\t".join(r) for r in rows]
    (folder / "test_set_final_release_with_labels.tsv").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )


def write_fakes(root: Path) -> None:
    folder = root / "fakes_syria" / "input"
    folder.mkdir(parents=True)
    header = "unit_id,article_title,article_content,source,date,location,actor,cause_of_death,nb_children,nb_civilians,nb_noncivilians,nb_women,label\n"
    body = (
        '7,Strike,"Mon 1 May Strike kills 9. An air strike killed nine civilians and wounded 30 in Dael \x95 officials said.",'
        "x,5/1/17,dael,army,shelling,0,9,0,0,1\n"
        '7,Strike,"Mon 1 May Strike kills 9. An air strike killed nine civilians and wounded 30 in Dael \x95 officials said.",'
        "x,5/1/17,dael,army,shelling,0,9,0,0,1\n"
        '8,Clash,"Fighting went on. Some 30 people were wounded in Inkhil.",x,5/2/17,inkhil,army,shooting,0,30,0,0,0\n'
    )
    (folder / "fakes.csv").write_bytes(
        (header + body).encode("utf-8").replace(b"\xc2\x95", b"\x95")
    )


def write_ipe(root: Path) -> None:
    folder = root / "indiapoliceevents" / "data" / "final"
    folder.mkdir(parents=True)
    rows = [
        ("0", "21", "1", "two men died when police opened fire on the crowd.", "1"),
        ("1", "21", "0", "lucknow:\n\n", "0"),
        ("2", "21", "2", "the minister visited the flood areas on monday.", "0"),
        ("3", "21", "3", "a guard was injured in the blast near the gate.", "0"),
        ("4", "22", "0", "police arrested ten people after the protest march.", "0"),
    ]
    with (folder / "sents.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["", "doc_id", "sent_id", "sent_text", "KILL", "ARREST", "ANY_ACTION", "FAIL", "FORCE"]
        )
        for index, doc, sent, text, kill in rows:
            writer.writerow([index, doc, sent, text, kill, "0", kill, "0", "0"])


def write_conflibert(root: Path) -> None:
    satp = root / "conflibert" / "data" / "satp_relevant"
    muc = root / "conflibert" / "data" / "muc4"
    satp.mkdir(parents=True)
    muc.mkdir(parents=True)
    for split in ("train", "dev", "test"):
        (satp / f"{split}.tsv").write_text(
            f"Militants attacked a {split} camp.\t1\t0\t0\t0\n", encoding="utf-8"
        )
        (muc / f"{split}.json").write_text(
            json.dumps(
                {f"{split.upper()}-1": {"doc": "GUERRILLAS BLEW UP A POWER TOWER.", "roles": {}}}
            ),
            encoding="utf-8",
        )


def write_toponyms(root: Path) -> None:
    folder = root / "humset_toponym_texts"
    folder.mkdir(parents=True)
    entries = [
        {
            "lead_id": 77,
            "source": "http://example.org",
            "text": "Floods hit Kiri. 40 families fled.",
            "annotations": "[]",
        }
    ]
    (folder / "toponym_annotations.json").write_text(json.dumps(entries), encoding="utf-8")


# GENEVA, PLOVER and WikiEvents come as fixture files in their own layouts (tests/fixtures).
EVENT_FIXTURES = Path(__file__).parent / "fixtures" / "event_sources"


def copy_fixture(name: str):
    def write(root: Path) -> None:
        shutil.copytree(EVENT_FIXTURES / name, root / name)

    return write


WRITERS = {
    "re3d": write_re3d,
    "wcep_sep2015": write_wcep,
    "disaster_response_messages": write_disaster,
    "crisislext26": write_crisislex,
    "internal-displacement": write_internal_displacement,
    "humset_quantity_isi": write_humset,
    "case2021_task2": write_case,
    "fakes_syria": write_fakes,
    "indiapoliceevents": write_ipe,
    "conflibert": write_conflibert,
    "humset_toponym_texts": write_toponyms,
    "geneva": copy_fixture("geneva"),
    "plover_gsr": copy_fixture("plover_gsr"),
    "wikievents": copy_fixture("wikievents"),
}


@pytest.fixture()
def corpora(tmp_path: Path) -> Path:
    for write in WRITERS.values():
        write(tmp_path)
    return tmp_path


def docs(name: str, root: Path) -> dict[str, SourceDocument]:
    found = list(iter_documents(name, root))
    ids = [d.doc_id for d in found]
    assert len(ids) == len(set(ids)), f"{name}: doc ids must be unique"
    return {d.doc_id: d for d in found}


# --- readers ---------------------------------------------------------------------------------


def test_every_registered_source_has_a_fixture_and_reads() -> None:
    assert set(WRITERS) == set(SOURCES)


def test_re3d_ids_licences_and_quantities(corpora: Path) -> None:
    found = docs("re3d", corpora)
    assert set(found) == {"CENTCOM/C1", "BBC Online/B1"}
    assert found["CENTCOM/C1"].permissive and not found["BBC Online/B1"].permissive
    assert "NC" in found["BBC Online/B1"].licence
    ((start, end),) = found["CENTCOM/C1"].meta["quantities"]
    assert found["CENTCOM/C1"].text[start:end] == "40"


def test_disaster_repeated_ids_are_suffixed_not_dropped(corpora: Path) -> None:
    found = docs("disaster_response_messages", corpora)
    assert {"test/2", "test/2~2"} <= set(found)
    assert found["test/2~2"].meta["id_occurrence"] == 2
    assert found["test/1"].meta["labels"] == ["death"]
    assert found["test/1"].permissive


def test_fakes_reads_stray_windows_bytes(corpora: Path) -> None:
    found = docs("fakes_syria", corpora)
    assert set(found) == {"7", "7~2", "8"}
    assert "Dael \u2022 officials" in found["7"].text


def test_indiapoliceevents_joins_sentences_with_offsets(corpora: Path) -> None:
    found = docs("indiapoliceevents", corpora)
    doc = found["21"]
    spans = document_sentences(doc)
    texts = [doc.text[s:e] for s, e in spans]
    assert texts[0] == "lucknow:"  # sent_id order, not file order
    assert texts[1].startswith("two men died")
    kill = [s for s in doc.meta["sentences"] if "KILL" in s["labels"]]
    assert [doc.text[s["start"] : s["end"]] for s in kill] == [texts[1]]


def test_other_readers(corpora: Path) -> None:
    assert set(docs("wcep_sep2015", corpora)) == {"9", "10"}
    assert set(docs("crisislext26", corpora)) == {"2013_Test_floods/111"}
    ids = set(docs("internal-displacement", corpora))
    assert "data/IDETECT_test_dataset-NLP.xlsx#1" in ids
    assert "data/IDMC_fully_labelled.csv.xlsx#2" in ids
    humset = docs("humset_quantity_isi", corpora)
    assert len(humset["a1_1"].meta["annotations"]) == 4 and humset["a1_2"].meta["annotations"] == []
    case = docs("case2021_task2", corpora)
    assert case["4"].text == 'An air strike hit a "market" in the east.'
    assert set(docs("conflibert", corpora)) >= {"satp_relevant/dev.tsv#1", "muc4/TEST-1"}
    assert set(docs("humset_toponym_texts", corpora)) == {"77"}


def test_geneva_reads_one_document_per_sentence(corpora: Path) -> None:
    geneva = docs("geneva", corpora)
    assert list(geneva) == ["901_1_11", "901_1_12", "901_1_13", "902_7_3", "902_7_4", "902_7_5"]
    doc = geneva["902_7_4"]
    assert doc.permissive and doc.licence.startswith("CC BY 3.0")
    assert doc.meta["document"] == "902_7"
    # the record is one sentence: its span is the whole text without the trailing space
    assert document_sentences(doc) == [(0, len(doc.text) - 1)]
    assert doc.meta["events"][0]["arguments"][1] == {"role": "Theme", "text": "200 residents"}


def test_geneva_reads_data_files_without_the_union(tmp_path: Path) -> None:
    folder = tmp_path / "geneva" / "data"
    folder.mkdir(parents=True)
    one = {
        "doc_id": "7_1",
        "wnd_id": "7_1_1",
        "sentence": "Two bridges were shelled .",
        "event_mentions": [],
    }
    two = {**one, "wnd_id": "7_1_2", "sentence": "The port reopened ."}
    again = {**one, "sentence": "A different sentence under the same id ."}
    (folder / "val.json").write_text(json.dumps(one) + "\n" + json.dumps(two) + "\n", "utf-8")
    (folder / "test.json").write_text(json.dumps([two, again]), "utf-8")  # a JSON array
    read = docs("geneva", tmp_path)  # files in name order: test.json, then val.json
    assert list(read) == ["7_1_2", "7_1_1", "7_1_1~2"]  # the repeat of 7_1_2 is read once
    assert (read["7_1_1"].text, read["7_1_1~2"].text) == (again["sentence"], one["sentence"])
    (folder / "val.json").write_text('{"doc_id": "7_1"}\n', "utf-8")
    with pytest.raises(SourceError, match=r"val.json:1: no wnd_id or sentence"):
        docs("geneva", tmp_path)


def test_plover_skips_the_documentation_record_and_suffixes_a_repeated_id(corpora: Path) -> None:
    plover = docs("plover_gsr", corpora)
    assert list(plover) == [
        "PLOVER-GSR01-ASSAULT-0001",
        "PLOVER-GSR01-RETREAT-0001",
        "PLOVER-GSR01-COERCE-0001",
        "PLOVER-GSR01-AGREE-0001",
        "PLOVER-GSR01-COERCE-0001~2",
    ]
    assert plover["PLOVER-GSR01-ASSAULT-0001"].meta["dead"] == 6
    assert plover["PLOVER-GSR01-COERCE-0001~2"].meta["mode"] == "detain"
    assert all(d.permissive and d.licence.startswith("CC BY-SA 4.0") for d in plover.values())


def test_wikievents_finds_sentences_by_text_not_by_drifting_token_offsets(corpora: Path) -> None:
    wiki = docs("wikievents", corpora)
    assert list(wiki) == [
        "data/wikievents/dev.jsonl#scenario_en_1",
        "data/wikievents/test.jsonl#scenario_en_2",
    ]
    doc = wiki["data/wikievents/dev.jsonl#scenario_en_1"]
    assert not doc.permissive
    assert [doc.text[s:e] for s, e in document_sentences(doc)] == [
        "Blast hits clinic in Marsa",
        "The explosion damaged the clinic and injured five nurses, officials said.",
        "Dozens of families were evacuated from the district overnight.",
    ]
    assert doc.meta["events"][0]["arguments"][0] == {
        "role": "Target",
        "text": "clinic",
        "entity_type": "FAC",
    }


def test_missing_corpus_and_bad_line_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="re3d"):
        list(iter_documents("re3d", tmp_path))
    folder = tmp_path / "re3d" / "CENTCOM"
    folder.mkdir(parents=True)
    (folder / "documents.json").write_text(
        '{"_id": "1", "text": "ok"}\n{broken\n', encoding="utf-8"
    )
    with pytest.raises(SourceError, match=r"documents\.json:2: malformed JSON"):
        list(iter_documents("re3d", tmp_path))
    with pytest.raises(SourceError, match="unknown source"):
        list(iter_documents("nope", tmp_path))


# --- sentences and the dump command ------------------------------------------------------------


def test_sentence_spans_keep_abbreviations_and_split_paragraphs() -> None:
    text = "Gen. Smith said U.S. forces left Hit. Some 40 people fled.\n\nNo one was hurt"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Gen. Smith said U.S. forces left Hit.",
        "Some 40 people fled.",
        "No one was hurt",
    ]


def test_dump_prints_offsets_into_the_document(
    corpora: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sources_main(["dump", "re3d", "--data-dir", str(corpora), "--grep", "killed"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1
    doc = docs("re3d", corpora)[lines[0]["doc_id"]]
    assert (
        doc.text[lines[0]["start"] : lines[0]["end"]]
        == lines[0]["text"]
        == "Some 40 fighters were killed."
    )
    assert (
        sources_main(
            ["dump", "re3d", "--data-dir", str(corpora), "--permissive-only", "--limit", "1"]
        )
        == 0
    )
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["doc_id"] == "CENTCOM/C1"


def test_list_counts_documents(corpora: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sources_main(["list", "--data-dir", str(corpora)]) == 0
    rows = {r["source"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["wcep_sep2015"]["documents"] == 2 and rows["wcep_sep2015"]["permissive"]
    assert rows["fakes_syria"]["documents"] == 3 and not rows["fakes_syria"]["permissive"]


# --- number helpers ----------------------------------------------------------------------------


def test_number_helpers() -> None:
    text = "On Dec. 22, at least 1,200 people and some 15 villages; 20-30 more in 2011"
    counts = counts_in(text)  # the date and the year are not counts
    assert [n.text for n in counts] == ["1,200", "15", "20-30"]
    assert matches(counts[0], 1200.0) and matches(counts[2], 30.0) and not matches(counts[1], 20.0)
    assert unit_after(text, counts[0].end) == "people"
    assert unit_after("nearly 70,000 have been left homeless", 13) is None
    assert parse_number("2,500.0") == 2500.0 and parse_number("n/a") is None


# --- converters --------------------------------------------------------------------------------


MANIFEST = HeldOut.from_dict(
    {
        "version": 1,
        "files": [
            {
                "source": "internal-displacement",
                "path": "internal-displacement/data/IDETECT_test_dataset-NLP.xlsx",
                "doc_id_prefix": "data/IDETECT_test_dataset-NLP.xlsx#",
            }
        ],
        "rules": [{"source": "case2021_task2", "rule": "odd-id"}],
    }
)


def converted(source: str, root: Path, **kwargs: object):
    return convert(source, root, heldout=MANIFEST, **kwargs)


def test_idmc_converter_locates_the_figure(corpora: Path) -> None:
    result = converted("internal-displacement", corpora)
    assert result.heldout_documents == 1  # the IDETECT file
    (record,) = result.records
    assert record.text == "More than 1,200 families were evacuated from Tolo."
    assert record.events == ("displacement",)
    (number,) = record.numbers
    assert (number.text, number.value, number.low, number.high) == ("1,200", 1200.0, 1200.0, None)
    assert (number.qualifier.value, number.role, number.unit) == (
        "at_least",
        "displaced",
        "families",
    )
    assert set(record.known_labels) == {"displacement", "displaced"}
    assert set(result.skipped) == {
        "reporting term 'Destroyed Housing' is not displacement",
        "excerpt is not in English",
        "figure not found in the text",
    }
    with_heldout = converted("internal-displacement", corpora, include_heldout=True)
    assert any(r.text.startswith("Some 2,500 people fled") for r in with_heldout.records)


def test_humset_converter_maps_roles_and_keeps_role_negatives(corpora: Path) -> None:
    records = {r.text: r for r in converted("humset_quantity_isi", corpora).records}
    killed = records["Clashes killed 14 civilians in Bura."]
    assert killed.events == ("casualty",) and killed.numbers[0].role == "killed"
    assert "casualty" in killed.known_labels and "displacement" not in killed.known_labels
    fled = records["Over 3,000 people fled to Gadi."].numbers[0]
    assert (fled.role, fled.qualifier.value, fled.value, fled.high) == (
        "displaced",
        "at_least",
        3000.0,
        None,
    )
    aid = records["Partners distributed kits to 500 households."]
    assert aid.events == () and aid.numbers == () and "displaced" in aid.known_labels
    assert records["Prices rose by 12 per cent."].numbers == ()
    assert "No annotation here." not in records


def test_case_converter_holds_out_odd_ids(corpora: Path) -> None:
    result = converted("case2021_task2", corpora)
    assert result.heldout_documents == 1
    by_doc = {r.doc_id: r for r in result.records}
    assert set(by_doc) == {"2", "4"}
    assert by_doc["2"].events == ("territorial-change",) and by_doc["4"].events == ()
    assert all(r.known_labels == ("territorial-change",) for r in result.records)
    evaluation = converted("case2021_task2", corpora, heldout_only=True)
    assert [(r.doc_id, r.events) for r in evaluation.records] == [("1", ("territorial-change",))]


def test_disaster_converter_needs_an_event_phrase(corpora: Path) -> None:
    result = convert(
        "disaster_response_messages", corpora, heldout=HeldOut.from_dict({"version": 1})
    )
    by_text = {r.text: r for r in result.records}
    assert by_text["Floods killed 12 people in the valley."].events == ("casualty",)
    assert by_text["We need water and rice in the north."].events == ()
    assert result.repeated_text == 1  # the repeated message is kept once
    assert "Many families are refugees near the river now." not in by_text
    assert "Several people died in the storm last night." not in by_text  # death=0 but a death
    assert "Pray for the town, the storm took everything." not in by_text  # death=1, no event
    assert set(result.skipped) == {
        "refugees=1 (taken as negatives only)",
        "death=0 but the message mentions the topic",
        "death=1 without an event phrase",
    }


def test_indiapoliceevents_converter(corpora: Path) -> None:
    manifest = HeldOut.from_dict({"version": 1})
    result = convert("indiapoliceevents", corpora, heldout=manifest)
    by_text = {r.text: r for r in result.records}
    assert by_text["two men died when police opened fire on the crowd."].events == ("casualty",)
    assert by_text["the minister visited the flood areas on monday."].events == ()
    assert "a guard was injured in the blast near the gate." not in by_text
    assert "lucknow:" not in by_text
    assert all(r.known_labels == ("casualty",) for r in result.records)


def test_fakes_converter_takes_counts_next_to_death_words(corpora: Path) -> None:
    result = convert("fakes_syria", corpora, heldout=HeldOut.from_dict({"version": 1}))
    texts = sorted(r.text for r in result.records)
    assert texts == [
        "An air strike killed nine civilians and wounded 30 in Dael \u2022 officials said.",
        "Mon 1 May Strike kills 9.",
    ]
    assert result.repeated_text == 2  # the article coded twice
    record = next(r for r in result.records if r.text.startswith("An air"))
    assert [(n.text, n.role, n.value) for n in record.numbers] == [("nine", "killed", 9.0)]
    assert result.skipped["count not found next to a death word"] == 1  # "30 ... wounded"


def by_text(records) -> dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]]:
    return {r.text: (r.events, r.known_labels) for r in records}


def test_geneva_converter_suggests_candidates_from_frames(corpora: Path) -> None:
    result = converted("geneva", corpora)
    assert by_text(result.records) == {
        "Gunmen killed four farmers near Dori on Sunday .": (("casualty",), ("casualty",)),
        "The rebels conquered the hill town of Abri in 1890 .": (
            ("territorial-change",),
            ("territorial-change",),
        ),
        "Raiders attacked the water station outside the town .": (
            ("attack-on-infrastructure",),
            ("attack-on-infrastructure",),
        ),
        "Firefighters evacuated 200 residents from the valley .": (
            ("displacement",),
            ("displacement",),
        ),
    }
    # an attack on a convoy names no facility; a sentence without frames maps to nothing
    assert result.skipped == {"no frame mapped to an event": 2}


def test_plover_converter_maps_event_and_mode(corpora: Path) -> None:
    result = converted("plover_gsr", corpora)
    assert by_text(result.records) == {
        "A car bomb killed six people outside the central market of Garo.": (
            ("attack-on-infrastructure", "casualty"),
            ("attack-on-infrastructure", "casualty"),
        ),
        "Government troops withdrew from the border post of Kelo on Tuesday.": (
            ("territorial-change",),
            ("territorial-change",),
        ),
        "Militia fighters burned the district clinic in Upper Tomi.": (
            ("attack-on-infrastructure",),
            ("attack-on-infrastructure",),
        ),
    }
    assert result.skipped == {
        "PLOVER event AGREE not mapped": 1,
        "PLOVER event COERCE not mapped": 1,
    }


def test_wikievents_converter_reaches_only_the_evaluation_set(corpora: Path) -> None:
    held = HeldOut.load()  # the repository manifest holds out both WikiEvents files
    assert converted("wikievents", corpora).heldout_documents == 0  # MANIFEST lacks the rule
    refused = convert("wikievents", corpora, heldout=held)
    assert (refused.records, refused.heldout_documents) == ([], 2)
    result = convert("wikievents", corpora, heldout=held, heldout_only=True)
    assert by_text(result.records) == {
        "Blast hits clinic in Marsa": (
            ("attack-on-infrastructure",),
            ("attack-on-infrastructure",),
        ),
        "The explosion damaged the clinic and injured five nurses, officials said.": (
            ("casualty",),
            ("casualty",),
        ),
        "Dozens of families were evacuated from the district overnight.": (
            ("displacement",),
            ("displacement",),
        ),
        # the ambush targets soldiers (PER), not a facility: casualty only
        "Two soldiers died in an ambush near Tora.": (("casualty",), ("casualty",)),
    }
    record = result.records[0]
    assert record.id == f"wikievents:{record.doc_id}:0-26"


def test_candidate_converters_stay_out_of_prepare() -> None:
    assert set(CANDIDATE_ONLY) == {"geneva", "plover_gsr", "wikievents"}
    assert not set(CANDIDATE_ONLY) & set(CONVERTIBLE)


def test_convert_rejects_a_source_without_converter(corpora: Path) -> None:
    assert "re3d" not in CONVERTIBLE
    with pytest.raises(SourceError, match="no converter"):
        convert("re3d", corpora, heldout=MANIFEST)


# --- the real corpora ---------------------------------------------------------------------------


@pytest.mark.shared_data
def test_shared_corpora_read_with_unique_ids(shared_data: Path) -> None:
    expected = {
        "re3d": 98,
        "wcep_sep2015": 428,
        "crisislext26": 27933,
        "internal-displacement": 445,
        "humset_quantity_isi": 780,
        "case2021_task2": 1019,
        "fakes_syria": 804,
        "indiapoliceevents": 1257,
        "conflibert": 3250,
        "humset_toponym_texts": 467,
        "geneva": 3679,
        "plover_gsr": 322,
        "wikievents": 40,
    }
    for name, count in expected.items():
        assert len(docs(name, shared_data)) == count, name
    assert sum(d.permissive for d in docs("re3d", shared_data).values()) == 90


@pytest.mark.shared_data
def test_shared_converters_produce_valid_records(shared_data: Path) -> None:
    from conflict_events.inference.labels import LabelSchema

    schema = LabelSchema.default()
    for source in CONVERTIBLE + CANDIDATE_ONLY:
        result = convert(source, shared_data, heldout_only=source == "wikievents")
        assert result.records, source
        for record in result.records:
            schema.check_events(record.events, record.id)
            for number in record.numbers:
                assert record.text[number.start : number.end] == number.text
                schema.check_role(number.role, record.id)
