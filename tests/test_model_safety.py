"""Model folders and the Python API under hostile use (issue 17): refused at load, clearly.

A config that does not match its weights, a window stride that would skip text, a corrupt model
file with ``--workers 2``, an unreadable tokenizer, file modes of a saved model, and
``tag_documents`` given one string.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conflict_events.inference.model_folder import ModelFolderError
from conflict_events.inference.tagger import EventTagger

pytest.importorskip("torch", reason="the tiny test model is built with the [train] extra")


def edit_config(folder: Path, **changes) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def with_extra_label(folder: Path) -> None:
    labels = json.loads((folder / "config.json").read_text())["labels"]
    labels["event_labels"].append("arrest")
    edit_config(folder, labels=labels)


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_a_config_that_does_not_match_the_weights_is_refused_at_load(onnx_model, tmp_path, backend):
    folder = shutil.copytree(onnx_model, tmp_path / "model")
    with_extra_label(folder)
    with pytest.raises(ModelFolderError) as refused:
        EventTagger.from_pretrained(folder, backend=backend)
    message = str(refused.value)
    assert message.startswith(str(folder)) and "declares 5 event labels" in message
    assert "outputs 4" in message and "do not belong together" in message


@pytest.mark.parametrize("stride", [-5, 0])
def test_a_window_stride_below_one_is_refused_naming_the_folder(onnx_model, tmp_path, stride):
    folder = shutil.copytree(onnx_model, tmp_path / "model")
    edit_config(folder, window_stride=stride)
    with pytest.raises(ModelFolderError, match=f"window_stride must be at least 1, not {stride}"):
        EventTagger.from_pretrained(folder)
    with pytest.raises(ModelFolderError, match=str(folder)):
        EventTagger.from_pretrained(folder)


def test_a_corrupt_model_with_two_workers_is_one_clean_error(onnx_model, tmp_path):
    folder = shutil.copytree(onnx_model, tmp_path / "model")
    (folder / "model.onnx").write_bytes(b"\x08\x07 not an onnx graph" * 10)
    source = tmp_path / "a.txt"
    source.write_text("Three people were killed.")
    done = subprocess.run(
        [sys.executable, "-m", "conflict_events.cli", "tag", str(source)]
        + ["--model", str(folder), "--workers", "2", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot load the model" in done.stderr and len(done.stderr.splitlines()) == 1


def test_an_unreadable_tokenizer_is_an_error_naming_the_file(onnx_model, tmp_path):
    folder = shutil.copytree(onnx_model, tmp_path / "model")
    (folder / "tokenizer.json").write_text("{ not json")
    with pytest.raises(
        ModelFolderError, match=f"{folder / 'tokenizer.json'}: unreadable tokenizer"
    ):
        EventTagger.from_pretrained(folder)


def test_saved_model_files_are_readable_by_all_like_every_other_file(tiny_model_dir):
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tiny_model_dir.iterdir()}
    assert modes["model.safetensors"] == modes["config.json"] == 0o644, modes


def test_tag_documents_refuses_a_bare_string(onnx_model):
    tagger = EventTagger.from_pretrained(onnx_model)
    with pytest.raises(TypeError, match="wrap a single document in a list"):
        tagger.tag_documents("Three people were killed. Five fled.")
    [doc] = tagger.tag_documents(["Three people were killed. Five fled."])
    assert len(doc.sentences) == 2
