"""Measure places, dates and the cross-document merge of ``conflict-events events``.

    python benchmarks/events.py [--data-dir ../shared/data] [--json out.json]

1. Gazetteer: load time and memory (the cached world index).
2. Places, on HumSet's human geocoding of 40 humanitarian reports (``humset_toponym_texts``: LOC
   spans in ``toponym_annotations.json``, GeoNames ids in ``geocoding_annotations.csv``; external
   annotations read from the shared data, nothing copied): toponym detection against the LOC
   spans (span overlap), and resolution of the gold spans that carry a GeoNames id: exact id,
   and within the same admin1 division. Baselines: the most populous candidate (no context) and
   the first candidate the gazetteer lists.
3. Dates, on the project's stand-off annotations of 62 date phrases in Wikipedia Current Events
   sentences (``data/annotations/events/dates_wcep_sep2015.jsonl``, resolved against each entry's
   date): exact period. Baseline: the document (publication) date.
4. Merge, on generated document groups (``data/events/merge_groups.jsonl``: several reports of
   the same events and of different events in the same places), tagged by the shipped model:
   pairwise precision/recall of "same record" against "same gold event" over the figures found.
   Baselines: no merge; merge on role + figure alone.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import resource
import sys
import time
from collections import defaultdict
from datetime import date
from itertools import combinations
from pathlib import Path

# benchmarks/numbers.py would shadow the standard library's numbers module (numpy needs it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from conflict_events.inference.dates import Period, find_dates  # noqa: E402
from conflict_events.inference.event_records import document_rows, merge_rows  # noqa: E402
from conflict_events.inference.places import core_name, default_gazetteer, name_key  # noqa: E402
from conflict_events.inference.splitter import split_sentences  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def load_gazetteer() -> tuple[object, dict]:
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gaz = default_gazetteer()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return gaz, {
        "load_seconds": round(time.perf_counter() - started, 2),
        "max_rss_growth_mb": round((after - before) / 1024, 1),
        "names": len(gaz.index),
    }


def _document_places(gaz, text: str) -> tuple[list[str], list, list]:
    """A document's sentences, their resolved toponyms, and (start, end, mention) in the text."""
    sentences = split_sentences(text)
    texts = [text[s.start : s.end] for s in sentences]
    found = gaz.resolve_document(texts)
    system = [
        (s.start + m.start, s.start + m.end, m)
        for s, ms in zip(sentences, found, strict=True)
        for m in ms
    ]
    return texts, found, system


