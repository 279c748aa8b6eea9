"""``conflict-events data validate``: checks labelled JSONL corpora and counts what they hold.

Every problem is reported as ``file:line: message`` and the command exits non-zero when there is
any. Checked: the record format, number offsets (in bounds, matching the text, not overlapping),
label and role names against a :class:`LabelSchema`, value/low/high against the qualifier as the
guideline defines them and against the number normaliser, number roles whose event the record
lacks, duplicate ids, exact duplicate texts, and near-duplicate texts across split files
(``train``/``dev``/``test``). Stdlib only, so it runs on the light install.

>>> r = Record.from_dict({"id": "a", "text": "Some 15 villages fell.", "events": [],
...     "numbers": [{"start": 5, "end": 7, "text": "15", "value": 15, "low": 15, "high": 15,
...                  "qualifier": "approximate", "role": "places", "unit": "villages"}]})
>>> check_record(r, LabelSchema.default(), normaliser=None)
["numbers[0] '15' has role 'places' but the record's events lack 'territorial-change'"]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conflict_events.inference.labels import LabelError, LabelSchema
from conflict_events.inference.results import NumberMention, Qualifier
from conflict_events.training.inputs import RecordReader
from conflict_events.training.records import ReadProblem, Record

NEAR_DUPLICATE_JACCARD = 0.8
SHINGLE_WORDS = 3
# File stems that name a split; near-duplicates across two different splits are a leak.
SPLIT_NAMES = {"train": "train", "dev": "dev", "valid": "dev", "validation": "dev", "test": "test"}

Normaliser = Callable[[str, int, int], Any]


# --- minimums and counts -------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusMinimums:
    """What the project's own labelled corpus must reach (issue 4); one place for the figures.

    >>> CorpusMinimums().records
    2500
    """

    records: int = 2500
    positives_per_event: int = 400
    no_event_share: float = 0.35
    numbers: int = 1200
    per_role: int = 150
    multi_event: int = 300

    def shortfalls(self, stats: CorpusStats) -> list[str]:
        """One line per minimum that ``stats`` misses (empty when all are met)."""
        missing = []
        if stats.records < self.records:
            missing.append(f"records: {stats.records} < {self.records}")
        for label, count in stats.events.items():
            if count < self.positives_per_event:
                missing.append(f"positives for {label}: {count} < {self.positives_per_event}")
        if stats.no_event_share < self.no_event_share:
            missing.append(
                f"records with no event: {stats.no_event_share:.1%} < {self.no_event_share:.0%}"
            )
        if stats.numbers < self.numbers:
            missing.append(f"numbers: {stats.numbers} < {self.numbers}")
        for role, count in stats.roles.items():
            if count < self.per_role:
                missing.append(f"numbers with role {role}: {count} < {self.per_role}")
        if stats.multi_event < self.multi_event:
            missing.append(
                f"records with >= 2 event types: {stats.multi_event} < {self.multi_event}"
            )
        return missing


@dataclass
class CorpusStats:
    """Counts over a set of records: positives per event, numbers per role, sources.

    >>> s = CorpusStats.from_records(
    ...     [Record("a", "Two died.", ("casualty",)), Record("b", "Calm day.")],
    ...     LabelSchema.default())
    >>> s.events["casualty"], s.no_event, s.no_event_share
    (1, 1, 0.5)
    """

    records: int = 0
    events: dict[str, int] = field(default_factory=dict)
    no_event: int = 0
    multi_event: int = 0
    numbers: int = 0
    roles: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)

    @property
    def no_event_share(self) -> float:
        return self.no_event / self.records if self.records else 0.0

    @classmethod
    def from_records(cls, records: Iterable[Record], schema: LabelSchema) -> CorpusStats:
        stats = cls(
            events=dict.fromkeys(schema.event_labels, 0),
            roles=dict.fromkeys(schema.number_roles, 0),
        )
        sources: Counter[str] = Counter()
        for record in records:
            stats.records += 1
            labels = set(record.events)
            for label in labels:
                stats.events[label] = stats.events.get(label, 0) + 1
            stats.no_event += not labels
            stats.multi_event += len(labels) >= 2
            for number in record.numbers:
                if number.role is not None:
                    stats.numbers += 1
                    stats.roles[number.role] = stats.roles.get(number.role, 0) + 1
            sources[record.source or "(none)"] += 1
        stats.sources = dict(sorted(sources.items()))
        return stats

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "no_event_share": self.no_event_share}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CorpusStats:
        return cls(**{k: v for k, v in data.items() if k != "no_event_share"})

    def format(self) -> str:
        """A plain-text table of the counts."""
        lines = [f"records                     {self.records}"]
        lines += [f"  {label:<26}{count}" for label, count in self.events.items()]
        lines.append(f"no event                    {self.no_event} ({self.no_event_share:.1%})")
        lines.append(f">= 2 event types            {self.multi_event}")
        lines.append(f"numbers (with a role)       {self.numbers}")
        lines += [f"  {role:<26}{count}" for role, count in self.roles.items()]
        lines.append("sources")
        lines += [f"  {source:<26}{count}" for source, count in self.sources.items()]
        return "\n".join(lines)


# --- one record ----------------------------------------------------------------------------


def check_record(
    record: Record, schema: LabelSchema, normaliser: Normaliser | None = None
) -> list[str]:
    """Every problem of one record on its own, as messages (without the ``file:line`` prefix).

    ``normaliser`` is ``parse_span(text, start, end)``; when given, each number's
    value/low/high/qualifier must agree with it.
    """
    problems = []
    try:
        schema.check_events(record.events)
    except LabelError as exc:
        problems.append(str(exc))
    repeated = sorted(label for label, n in Counter(record.events).items() if n > 1)
    if repeated:
        problems.append(f"event label(s) {repeated} listed more than once")
    for name in record.known_labels or ():
        if name not in schema.event_labels and name not in schema.number_roles:
            problems.append(f"known_labels names {name!r}, which is no event label or role")
    previous: tuple[int, NumberMention] | None = None
    order = sorted(enumerate(record.numbers), key=lambda item: (item[1].start, item[1].end))
    for i, number in order:
        where = f"numbers[{i}] {number.text!r}"
        problems += [f"{where}: {p}" for p in _span_problems(record.text, number)]
        if previous is not None and number.start < previous[1].end:
            problems.append(f"{where} overlaps numbers[{previous[0]}] {previous[1].text!r}")
        previous = (i, number)
        try:
            schema.check_role(number.role)
        except (LabelError, TypeError) as exc:
            problems.append(f"{where}: {exc}")
        event = schema.role_events.get(number.role) if isinstance(number.role, str) else None
        if event is not None and event not in record.events and record.knows(event):
            problems.append(
                f"{where} has role {number.role!r} but the record's events lack {event!r}"
            )
        if number.unit is not None and not isinstance(number.unit, str):
            problems.append(f"{where}: unit must be a string or null")
        problems += [f"{where}: {p}" for p in qualifier_problems(number)]
        if normaliser is not None and not _span_problems(record.text, number):
            problems += [
                f"{where}: {p}" for p in normaliser_problems(record.text, number, normaliser)
            ]
    return problems


def _span_problems(text: str, number: NumberMention) -> list[str]:
    if not isinstance(number.text, str) or not number.text:
        return ["text must be a non-empty string"]
    if number.end > len(text):
        return [f"span [{number.start}, {number.end}) runs past the text ({len(text)} characters)"]
    if number.start == number.end:
        return [f"empty span [{number.start}, {number.end})"]
    found = text[number.start : number.end]
    if found != number.text:
        return [f"span [{number.start}, {number.end}) holds {found!r}, not {number.text!r}"]
    return []


def qualifier_problems(number: NumberMention) -> list[str]:
    """How value/low/high break the guideline's rule for the number's qualifier.

    >>> n = NumberMention("dozens", 0, 6, value=None, low=12.0, high=None, qualifier="vague")
    >>> qualifier_problems(n)
    []
    >>> qualifier_problems(NumberMention("5 to 7", 0, 6, 6.0, 5.0, 7.0, "range"))
    ['range needs value null and low < high (got value=6.0, low=5.0, high=7.0)']
    """
    value, low, high, q = number.value, number.low, number.high, number.qualifier
    got = f"(got value={value}, low={low}, high={high})"
    ok = {
        Qualifier.EXACT: value is not None and value == low == high,
        Qualifier.APPROXIMATE: value is not None and value == low == high,
        Qualifier.AT_LEAST: value is not None and value == low and high is None,
        Qualifier.AT_MOST: value is not None and value == high and low is None,
        Qualifier.RANGE: value is None and low is not None and high is not None and low < high,
        Qualifier.VAGUE: value is None and low is not None and high is None,
    }[q]
    rule = {
        Qualifier.EXACT: "value = low = high",
        Qualifier.APPROXIMATE: "value = low = high",
        Qualifier.AT_LEAST: "value = low and high null",
        Qualifier.AT_MOST: "value = high and low null",
        Qualifier.RANGE: "value null and low < high",
        Qualifier.VAGUE: "value null, low set and high null",
    }[q]
    problems = [] if ok else [f"{q.value} needs {rule} {got}"]
    if any(x is not None and (math.isnan(x) or x < 0) for x in (value, low, high)):
        problems.append(f"counts cannot be negative or NaN {got}")
    return problems


def normaliser_problems(text: str, number: NumberMention, normaliser: Normaliser) -> list[str]:
    """Where the annotation and ``normaliser(text, start, end)`` disagree on the number.

    The normaliser returns the whole number expression the span overlaps, so a span that cuts
    an expression short ("2.4" of "2.4 million") is reported, and so is a number with a role
    that it reads as something other than a count (a year, a date, an age, money ...).
    """
    try:
        parsed = normaliser(text, number.start, number.end)
    except ValueError as exc:
        return [f"the normaliser cannot read the span: {exc}"]
    kind = str(parsed.kind)
    if kind == "unknown":
        return ["the normaliser finds no number in the span"]
    problems = []
    if (parsed.start, parsed.end) != (number.start, number.end):
        problems.append(
            f"the normaliser reads the number expression as {parsed.text!r} "
            f"[{parsed.start}, {parsed.end}), not [{number.start}, {number.end})"
        )
    if number.role is not None and kind != "count":
        problems.append(f"has role {number.role!r} but the normaliser reads a {kind}, not a count")
    diffs = []
    for name in ("value", "low", "high"):
        ours, theirs = getattr(number, name), getattr(parsed, name)
        same = (ours is None and theirs is None) or (
            ours is not None and theirs is not None and math.isclose(ours, float(theirs))
        )
        if not same:
            diffs.append(f"{name} {ours} vs {theirs}")
    if number.qualifier != Qualifier(parsed.qualifier):
        diffs.append(f"qualifier {number.qualifier.value} vs {Qualifier(parsed.qualifier).value}")
    if diffs:
        problems.append(f"disagrees with the normaliser: {', '.join(diffs)}")
    return problems


# --- near-duplicates -----------------------------------------------------------------------

_DIGIT = re.compile(r"\d")
_NON_WORD = re.compile(r"[\W_]+")


def duplicate_key(text: str) -> list[str]:
    """The words of ``text`` as near-duplicate detection compares them.

    >>> duplicate_key("At least 25,000 people FLED,   Idlib!")
    ['at', 'least', '00', '000', 'people', 'fled', 'idlib']
    """
    return _NON_WORD.sub(" ", _DIGIT.sub("0", text.lower())).split()


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """Word ``size``-grams of the normalised text (the whole text when it is shorter)."""
    words = duplicate_key(text)
    if len(words) <= size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def near_duplicate_pairs(
    texts: Sequence[str], groups: Sequence[Any], threshold: float = NEAR_DUPLICATE_JACCARD
) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` with ``i < j``, different groups and shingle Jaccard >= threshold.

    Exact, not sampled: prefix filtering (index each set's rarest shingles only; two sets this
    similar must share one of them) keeps it fast on tens of thousands of sentences.

    >>> near_duplicate_pairs(["At least 25 people were killed in Gao on Monday, police said.",
    ...                       "At least 40 people were killed in Gao on Monday, police said.",
    ...                       "At least 40 people were wounded in Gao on Monday, police said."],
    ...                      ["train", "test", "test"])
    [(0, 1, 1.0)]
    """
    sets = [shingles(t) for t in texts]
    frequency = Counter(s for shingle_set in sets for s in shingle_set)
    index: dict[str, list[int]] = defaultdict(list)
    pairs = []
    for i, current in enumerate(sets):
        if not current:
            continue
        ranked = sorted(current, key=lambda s: (frequency[s], s))
        prefix = len(ranked) - math.ceil(threshold * len(ranked) - 1e-9) + 1
        candidates = set()
        for shingle in ranked[:prefix]:
            candidates.update(j for j in index[shingle] if groups[j] != groups[i])
            index[shingle].append(i)
        for j in sorted(candidates):
            shared = len(current & sets[j])
            jaccard = shared / (len(current) + len(sets[j]) - shared)
            if jaccard >= threshold:
                pairs.append((j, i, jaccard))
    return pairs


