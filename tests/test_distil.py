"""Distillation: a tiny random teacher teaches a tiny student, on labelled and unlabelled records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conflict_events.cli import main
from conflict_events.training.records import Record, write_records

torch = pytest.importorskip("torch", reason="the [train] extra is needed for distillation tests")

from conflict_events.training.distil import char_alignment, distil_loss  # noqa: E402
from tests.test_train import _records  # noqa: E402

UNLABELLED = [
    "Some 300 families fled the villages after the strikes.",
    "Forces seized two towns near the border.",
    "The market was struck and ten people were killed.",
]


def _pool(path):
    write_records(
        path,
        [
            Record(f"u{i}", text, doc_id=f"u{i}", source="pool", known_labels=())
            for i, text in enumerate(UNLABELLED)
        ],
    )
    return path


def _train(tiny_base, tmp_path, out_name, *extra, unlabelled=None):
    labelled = tmp_path / "train.jsonl"
    write_records(labelled, _records())
    out = tmp_path / out_name
    files = [str(labelled)] + ([str(unlabelled)] if unlabelled else [])
    args = ["train", "--train", *files, *extra, "--dev", str(labelled), "--out", str(out)]
    args += ["--base-model", str(tiny_base), "--max-length", "32", "--batch-size", "2"]
    assert main([*args, "--epochs", "1", "--quiet"]) == 0
    return out


def test_teacher_targets_train_a_student_on_unlabelled_records(tiny_base, tmp_path, monkeypatch):
    teacher = _train(tiny_base, tmp_path, "teacher")
    pool = _pool(tmp_path / "pool.jsonl")
    calls = []
    from conflict_events.training import distil

    original = distil.distil_loss

    def spy(batch, *args, **kw):
        calls.append(batch["soft_mask"].clone())
        return original(batch, *args, **kw)

    monkeypatch.setattr(distil, "distil_loss", spy)
    student = _train(tiny_base, tmp_path, "student", "--teacher", str(teacher), unlabelled=pool)
    assert calls and all(mask.sum() > 0 for mask in calls)  # every batch had teacher targets
    seen = int(sum(mask.sum() for mask in calls))
    assert seen == len(_records()) + len(UNLABELLED)  # labelled and unlabelled, once each
    cache = sorted((student / "teacher_targets").glob("chunk-*.safetensors"))
    assert cache, "teacher passes are cached for resume"
    args = json.loads((student / "training_args.json").read_text())
    assert args["teacher"] == [str(teacher)]


def test_cached_teacher_targets_are_reused(tiny_base, tmp_path, monkeypatch):
    teacher = _train(tiny_base, tmp_path, "teacher")
    _train(
        tiny_base,
        tmp_path,
        "student",
        "--teacher",
        str(teacher),
        "--max-steps",
        "1",
        "--keep-checkpoint",
    )
    from conflict_events.training.distil import Teacher

    def fail(self, texts):
        raise AssertionError("the teacher ran again although its targets were cached")

    monkeypatch.setattr(Teacher, "logits", fail)
    # Same texts, same teacher: the resumed run reads the cache instead of running the teacher.
    _train(tiny_base, tmp_path, "student", "--teacher", str(teacher), "--max-steps", "2")


def test_teacher_runs_only_on_records_its_cache_has_not_seen(tiny_base, tmp_path, monkeypatch):
    import shutil

    teacher = _train(tiny_base, tmp_path, "teacher")
    first = _train(tiny_base, tmp_path, "first", "--teacher", str(teacher), "--max-steps", "1")
    from conflict_events.training.distil import Teacher

    seen = []
    original = Teacher.logits

    def spy(self, texts):
        seen.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(Teacher, "logits", spy)
    # A new run over more data, started from the first run's cache (the pool comes after the
    # labelled file, so every chunk boundary of the first run has moved): only the pool is new. A
    # damaged cache file (a run killed while writing it) is skipped, not fatal.
    shutil.copytree(first / "teacher_targets", tmp_path / "second" / "teacher_targets")
    (tmp_path / "second" / "teacher_targets" / "chunk-00099.json").write_bytes(b"\xff{cut")
    args = ("--teacher", str(teacher), "--max-steps", "1")
    _train(tiny_base, tmp_path, "second", *args, unlabelled=_pool(tmp_path / "pool.jsonl"))
    assert sorted(seen) == sorted(UNLABELLED)


def test_an_ensemble_of_teachers_teaches_the_mean_of_their_logits(tiny_base, tmp_path, monkeypatch):
    from conflict_events.inference.labels import LabelSchema
    from conflict_events.training.distil import Teacher, soft_targets
    from conflict_events.training.features import featurize

    first = _train(tiny_base, tmp_path, "first")
    second = _train(tiny_base, tmp_path, "second", "--seed", "7")
    labels = LabelSchema.default()
    one, two = Teacher(first, labels), Teacher(second, labels)
    records = _records()
    features = featurize(records, one.encoder, labels)
    offsets = [f.offsets for f in features]
    alone = [soft_targets(records, features, offsets, [t], progress=False) for t in (one, two)]
    cache = tmp_path / "cache"
    both = soft_targets(records, features, offsets, [one, two], cache=cache, progress=False)
    for k in range(len(records)):
        a, b, mean = alone[0][k], alone[1][k], both[k]
        assert not np.allclose(a.soft_events, b.soft_events)  # two different teachers
        assert np.allclose(mean.soft_events, (np.array(a.soft_events) + b.soft_events) / 2)
        assert np.allclose(mean.soft_tags, (a.soft_tags + b.soft_tags) / 2, equal_nan=True)
    # Each teacher's pass is cached under its own keys: a second run reads both, running neither.
    monkeypatch.setattr(Teacher, "logits", lambda self, texts: pytest.fail("a teacher ran again"))
    again = soft_targets(records, features, offsets, [one, two], cache=cache, progress=False)
    assert all(np.array_equal(x.soft_events, y.soft_events) for x, y in zip(again, both))
    with pytest.raises(ValueError, match="at least one teacher"):
        soft_targets(records, features, offsets, [], progress=False)


def test_a_config_naming_one_teacher_or_none_the_old_way_still_loads():
    from conflict_events.training.config import TrainConfig

    assert TrainConfig(teacher="runs/teacher").teacher == ["runs/teacher"]
    assert TrainConfig(teacher=None).teacher == []
    # A run saved that way resumes: the saved folder is the same teacher, not a changed config.
    assert TrainConfig(teacher=["runs/teacher"]).differences({"teacher": "runs/teacher"}) == []
    assert TrainConfig().differences({"teacher": None}) == []
    assert TrainConfig().differences({"teacher": "runs/t"}) == ["teacher (['runs/t'] → [])"]


def test_distil_loss_is_zero_when_student_matches_teacher_and_grows_otherwise():
    torch.manual_seed(0)
    events, tags = torch.randn(2, 4), torch.randn(2, 5, 3)
    batch = {
        "weight": torch.ones(2),
        "soft_mask": torch.ones(2),
        "soft_events": events,
        "soft_tags": tags,
        "soft_tag_mask": torch.ones(2, 5),
    }
    _, same_tags = distil_loss(batch, events, tags, 2.0, 1.0)
    assert float(same_tags) == pytest.approx(0.0, abs=1e-5)  # KL of a distribution with itself
    ev_same, _ = distil_loss(batch, events, tags, 2.0, 1.0)
    ev_other, other_tags = distil_loss(batch, -events, -tags, 2.0, 1.0)
    assert float(ev_other) > float(ev_same) and float(other_tags) > 0.1
    batch["soft_mask"] = torch.zeros(2)  # records without teacher targets add nothing
    assert [float(x) for x in distil_loss(batch, -events, -tags, 2.0, 1.0)] == [0.0, 0.0]


def test_tags_cross_tokenizers_by_characters():
    # student "twenty-five" in three pieces, teacher in one: all three take the teacher's token
    assert char_alignment([(0, 6), (6, 7), (7, 11)], [(0, 11)], 11) == [0, 0, 0]
    assert np.array_equal(char_alignment([(3, 5)], [(0, 2)], 5), [-1])


def test_tag_targets_can_be_kept_for_unlabelled_records_only():
    from conflict_events.training.distil import collate_soft, keep_tag_targets
    from conflict_events.training.features import IGNORE, Features

    soft = np.zeros((2, 3), dtype=np.float32)
    gold = Features(
        (1, 5, 6, 2), (IGNORE, 0, 3, IGNORE), (1.0,), (1.0,), soft_events=(2.0,), soft_tags=soft
    )
    pool = Features(
        (1, 7, 8, 2), (IGNORE,) * 4, (0.0,), (0.0,), soft_events=(-2.0,), soft_tags=soft
    )
    kept = keep_tag_targets([gold, pool], "unlabelled")
    assert kept[0].soft_tags is None and kept[1].soft_tags is not None
    batch = collate_soft(kept, width=4, prefix=1)
    assert batch["soft_mask"].tolist() == [1.0, 1.0]  # event targets for both
    assert batch["soft_tag_mask"].tolist() == [[0, 0, 0, 0], [0, 1, 1, 0]]  # tags: pool only
    assert all(f.soft_tags is None for f in keep_tag_targets([gold, pool], "none"))
