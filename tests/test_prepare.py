"""The held-out manifest and ``data prepare`` (annotations + converters → train/dev/test), on
tiny corpora the test writes (sentences written by the project)."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path

import pytest

from conflict_events.training.corpus import split_for
from conflict_events.training.heldout import HeldOut, HeldOutError, default_manifest, document_group
from conflict_events.training.prepare import prepare, run
from conflict_events.training.records import Record, read_records
from conflict_events.training.standoff import import_drafts, write_annotations

HELD = HeldOut.load()


def ids_in_split(source: str, split: str, prefix: str = "", count: int = 1) -> list[str]:
    """Doc ids (``prefix`` + a number) that the repository manifest puts in ``split``."""
    found = []
    n = 0
    while len(found) < count:
        n += 1
        if HELD.split(source, f"{prefix}{n}") == split:
            found.append(str(n))
    return found


# --- the manifest ------------------------------------------------------------------------------


def test_default_manifest_rules() -> None:
    assert default_manifest().is_file()
    assert HELD.is_heldout("internal-displacement", "data/IDETECT_test_dataset-NLP.xlsx#4")
    assert HELD.reason("case2021_task2", "13") == "case2021_task2 odd id"
    assert HELD.reason("case2021_task2", "2") in (None, "real-text test document (hash split)")
    for doc_id in ("11", "12", "13", "14", "15"):
        key = document_group("indiapoliceevents", doc_id)
        expected = (
            split_for(key, (0.7, 0.0, 0.3)) == "test" or split_for(key, (0.8, 0.1, 0.1)) == "test"
        )
        assert HELD.is_heldout("indiapoliceevents", doc_id) == expected


def test_realtext_split_follows_the_documented_hash() -> None:
    for n in range(40):
        doc_id = f"CENTCOM/{n}"
        assert HELD.split("re3d", doc_id) == split_for(f"re3d/{doc_id}", (0.8, 0.1, 0.1))
    # a repeat of a document ("~2") shares its original's split
    assert HELD.split("fakes_syria", "1926479049~2") == HELD.split("fakes_syria", "1926479049")
    with pytest.raises(HeldOutError, match="not split"):
        HELD.split("written", "w-1")


def test_check_file_and_refuse(tmp_path: Path) -> None:
    with pytest.raises(HeldOutError, match="held-out file"):
        HELD.check_file(
            tmp_path / "internal-displacement" / "data" / "IDETECT_test_dataset-NLP.xlsx"
        )
    HELD.check_file(tmp_path / "internal-displacement" / "data" / "IDMC_fully_labelled.csv.xlsx")
    odd = Record(id="c1", text="Rebels took the town.", source="case2021_task2", doc_id="7")
    written = Record(id="w1", text="Rebels took the town.", source="written", doc_id="7")
    HELD.refuse([written])
    with pytest.raises(HeldOutError, match=r"1 held-out record\(s\): c1 \(case2021_task2 odd id\)"):
        HELD.refuse([written, odd])


def test_wikievents_is_held_out_as_whole_files(tmp_path: Path) -> None:
    for name in ("dev", "test"):
        doc_id = f"data/wikievents/{name}.jsonl#scenario_en_1"
        assert HELD.reason("wikievents", doc_id) == (
            f"in held-out file wikievents/data/wikievents/{name}.jsonl"
        )
        assert HELD.split("wikievents", doc_id) == "test"
        with pytest.raises(HeldOutError, match="held-out file"):
            HELD.check_file(tmp_path / "wikievents" / "data" / "wikievents" / f"{name}.jsonl")
    record = Record(
        id="wikievents:data/wikievents/dev.jsonl#scenario_en_1:0-26",
        text="Blast hits clinic in Marsa",
        source="wikievents",
        doc_id="data/wikievents/dev.jsonl#scenario_en_1",
    )
    with pytest.raises(HeldOutError, match="in held-out file wikievents/data/wikievents/dev"):
        HELD.refuse([record])
    # GENEVA and PLOVER are split like the other real text: no document is held out whole
    assert HELD.split("geneva", "901_1_11") == split_for("geneva/901_1_11", (0.8, 0.1, 0.1))
    assert HELD.split("plover_gsr", "PLOVER-GSR01-AGREE-0001~2") == HELD.split(
        "plover_gsr", "PLOVER-GSR01-AGREE-0001"
    )


def test_manifest_errors(tmp_path: Path) -> None:
    with pytest.raises(HeldOutError, match="not found"):
        HeldOut.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('version = 1\n[[rules]]\nsource = "x"\nrule = "every-third"\n', encoding="utf-8")
    with pytest.raises(HeldOutError, match=f"{bad}: unknown rule 'every-third'"):
        HeldOut.load(bad)


# --- prepare -----------------------------------------------------------------------------------


def write_re3d(root: Path, docs: dict[str, tuple[str, str]]) -> None:
    """``docs``: doc_id "<publisher>/<_id>" → (text, unused)."""
    by_publisher: dict[str, list[str]] = {}
    for doc_id, (text, _) in docs.items():
        publisher, _, key = doc_id.partition("/")
        by_publisher.setdefault(publisher, []).append(json.dumps({"_id": key, "text": text}))
    for publisher, lines in by_publisher.items():
        folder = root / "re3d" / publisher
        folder.mkdir(parents=True)
        (folder / "documents.json").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_disaster(root: Path, messages: dict[str, tuple[str, str]]) -> None:
    folder = root / "disaster_response_messages"
    folder.mkdir(parents=True)
    columns = ["id", "split", "message", "original", "genre", "refugees", "death"]
    for name in ("disaster_response_test.csv", "disaster_response_validation.csv"):
        with (folder / name).open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, columns)
            writer.writeheader()
            if name.endswith("test.csv"):
                for key, (text, death) in messages.items():
                    writer.writerow(
                        {
                            "id": key,
                            "split": "test",
                            "message": text,
                            "original": "",
                            "genre": "news",
                            "refugees": "0",
                            "death": death,
                        }
                    )


def write_case(root: Path) -> None:
    folder = root / "case2021_task2" / "task2" / "test_dataset"
    folder.mkdir(parents=True)
    lines = ["id\tEventSnippet\tSubType", "2\tThe army retook the town of Sabo.\tGOV_REGAINS_TERIT"]
    (folder / "test_set_final_release_with_labels.tsv").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )


@pytest.fixture()
def setup(tmp_path: Path) -> dict[str, object]:
    data = tmp_path / "data"
    (train_id,) = ids_in_split("re3d", "train", "CENTCOM/")
    (test_id,) = ids_in_split("re3d", "test", "CENTCOM/")
    (bbc_id,) = ids_in_split("re3d", "train", "BBC Online/")
    re3d = {
        f"CENTCOM/{train_id}": ("Rebels seized Tine. Nothing else happened.", ""),
        f"CENTCOM/{test_id}": ("Two nurses were killed in Aldier.", ""),
        f"BBC Online/{bbc_id}": ("Some 300 families fled Kiri.", ""),
    }
    write_re3d(data, re3d)
    train_msgs = ids_in_split("disaster_response_messages", "train", "test/", 2)
    (dev_msg,) = ids_in_split("disaster_response_messages", "dev", "test/")
    (test_msg,) = ids_in_split("disaster_response_messages", "test", "test/")
    write_disaster(
        data,
        {
            train_msgs[0]: ("Floods killed 12 people in the valley.", "1"),
            train_msgs[1]: ("We need water and rice in the north.", "0"),
            dev_msg: ("Please send tents to the school.", "0"),
            test_msg: ("The road to the port is open again.", "0"),
        },
    )
    write_case(data)
    drafts = tmp_path / "E1.jsonl"
    lines = [
        {
            "source": "re3d",
            "doc_id": f"CENTCOM/{train_id}",
            "text": "Rebels seized Tine.",
            "events": ["territorial-change"],
        },
        {
            "source": "re3d",
            "doc_id": f"CENTCOM/{test_id}",
            "text": "Two nurses were killed in Aldier.",
            "events": ["casualty"],
            "numbers": [
                {
                    "text": "Two",
                    "role": "killed",
                    "qualifier": "exact",
                    "value": 2,
                    "low": 2,
                    "high": 2,
                    "unit": "nurses",
                }
            ],
        },
        {
            "source": "re3d",
            "doc_id": f"BBC Online/{bbc_id}",
            "text": "Some 300 families fled Kiri.",
            "events": ["displacement"],
        },
        {
            "source": "disaster_response_messages",
            "doc_id": f"test/{train_msgs[1]}",
            "text": "We need water and rice in the north.",
            "events": [],
        },
    ]
    drafts.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    annotations = tmp_path / "annotations"
    report = import_drafts([drafts], data)
    assert report.errors == []
    write_annotations(annotations, report.records)
    return {
        "data": data,
        "annotations": annotations,
        "test_msg": test_msg,
        "train_msgs": train_msgs,
    }


def test_prepare_permissive(setup: dict[str, object]) -> None:
    prepared = prepare(setup["data"], licence="permissive", annotations=setup["annotations"])
    splits = {name: {r.text: r for r in records} for name, records in prepared.splits.items()}
    assert prepared.problems == []
    assert splits["train"]["Rebels seized Tine."].events == ("territorial-change",)
    assert splits["test"]["Two nurses were killed in Aldier."].numbers[0].role == "killed"
    assert "Some 300 families fled Kiri." not in {
        t for s in splits.values() for t in s
    }  # BBC: CC BY-NC
    assert prepared.left_out["annotation: licence not permissive"] == 1
    # converter output: train/dev by the document hash, never test
    assert splits["train"]["Floods killed 12 people in the valley."].known_labels == (
        "casualty",
        "displacement",
    )
    assert "Please send tents to the school." in splits["dev"]
    assert all(r.source == "re3d" for r in prepared.splits["test"])
    # the annotated message is the annotation (all labels known), not the converter record
    assert splits["train"]["We need water and rice in the north."].known_labels is None
    assert prepared.left_out["converter record replaced by an annotation"] == 1
    assert prepared.left_out["converter case2021_task2: licence not permissive"] == 1


def test_prepare_all_runs_every_converter(setup: dict[str, object]) -> None:
    prepared = prepare(
        setup["data"],
        licence="all",
        annotations=setup["annotations"],
        converters=["case2021_task2", "disaster_response_messages"],
    )
    texts = {r.text: split for split, records in prepared.splits.items() for r in records}
    assert texts["Some 300 families fled Kiri."] == "train"
    assert texts["The army retook the town of Sabo."] in ("train", "dev")
    assert "The road to the port is open again." not in texts  # a held-out (test) document


def _run_args(setup: dict[str, object], out: Path) -> argparse.Namespace:
    """``data prepare --licence permissive`` on the fixture corpora, as the CLI parses it."""
    return argparse.Namespace(
        data_dir=str(setup["data"]),
        out=str(out),
        licence="permissive",
        annotations=str(setup["annotations"]),
        manifest=None,
        converters=None,
        overwrite=False,
    )


def test_run_writes_splits_and_summary(
    setup: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prepared"
    args = _run_args(setup, out)
    assert run(args) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for split in ("train", "dev", "test"):
        assert summary["splits"][split]["records"] == len(read_records(out / f"{split}.jsonl"))
    assert summary["splits"]["test"]["events"] == {"casualty": 1}
    assert "total" in capsys.readouterr().out


def test_run_never_replaces_other_splits_without_overwrite(
    setup: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--out` naming a folder of other splits (the written corpus, another run's) is refused
    before anything is written; a rerun that would write the same bytes leaves the files alone."""
    out = tmp_path / "corpus"
    out.mkdir()
    (out / "train.jsonl").write_text('{"id": "mine", "text": "Keep me."}\n', encoding="utf-8")
    args = _run_args(setup, out)
    assert run(args) == 1
    err = capsys.readouterr().err
    assert f"{out / 'train.jsonl'} exists and holds other content" in err and "--overwrite" in err
    assert (out / "train.jsonl").read_text(
        encoding="utf-8"
    ) == '{"id": "mine", "text": "Keep me."}\n'
    assert sorted(p.name for p in out.iterdir()) == ["train.jsonl"]  # no split written beside it

    assert run(argparse.Namespace(**{**vars(args), "overwrite": True})) == 0
    assert "train.jsonl replaced" in capsys.readouterr().out
    written = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert run(args) == 0  # the same inputs again: nothing to replace
    assert "train.jsonl unchanged, dev.jsonl unchanged" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == written


