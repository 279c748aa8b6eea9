"""`conflict-events evaluate` end to end on a tiny model and records the test writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conflict_events.cli import main
from conflict_events.inference.results import NumberMention
from conflict_events.training.records import Record, write_records

pytest.importorskip("torch", reason="the [train] extra is needed for model tests")
pytest.importorskip("sklearn", reason="the [train] extra is needed for the TF-IDF baseline")
pytest.importorskip("matplotlib", reason="the [train] extra is needed for report plots")

D, C, T, A = "displacement", "casualty", "territorial-change", "attack-on-infrastructure"


def _number(text: str, span: str, role: str, value: float) -> NumberMention:
    start = text.index(span)
    return NumberMention(span, start, start + len(span), value, value, value, role=role)


def _written() -> list[Record]:
    rows = [
        ("Officials said 25,000 civilians fled the town.", (D,), [("25,000", "displaced", 25000.0)]),
        ("Rebels captured five villages.", (T,), [("five", "places", 5.0)]),
        ("An air strike hit the hospital and killed three people.", (C, A),
         [("three", "killed", 3.0)]),
        ("Police arrested twelve people in 2011.", (), []),
        ("Two children were wounded.", (C,), [("Two", "injured", 2.0)]),
        ("The army said the town was calm.", (), []),
    ]  # fmt: skip
    return [
        Record(f"w{i}", text, events, tuple(_number(text, *n) for n in numbers),
               doc_id=f"d{i}", source="written")
        for i, (text, events, numbers) in enumerate(rows)
    ]  # fmt: skip


def _casualty_only() -> list[Record]:
    rows = [("Three people were killed near the market.", (C,)),
            ("Thousands fled the town.", ()),  # displacement, but this source only knows casualty
            ("The police said the town was calm.", ())]  # fmt: skip
    return [
        Record(f"k{i}", text, events, doc_id=f"k{i}", source="kset", known_labels=(C,))
        for i, (text, events) in enumerate(rows)
    ]


@pytest.fixture()
def files(tmp_path):
    written, casualty = tmp_path / "written.jsonl", tmp_path / "casualty.jsonl"
    write_records(written, _written())
    write_records(casualty, _casualty_only())
    with casualty.open("a", encoding="utf-8") as out:
        out.write("{not json\n")
        bad = Record("k9", "Forty were hurt.", ("injuries",), source="kset").to_dict()
        out.write(json.dumps(bad) + "\n")
    train = tmp_path / "train.jsonl"
    write_records(train, _written() + _casualty_only())
    return written, casualty, train


def test_evaluate_writes_a_full_report(tiny_model_dir, files, tmp_path, capsys):
    from conflict_events.inference.tagger import EventTagger
    from conflict_events.training.metrics import event_metrics

    written, casualty, train = files
    report = tmp_path / "report"
    code = main(["evaluate", "--model", str(tiny_model_dir), "--data", str(written), str(casualty),
                 "--report", str(report), "--baselines", "--train", str(train),
                 "--bootstrap", "30"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # the compact table: one block per file, one row per system
    assert "== written" in captured.out and "== casualty" in captured.out
    for system in ("model", "model+reconcile", "keyword", "tfidf-lr"):
        assert f"\n{system} " in captured.out
    # the two bad lines are reported with file:line, the rest scored
    assert f"{casualty}:4: malformed JSON" in captured.err
    assert f"{casualty}:5: unknown event label 'injuries'" in captured.err

    names = {p.name for p in report.iterdir()}
    assert {"metrics.json", "report.md", "errors.md", "errors.jsonl"} <= names
    for kind in ("per_label", "confusion", "reliability"):
        for slug in ("written", "casualty"):
            png = report / f"{kind}_{slug}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png

    metrics = json.loads((report / "metrics.json").read_text())
    written_s, casualty_s = metrics["sections"]
    assert (written_s["n"], casualty_s["n"]) == (6, 3)
    assert len(casualty_s["problems"]) == 2
    assert list(written_s["systems"]) == ["model", "model+reconcile", "keyword", "tfidf-lr"]
    # known_labels: the casualty-only file scores casualty alone, and no number roles
    assert casualty_s["labels"] == [C] and casualty_s["roles"] == []
    assert casualty_s["systems"]["model"]["numbers"] is None
    assert casualty_s["systems"]["model"]["events"]["scored_labels"] == [C]
    assert written_s["roles"] == ["displaced", "killed", "injured", "places", "facilities"]

    # the reported figures are those of the tagger run directly, with and without the rule
    tagger = EventTagger.from_pretrained(tiny_model_dir)
    records = _written()
    for system, reconcile in (("model", False), ("model+reconcile", True)):
        results = tagger.tag([r.text for r in records], reconcile=reconcile)
        expected = event_metrics([r.events for r in records], [r.labels for r in results],
                                 tagger.labels.event_labels)  # fmt: skip
        got = written_s["systems"][system]["events"]
        assert got["macro_f1"] == expected.macro_f1
        assert got["micro"] == json.loads(json.dumps(expected.micro.__dict__))
    for name, system in written_s["systems"].items():
        events, ci = system["events"], system["ci"]
        assert ci["macro_f1"][0] <= ci["macro_f1"][1] and ci["micro_f1"][0] <= ci["micro_f1"][1]
        confusion = np.array(system["confusion"]["counts"])
        tps = [events["per_label"][x]["tp"] for x in metrics["model"]["labels"]["event_labels"]]
        assert confusion.diagonal()[:-1].tolist() == tps, name
    assert written_s["systems"]["tfidf-lr"]["numbers"] is None  # events-only baseline
    assert written_s["systems"]["keyword"]["numbers"]["strict"]["support"] == 4
    assert written_s["systems"]["keyword"]["ece"] is None  # rules have no probabilities
    assert 0.0 <= written_s["systems"]["model"]["ece"] <= 1.0
    assert sum(b["count"] for b in written_s["systems"]["model"]["reliability"]) == 6 * 4
    assert sum(b["count"] for b in casualty_s["systems"]["model"]["reliability"]) == 3

    # errors: one line per false positive / negative of the shipped setting, with its sentence
    errors = [json.loads(x) for x in (report / "errors.jsonl").read_text().splitlines()]
    default = written_s["default_system"]
    assert default == "model+reconcile"  # the model folder's default
    for section in (written_s, casualty_s):
        mine = [e for e in errors if e["section"] == section["name"]]
        assert len(mine) == section["errors"]
        system = section["systems"][default]
        for label, prf in system["events"]["per_label"].items():
            assert (
                sum(e["kind"] == "false_positive" and e["label"] == label for e in mine)
                == prf["fp"]
            )
            assert (
                sum(e["kind"] == "false_negative" and e["label"] == label for e in mine)
                == prf["fn"]
            )
        if system["numbers"]:
            strict = system["numbers"]["strict"]
            kinds = [e["kind"] for e in mine]
            assert kinds.count("spurious_number") + kinds.count("wrong_role") == strict["fp"]
            assert kinds.count("missed_number") + kinds.count("wrong_role") == strict["fn"]
        for e in mine:
            assert e["text"] and e["id"]
    assert all(e["label"] == C for e in errors if e["section"] == "casualty")

    text = (report / "report.md").read_text()
    assert "## written" in text and "## casualty" in text
    assert "![confusion](confusion_written.png)" in text
    assert "Reconciliation rule" in text and "tfidf-lr" in text
    assert "# Errors" in (report / "errors.md").read_text()


def test_evaluate_without_report_or_train(tiny_model_dir, files, tmp_path, capsys):
    written, _, _ = files
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(written),
                 "--baselines", "--bootstrap", "10"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "TF-IDF baseline needs --train" in captured.err
    assert "\nkeyword " in captured.out and "tfidf-lr" not in captured.out
    assert not (tmp_path / "report").exists()


def test_evaluate_refuses_heldout_training_data_and_bad_inputs(
    tiny_model_dir, files, tmp_path, capsys
):
    written, _, _ = files
    heldout = tmp_path / "heldout.jsonl"
    write_records(heldout, [Record("h1", "Rebels took the town.", (T,), doc_id="7",
                                   source="case2021_task2", known_labels=(T,))])  # fmt: skip
    args = ["evaluate", "--model", str(tiny_model_dir), "--data", str(written), "--bootstrap", "5"]
    assert main([*args, "--baselines", "--train", str(heldout)]) == 1
    err = capsys.readouterr().err
    assert "h1" in err and "evaluation" in err and str(heldout) in err

    assert main(["evaluate", "--model", str(tmp_path / "nope"), "--data", str(written)]) == 1
    assert "not a model folder" in capsys.readouterr().err

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main([*args[:3], "--data", str(empty)]) == 1
    err = capsys.readouterr().err
    assert "no record to score" in err and f"{empty}:0: file is empty" in err


def test_bootstrap_zero_reports_figures_without_intervals(tiny_model_dir, files, tmp_path, capsys):
    written, _, _ = files
    report = tmp_path / "r"
    args = ["evaluate", "--model", str(tiny_model_dir), "--data", str(written)]
    assert main([*args, "--report", str(report), "--bootstrap", "0"]) == 0
    metrics = json.loads((report / "metrics.json").read_text())
    scores = metrics["sections"][0]["systems"]["model"]
    assert scores["ci"]["macro_f1"] is None and scores["ci"]["micro_f1"] is None
    assert 0.0 <= scores["events"]["macro_f1"] <= 1.0
    assert "bootstrap: off" in (report / "report.md").read_text()
    capsys.readouterr()
    assert main([*args, "--bootstrap", "-1"]) == 1
    assert "--bootstrap -1" in capsys.readouterr().err


def test_same_file_twice_gets_two_sections(tiny_model_dir, files, tmp_path):
    written, _, _ = files
    report = tmp_path / "r"
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(written), str(written),
                 "--report", str(report), "--bootstrap", "5"]) == 0  # fmt: skip
    metrics = json.loads((report / "metrics.json").read_text())
    assert [s["slug"] for s in metrics["sections"]] == ["written", "written_2"]
    assert (report / "per_label_written_2.png").is_file()


def _benchmark(name: str):
    """A script of benchmarks/ loaded as a module."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _external():
    return _benchmark("external")


