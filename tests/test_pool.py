"""``conflict-events data pool``: unlabelled permissive sentences for distillation, on the
project's small GENEVA and PLOVER fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conflict_events.cli import main
from conflict_events.training.corpus import split_for
from conflict_events.training.heldout import HeldOut, document_group
from conflict_events.training.records import read_records

FIXTURES = Path(__file__).parent / "fixtures" / "event_sources"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    for name in ("geneva", "plover_gsr", "wikievents"):
        shutil.copytree(FIXTURES / name, data / name)
    return data


def test_the_pool_holds_unlabelled_train_sentences_only(data_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "pool.jsonl"
    args = ["data", "pool", "--data-dir", str(data_dir), "--out", str(out)]
    assert main([*args, "--source", "geneva", "--source", "plover_gsr"]) == 0
    report = json.loads(capsys.readouterr().out.rsplit("}", 1)[0] + "}")
    pool = read_records(out)
    assert pool and {r.source for r in pool} == {"geneva", "plover_gsr"}
    assert all(r.known_labels == () and not r.events and not r.numbers for r in pool)
    held = HeldOut.load(None)
    for r in pool:  # dev documents choose checkpoints and thresholds: never trained on
        assert r.source is not None and r.doc_id is not None
        assert split_for(document_group(r.source, r.doc_id), held.realtext_shares) == "train"
        assert len(r.text) >= 20
    assert len({r.text for r in pool}) == len(pool)
    assert sum(report["kept"].values()) == len(pool)


def test_the_pool_refuses_research_only_text_and_caps_each_source(
    data_dir: Path, tmp_path: Path, capsys
):
    out = tmp_path / "pool.jsonl"
    args = ["data", "pool", "--data-dir", str(data_dir), "--out", str(out)]
    assert main([*args, "--source", "wikievents"]) == 2
    assert "wikievents: not permissively licensed" in capsys.readouterr().err
    assert not out.exists()

    assert main([*args, "--source", "geneva", "--cap-per-source", "2"]) == 0
    capped = read_records(out)
    assert len(capped) == 2
    assert main([*args, "--source", "geneva", "--cap-per-source", "2"]) == 0  # seeded: unchanged
    assert read_records(out) == capped
    assert main([*args, "--source", "geneva", "--cap-per-source", "3"]) == 2
    assert "holds other content" in capsys.readouterr().err
    assert read_records(out) == capped
    assert main([*args, "--source", "geneva", "--cap-per-source", "3", "--overwrite"]) == 0
    assert len(read_records(out)) == 3
