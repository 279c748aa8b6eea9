"""Training: a two-step smoke run, resume, masked-label loss, label maps, bad data and held-out refusal."""

from __future__ import annotations

import json
import logging
import re

import pytest

from conflict_events.cli import main
from conflict_events.inference.labels import LabelSchema
from conflict_events.training.records import Record, write_records

torch = pytest.importorskip("torch", reason="the [train] extra is needed for training tests")

SENTENCES = [
    ("At least 25,000 civilians fled the town.", ["displacement"], [("25,000", "displaced")]),
    ("Rebels captured five villages.", ["territorial-change"], [("five", "places")]),
    (
        "An air strike hit the hospital and killed three people.",
        ["casualty", "attack-on-infrastructure"],
        [("three", "killed")],
    ),
    ("Police arrested twelve people in 2011.", [], []),
    ("Two children were wounded.", ["casualty"], [("Two", "injured")]),
    ("The army said the town was calm.", [], []),
]


def _records(prefix="r", source="written"):
    from conflict_events.inference.numbers import parse_span
    from conflict_events.inference.results import NumberMention

    out = []
    for i, (text, events, numbers) in enumerate(SENTENCES):
        mentions = []
        for span, role in numbers:
            start = text.index(span)
            p = parse_span(text, start, start + len(span))
            mentions.append(
                NumberMention(
                    span, start, start + len(span), p.value, p.low, p.high, p.qualifier, role
                )
            )
        out.append(
            Record(
                f"{prefix}{i}", text, tuple(events), tuple(mentions), doc_id=f"d{i}", source=source
            )
        )
    return out


def _train(tiny_base, tmp_path, *extra, records=None):
    data = tmp_path / "train.jsonl"
    write_records(data, _records() if records is None else records)
    out = tmp_path / "run"
    args = [
        "train",
        "--train",
        str(data),
        "--dev",
        str(data),
        "--out",
        str(out),
        "--base-model",
        str(tiny_base),
        "--max-length",
        "32",
        "--batch-size",
        "2",
        "--epochs",
        "1",
        "--quiet",
        *extra,
    ]
    assert main(args) == 0
    return out


def assert_refused(capsys, pattern: str, argv: list[str]) -> None:
    """``train`` refuses its input: exit 2 and one error naming the problem, no traceback."""
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(pattern, err, re.S) and "Traceback" not in err, err


def test_two_step_training_writes_a_loadable_model_folder(tiny_base, tmp_path):
    from conflict_events.inference.tagger import EventTagger

    out = _train(tiny_base, tmp_path, "--max-steps", "2")
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "training_args.json",
        "eval_results.json",
    ):
        assert (out / name).is_file(), name
    args = json.loads((out / "training_args.json").read_text())
    assert args["max_steps"] == 2 and args["batch_size"] == 2
    results = json.loads((out / "eval_results.json").read_text())
    assert set(results["thresholds"]) == set(LabelSchema.default().event_labels)
    tagger = EventTagger.from_pretrained(out)  # no ONNX file yet: the PyTorch backend
    assert len(tagger.tag(["Five died.", "Calm."])) == 2


def test_a_killed_run_resumes_from_its_checkpoint(tiny_base, tmp_path, caplog):
    out = _train(tiny_base, tmp_path, "--max-steps", "1", "--checkpoint-every", "1",
                 "--keep-checkpoint")  # fmt: skip
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["step"] == 1
    with caplog.at_level(logging.INFO, logger="conflict_events.training"):
        _train(tiny_base, tmp_path, "--max-steps", "2", "--epochs", "2", "--keep-checkpoint")
    assert "resuming from" in caplog.text
    assert json.loads((out / "checkpoint" / "state.json").read_text())["step"] >= 2