def test_weight_average_is_the_mean_of_the_folders_and_refuses_other_labels(
    tiny_base, tiny_model_dir, tmp_path, capsys
):
    import shutil

    import torch

    from conflict_events.inference.labels import LabelSchema
    from conflict_events.inference.model_folder import ModelFolderError
    from conflict_events.model.pretrained import EventModel

    script = _benchmark("average_weights")
    average_weights = script.average_weights
    torch.manual_seed(1)  # heads initialised differently from tiny_model_dir's
    other = EventModel.from_base(tiny_base, max_length=32).save_pretrained(tmp_path / "other")
    out = average_weights([tiny_model_dir, other], tmp_path / "soup")

    weights = [EventModel.from_pretrained(f).net.state_dict() for f in (tiny_model_dir, other, out)]
    head = next(k for k in weights[0] if not k.startswith("encoder."))
    assert not torch.equal(weights[0][head], weights[1][head])
    for name, value in weights[2].items():
        assert torch.allclose(
            value.float(), (weights[0][name].float() + weights[1][name].float()) / 2
        )

    extra = EventModel.from_base(tiny_base, LabelSchema.with_extra(["arrest"]), max_length=32)
    extra.save_pretrained(tmp_path / "extra")
    with pytest.raises(ModelFolderError, match="labels or architecture differ"):
        average_weights([tiny_model_dir, tmp_path / "extra"], tmp_path / "bad")

    shutil.copytree(tiny_model_dir, tmp_path / "no-weights")
    (tmp_path / "no-weights" / "model.safetensors").unlink()  # inference only: nothing to average
    argv = [str(tiny_model_dir), str(tmp_path / "no-weights"), "--out", str(tmp_path / "x")]
    assert script.main(argv) == 2
    assert "no model.safetensors" in capsys.readouterr().err


