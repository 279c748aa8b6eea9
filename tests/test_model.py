"""The joint model: save/load round trip, schema checks, decoding of hand-made logits, windows."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conflict_events.inference.decoding import bio_spans, decide_events, spans_to_numbers
from conflict_events.inference.labels import LabelSchema
from conflict_events.inference.model_folder import ModelConfig, ModelFolderError
from conflict_events.inference.results import Qualifier

torch = pytest.importorskip("torch", reason="the [train] extra is needed for model tests")


def test_save_load_round_trip_gives_identical_outputs(tiny_base, tmp_path):
    from conflict_events.model.pretrained import EventModel

    model = EventModel.from_base(tiny_base, max_length=32)
    model.net.eval()
    ids = torch.tensor([[2, 10, 11, 12, 3]])
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        before = model.net(ids, mask)
    model.save_pretrained(tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} >= {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
    }
    loaded = EventModel.from_pretrained(tmp_path / "m")
    with torch.inference_mode():
        after = loaded.net(ids, mask)
    for a, b in zip(before, after):
        assert torch.equal(a, b)
    assert loaded.config.labels == LabelSchema.default()


def test_loading_fails_on_schema_mismatch_and_warns_on_newer_format(tiny_model_dir):
    from conflict_events.model.pretrained import EventModel

    with pytest.raises(ModelFolderError, match="label schema mismatch"):
        EventModel.from_pretrained(tiny_model_dir, LabelSchema.with_extra(["arrest"]))
    data = json.loads((tiny_model_dir / "config.json").read_text())
    data["format_version"] = 99
    (tiny_model_dir / "config.json").write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="newer"):
        ModelConfig.load(tiny_model_dir)
    data["architecture"] = "Something"
    (tiny_model_dir / "config.json").write_text(json.dumps(data))
    with pytest.raises(ModelFolderError, match="not a conflict-events model"):
        ModelConfig.load(tiny_model_dir)


def test_bio_decoding_of_hand_made_probabilities_gives_character_offsets():
    text = "At least 25,000 civilians fled and 3 were killed in 2011."
    tags = LabelSchema.default().bio_tags
    # tokens: [CLS] at least 25 , 000 civilians fled and 3 were killed in 2011 . [SEP]
    offsets = [
        None,
        (0, 2),
        (3, 8),
        (9, 11),
        (11, 12),
        (12, 15),
        (16, 25),
        (26, 30),
        (31, 34),
        (35, 36),
        (37, 41),
        (42, 48),
        (49, 51),
        (52, 56),
        (56, 57),
        None,
    ]
    probs = np.zeros((len(offsets), len(tags)))
    probs[:, 0] = 1.0
    for i, tag in (
        (3, "B-displaced"),
        (4, "I-displaced"),
        (5, "I-displaced"),
        (9, "B-killed"),
        (13, "B-killed"),
    ):
        probs[i] = 0.0
        probs[i, tags.index(tag)] = 0.9
        probs[i, 0] = 0.1
    spans = bio_spans(offsets, probs, tags)
    assert [(s.start, s.end, s.role) for s in spans] == [
        (9, 15, "displaced"),
        (35, 36, "killed"),
        (52, 56, "killed"),
    ]
    numbers = spans_to_numbers(text, spans)
    # The year is tagged by the head but vetoed by the normaliser: it is not a count.
    assert [(n.text, n.role, n.value, n.qualifier) for n in numbers] == [
        ("25,000", "displaced", 25000.0, Qualifier.AT_LEAST),
        ("3", "killed", 3.0, Qualifier.EXACT),
    ]
    assert numbers[0].unit == "civilians"
    events = decide_events(np.array([0.2, 0.1, 0.0, 0.0]), numbers, LabelSchema.default(), {})
    assert [e.label for e in events] == ["displacement", "casualty"]


def test_tagger_handles_empty_and_over_long_sentences(tiny_model_dir):
    from conflict_events.inference.tagger import EventTagger

    tagger = EventTagger.from_pretrained(tiny_model_dir, backend="torch")
    long = " ".join(["five people were killed in the town"] * 40)  # far beyond 32 tokens
    results = tagger.tag(["", long, "Two died."])
    assert len(results) == 3 and results[0].events == () and results[0].text == ""
    assert len(tagger.encoder.encode([long])) > 1  # cut into overlapping windows, not truncated
    for n in results[1].numbers:
        assert long[n.start : n.end] == n.text
    assert tagger.predict_proba([long]).shape == (1, 4)
    with pytest.raises(TypeError):
        tagger.tag("a bare string")


def test_the_encoder_is_a_standard_hugging_face_folder(tiny_model_dir):
    import torch
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    from conflict_events.model.pretrained import EventModel

    encoder_dir = tiny_model_dir / "encoder"
    assert AutoConfig.from_pretrained(encoder_dir).model_type == "bert"
    encoder = AutoModel.from_pretrained(encoder_dir)
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir)
    text = "At least 25,000 civilians fled."
    batch = tokenizer([text], return_tensors="pt")
    model = EventModel.from_pretrained(tiny_model_dir)
    (window,) = model.encoder_for().encode([text])
    assert batch["input_ids"][0].tolist() == list(window.ids)  # the runtime's own tokens
    with torch.no_grad():
        ours = model.net.encoder(**batch).last_hidden_state
        theirs = encoder(**batch).last_hidden_state
    assert torch.allclose(ours, theirs)
    # model.safetensors holds the heads only: nothing is stored twice
    from safetensors.torch import load_file

    assert all(
        not k.startswith("encoder.") for k in load_file(tiny_model_dir / "model.safetensors")
    )
    assert not list(tiny_model_dir.rglob("*.bin")) and not list(tiny_model_dir.rglob("*.pkl"))


def test_a_folder_from_before_encoder_dir_still_loads(tiny_model_dir, tmp_path):
    """Older folders keep every weight in model.safetensors and have no encoder/."""
    import shutil

    import torch
    from safetensors.torch import save_file

    from conflict_events.model.pretrained import EventModel

    model = EventModel.from_pretrained(tiny_model_dir)
    old = tmp_path / "old"
    old.mkdir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copyfile(tiny_model_dir / name, old / name)
    save_file({k: v.contiguous() for k, v in model.net.state_dict().items()},
              str(old / "model.safetensors"))  # fmt: skip
    loaded = EventModel.from_pretrained(old)
    ids, mask = torch.tensor([[2, 7, 9, 3]]), torch.ones(1, 4, dtype=torch.long)
    with torch.no_grad():
        assert torch.allclose(model.net(ids, mask)[0], loaded.net(ids, mask)[0])


def test_a_hub_id_is_told_the_project_runs_offline(tiny_base):
    from conflict_events.inference.tagger import EventTagger
    from conflict_events.model.pretrained import EventModel

    for load in (
        lambda: EventTagger.from_pretrained("sentence-transformers/all-MiniLM-L6-v2"),
        lambda: EventModel.from_base("sentence-transformers/all-MiniLM-L6-v2"),
        lambda: EventModel.from_pretrained("org/some-model"),
    ):
        with pytest.raises(ModelFolderError, match="runs offline.*huggingface-cli download"):
            load()
