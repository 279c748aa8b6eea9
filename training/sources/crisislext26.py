"""CrisisLexT26 (MIT; tweet text also under Twitter's terms): 27,933 labelled tweets.

Layout: ``crisislext26/data/CrisisLexT26/<crisis>/<crisis>-tweets_labeled.csv``. doc_id:
``<crisis>/<tweet id>``. ``meta`` keeps Information Source, Information Type, Informativeness.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from conflict_events.training.sources import (
    SourceDocument,
    SourceError,
    document,
    source_folder,
    unique_ids,
)
from conflict_events.training.sources.tables import read_csv_rows

NAME = "crisislext26"


def iter_documents(data_dir: Path) -> Iterator[SourceDocument]:
    """Every tweet, crises in name order, tweets in file order."""
    root = source_folder(data_dir, NAME) / "data" / "CrisisLexT26"
    if not root.is_dir():
        raise SourceError(f"{root}: not found (expected the CrisisLexT26 crisis folders)")
    return unique_ids(_read(root))


def _read(root: Path) -> Iterator[SourceDocument]:
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        path = folder / f"{folder.name}-tweets_labeled.csv"
        for line, row in read_csv_rows(path):
            assert isinstance(row, dict)
            tweet_id = row["Tweet ID"].strip()
            if not tweet_id or not row["Tweet Text"].strip():
                raise SourceError(f"{path}:{line}: empty tweet id or text")
            yield document(
                NAME,
                doc_id=f"{folder.name}/{tweet_id}",
                text=row["Tweet Text"],
                meta={
                    "crisis": folder.name,
                    "information_source": row["Information Source"],
                    "information_type": row["Information Type"],
                    "informativeness": row["Informativeness"],
                },
            )