def test_an_ensemble_scores_the_mean_of_its_members_logits_and_refuses_other_labels(
    tiny_base, tiny_model_dir, tmp_path, capsys
):
    import torch

    from conflict_events.inference.labels import LabelSchema
    from conflict_events.inference.tagger import EventTagger
    from conflict_events.model.pretrained import EventModel
    from tests.test_train import _records

    script = _benchmark("ensemble")
    torch.manual_seed(1)  # heads initialised differently from tiny_model_dir's
    other = EventModel.from_base(tiny_base, max_length=32).save_pretrained(tmp_path / "other")
    members = [EventTagger.from_pretrained(f, backend="torch") for f in (tiny_model_dir, other)]
    ensemble = script.ensemble_tagger(members)
    ids, mask = members[0].encoder.pad(members[0].encoder.encode(["Ten people were killed."]))
    (events_a, tags_a), (events_b, tags_b) = (m.backend(ids, mask) for m in members)
    events, tags = ensemble.backend(ids, mask)
    assert not np.allclose(events_a, events_b)
    assert np.allclose(events, (events_a + events_b) / 2) and np.allclose(
        tags, (tags_a + tags_b) / 2
    )

    data = tmp_path / "dev.jsonl"
    write_records(data, _records())
    argv = [
        str(tiny_model_dir),
        str(other),
        "--data",
        str(data),
        "--json",
        str(tmp_path / "s.json"),
    ]
    assert script.main(argv) == 0
    table = capsys.readouterr().out
    assert str(other) in table and "ensemble (mean logits)" in table
    scores = json.loads((tmp_path / "s.json").read_text())
    assert [s["model"] for s in scores] == [
        str(tiny_model_dir),
        str(other),
        "ensemble (mean logits)",
    ]
    assert all(s["n"] == len(_records()) for s in scores)

    extra = EventModel.from_base(tiny_base, LabelSchema.with_extra(["arrest"]), max_length=32)
    extra.save_pretrained(tmp_path / "extra")
    assert script.main([str(tiny_model_dir), str(tmp_path / "extra"), "--data", str(data)]) == 2
    assert "labels differ" in capsys.readouterr().err
    # A data file that is missing or holds no valid record is named, and nothing is scored.
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\xff\xfe\n")
    assert script.main([str(tiny_model_dir), str(other), "--data", str(empty)]) == 2
    err = capsys.readouterr().err
    assert f"{empty}:1: invalid UTF-8" in err and "no record to score" in err