def split_of(path: str | Path) -> str | None:
    """The split a file holds, read from its name (``train.jsonl`` → ``train``), or None.

    >>> split_of("data/corpus/validation.jsonl"), split_of("extra.jsonl")
    ('dev', None)
    """
    return SPLIT_NAMES.get(Path(path).name.split(".")[0].lower())


# --- files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """A record and where it was read."""

    path: str
    line: int
    record: Record

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class ValidationReport:
    """What :func:`validate_files` read and found."""

    records: list[Located] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_files(
    paths: Sequence[str | Path],
    schema: LabelSchema | None = None,
    normaliser: Normaliser | None = None,
    threshold: float = NEAR_DUPLICATE_JACCARD,
) -> ValidationReport:
    """Read and check every record of ``paths``; problems are sorted by file then line."""
    schema = schema or LabelSchema.default()
    report = ValidationReport()
    for path in paths:
        # JSONL, CSV or a `datasets` folder: whatever `train` and `evaluate` read
        reader = RecordReader(Path(path), schema)
        for line, record in reader:
            report.records.append(Located(str(path), line, record))
            for message in check_record(record, schema, normaliser):
                report.problems.append(ReadProblem(str(path), line, message))
        report.problems += reader.problems
    report.problems += _duplicate_problems(report.records)
    report.problems += _leak_problems(report.records, threshold)
    rank = {str(p): i for i, p in enumerate(paths)}
    report.problems.sort(key=lambda p: (rank.get(p.path, len(rank)), p.line))
    return report


