"""The held-out manifest (``training/heldout.toml``): public data never trained or tuned on.

It names whole files (the IDETECT test spreadsheet), per-source rules on document ids (the odd
CASE 2021 ids, a fixed hash share of IndiaPoliceEvents documents), the document split of real
text (a SHA-256 of ``<source>/<doc_id>``: train 80 / dev 10 / test 10, test held out) and single
record ids. Converters skip what it holds unless asked for evaluation data; training refuses it.

>>> held = HeldOut.from_dict({"version": 1,
...     "rules": [{"source": "case2021_task2", "rule": "odd-id"}],
...     "realtext": {"rule": "document-hash", "shares": [0.8, 0.1, 0.1], "sources": ["re3d"]}})
>>> held.is_heldout("case2021_task2", "7"), held.is_heldout("case2021_task2", "8")
(True, False)
>>> held.split("re3d", "CENTCOM/1") in ("train", "dev", "test")
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conflict_events.training.corpus import split_for
from conflict_events.training.records import Record

SPLITS = ("train", "dev", "test")
RULES = ("odd-id", "document-hash")
_REPEAT_SUFFIX = re.compile(r"~\d+$")


class HeldOutError(ValueError):
    """Held-out data where it must not be, or a manifest that cannot be read."""


def default_manifest() -> Path:
    """``training/heldout.toml``: package data, so installed copies refuse held-out data too."""
    return Path(__file__).resolve().parent / "heldout.toml"


def document_group(source: str, doc_id: str) -> str:
    """The key a document is split by; repeats of one document (``~2``) share their original's.

    >>> document_group("fakes_syria", "1926479049~2")
    'fakes_syria/1926479049'
    """
    return f"{source}/{_REPEAT_SUFFIX.sub('', doc_id)}"


@dataclass(frozen=True)
class HeldOutFile:
    source: str
    path: str  # relative to --data-dir
    doc_id_prefix: str
    reason: str = ""


@dataclass(frozen=True)
class SourceRule:
    source: str
    rule: str
    shares: tuple[float, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class HeldOut:
    """A loaded manifest; see the module docstring."""

    files: tuple[HeldOutFile, ...] = ()
    rules: tuple[SourceRule, ...] = ()
    realtext_shares: tuple[float, ...] = (0.8, 0.1, 0.1)
    realtext_sources: frozenset[str] = frozenset()
    records: frozenset[tuple[str, str, str]] = frozenset()
    path: str | None = field(default=None, compare=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> HeldOut:
        """Read the manifest at ``path`` (default: the repository's ``training/heldout.toml``)."""
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]

        manifest = Path(path) if path is not None else default_manifest()
        if not manifest.is_file():
            raise HeldOutError(
                f"{manifest}: held-out manifest not found (it ships as training/heldout.toml); "
                f"pass its path"
            )
        try:
            data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise HeldOutError(f"{manifest}: {exc}") from None
        try:
            return cls.from_dict(data, path=str(manifest))
        except HeldOutError as exc:
            raise HeldOutError(f"{manifest}: {exc}") from None

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: str | None = None) -> HeldOut:
        if data.get("version") != 1:
            raise HeldOutError(f"unsupported manifest version {data.get('version')!r}")
        try:
            files = tuple(
                HeldOutFile(f["source"], f["path"], f["doc_id_prefix"], f.get("reason", ""))
                for f in data.get("files", [])
            )
            rules = tuple(
                SourceRule(r["source"], r["rule"], _shares(r.get("shares")), r.get("reason", ""))
                for r in data.get("rules", [])
            )
            realtext = data.get("realtext", {})
            records = frozenset(
                (r["source"], r["doc_id"], r["id"]) for r in data.get("records", [])
            )
        except (KeyError, TypeError) as exc:
            raise HeldOutError(f"malformed entry: missing {exc}") from None
        for rule in rules:
            if rule.rule not in RULES:
                raise HeldOutError(f"unknown rule {rule.rule!r} for {rule.source}; known {RULES}")
            if rule.rule == "document-hash" and not rule.shares:
                raise HeldOutError(f"rule document-hash for {rule.source} needs shares")
        if realtext and realtext.get("rule") != "document-hash":
            raise HeldOutError(f"unknown realtext rule {realtext.get('rule')!r}")
        return cls(
            files=files,
            rules=rules,
            realtext_shares=_shares(realtext.get("shares", [0.8, 0.1, 0.1])),
            realtext_sources=frozenset(realtext.get("sources", [])),
            records=records,
            path=path,
        )

    def reason(self, source: str, doc_id: str, record_id: str | None = None) -> str | None:
        """Why this document (or record) is held out, or None when it is not."""
        for held in self.files:
            if source == held.source and doc_id.startswith(held.doc_id_prefix):
                return f"in held-out file {held.path}"
        for rule in self.rules:
            if rule.source != source:
                continue
            if rule.rule == "odd-id":
                number = _REPEAT_SUFFIX.sub("", doc_id)
                if not number.isdigit():
                    raise HeldOutError(f"{source}: doc id {doc_id!r} is not a number (odd-id rule)")
                if int(number) % 2 == 1:
                    return f"{source} odd id"
            elif split_for(document_group(source, doc_id), rule.shares) == "test":
                return f"{source} held-out document (hash share)"
        if source in self.realtext_sources:
            if split_for(document_group(source, doc_id), self.realtext_shares) == "test":
                return "real-text test document (hash split)"
        if record_id is not None and (source, doc_id, record_id) in self.records:
            return "record listed in the manifest"
        return None

    def is_heldout(self, source: str, doc_id: str, record_id: str | None = None) -> bool:
        """Whether a document or record of a public source must not be trained or tuned on."""
        return self.reason(source, doc_id, record_id) is not None

    def split(self, source: str, doc_id: str, record_id: str | None = None) -> str:
        """``test`` when held out, else ``train`` or ``dev`` by the real-text document hash."""
        if source not in self.realtext_sources:
            raise HeldOutError(f"source {source!r} is not split by the held-out manifest")
        if self.is_heldout(source, doc_id, record_id):
            return "test"
        return split_for(document_group(source, doc_id), self.realtext_shares)

    def check_file(self, path: str | Path) -> None:
        """Raise :class:`HeldOutError` when ``path`` is (a copy at the same place of) a
        held-out file, compared by its trailing path parts."""
        parts = Path(path).resolve().parts
        for held in self.files:
            tail = Path(held.path).parts
            if parts[-len(tail) :] == tail:
                raise HeldOutError(
                    f"{path}: held-out file ({held.reason or held.path}); it is for evaluation "
                    f"only and must not be trained or tuned on"
                )

    def heldout_records(self, records: Iterable[Record]) -> list[tuple[Record, str]]:
        """The records of public sources that the manifest holds out, with the reason."""
        found = []
        for record in records:
            if record.source is None or record.doc_id is None:
                continue
            if record.source in self.realtext_sources or any(
                r.source == record.source for r in (*self.files, *self.rules)
            ):
                why = self.reason(record.source, record.doc_id, record.id)
                if why is not None:
                    found.append((record, why))
        return found

    def refuse(self, records: Sequence[Record], where: str = "training data") -> None:
        """Raise :class:`HeldOutError` listing held-out records (training calls this)."""
        found = self.heldout_records(records)
        if found:
            shown = "; ".join(f"{r.id} ({why})" for r, why in found[:5])
            more = f" and {len(found) - 5} more" if len(found) > 5 else ""
            raise HeldOutError(
                f"{where} holds {len(found)} held-out record(s): {shown}{more}; they are for "
                f"evaluation only (training/heldout.toml)"
            )


def _shares(value: Any) -> tuple[float, ...]:
    if value is None:
        return ()
    shares = tuple(float(x) for x in value)
    if len(shares) != len(SPLITS) or any(x < 0 for x in shares) or sum(shares) <= 0:
        raise HeldOutError(f"shares must be three non-negative numbers (train, dev, test): {value}")
    return shares