def test_a_checkpoint_is_not_resumed_on_changed_training_records(
    tiny_base, tmp_path, capsys, caplog
):
    """Same files, same config, but an edited file: resuming would mix two datasets."""
    out = _train(tiny_base, tmp_path, "--max-steps", "1", "--checkpoint-every", "1",
                 "--keep-checkpoint")  # fmt: skip
    state_file = out / "checkpoint" / "state.json"
    state = json.loads(state_file.read_text())
    assert state["data"]["records"] == len(SENTENCES) and len(state["data"]["sha256"]) == 64
    grown = [*_records(), *_records(prefix="extra")[:1]]
    with pytest.raises(AssertionError):  # _train asserts a zero exit status
        _train(tiny_base, tmp_path, "--max-steps", "2", "--keep-checkpoint", records=grown)
    err = capsys.readouterr().err
    assert f"({len(SENTENCES)} then, {len(SENTENCES) + 1} now)" in err and "--overwrite" in err
    assert "Traceback" not in err
    assert json.loads(state_file.read_text()) == state  # the checkpoint is left as it was

    del state["data"]  # a checkpoint written before runs recorded their data
    state_file.write_text(json.dumps(state))
    with caplog.at_level(logging.WARNING, logger="conflict_events.training"):
        _train(tiny_base, tmp_path, "--max-steps", "2", "--keep-checkpoint")
    assert "resuming unchecked" in caplog.text
    assert json.loads(state_file.read_text())["data"]["records"] == len(SENTENCES)


def test_weight_average_warms_up_and_lends_its_weights_only_inside_the_block():
    from conflict_events.training.weight_average import WeightAverage

    net = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.fill_(0.0)
        net.bias.fill_(0.0)
    average = WeightAverage(net, decay=0.9)
    with torch.no_grad():
        net.weight.fill_(1.0)
    average.update(net)  # first update: decay min(0.9, 2/11), so the average moves most of the way
    assert average.shadow[0][0, 0].item() == pytest.approx(9 / 11)
    with torch.no_grad():
        net.weight.fill_(2.0)
    with average.applied(net):
        assert net.weight[0, 0].item() == pytest.approx(9 / 11)
    assert net.weight[0, 0].item() == 2.0  # the raw weights train on
    restored = WeightAverage(torch.nn.Linear(2, 1), decay=0.9)
    restored.load_state_dict(average.state_dict())
    assert restored.updates == 1 and torch.equal(restored.shadow[0], average.shadow[0])
    with pytest.raises(ValueError, match="lacks 2 tensors"):
        restored.load_state_dict({"updates": torch.tensor(1)})
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(net, decay=1.0)


def test_a_run_with_a_weight_average_keeps_the_average_and_resumes_it(tiny_base, tmp_path):
    from safetensors.torch import load_file

    from conflict_events.model.pretrained import EventModel

    ema = ("--ema-decay", "0.9", "--checkpoint-every", "1", "--keep-checkpoint")
    out = _train(tiny_base, tmp_path, "--max-steps", "1", *ema)  # one step, evaluated once
    averaged = load_file(str(out / "checkpoint" / "averaged.safetensors"))
    assert averaged["updates"].item() == 1
    kept = EventModel.from_pretrained(out).net.state_dict()
    raw = EventModel.from_pretrained(out / "checkpoint").net.state_dict()
    shadow = {k[len("shadow.") :]: v for k, v in averaged.items() if k.startswith("shadow.")}
    assert shadow and all(torch.allclose(kept[k], v) for k, v in shadow.items())
    assert any(not torch.allclose(raw[k], v) for k, v in shadow.items())  # raw weights kept on
    _train(tiny_base, tmp_path, "--max-steps", "2", "--epochs", "2", *ema)  # resumes
    assert load_file(str(out / "checkpoint" / "averaged.safetensors"))["updates"].item() == 2


def test_a_finished_run_keeps_no_optimizer_state(tiny_base, tmp_path):
    out = _train(tiny_base, tmp_path, "--max-steps", "1", "--checkpoint-every", "1")
    assert not (out / "checkpoint").exists()
    assert (out / "README.md").is_file()  # every trained folder gets a card
    card = (out / "README.md").read_text()
    assert "displacement" in card and "Thresholds" in card and "written" in card