def test_learning_curve_rows_name_their_written_data_and_seed(tmp_path):
    """A batch of drafts is scored with and without it (``--written-exclude`` on document ids),
    and each written set and seed gets a row (and a run folder) of its own."""
    import argparse

    curve = _benchmark("learning_curve")

    def record(doc_id: str) -> str:
        text = f"Shelling hit the market in {doc_id}."
        return json.dumps({"id": f"w-{doc_id}", "text": text, "events": [], "doc_id": doc_id})

    first, second = tmp_path / "corpus.jsonl", tmp_path / "reporting.jsonl"
    first.write_text(record("C1-d0001") + "\n", encoding="utf-8")
    second.write_text("".join(record(d) + "\n" for d in ("R1-d0001", "R4-d0001")), "utf-8")
    args = argparse.Namespace(written=[str(first), str(second)], written_exclude="^R[4-6]-")
    assert [r.doc_id for r in curve.written_records(args)] == ["C1-d0001", "R1-d0001"]
    args.written_exclude = None
    assert len(curve.written_records(args)) == 3
    assert curve.point_name(1, 0.5, "corpus") == "w1-r0.5"  # the first rows keep their names
    assert curve.point_name(1, 1, "reporting", 14) == "reporting-w1-r1-seed14"
    assert curve.point_name(1, 1, "reporting", 14, 2) == "reporting-w1-r1-rw2-seed14"


