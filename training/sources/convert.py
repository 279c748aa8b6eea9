"""``conflict-events data convert SOURCE``: a public corpus as labelled records.

Each convertible source module has ``to_records(doc)``, which maps the corpus's own labels onto
the guideline (the mapping is documented there and in ``data/SOURCES.md``) and sets
``known_labels`` to what the source annotates, so training masks everything else. This module
runs it over the documents, leaves out held-out data (``training/heldout.toml``) unless
``include_heldout`` (evaluation only), merges records whose text repeats within the source
(the corpus stores the same text twice) and counts why documents gave no record.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from conflict_events.training.records import (
    OutputExistsError,
    Record,
    add_overwrite_argument,
    records_jsonl,
    write_outputs,
)
from conflict_events.training.sources import SourceError, get_source, iter_documents

# Sources with a converter (their module defines ``to_records``).
CONVERTIBLE = (
    "internal-displacement",
    "humset_quantity_isi",
    "case2021_task2",
    "disaster_response_messages",
    "indiapoliceevents",
    "fakes_syria",
)
# Sources whose converter only suggests candidates for annotators (their labels map to ours
# too loosely to train on): ``data convert`` runs them, ``data prepare`` does not, and what
# they hold reaches training through the stand-off annotations of data/annotations instead.
CANDIDATE_ONLY = ("geneva", "plover_gsr", "wikievents")


@dataclass
class ConvertResult:
    """Records of one source and the counts of what was left out."""

    source: str
    records: list[Record] = field(default_factory=list)
    documents: int = 0
    heldout_documents: int = 0
    heldout_records: int = 0
    repeated_text: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, object]:
        return {
            "source": self.source,
            "documents": self.documents,
            "records": len(self.records),
            "heldout_documents": self.heldout_documents,
            "heldout_records": self.heldout_records,
            "repeated_text": self.repeated_text,
            "skipped": dict(self.skipped.most_common()),
        }


def convert(
    source: str,
    data_dir: str | Path,
    *,
    heldout: object | None = None,
    include_heldout: bool = False,
    permissive_only: bool = False,
    heldout_only: bool = False,
) -> ConvertResult:
    """Convert ``source``; ``heldout`` is a loaded manifest (default: the repository's).

    ``permissive_only`` leaves out documents whose licence does not allow training the shipped
    model (counted under ``skipped``); ``heldout_only`` keeps only the held-out documents (the
    evaluation set of the source: IDETECT, odd CASE ids, IndiaPoliceEvents test documents).
    """
    from conflict_events.training.heldout import HeldOut
    from conflict_events.training.sources.mapping import Skipped

    if source not in CONVERTIBLE + CANDIDATE_ONLY:
        known = ", ".join(CONVERTIBLE + CANDIDATE_ONLY)
        raise SourceError(f"no converter for {source!r}; convertible: {known}")
    manifest = heldout if isinstance(heldout, HeldOut) else HeldOut.load()
    module = importlib.import_module(
        f"conflict_events.training.sources.{get_source(source).module}"
    )
    result = ConvertResult(source)
    seen_text: set[str] = set()
    for doc in iter_documents(source, data_dir):
        result.documents += 1
        if permissive_only and not doc.permissive:
            result.skipped["licence not permissive"] += 1
            continue
        held = manifest.is_heldout(source, doc.doc_id)
        if heldout_only and not held:
            result.skipped["not held out"] += 1
            continue
        if held and not (include_heldout or heldout_only):
            result.heldout_documents += 1
            continue
        for item in module.to_records(doc):
            if isinstance(item, Skipped):
                result.skipped[item.reason] += 1
                continue
            if not (include_heldout or heldout_only) and manifest.is_heldout(
                source, doc.doc_id, item.id
            ):
                result.heldout_records += 1
                continue
            if item.text in seen_text:
                result.repeated_text += 1
                continue
            seen_text.add(item.text)
            result.records.append(item)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``data convert SOURCE --data-dir DIR --out FILE.jsonl [--include-heldout]``."""
    parser.add_argument("source", choices=CONVERTIBLE + CANDIDATE_ONLY)
    parser.add_argument("--data-dir", required=True, help="folder holding the public corpora")
    parser.add_argument("--out", required=True, help="records JSONL to write")
    parser.add_argument(
        "--include-heldout",
        action="store_true",
        help="keep held-out documents (for evaluation only; never train on the output)",
    )
    parser.add_argument(
        "--heldout-only",
        action="store_true",
        help="convert only the held-out documents: the source's evaluation set",
    )
    parser.add_argument("--manifest", help="held-out manifest (default: training/heldout.toml)")
    add_overwrite_argument(parser)


def run(args: argparse.Namespace) -> int:
    import json

    from conflict_events.training.heldout import HeldOut, HeldOutError

    try:
        manifest = HeldOut.load(args.manifest)
        result = convert(
            args.source,
            args.data_dir,
            heldout=manifest,
            include_heldout=args.include_heldout,
            heldout_only=args.heldout_only,
        )
        write_outputs({Path(args.out): records_jsonl(result.records)}, overwrite=args.overwrite)
    except (SourceError, HeldOutError, OutputExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({**result.summary(), "out": str(args.out), "written": len(result.records)}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conflict_events.training.sources.convert",
        description=__doc__.splitlines()[0],
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