def places(gaz, data_dir: Path) -> dict:
    folder = data_dir / "humset_toponym_texts"
    ids: dict[tuple[str, str], int] = {}
    with (folder / "geocoding_annotations.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            gid = row["geonameid"].strip()
            if gid and gid.lstrip("-").isdigit() and int(gid) > 0:
                ids.setdefault((row["lead_id"], row["toponym"].strip().lower()), int(gid))
    docs = json.loads((folder / "toponym_annotations.json").read_text(encoding="utf-8"))
    docs = [d for d in docs if any(k[0] == str(d["lead_id"]) for k in ids)]
    by_id = {}
    for entries in gaz.index.values():
        for e in entries:
            if e.geonameid is not None:
                by_id[e.geonameid] = e
    counts = defaultdict(int)
    for doc in docs:
        text = doc["text"]
        marks = doc["annotations"]
        marks = ast.literal_eval(marks) if isinstance(marks, str) else marks
        spans = [a for a in marks if a["label"] == "LOC"]
        texts, found, system = _document_places(gaz, text)
        counts["gold_spans"] += len(spans)
        counts["system_spans"] += len(system)
        counts["detected"] += sum(
            any(a < g["end"] and g["start"] < b for a, b, _ in system) for g in spans
        )
        counts["correct_spans"] += sum(
            any(a < g["end"] and g["start"] < b for g in spans) for a, b, _ in system
        )
        countries, divisions, cues = gaz.context(texts, found)
        for g in spans:
            gold_id = ids.get((str(doc["lead_id"]), g["text"].strip().lower()))
            if gold_id is None:
                continue
            gold = by_id.get(gold_id)
            counts["resolvable_gold"] += 1
            counts["gold_in_gazetteer"] += gold is not None
            key = name_key(core_name(g["text"]))
            candidates = gaz.index.get(key, [])
            ours, _ = gaz.choose(key, countries, divisions, key in cues)
            baselines = {
                "population": max(candidates, key=lambda e: e.population, default=None),
                "first_candidate": candidates[0] if candidates else None,
            }
            for name, pred in {"ours": ours, **baselines}.items():
                counts[f"{name}_exact"] += bool(pred and pred.geonameid == gold_id)
                counts[f"{name}_admin1"] += bool(
                    pred
                    and gold
                    and pred.country == gold.country
                    and (gold.level == "country" or pred.admin1 == gold.admin1)
                )
    n = counts["resolvable_gold"]
    return {
        "documents": len(docs),
        "detection": {
            "gold_LOC_spans": counts["gold_spans"],
            "system_spans": counts["system_spans"],
            "recall": round(counts["detected"] / counts["gold_spans"], 3),
            "precision": round(counts["correct_spans"] / max(1, counts["system_spans"]), 3),
        },
        "resolution": {
            "gold_mentions_with_geonames_id": n,
            "gold_id_in_gazetteer": counts["gold_in_gazetteer"],
            **{
                name: {
                    "exact_id": round(counts[f"{name}_exact"] / n, 3),
                    "within_admin1": round(counts[f"{name}_admin1"] / n, 3),
                }
                for name in ("ours", "population", "first_candidate")
            },
        },
    }


def _key_of(place: dict | None) -> str | None:
    if place is None:
        return None
    if place.get("geonameid") is not None:
        return f"geonames:{place['geonameid']}"
    return f"admin1:{place['country']}.{place['admin1']}"


def _within(pred, gold: dict | None) -> bool:
    if gold is None:
        return pred is None
    if pred is None or pred.country != gold["country"]:
        return False
    return gold["admin1"] is None or pred.admin1 == gold["admin1"]


def project_places(gaz, data_dir: Path) -> dict:
    """The project's stand-off place annotations of Wikipedia Current Events sentences."""
    entries = _wcep(data_dir)
    gold = _annotations("places_wcep_sep2015.jsonl", entries)
    counts = defaultdict(int)
    by_doc = defaultdict(list)
    for g in gold:
        by_doc[g["doc_id"]].append(g)
    for doc_id, marks in by_doc.items():
        text = entries[doc_id]["description"]
        texts, found, system = _document_places(gaz, text)
        countries, divisions, cues = gaz.context(texts, found)
        for g in marks:
            want = g["place"]
            hits = [m for a, b, m in system if a < g["end"] and g["start"] < b]
            counts["mentions"] += 1
            counts["detected"] += bool(hits)
            pred = hits[0].place if hits else None
            counts["end_to_end_exact"] += (pred.key if pred else None) == _key_of(want)
            counts["end_to_end_admin1"] += _within(pred, want)
            key = name_key(core_name(text[g["start"] : g["end"]]))
            candidates = gaz.index.get(key, [])
            given = {
                "ours": gaz.choose(key, countries, divisions, key in cues)[0],
                "population": max(candidates, key=lambda e: e.population, default=None),
                "first_candidate": candidates[0] if candidates else None,
            }
            for name, p in given.items():
                counts[f"{name}_exact"] += (p.key if p else None) == _key_of(want)
                counts[f"{name}_admin1"] += _within(p, want)
    n = counts["mentions"]
    return {
        "mentions": n,
        "documents": len(by_doc),
        "detection_recall": round(counts["detected"] / n, 3),
        "end_to_end": {
            "exact": round(counts["end_to_end_exact"] / n, 3),
            "within_admin1": round(counts["end_to_end_admin1"] / n, 3),
        },
        "given_gold_spans": {
            name: {
                "exact": round(counts[f"{name}_exact"] / n, 3),
                "within_admin1": round(counts[f"{name}_admin1"] / n, 3),
            }
            for name in ("ours", "population", "first_candidate")
        },
    }


def _wcep(data_dir: Path) -> dict[str, dict]:
    path = data_dir / "wcep_sep2015" / "wikipedia" / "wikitimes_CEP.json"
    return {e["id"]: e for e in json.loads(path.read_text(encoding="utf-8"))}


def _annotations(name: str, entries: dict[str, dict]) -> list[dict]:
    """Stand-off annotations, each checked against the hash of the text it was made on."""
    gold = [json.loads(line) for line in (REPO / "data" / "annotations" / "events" / name).open()]
    for g in gold:
        text = entries[g["doc_id"]]["description"]
        if hashlib.sha256(text.encode()).hexdigest() != g["sha256"]:
            raise SystemExit(f"wcep_sep2015 {g['doc_id']}: text differs from the annotated one")
    return gold


def dates(data_dir: Path) -> dict:
    entries = _wcep(data_dir)
    gold = _annotations("dates_wcep_sep2015.jsonl", entries)
    ours = baseline = found = 0
    for g in gold:
        text = entries[g["doc_id"]]["description"]
        published = date.fromisoformat(g["published"])
        want = Period.parse(g["period"])
        hits = [d for d in find_dates(text, published) if d.start < g["end"] and g["start"] < d.end]
        found += bool(hits)
        ours += any(d.period == want for d in hits)
        baseline += want == Period(published, published)
    n = len(gold)
    return {
        "phrases": n,
        "found": round(found / n, 3),
        "ours_exact_period": round(ours / n, 3),
        "document_date_exact_period": round(baseline / n, 3),
    }


def merge(gaz) -> dict:
    from conflict_events.inference.tagger import EventTagger

    docs = [json.loads(line) for line in (REPO / "data" / "events" / "merge_groups.jsonl").open()]
    tagger = EventTagger.from_pretrained()
    rows, gold_event = [], {}
    figures = matched = 0
    for doc, result in zip(
        docs, tagger.tag_documents([(d["id"], d["text"]) for d in docs]), strict=True
    ):
        tagged = {"id": doc["id"], "date": doc["date"], **result.to_dict(include_text=False)}
        tagged["id"] = doc["id"]
        doc_rows = document_rows(tagged, gaz)
        figures += len(doc["gold"])
        for g in doc["gold"]:
            hit = [r for r in doc_rows if r["role"] == g["role"] and r["value"] == g["value"]]
            if hit:
                matched += 1
                gold_event[hit[0]["record_id"]] = g["event"]
        rows += doc_rows
    rows = [r for r in rows if r["record_id"] in gold_event]

    def score(assign: dict[str, str]) -> dict:
        tp = fp = fn = 0
        for a, b in combinations(sorted(gold_event), 2):
            same_pred, same_gold = assign[a] == assign[b], gold_event[a] == gold_event[b]
            tp += same_pred and same_gold
            fp += same_pred and not same_gold
            fn += same_gold and not same_pred
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(2 * p * r / (p + r) if p + r else 0, 3),
        }

    ours = {}
    for record in merge_rows(rows):
        for c in record["citations"]:
            match = [
                r["record_id"]
                for r in rows
                if r["doc_id"] == c["doc_id"] and r["number_start"] == c["start"]
            ]
            for rid in match:
                ours[rid] = record["record_id"]
    return {
        "documents": len(docs),
        "gold_figures": figures,
        "figures_found": matched,
        "ours": score(ours),
        "no_merge": score({r["record_id"]: r["record_id"] for r in rows}),
        "role_and_figure_only": score({r["record_id"]: f"{r['role']}|{r['value']}" for r in rows}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    gaz, load = load_gazetteer()
    results = {"gazetteer": load}
    results["places_project"] = project_places(gaz, data_dir)
    results["places_humset"] = places(gaz, data_dir)
    results["dates"] = dates(data_dir)
    results["merge"] = merge(gaz)
    json.dump(results, sys.stdout, indent=2)
    print()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
