"""Compare the number normaliser with quantulum3, text2num and number-parser on the case table.

    python benchmarks/numbers.py [--cases benchmarks/cases/numbers.tsv] [--errors]

Each row of the table (written for this project) gives a phrase, the target span, and the
expected value, low, high, qualifier and kind (conventions in
``conflict_events.inference.numbers``). Rows on lines 2-346 were frozen before the first tuning.
Lines 347 on are a second batch (the format has no comment lines): cases found while validating
the corpus drafts against the normaliser, added with the fixes they needed, so they measure no
unseen performance. Columns, each a share of the rows it applies to:

* found: the system reports a number overlapping the target span (scanning systems only).
* span: that number's text is exactly the target span.
* value: the point value is right (rows with a point value; ranges and vague rows have none).
* bounds: low and high are both right (all rows).
* qualifier, kind: right, where the system can express them; "n/a" where it cannot.

How each system's output is mapped, the same way for every row:

* conflict-events, scan: ``find_numbers(phrase)``, the number overlapping the target span most.
  conflict-events, span: ``parse_span(phrase, start, end)`` on the target span.
* quantulum3 (``classifier.USE_CLF = False``): ``parser.parse(phrase)``, the quantity
  overlapping the span most. Its value (times 12 for the unit "dozen") is value = low = high
  with qualifier exact; a quantity with an uncertainty is a range, low/high = value -/+
  uncertainty. Kind from its unit: currency → money, percentage → percentage, time →
  duration, length/area/mass/volume/... → measure, dimensionless → count, others → none.
* text2num (``text_to_num``) and number-parser only read numbers, so they get the target span
  itself: ``text2num(span, "en")`` / ``parse_number(span)``; when that fails, the span rewritten
  by ``alpha2digit`` / ``parse`` is read if it is a plain number ("25,000", "2.4"). Value = low
  = high; they express no qualifier and no kind.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conflict_events.inference.numbers import ParsedNumber, find_numbers, parse_span

HERE = Path(__file__).resolve().parent
# Run as a script, this file's folder comes first on sys.path, and this file, numbers.py, would
# shadow the standard library's `numbers` module that `decimal` (used by quantulum3) imports.
if sys.path and Path(sys.path[0]).resolve() == HERE:
    del sys.path[0]
COLUMNS = ("found", "span", "value", "bounds", "qualifier", "kind")
FIELDS = ("context", "span", "nth", "value", "low", "high", "qualifier", "kind")


@dataclass(frozen=True)
class Case(ParsedNumber):
    """An expected reading of a span of ``context`` (a row of the cases file)."""

    line: int = 0
    context: str = ""

    @property
    def span(self) -> str:
        return self.text


@dataclass(frozen=True)
class Prediction:
    text: str | None  # None: the system was given the span
    value: float | None
    low: float | None
    high: float | None
    qualifier: str | None  # None: the system cannot express it
    kind: str | None


def locate(context: str, span: str, nth: int) -> int | None:
    """Start of the ``nth`` occurrence of ``span`` not inside a longer number or word."""
    seen, k = 0, context.find(span)
    while k >= 0:
        before = context[k - 1] if k else " "
        after = context[k + len(span)] if k + len(span) < len(context) else " "
        if not (before.isalnum() or after.isdigit()):
            seen += 1
            if seen == nth:
                return k
        k = context.find(span, k + 1)
    return None


def load_cases(path: Path) -> list[Case]:
    def number(text: str, where: str) -> float | None:
        try:
            return float(text) if text else None
        except ValueError:
            raise SystemExit(f"{where}: not a number: {text!r}") from None

    cases = []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows)
        if tuple(header) != FIELDS:
            raise SystemExit(f"{path}:1: expected columns {FIELDS}, got {tuple(header)}")
        for line, row in enumerate(rows, start=2):
            where = f"{path}:{line}"
            if len(row) != len(FIELDS):
                raise SystemExit(f"{where}: expected {len(FIELDS)} columns, got {len(row)}")
            context, span, nth, value, low, high, qualifier, kind = row
            start = locate(context, span, int(nth))
            if start is None:
                raise SystemExit(f"{where}: span {span!r} (occurrence {nth}) not in {context!r}")
            cases.append(
                Case(span, start, start + len(span), number(value, where), number(low, where),
                     number(high, where), qualifier, kind, line=line, context=context)
            )  # fmt: skip
    return cases


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-5)


def best_overlap(items, start: int, end: int, span_of: Callable):
    """The item whose span overlaps [start, end) most, or None."""
    best, best_overlap = None, 0
    for item in items:
        s, e = span_of(item)
        overlap = min(e, end) - max(s, start)
        if overlap > best_overlap:
            best, best_overlap = item, overlap
    return best


# --- Systems ------------------------------------------------------------------------------------


def ours_scan(case: Case) -> Prediction | None:
    hit = best_overlap(find_numbers(case.context), case.start, case.end, lambda n: (n.start, n.end))
    if hit is None:
        return None
    return Prediction(hit.text, hit.value, hit.low, hit.high, hit.qualifier.value, hit.kind.value)


def ours_span(case: Case) -> Prediction | None:
    n = parse_span(case.context, case.start, case.end)
    return Prediction(n.text, n.value, n.low, n.high, n.qualifier.value, n.kind.value)


def quantulum_system() -> Callable[[Case], Prediction | None]:
    import quantulum3.classifier
    from quantulum3 import parser

    quantulum3.classifier.USE_CLF = False
    measures = {"length", "area", "mass", "volume", "speed", "temperature", "energy", "power"}

    def kind_of(quantity) -> str | None:
        unit, entity = quantity.unit.name, quantity.unit.entity.name
        if entity == "currency":
            return "money"
        if unit in ("percentage", "per cent", "percent"):
            return "percentage"
        if entity == "time":
            return "duration"
        if entity in measures:
            return "measure"
        if unit in ("dimensionless", "dozen"):
            return "count"
        return None

    def run(case: Case) -> Prediction | None:
        quantities = parser.parse(case.context)
        q = best_overlap(quantities, case.start, case.end, lambda q: q.span)
        if q is None:
            return None
        value = q.value * (12 if q.unit.name == "dozen" else 1)
        text = case.context[q.span[0] : q.span[1]]
        if q.uncertainty:
            return Prediction(text, None, value - q.uncertainty, value + q.uncertainty, "range",
                              kind_of(q))  # fmt: skip
        return Prediction(text, value, value, value, "exact", kind_of(q))

    return run


_PLAIN_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def plain_number(text: str | None) -> float | None:
    """The value of a string that is just a number in digits ("25,000", "2.4"), else None."""
    text = (text or "").strip()
    return float(text.replace(",", "")) if _PLAIN_NUMBER.fullmatch(text) else None


def text2num_system() -> Callable[[Case], Prediction | None]:
    from text_to_num import alpha2digit, text2num

    def run(case: Case) -> Prediction | None:
        try:
            value: float | None = float(text2num(case.span, "en"))
        except ValueError:
            value = plain_number(alpha2digit(case.span, "en"))
        return Prediction(None, value, value, value, None, None)

    return run


def number_parser_system() -> Callable[[Case], Prediction | None]:
    from number_parser import parse, parse_number

    def run(case: Case) -> Prediction | None:
        number = parse_number(case.span)
        value = float(number) if number is not None else plain_number(parse(case.span))
        return Prediction(None, value, value, value, None, None)

    return run


# --- Scoring ------------------------------------------------------------------------------------


def score(cases: list[Case], system: Callable[[Case], Prediction | None]):
    """Per column: (right, applicable) or None where the system cannot express it."""
    right = dict.fromkeys(COLUMNS, 0)
    total = dict.fromkeys(COLUMNS, 0)
    expressible = set(COLUMNS)
    failures = []
    for case in cases:
        p = system(case)
        checks = {
            "found": p is not None and p.kind != "unknown",
            "span": p is not None and p.text == case.span,
            "bounds": p is not None and same(p.low, case.low) and same(p.high, case.high),
            "qualifier": p is not None and p.qualifier == case.qualifier,
            "kind": p is not None and p.kind == case.kind,
        }
        if case.value is not None:
            checks["value"] = p is not None and same(p.value, case.value)
        if p is not None and p.text is None:
            expressible -= {"found", "span"}
        if p is not None and p.qualifier is None:
            expressible -= {"qualifier", "kind"}
        for column, ok in checks.items():
            total[column] += 1
            right[column] += ok
        if not all(checks.values()):
            failures.append((case, p))
    return {c: (right[c], total[c]) if c in expressible else None for c in COLUMNS}, failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=HERE / "cases" / "numbers.tsv")
    ap.add_argument("--errors", action="store_true", help="list the rows ours gets wrong")
    args = ap.parse_args(argv)
    cases = load_cases(args.cases)
    systems = {
        "conflict-events (scan)": ours_scan,
        "conflict-events (span)": ours_span,
        "quantulum3 (scan)": quantulum_system(),
        "text2num (span)": text2num_system(),
        "number-parser (span)": number_parser_system(),
    }
    results = {}
    print(f"{len(cases)} cases from {args.cases.name}\n")
    print(f"{'system':<24}" + "".join(f"{c:>11}" for c in COLUMNS))
    for name, system in systems.items():
        results[name], failures = score(cases, system)
        cells = [
            "n/a" if cell is None else f"{cell[0] / cell[1]:.1%}" for cell in results[name].values()
        ]
        print(f"{name:<24}" + "".join(f"{c:>11}" for c in cells))
        if args.errors and name.startswith("conflict-events"):
            for case, p in failures:
                print(f"   line {case.line}: {case.context!r} [{case.span}] -> {p}")
    n = {c: next(r[c][1] for r in results.values() if r[c]) for c in COLUMNS}
    print("\nrows per column: " + ", ".join(f"{c} {n[c]}" for c in COLUMNS))
    ours = [name for name in systems if name.startswith("conflict-events")]
    behind = [
        f"{mine} < {other} on {column}"
        for mine in ours
        for other in systems
        if other not in ours
        for column in COLUMNS
        if results[mine][column] and results[other][column]
        and results[mine][column][0] < results[other][column][0]
    ]  # fmt: skip
    print(
        "ours >= every library on every column:",
        "yes" if not behind else "NO: " + "; ".join(behind),
    )
    return 0 if not behind else 1


if __name__ == "__main__":
    sys.exit(main())
