"""``python -m conflict_events.training.sources``: list the corpora, dump sentence candidates.

``list --data-dir DIR`` prints each source with its document count, licence and permissive flag;
``dump SOURCE --data-dir DIR [--limit N] [--grep REGEX] [--doc DOC_ID]`` prints one JSON object
per sentence: ``{"source", "doc_id", "start", "end", "text"}`` (offsets into the document text),
the candidates annotators pick from.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence

from conflict_events.training.sources import SOURCES, SourceError, iter_documents
from conflict_events.training.sources.sentences import document_sentences


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="sources with document counts, licence, permissive flag")
    listing.add_argument("--data-dir", help="count documents found here (omit: registry only)")
    dump = sub.add_parser("dump", help="JSONL sentence candidates of one source")
    dump.add_argument("source", choices=sorted(SOURCES))
    dump.add_argument("--data-dir", required=True, help="folder holding the public corpora")
    dump.add_argument("--limit", type=int, default=None, help="stop after N sentences")
    dump.add_argument("--grep", default=None, help="keep sentences matching REGEX (Python re)")
    dump.add_argument("--doc", action="append", default=None, help="only this doc_id (repeatable)")
    dump.add_argument(
        "--permissive-only",
        action="store_true",
        help="skip documents whose licence does not allow training the default model",
    )


def candidates(
    source: str,
    data_dir: str,
    *,
    pattern: str | None = None,
    doc_ids: Sequence[str] | None = None,
    permissive_only: bool = False,
) -> Iterator[dict[str, object]]:
    """The sentence candidates of ``source``, as the ``dump`` action prints them."""
    regex = re.compile(pattern) if pattern else None
    wanted = set(doc_ids) if doc_ids else None
    for doc in iter_documents(source, data_dir):
        if (wanted is not None and doc.doc_id not in wanted) or (
            permissive_only and not doc.permissive
        ):
            continue
        for start, end in document_sentences(doc):
            text = doc.text[start:end]
            if regex is None or regex.search(text):
                yield {
                    "source": source,
                    "doc_id": doc.doc_id,
                    "start": start,
                    "end": end,
                    "text": text,
                }


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            for name, info in SOURCES.items():
                row = {"source": name, **info.to_dict()}
                del row["name"]
                if args.data_dir:
                    try:
                        row["documents"] = sum(1 for _ in iter_documents(name, args.data_dir))
                    except SourceError as exc:
                        row["error"] = str(exc)
                print(json.dumps(row, ensure_ascii=False))
            return 0
        count = 0
        for item in candidates(
            args.source,
            args.data_dir,
            pattern=args.grep,
            doc_ids=args.doc,
            permissive_only=args.permissive_only,
        ):
            if args.limit is not None and count >= args.limit:
                break
            print(json.dumps(item, ensure_ascii=False))
            count += 1
        return 0
    except (SourceError, re.error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `| head` closed the pipe; not an error
        sys.stderr.close()
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conflict_events.training.sources", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