EVENT_FIXTURES = Path(__file__).parent / "fixtures" / "event_sources"


def test_prepare_joins_the_new_sources_and_keeps_wikievents_for_test(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("geneva", "plover_gsr", "wikievents"):
        shutil.copytree(EVENT_FIXTURES / name, data / name)
    five = [{"text": "five", "role": "injured", "unit": "nurses"}]
    four = [{"text": "four", "role": "killed", "unit": "farmers"}]
    drafts = [
        (
            "geneva",
            "901_1_11",
            "Gunmen killed four farmers near Dori on Sunday .",
            ["casualty"],
            four,
        ),
        ("geneva", "902_7_5", "The museum opens at nine on weekdays .", [], []),
        (
            "plover_gsr",
            "PLOVER-GSR01-RETREAT-0001",
            "Government troops withdrew from the border post of Kelo on Tuesday.",
            ["territorial-change"],
            [],
        ),
        (
            "wikievents",
            "data/wikievents/dev.jsonl#scenario_en_1",
            "The explosion damaged the clinic and injured five nurses, officials said.",
            ["casualty"],
            five,
        ),
    ]
    path = tmp_path / "E6.jsonl"
    keys = ("source", "doc_id", "text", "events", "numbers")
    lines = [json.dumps({**dict(zip(keys, d, strict=True)), "annotator": "E6"}) for d in drafts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_drafts([path], data)
    assert report.errors == []
    annotations = tmp_path / "annotations"
    write_annotations(annotations, report.records)

    everything = prepare(data, licence="all", annotations=annotations, converters=[])
    assert everything.problems == []
    where = {r.doc_id: split for split, records in everything.splits.items() for r in records}
    assert len(where) == 4
    for source, doc_id, *_ in drafts:
        assert where[doc_id] == HELD.split(source, doc_id)
    assert where["data/wikievents/dev.jsonl#scenario_en_1"] == "test"
    injured = next(r for r in everything.splits["test"] if r.source == "wikievents")
    assert (injured.numbers[0].text, injured.numbers[0].role) == ("five", "injured")

    shipped = prepare(data, licence="permissive", annotations=annotations, converters=[])
    kept = {r.source for records in shipped.splits.values() for r in records}
    assert kept == {"geneva", "plover_gsr"}
    assert shipped.left_out["annotation: licence not permissive"] == 1  # WikiEvents


@pytest.mark.shared_data
def test_prepare_on_the_shared_corpora(shared_data: Path, tmp_path: Path) -> None:
    prepared = prepare(shared_data, licence="all", annotations=None)
    assert prepared.splits["test"] == []  # no annotations: nothing in test
    sources = {r.source for r in prepared.splits["train"]}
    assert sources == {
        "internal-displacement",
        "humset_quantity_isi",
        "case2021_task2",
        "disaster_response_messages",
        "indiapoliceevents",
        "fakes_syria",
    }
    everything = prepared.splits["train"] + prepared.splits["dev"]
    assert HELD.heldout_records(everything) == []
    assert len({r.id for r in everything}) == len(everything)