def test_learning_curve_weighs_the_real_text_file(tmp_path, monkeypatch):
    """``--real-weight W`` trains on the written records and, in a file of their own, the real
    ones with ``weight=W``; a share of 0 leaves its file out of the run."""
    import argparse

    import conflict_events.training.train as train_module

    curve = _benchmark("learning_curve")
    real = tmp_path / "real.jsonl"
    real.write_text(
        json.dumps({"id": "r1", "text": "Rebels took the town.", "events": [], "doc_id": "d1"})
        + "\n",
        encoding="utf-8",
    )
    written = tmp_path / "written.jsonl"
    written.write_text(
        json.dumps({"id": "w1", "text": "Shelling hit the market.", "events": [], "doc_id": "C1"})
        + "\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(curve, "REAL", real)
    configs = []
    monkeypatch.setattr(train_module, "train", configs.append)
    args = argparse.Namespace(
        work=str(tmp_path / "work"), name="corpus", seed=13, real_weight=2.0, written=[str(written)],
        written_exclude=None, max_length=32, epochs=1, threads=1,
    )  # fmt: skip
    folder, n = curve.train_point(1.0, 1.0, args)
    assert folder.name == "w1-r1-rw2" and n == 2
    assert configs[-1].train == [
        str(folder.parent / "w1-r1-rw2.train.jsonl"),
        f"{folder.parent / 'w1-r1-rw2.real.jsonl'},weight=2",
    ]
    curve.train_point(1.0, 0.0, args)
    assert configs[-1].train == [str(folder.parent / "w1-r0-rw2.train.jsonl")]


def test_external_benchmarks_skip_clearly_without_the_corpora(tmp_path, capsys):
    assert _external().main(["--data-dir", str(tmp_path / "absent")]) == 0
    assert "skip: public corpora not found" in capsys.readouterr().out


def test_external_benchmarks_on_the_heldout_sets(shared_data, tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "scores.json"
    args = ["--data-dir", str(shared_data), "--model", str(tiny_model_dir), "--limit", "8"]
    assert _external().main([*args, "--json", str(out)]) == 0
    scores = json.loads(out.read_text())
    assert [(s["benchmark"], s["system"]) for s in scores] == [
        ("idetect", "model"), ("idetect", "keyword"),
        ("case2021", "model"), ("case2021", "model+reconcile"), ("case2021", "keyword"),
        ("indiapoliceevents", "model"), ("indiapoliceevents", "model+reconcile"),
        ("indiapoliceevents", "keyword"),
    ]  # fmt: skip
    assert all(s["n"] == 8 and s["published"] for s in scores)
    for s in scores:
        if s["benchmark"] != "idetect":  # binary label counts add up to the records
            assert s["tp"] + s["fn"] <= s["n"] and s["fp"] <= s["n"]
    printed = capsys.readouterr().out
    assert "published: Data4Democracy" in printed and "published: ConfliBERT" in printed


def test_every_row_is_averaged_over_the_same_labels_and_no_support_is_na(
    tiny_base, files, tmp_path
):
    """A model with a fifth label the test file has no example of: n/a, left out of every row."""
    from conflict_events.inference.labels import LabelSchema
    from conflict_events.model.pretrained import EventModel

    written, _, train = files
    folder = tmp_path / "five"
    labels = LabelSchema.with_extra(["arrest"])
    EventModel.from_base(tiny_base, labels, max_length=32).save_pretrained(folder)
    report = tmp_path / "r5"
    assert main(["evaluate", "--model", str(folder), "--data", str(written), "--baselines",
                 "--train", str(train), "--report", str(report), "--bootstrap", "5"]) == 0  # fmt: skip
    (section,) = json.loads((report / "metrics.json").read_text())["sections"]
    assert section["unsupported_labels"] == ["arrest"]
    assert section["labels"] == [D, C, T, A]
    assert set(section["systems"]) == {"model", "model+reconcile", "keyword", "tfidf-lr"}
    for name, system in section["systems"].items():
        events = system["events"]
        assert events["scored_labels"] == [D, C, T, A], name
        assert events["per_label"]["arrest"]["f1"] is None, name
        defined = [events["per_label"][x]["f1"] for x in section["labels"]]
        assert events["macro_f1"] == pytest.approx(np.mean(defined), abs=1e-4), name
    text = (report / "report.md").read_text()
    assert "| arrest | 0 |" in text and "n/a" in text


def test_evaluate_from_code_on_every_input_type_train_reads(files, tmp_path):
    from datasets import Dataset

    from conflict_events.inference.predictor import Predictor
    from conflict_events.training.baselines import KeywordBaseline
    from conflict_events.training.evaluate import EvalReport, evaluate

    written, _, _ = files
    rows = [r.to_dict() for r in _written()]
    folder = tmp_path / "ds"
    Dataset.from_list(
        [{**r, "numbers": r["numbers"] or None, "known_labels": None} for r in rows]
    ).save_to_disk(str(folder))
    csv_file = tmp_path / "mine.csv"
    csv_file.write_text(
        "text,casualty,displacement\nThree people were killed.,1,0\nThousands fled.,0,1\n"
        "Calm.,0,0\n",
        encoding="utf-8",
    )
    keyword = KeywordBaseline()
    assert isinstance(keyword, Predictor)
    report = evaluate(keyword, [written, folder, csv_file], samples=5)
    assert isinstance(report, EvalReport)
    assert [s["n"] for s in report.sections] == [6, 6, 3]
    assert report.sections[0]["systems"]["keyword"]["numbers"] is not None
    assert report.sections[2]["labels"] == [D, C]  # the CSV annotates two labels
    assert report.sections[2]["systems"]["keyword"]["numbers"] is None  # no roles annotated
    assert report.sections[0]["systems"]["keyword"]["ece"] is None  # rules give no scores
    assert "keyword" in report.table()
    assert EvalReport.from_dict(report.to_dict()).sections == report.sections


def test_a_tagger_is_a_predictor_and_callable(tiny_model_dir, tmp_path):
    from conflict_events.inference.predictor import Predictor
    from conflict_events.inference.tagger import EventTagger

    tagger = EventTagger.from_pretrained(tiny_model_dir)
    assert isinstance(tagger, Predictor) and tagger.predicts == {"events", "numbers", "scores"}
    assert tagger(["a", "b"]) == tagger.tag(["a", "b"])  # one return type: a list
    with pytest.raises(TypeError, match="list of sentences"):
        tagger("Five people were killed.")
    saved = tagger.save_pretrained(tmp_path / "copy")
    again = EventTagger.from_pretrained(saved)
    assert again.tag(["Five people were killed."]) == tagger.tag(["Five people were killed."])