def test_a_different_config_in_the_same_folder_is_refused_by_name(tiny_base, tmp_path, capsys):
    from conflict_events.training.loop import RunFolderError

    out = _train(tiny_base, tmp_path, "--max-steps", "1")
    with pytest.raises(AssertionError):  # _train asserts a zero exit status
        _train(tiny_base, tmp_path, "--max-steps", "1", "--lr", "0.001", "--seed", "7")
    err = capsys.readouterr().err
    assert "lr (5e-05 → 0.001), seed (13 → 7)" in err and "--overwrite" in err
    assert "Traceback" not in err
    with pytest.raises(AssertionError):  # another label set: named, not a traceback
        _train(tiny_base, tmp_path, "--max-steps", "1", "--extra-labels", "arrest")
    assert "extra_labels ([] → ['arrest'])" in capsys.readouterr().err
    from conflict_events.training.config import TrainConfig
    from conflict_events.training.loop import prepare_run_folder

    with pytest.raises(RunFolderError, match="pooling"):  # the library raises
        prepare_run_folder(out, TrainConfig(out=str(out), pooling="cls", max_steps=1))
    before = (out / "encoder" / "model.safetensors").read_bytes()
    _train(tiny_base, tmp_path, "--max-steps", "1", "--lr", "0.001", "--overwrite")
    assert json.loads((out / "training_args.json").read_text())["lr"] == 0.001
    assert (out / "encoder" / "model.safetensors").read_bytes() != before
    # The same finished run again is nothing to do, not a silent retrain.
    mtime = (out / "model.safetensors").stat().st_mtime_ns
    _train(tiny_base, tmp_path, "--max-steps", "1", "--lr", "0.001")
    assert (out / "model.safetensors").stat().st_mtime_ns == mtime


def test_fit_trains_from_code_with_callbacks_on_cpu(tiny_base):
    from conflict_events.model.pretrained import EventModel
    from conflict_events.training.config import TrainConfig
    from conflict_events.training.inputs import Example
    from conflict_events.training.loop import Callback, fit, select_device

    class Recorder(Callback):
        def __init__(self):
            self.steps, self.evals = [], []

        def on_step(self, state, logs):
            self.steps.append((state.step, logs["loss"], logs["events"], logs["tags"]))

        def on_evaluate(self, state, scores):
            self.evals.append(scores)

    examples = [Example(r) for r in _records()]
    model = EventModel.from_base(tiny_base, max_length=32, pooling="cls", dropout=0.2)
    recorder = Recorder()
    config = TrainConfig(batch_size=2, epochs=1, max_steps=3, quiet=True)
    result = fit(model, examples, examples, config, device="cpu", callbacks=[recorder])
    assert [s[0] for s in recorder.steps] == [1, 2, 3]
    assert all(loss == pytest.approx(e + t) for _, loss, e, t in recorder.steps)
    assert len(recorder.evals) == 1 and "macro_f1" in recorder.evals[0]["all"]
    assert result.out is None and result.state.step == 3
    assert set(result.model.config.thresholds) == set(LabelSchema.default().event_labels)
    assert next(model.net.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="device must be"):
        select_device("tpu")


def test_cuda_is_chosen_when_present_with_its_precision(monkeypatch):
    """The choice only: CUDA itself is not exercised on these CPU machines."""
    from conflict_events.training.loop import precision_for, select_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device().type == "cuda" and select_device("cpu").type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert precision_for(torch.device("cuda")).dtype == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    fp16 = precision_for(torch.device("cuda"))
    assert fp16.dtype == torch.float16 and fp16.scale_loss
    assert precision_for(torch.device("cpu")).dtype is None
    assert precision_for(torch.device("cpu"), bf16=True).dtype == torch.bfloat16


