"""ONNX export: files that agree with PyTorch are kept, files that do not are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conflict_events.cli import main
from conflict_events.inference.model_folder import ONNX_INT8_NAME, ONNX_NAME

pytest.importorskip("torch", reason="the [train] extra is needed for export tests")
onnx = pytest.importorskip("onnx", reason="the [train] extra is needed for export tests")

from conflict_events.model import export  # noqa: E402


def test_without_dev_the_builtin_sentences_are_used_wherever_it_runs(monkeypatch):
    """No working-directory default: the repository's dev corpus is not picked up on its own."""
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    source, texts = export.dev_texts(None)
    assert source == "built-in sentences" and texts == list(export.BUILTIN_SENTENCES)


def corrupt_heads(path) -> None:
    """Negate the event head in an ONNX file: every probability p becomes 1 - p."""
    from onnx import numpy_helper

    model = onnx.load(str(path))
    touched = 0
    for init in model.graph.initializer:
        if "event_head" in init.name:
            init.CopyFrom(numpy_helper.from_array(-numpy_helper.to_array(init), init.name))
            touched += 1
    assert touched, "the exported graph no longer names the event head's weights"
    onnx.save(model, str(path))


def test_export_writes_onnx_files_that_agree_with_pytorch(tiny_model_dir, capsys):
    assert main(["export", "--model", str(tiny_model_dir)]) == 0
    out = capsys.readouterr().out
    assert (tiny_model_dir / ONNX_NAME).is_file() and (tiny_model_dir / ONNX_INT8_NAME).is_file()
    report = json.loads((tiny_model_dir / export.REPORT_NAME).read_text())
    kept = {f["file"]: f for f in report["files"] if f["accepted"]}
    assert set(kept) == {ONNX_NAME, ONNX_INT8_NAME}
    assert report["dev"] == "built-in sentences" and report["sentences"] == len(
        export.BUILTIN_SENTENCES
    )
    assert (
        kept[ONNX_NAME]["label_agreement"] == 1.0 and kept[ONNX_NAME]["max_event_score_diff"] < 1e-4
    )
    assert kept[ONNX_INT8_NAME]["label_agreement"] >= 0.995
    assert "label agreement" in out and "number agreement" in out and "max event-score diff" in out
    # Dynamic axes: any batch size and sequence length runs.
    import onnxruntime as ort

    session = ort.InferenceSession(
        str(tiny_model_dir / ONNX_NAME), providers=["CPUExecutionProvider"]
    )
    assert [i.name for i in session.get_inputs()] == ["input_ids", "attention_mask"]
    assert [o.name for o in session.get_outputs()] == ["event_logits", "tag_logits"]
    for batch, length in ((1, 3), (5, 29)):
        ids = np.full((batch, length), 7, dtype=np.int64)
        events, tags = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        assert events.shape == (batch, 4) and tags.shape == (batch, length, 11)


def test_export_refuses_a_broken_int8_file_with_exit_1_naming_the_flags(
    tiny_model_dir, monkeypatch, capsys
):
    real = export.quantize_int8

    def broken(src, dst, exclude=()):
        out = real(src, dst, exclude)
        corrupt_heads(out)
        return out

    monkeypatch.setattr(export, "quantize_int8", broken)
    (tiny_model_dir / ONNX_INT8_NAME).write_bytes(b"stale file from an earlier export")
    assert main(["export", "--model", str(tiny_model_dir)]) == 1
    captured = capsys.readouterr()
    assert not (tiny_model_dir / ONNX_INT8_NAME).exists()  # neither the new file nor the stale one
    assert (tiny_model_dir / ONNX_NAME).is_file()  # the fp32 file passed and stays
    assert f"refused {ONNX_INT8_NAME}" in captured.err and "below 99.50%" in captured.err
    # A refusal is no usage error (exit 1, not 2) and names the flags that decide.
    assert "--no-quantize" in captured.err and "--min-agreement" in captured.err
    report = json.loads((tiny_model_dir / export.REPORT_NAME).read_text())
    attempts = [f for f in report["files"] if f["file"] == ONNX_INT8_NAME]
    assert len(attempts) == 1 + len(export.FALLBACK_WIDEST)  # every fallback plan was tried
    assert all(not f["accepted"] and f["label_agreement"] < 0.995 for f in attempts)
    assert all(f["max_event_score_diff"] > 0 for f in attempts)