def _duplicate_problems(records: list[Located]) -> list[ReadProblem]:
    problems = []
    first_id: dict[str, Located] = {}
    first_text: dict[str, Located] = {}
    for item in records:
        record = item.record
        if record.id in first_id:
            problems.append(
                ReadProblem(
                    item.path,
                    item.line,
                    f"duplicate id {record.id!r} (first at {first_id[record.id].where})",
                )
            )
        else:
            first_id[record.id] = item
        text = record.text.strip()
        if text in first_text:
            problems.append(
                ReadProblem(
                    item.path, item.line, f"duplicate text (first at {first_text[text].where})"
                )
            )
        else:
            first_text[text] = item
    return problems


def _leak_problems(records: list[Located], threshold: float) -> list[ReadProblem]:
    in_splits = [item for item in records if split_of(item.path) is not None]
    texts = [item.record.text for item in in_splits]
    splits = [split_of(item.path) for item in in_splits]
    problems = []
    for i, j, jaccard in near_duplicate_pairs(texts, splits, threshold):
        if texts[i].strip() == texts[j].strip():
            continue  # already reported as an exact duplicate
        a, b = in_splits[i], in_splits[j]
        problems.append(
            ReadProblem(
                b.path,
                b.line,
                f"near-duplicate of {a.where} across splits {splits[i]}/{splits[j]} "
                f"(word {SHINGLE_WORDS}-gram Jaccard {jaccard:.2f})",
            )
        )
    return problems