def test_architecture_is_saved_and_honoured(tiny_base, tmp_path):
    from conflict_events.model.pretrained import EventModel

    model = EventModel.from_base(tiny_base, max_length=32, pooling="cls", dropout=0.3)
    model.save_pretrained(tmp_path / "m")
    loaded = EventModel.from_pretrained(tmp_path / "m")
    assert loaded.net.pooling == "cls" and loaded.net.dropout.p == 0.3
    assert loaded.config.pooling == "cls" and loaded.config.dropout == 0.3
    ids = torch.tensor([[2, 10, 11, 3, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0]])
    model.net.eval()
    with torch.no_grad():
        a, b = model.net(ids, mask)
        c, d = loaded.net(ids, mask)
    assert torch.allclose(a, c) and torch.allclose(b, d)
    groups = loaded.net.parameter_groups(1e-5, 1e-3)
    assert [g["lr"] for g in groups] == [1e-5, 1e-3]
    assert sum(len(g["params"]) for g in groups) == len(list(loaded.net.parameters()))


def test_the_readme_csv_recipe_runs_as_written(tiny_base, tmp_path, monkeypatch):
    """README: `conflict-events train --train police.csv --label-map KILL=casualty,ARREST=arrest
    --extra-labels arrest --out runs/police` on a CSV with KILL and ARREST columns."""
    import re
    import shlex

    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (line,) = [x for x in readme.splitlines() if "police.csv" in x and "--label-map" in x]
    argv = shlex.split(line.strip())
    assert argv[:2] == ["conflict-events", "train"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "police.csv").write_text(
        "text,KILL,ARREST\nPolice killed two men.,1,0\nPolice arrested two men.,0,1\n"
        "The market was calm.,0,0\n",
        encoding="utf-8",
    )
    extra = ["--base-model", str(tiny_base), "--max-steps", "1", "--max-length", "32", "--quiet"]
    assert main(argv[1:] + extra) == 0
    out = tmp_path / re.search(r"--out (\S+)", line).group(1)
    config = json.loads((out / "config.json").read_text())
    assert config["labels"]["event_labels"][-1] == "arrest"


def test_masked_labels_get_no_loss():
    from conflict_events.training.train import joint_loss

    batch = {
        "weight": torch.ones(1),
        "events": torch.tensor([[1.0, 0.0]]),
        "event_mask": torch.tensor([[1.0, 0.0]]),  # the second label is unknown to this source
        "tags": torch.tensor([[-100, 0, 1, -100]]),
    }
    tags = torch.zeros(1, 4, 3)
    base, _ = joint_loss(batch, torch.tensor([[2.0, -1.0]]), tags, torch.ones(2), 1.0)
    changed, _ = joint_loss(batch, torch.tensor([[2.0, 9.0]]), tags, torch.ones(2), 1.0)
    assert torch.equal(base, changed)


def test_unannotated_roles_are_masked_for_partial_sources(tiny_base):
    from conflict_events.inference.tokenization import WindowEncoder
    from conflict_events.training.features import IGNORE, featurize

    encoder = WindowEncoder.from_folder(tiny_base, 32)
    record = Record(
        "x",
        "five people fled and two died",
        ("displacement",),
        known_labels=("displacement", "displaced"),
    )
    (features,) = featurize([record], encoder, LabelSchema.default())
    assert features.event_mask == (1.0, 0.0, 0.0, 0.0)
    words = encoder.tokenizer.encode(
        "five people fled and two died", add_special_tokens=False
    ).tokens
    tags = features.tags[1:-1]
    assert tags[words.index("two")] == IGNORE  # maybe a killed count the source did not look for
    assert tags[words.index("people")] == 0


def test_label_map_and_extra_labels(tiny_base, tmp_path, capsys):
    data = tmp_path / "kill.jsonl"
    write_records(
        data,
        [
            Record("k1", "Police killed two men.", ("KILL",), source="mine"),
            Record("k2", "Police arrested two men.", ("ARREST",), source="mine"),
        ],
    )
    assert_refused(
        capsys,
        "label-map",
        [
            "train",
            "--train",
            str(data),
            "--out",
            str(tmp_path / "x"),
            "--base-model",
            str(tiny_base),
        ],
    )
    out = tmp_path / "y"
    assert (
        main(
            [
                "train",
                "--train",
                str(data),
                "--out",
                str(out),
                "--base-model",
                str(tiny_base),
                "--label-map",
                "KILL=casualty,ARREST=arrest",
                "--extra-labels",
                "arrest",
                "--max-steps",
                "1",
                "--quiet",
                "--max-length",
                "32",
            ]
        )
        == 0
    )
    config = json.loads((out / "config.json").read_text())
    assert config["labels"]["event_labels"][-1] == "arrest"