def test_export_refuses_a_broken_fp32_file_and_makes_no_int8_from_it(
    tiny_model_dir, monkeypatch, capsys
):
    real = export.export_onnx

    def broken(net, path, opset=export.OPSET):
        out = real(net, path, opset)
        corrupt_heads(out)
        return out

    monkeypatch.setattr(export, "export_onnx", broken)
    assert main(["export", "--model", str(tiny_model_dir)]) == 1
    assert (
        not (tiny_model_dir / ONNX_NAME).exists() and not (tiny_model_dir / ONNX_INT8_NAME).exists()
    )
    assert f"refused {ONNX_NAME}" in capsys.readouterr().err


def test_no_quantize_and_dev_file(tiny_model_dir, tmp_path):
    dev = tmp_path / "dev.jsonl"
    texts = ["Three people were killed in the town.", "Rebels captured two villages.", ""]
    dev.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
    )
    assert main(["export", "--model", str(tiny_model_dir), "--dev", str(dev), "--no-quantize"]) == 0
    assert (tiny_model_dir / ONNX_NAME).is_file() and not (tiny_model_dir / ONNX_INT8_NAME).exists()
    report = json.loads((tiny_model_dir / export.REPORT_NAME).read_text())
    assert report["dev"] == str(dev) and report["sentences"] == 3
    assert [f["file"] for f in report["files"]] == [ONNX_NAME]


def test_bad_dev_file_is_named_with_its_line(tiny_model_dir, tmp_path, capsys):
    dev = tmp_path / "dev.jsonl"
    dev.write_text('{"text": "fine"}\n{"id": "no text here"}\n')
    assert main(["export", "--model", str(tiny_model_dir), "--dev", str(dev)]) == 1
    assert f"{dev}:2" in capsys.readouterr().err
    assert not (tiny_model_dir / ONNX_NAME).exists()


def test_compare_counts_decisions_numbers_and_score_gaps():
    from conflict_events.inference.results import NumberMention

    five = NumberMention("five", 0, 4, 5.0, 5.0, 5.0, role="killed")
    two = NumberMention("two", 10, 13, 2.0, 2.0, 2.0, role="injured")
    ref = (np.array([[0.9, 0.2], [0.1, 0.45]]), [[five, two], []])
    cand = (np.array([[0.8, 0.2], [0.1, 0.55]]), [[five], []])
    labels, numbers, diff = export.compare(ref, cand, np.array([0.5, 0.5]))
    assert labels == 0.75 and numbers == 0.5 and diff == pytest.approx(0.1)


def test_fallback_plans_keep_the_widest_range_matmuls_in_fp32_first(tiny_model_dir, tmp_path):
    import torch

    from conflict_events.model.pretrained import EventModel

    model = EventModel.from_pretrained(tiny_model_dir)
    with torch.no_grad():  # one outlier channel, as in MiniLM: the output projection's input
        model.net.encoder.encoder.layer[0].intermediate.dense.bias[0] = 200.0
    path = export.export_onnx(model.net, tmp_path / "m.onnx")
    ranked = export.rank_by_input_range(path, model.encoder_for(), export.BUILTIN_SENTENCES)
    assert set(ranked) == set(export.quantizable_inputs(path))
    assert ranked[0] == "/encoder/encoder/layer.0/output/dense/MatMul"
    plans = list(export.quant_plans(path, lambda: ranked))
    assert len(plans) == 1 + len(export.FALLBACK_WIDEST) and plans[0][1] == []
    heads = export.head_nodes(path)
    assert heads and all(set(heads) <= set(kept) for _, kept in plans[1:])
    assert ranked[0] in plans[1][1]
    assert [len(kept) for _, kept in plans] == sorted(len(kept) for _, kept in plans)


def test_number_agreement_can_gate_files_too(tiny_model_dir, capsys):
    args = [
        "export",
        "--model",
        str(tiny_model_dir),
        "--no-quantize",
        "--min-number-agreement",
        "1.01",
    ]
    assert main(args) == 1
    assert "number agreement 100.00% is below 101.00%" in capsys.readouterr().err
    assert not (tiny_model_dir / ONNX_NAME).exists()
    report = json.loads((tiny_model_dir / export.REPORT_NAME).read_text())
    assert report["min_number_agreement"] == 1.01 and report["files"][0]["label_agreement"] == 1.0
