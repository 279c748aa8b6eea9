"""The ship step of the model card: ``--gate`` keeps the shipped model when a rebuild scores lower."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conflict_events.training.card import main

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "model" / "default"

pytestmark = pytest.mark.integration

if not (DEFAULT / "config.json").is_file():
    pytest.skip("no shipped default model in model/default", allow_module_level=True)


@pytest.fixture()
def gate_file(tmp_path) -> Path:
    """Forty written test sentences, events and numbers: the shipped model scores well on them."""
    lines = (REPO / "data" / "corpus" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "gate.jsonl"
    path.write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def random_model(onnx_model, tmp_path) -> Path:
    """The untrained tiny model as a shippable folder (its ONNX file under the int8 name)."""
    folder = shutil.copytree(onnx_model, tmp_path / "random")
    shutil.copyfile(folder / "model.onnx", folder / "model.int8.onnx")
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_model_that_scores_lower_is_not_shipped_and_the_shipped_one_is_untouched(
    random_model, gate_file, tmp_path, capsys
):
    shipped = shutil.copytree(DEFAULT, tmp_path / "shipped")
    before = _files(shipped)
    args = ["--model", str(random_model), "--ship", str(shipped), "--gate", str(gate_file)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "gate on 40 records" in out and "not shipped" in out
    assert _files(shipped) == before

    assert main([*args, "--force"]) == 0  # --force ships regardless
    assert "shipped to" in capsys.readouterr().out
    assert (shipped / "model.int8.onnx").read_bytes() == (
        random_model / "model.int8.onnx"
    ).read_bytes()


def test_a_model_that_scores_higher_replaces_the_shipped_one(
    random_model, gate_file, tmp_path, capsys
):
    candidate = shutil.copytree(DEFAULT, tmp_path / "candidate")
    shipped = shutil.copytree(random_model, tmp_path / "shipped")
    assert main(["--model", str(candidate), "--ship", str(shipped), "--gate", str(gate_file)]) == 0
    out = capsys.readouterr().out
    assert f"{candidate} ships" in out and "shipped to" in out
    assert _files(shipped)["model.int8.onnx"] == (DEFAULT / "model.int8.onnx").read_bytes()


def test_a_gate_file_with_no_readable_record_is_an_error_and_ships_nothing(
    random_model, tmp_path, capsys
):
    bad = tmp_path / "gate.jsonl"
    bad.write_bytes(b'{"text": "x"\n\xff\xfe\n')
    shipped = shutil.copytree(DEFAULT, tmp_path / "shipped")
    before = _files(shipped)
    assert main(["--model", str(random_model), "--ship", str(shipped), "--gate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: malformed JSON" in err and f"{bad}:2: invalid UTF-8" in err
    assert "no record to score" in err and "kept as it was" in err
    assert _files(shipped) == before