def load_schema(path: str | Path | None) -> LabelSchema:
    """The label schema of a ``labels.json`` file, or the default one."""
    if path is None:
        return LabelSchema.default()
    try:
        return LabelSchema.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"conflict-events data: cannot read label schema {path}: {exc}") from None


def default_normaliser() -> Normaliser:
    """The project's number normaliser, ``conflict_events.inference.numbers.parse_span``."""
    from conflict_events.inference.numbers import parse_span

    return parse_span


# --- command line --------------------------------------------------------------------------


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    """``--schema`` and ``--no-normaliser``: how records are checked (shared with build-written)."""
    parser.add_argument("--schema", metavar="LABELS.json", help="label schema (default: built-in)")
    parser.add_argument(
        "--no-normaliser",
        action="store_true",
        help="do not compare value/low/high/qualifier with the number normaliser",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="labelled JSONL files")
    parser.add_argument("--stats", action="store_true", help="print counts over all files")
    parser.add_argument(
        "--check-minimums",
        action="store_true",
        help="also fail when the counts miss the corpus minimums (implies --stats)",
    )
    add_check_arguments(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the stats as JSON instead of a table"
    )


def run(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    normaliser = None if args.no_normaliser else default_normaliser()
    report = validate_files(args.files, schema, normaliser)
    for problem in report.problems:
        print(problem)
    failed = not report.ok
    if args.stats or args.check_minimums:
        stats = CorpusStats.from_records((item.record for item in report.records), schema)
        if args.json:
            print(json.dumps(stats.to_dict(), indent=2))
        else:
            print(stats.format())
            if len(args.files) > 1:
                per_file = Counter(item.path for item in report.records)
                print("files")
                print("\n".join(f"  {path}  {per_file[str(path)]}" for path in args.files))
        if args.check_minimums:
            shortfalls = CorpusMinimums().shortfalls(stats)
            for line in shortfalls:
                print(f"below minimum: {line}")
            failed = failed or bool(shortfalls)
    print(
        f"{len(report.records)} records in {len(args.files)} file(s), "
        f"{len(report.problems)} problem(s)",
        file=sys.stderr,
    )
    return 1 if failed else 0
