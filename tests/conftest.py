"""Shared fixtures: a tiny random BERT built from a config (no downloads), and paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

WORDS = (
    "at least some about over up to more than nearly civilians people children families villages town "
    "towns hospital hospitals school schools bridge market fled displaced killed wounded injured died "
    "captured seized took struck hit shelled bombed destroyed the a of and in were was have has by "
    "from after on near rebels army forces regime air strike strikes two three five ten twelve dozens "
    "hundreds thousands million people's year old police arrested said reported"
).split()


def _build_tiny_base(folder: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = [str(d) for d in range(10)] + [f"##{d}" for d in range(10)] + list(",.-$%'")
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(specials + WORDS + pieces))}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece()
    tok.save(str(folder / "tokenizer.json"))
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """A tiny random BERT encoder folder (config, safetensors, tokenizer.json)."""
    pytest.importorskip("torch", reason="the [train] extra is needed for model tests")
    return _build_tiny_base(tmp_path_factory.mktemp("tiny-base"))


@pytest.fixture()
def tiny_model_dir(tiny_base, tmp_path) -> Path:
    """A saved, untrained conflict-events model folder built on the tiny encoder (a fresh copy per test)."""
    from conflict_events.model.pretrained import EventModel

    out = tmp_path / "model"
    EventModel.from_base(tiny_base, max_length=32).save_pretrained(out)
    return out


def _onnx_model_folder(folder: Path, base: Path, bias_tag: str | None = None) -> Path:
    """A tiny untrained model, exported to ONNX; ``bias_tag``: every token gets that tag."""
    import torch

    from conflict_events.model.export import export_onnx
    from conflict_events.model.pretrained import EventModel

    model = EventModel.from_base(base, max_length=32)
    if bias_tag is not None:
        with torch.no_grad():
            model.net.tag_head.bias[model.config.labels.bio_tags.index(bias_tag)] = 50.0
    model.save_pretrained(folder)
    export_onnx(model.net, folder / "model.onnx")
    return folder


@pytest.fixture(scope="session")
def onnx_model(tiny_base, tmp_path_factory) -> Path:
    """The tiny model on ONNX Runtime (random: few events, few numbers), shared by the session."""
    return _onnx_model_folder(tmp_path_factory.mktemp("onnx-model"), tiny_base)


@pytest.fixture(scope="session")
def counting_onnx_model(tiny_base, tmp_path_factory) -> Path:
    """The tiny model biased to tag every token as a killed count: every figure becomes a number."""
    return _onnx_model_folder(tmp_path_factory.mktemp("counting-model"), tiny_base, "B-killed")


@pytest.fixture(scope="session")
def decisive_model(tiny_base, tmp_path_factory) -> Path:
    """The tiny random model with its heads scaled up, exported to fp32 ONNX.

    Scaled heads push logits far from the thresholds, so labels and numbers vary with the text
    but do not flip on float noise between batchings: what engine parity tests need.
    """
    import torch

    from conflict_events.model.export import export_onnx
    from conflict_events.model.pretrained import EventModel

    folder = tmp_path_factory.mktemp("decisive-model")
    model = EventModel.from_base(tiny_base, max_length=32)
    with torch.no_grad():
        model.net.event_head.weight.mul_(300.0)
        model.net.tag_head.weight.mul_(30.0)
    model.save_pretrained(folder)
    export_onnx(model.net, folder / "model.onnx")
    return folder


@pytest.fixture(scope="session")
def ray_local():
    """Ray in local mode on 2 CPUs, started once for the whole session."""
    ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
    for attempt in (1, 2):  # a heavily loaded machine can miss Ray's start-up deadline once
        try:
            ray.init(
                num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False
            )
            break
        except Exception:
            ray.shutdown()
            if attempt == 2:
                raise
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def spark():
    """A local[2] Spark session, started once for the whole session (needs Java 17+)."""
    pytest.importorskip("pyspark", reason="the [spark] extra is not installed")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("conflict-events-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture()
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"public corpora not found at {SHARED_DATA} (only present on the project's machines)"
        )
    return SHARED_DATA


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