def test_bad_training_data_names_file_and_line(tiny_base, tmp_path, capsys):
    data = tmp_path / "bad.jsonl"
    data.write_text(
        '{"id": "a", "text": "ok", "events": []}\n{"id": "b", "text": \n', encoding="utf-8"
    )
    assert_refused(
        capsys,
        r"bad\.jsonl:2: malformed JSON",
        [
            "train",
            "--train",
            str(data),
            "--out",
            str(tmp_path / "o"),
            "--base-model",
            str(tiny_base),
        ],
    )
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("text,casualty\nFive died.,1\nCalm.,maybe\n", encoding="utf-8")
    assert_refused(
        capsys,
        r"bad\.csv:3: column 'casualty' must be 0 or 1",
        [
            "train",
            "--train",
            str(csv_file),
            "--out",
            str(tmp_path / "o"),
            "--base-model",
            str(tiny_base),
        ],
    )


def test_train_refuses_records_that_data_validate_refuses_with_file_and_line(
    tiny_base, tmp_path, capsys
):
    def number(start, end, text, value=3.0, role="killed"):
        return {
            "start": start,
            "end": end,
            "text": text,
            "value": value,
            "low": value,
            "high": value,
            "qualifier": "exact",
            "role": role,
            "unit": None,
        }

    text = "Three were killed and 40 fled."
    rows = [
        {"id": "ok", "text": text, "events": ["casualty"]},
        {"id": "far", "text": text, "events": ["casualty"], "numbers": [number(0, 99, "Three")]},
        {"id": "moved", "text": text, "events": ["casualty"], "numbers": [number(6, 11, "Three")]},
        {
            "id": "overlap",
            "text": text,
            "events": ["casualty"],
            "numbers": [number(0, 5, "Three"), number(2, 9, "ree wer")],
        },
        {
            "id": "nan",
            "text": text,
            "events": ["casualty"],
            "numbers": [number(0, 5, "Three", float("nan"))],
        },
    ]
    data = tmp_path / "bad.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    argv = [
        "train",
        "--train",
        str(data),
        "--out",
        str(tmp_path / "o"),
        "--base-model",
        str(tiny_base),
    ]
    assert_refused(capsys, r"bad\.jsonl:2: .*bad\.jsonl:3: .*bad\.jsonl:4: .*bad\.jsonl:5: ", argv)
    assert not (tmp_path / "o").exists()


def test_a_new_label_does_not_make_existing_records_its_negatives(tmp_path):
    from conflict_events.training.inputs import load_inputs

    corpus, police = tmp_path / "corpus.jsonl", tmp_path / "police.jsonl"
    write_records(corpus, _records())
    write_records(police, [Record("p1", "Police arrested two men.", ("ARREST",), source="p"),
                           Record("p2", "The market was calm.", (), source="p")])  # fmt: skip
    labels = LabelSchema.with_extra(["arrest"])
    examples = load_inputs([str(corpus), str(police)], labels, {"ARREST": "arrest"})
    by_id = {e.record.id: e.record for e in examples}
    assert not by_id["r3"].knows("arrest")  # "Police arrested twelve people": not annotated
    assert by_id["r3"].knows("casualty") and by_id["r3"].knows("killed")
    assert by_id["p2"].knows("arrest")  # the police file annotates arrests: a real negative


def test_overwrite_with_bad_data_keeps_the_previous_model(tiny_base, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "config.json").write_text('{"kept": true}\n', encoding="utf-8")
    data = tmp_path / "bad.jsonl"
    data.write_text('{"id": "b", "text": \n', encoding="utf-8")
    argv = ["train", "--train", str(data), "--out", str(out), "--base-model", str(tiny_base)]
    assert_refused(capsys, r"bad\.jsonl:1: malformed JSON", [*argv, "--overwrite"])
    assert (out / "config.json").read_text(encoding="utf-8") == '{"kept": true}\n'
