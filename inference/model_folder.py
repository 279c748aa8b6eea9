"""The self-describing model folder: ``config.json`` read and written in one place.

A model folder holds ``config.json`` (architecture, label schema, thresholds, format version,
library versions), the tokenizer (``tokenizer.json``), weights (``model.safetensors`` and/or the
exported ``model.onnx`` / ``model.int8.onnx``), ``training_args.json``, ``eval_results.json`` and a
model card ``README.md``. Labels are stored once, in ``config.json``.

>>> cfg = ModelConfig(labels=LabelSchema.default(), encoder_config={"model_type": "bert"})
>>> ModelConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conflict_events.inference.labels import LabelSchema

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
TOKENIZER_NAME = "tokenizer.json"
WEIGHTS_NAME = "model.safetensors"
ONNX_NAME = "model.onnx"
ONNX_INT8_NAME = "model.int8.onnx"
ARCHITECTURE = "JointEventModel"


class ModelFolderError(ValueError):
    """A model folder that cannot be loaded: missing files, wrong architecture, bad schema."""


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild and run a model, stored as ``config.json``.

    ``thresholds`` holds one decision threshold per event label (0.5 when not tuned).
    ``encoder_config`` is the Hugging Face config of the encoder (``AutoConfig.to_dict()``), so
    the encoder is rebuilt without its original checkpoint.
    """

    labels: LabelSchema = field(default_factory=LabelSchema.default)
    thresholds: dict[str, float] = field(default_factory=dict)
    encoder_config: dict[str, Any] = field(default_factory=dict)
    max_length: int = 128
    window_stride: int = 32
    pooling: str = "mean"  # how the event head pools token states: "mean" or "cls"
    dropout: float = 0.1  # before both heads (training only, but part of the architecture)
    number_threshold: float = 0.5
    reconcile: bool = True
    base_model: str | None = None
    architecture: str = ARCHITECTURE
    format_version: int = FORMAT_VERSION
    library_versions: dict[str, str] = field(default_factory=dict)

    def threshold(self, label: str) -> float:
        return float(self.thresholds.get(label, 0.5))

    def to_dict(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "format_version": self.format_version,
            "labels": self.labels.to_dict(),
            "thresholds": {k: float(v) for k, v in self.thresholds.items()},
            "max_length": self.max_length,
            "window_stride": self.window_stride,
            "pooling": self.pooling,
            "dropout": self.dropout,
            "number_threshold": self.number_threshold,
            "reconcile": self.reconcile,
            "base_model": self.base_model,
            "encoder_config": self.encoder_config,
            "library_versions": self.library_versions,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        if data.get("architecture") != ARCHITECTURE:
            raise ModelFolderError(
                f"architecture {data.get('architecture')!r} is not {ARCHITECTURE!r}: "
                "not a conflict-events model folder"
            )
        version = int(data.get("format_version", 0))
        if version > FORMAT_VERSION:
            warnings.warn(
                f"model folder format version {version} is newer than this library's "
                f"{FORMAT_VERSION}; upgrade conflict-events if loading fails",
                stacklevel=2,
            )
        try:
            labels = LabelSchema.from_dict(data["labels"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFolderError(f"bad label schema in config.json: {exc}") from None
        unknown = set(data.get("thresholds", {})) - set(labels.event_labels)
        if unknown:
            raise ModelFolderError(f"thresholds name labels not in the schema: {sorted(unknown)}")
        max_length, stride = int(data.get("max_length", 128)), int(data.get("window_stride", 32))
        if max_length < 4:
            raise ModelFolderError(f"max_length must be at least 4, not {max_length}")
        if stride < 1:
            # A window's step is its length minus the stride: a stride below 1 would skip text.
            raise ModelFolderError(f"window_stride must be at least 1, not {stride}")
        return cls(
            labels=labels,
            thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
            encoder_config=dict(data.get("encoder_config", {})),
            max_length=max_length,
            window_stride=stride,
            pooling=data.get("pooling", "mean"),
            dropout=float(data.get("dropout", 0.1)),
            number_threshold=float(data.get("number_threshold", 0.5)),
            reconcile=bool(data.get("reconcile", True)),
            base_model=data.get("base_model"),
            architecture=data["architecture"],
            format_version=version,
            library_versions=dict(data.get("library_versions", {})),
        )

    @classmethod
    def load(cls, folder: str | Path) -> ModelConfig:
        """Read ``folder/config.json``, failing clearly when it is missing or malformed."""
        path = Path(folder) / CONFIG_NAME
        if not path.is_file():
            raise ModelFolderError(f"{folder}: no {CONFIG_NAME}; not a model folder")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFolderError(f"{path}: unreadable config: {exc}") from None
        try:
            return cls.from_dict(data)
        except (ModelFolderError, TypeError, ValueError) as exc:
            raise ModelFolderError(f"{path}: {exc}") from None

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / CONFIG_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return path


ENCODER_DIR = "encoder"  # the encoder as a standard Hugging Face folder (AutoModel/AutoTokenizer)


def local_folder(path: str | Path, what: str = "model folder") -> Path:
    """``path`` as a local folder, or a clear error; a Hub id gets told how to fetch one.

    The project runs offline: nothing is downloaded at run time, so ``"org/name"`` is not
    fetched but explained.

    >>> try:
    ...     local_folder("sentence-transformers/all-MiniLM-L6-v2")
    ... except ModelFolderError as exc:
    ...     print(str(exc).split(": ")[0])
    'sentence-transformers/all-MiniLM-L6-v2' is not a local folder. It looks like a Hugging Face Hub id, but conflict-events runs offline and downloads nothing
    """
    folder = Path(path)
    if folder.is_dir():
        return folder
    text = str(path)
    parts = text.split("/")
    if len(parts) == 2 and all(parts) and not text.startswith((".", "~")) and not folder.exists():
        raise ModelFolderError(
            f"{text!r} is not a local folder. It looks like a Hugging Face Hub id, but "
            "conflict-events runs offline and downloads nothing: fetch the folder once with "
            f"`huggingface-cli download {text} --local-dir models/{parts[1]}` "
            "(or `snapshot_download`) and pass that path"
        )
    raise ModelFolderError(f"{text}: no such folder; not a {what}")


def check_output_widths(
    folder: str | Path, config: ModelConfig, source: str, events: int | None, tags: int | None
) -> None:
    """The model file's output widths must match the labels of ``config.json`` (None: unknown).

    A config edited by hand (a label added) would otherwise load, then fail every document.
    """
    expected = (
        ("event labels", len(config.labels.event_labels), events),
        ("BIO tags (roles)", len(config.labels.bio_tags), tags),
    )
    for what, declared, found in expected:
        if found is not None and found != declared:
            raise ModelFolderError(
                f"{folder}: {CONFIG_NAME} declares {declared} {what} but {source} outputs "
                f"{found}: the config and the weights do not belong together"
            )


def safetensors_head_widths(path: str | Path) -> tuple[int | None, int | None]:
    """Output widths of the event and tag heads, read from a safetensors header (no torch)."""
    with open(path, "rb") as stream:
        size = int.from_bytes(stream.read(8), "little")
        if not 0 < size < 100_000_000:
            raise ModelFolderError(f"{path}: not a safetensors file (header size {size})")
        try:
            header = json.loads(stream.read(size))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFolderError(f"{path}: unreadable safetensors header: {exc}") from None

    def width(suffix: str) -> int | None:
        shapes = [v["shape"] for k, v in header.items() if k.endswith(suffix)]
        return int(shapes[0][0]) if shapes else None

    return width("event_head.weight"), width("tag_head.weight")


def make_readable(path: str | Path) -> None:
    """Give a written file the mode a plain ``open(..., "w")`` would (0644 under umask 022).

    Some writers (safetensors) create their file 0600 through a temporary file.
    """
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def default_model_dir() -> Path:
    """The shipped default model: package data of ``conflict_events.model``, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("conflict_events.model")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFolderError("conflict_events.model is not installed; pass a model folder path")
    return Path(next(iter(spec.submodule_search_locations))) / "default"
