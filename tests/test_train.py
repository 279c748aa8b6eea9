"""Training: a two-step smoke run, resume, masked-label loss, label maps, bad data and held-out refusal."""

from __future__ import annotations

import json
import re

import pytest

from conflict_events.inference.cli import main
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


def _train(tiny_base, tmp_path, *extra):
    data = tmp_path / "train.jsonl"
    write_records(data, _records())
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


def test_a_killed_run_resumes_from_its_checkpoint(tiny_base, tmp_path, capsys):
    out = _train(tiny_base, tmp_path, "--max-steps", "1", "--checkpoint-every", "1")
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["step"] == 1
    _train(tiny_base, tmp_path, "--max-steps", "2", "--epochs", "2")
    assert "resuming from" in capsys.readouterr().out
    assert json.loads((out / "checkpoint" / "state.json").read_text())["step"] >= 2


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
