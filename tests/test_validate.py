"""The corpus validator: one tiny file per problem kind, stats, minimums, and speed on big input."""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace

import pytest

from conflict_events.cli import main
from conflict_events.inference.labels import LabelSchema
from conflict_events.inference.numbers import ParsedNumber, parse_span
from conflict_events.training.records import Record
from conflict_events.training.validate import (
    CorpusMinimums,
    CorpusStats,
    check_record,
    duplicate_key,
    near_duplicate_pairs,
    shingles,
    split_of,
    validate_files,
)


def num(text, sentence, role="killed", qualifier="exact", value=5.0, low=5.0, high=5.0, **kw):
    start = kw.pop("start") if "start" in kw else sentence.index(text)
    return {
        "start": start,
        "end": kw.pop("end", start + len(text)),
        "text": text,
        "value": value,
        "low": low,
        "high": high,
        "qualifier": qualifier,
        "role": role,
        "unit": kw.pop("unit", None),
    }


def rec(rid, text, events=(), numbers=(), **extra):
    return {"id": rid, "text": text, "events": list(events), "numbers": list(numbers), **extra}


GOOD = [
    rec("a1", "Calm returned to the market town of Gao on Friday."),
    rec(
        "a2",
        "Five soldiers were killed in an ambush near Kidal.",
        ["casualty"],
        [num("Five", "Five soldiers were killed in an ambush near Kidal.")],
    ),
]


def alpha_words(count, rng):
    """Distinct lowercase words without digits (the duplicate key maps digits to 0)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(count)]


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def messages(report):
    return [str(p) for p in report.problems]


def fixed(value, low, high, qualifier, kind="count"):
    """A normaliser that reads every span the same way (to see each disagreement reported)."""
    return lambda text, start, end: ParsedNumber(
        text[start:end], start, end, value, low, high, qualifier, kind
    )


def test_a_clean_file_has_no_problems(tmp_path):
    report = validate_files([write(tmp_path / "ok.jsonl", GOOD)])
    assert report.ok and len(report.records) == 2


def test_unreadable_lines_are_located_and_the_rest_still_checked(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        json.dumps(GOOD[0]).encode()
        + b"\n{broken\n"
        + b'{"id": "u", "text": "\xc3("}\n'
        + json.dumps(rec("a2", "Rebels took the town.", ["takeover"])).encode()
        + b"\n"
    )
    report = validate_files([path])
    assert messages(report) == [
        f"{path}:2: malformed JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{path}:3: invalid UTF-8 at byte 21",
        f"{path}:4: unknown event label 'takeover'; expected one of "
        "['displacement', 'casualty', 'territorial-change', 'attack-on-infrastructure']",
    ]
    assert len(report.records) == 2


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    assert messages(validate_files([path])) == [f"{path}:0: file is empty"]


def test_unknown_role_and_label_against_a_declared_schema(tmp_path):
    text = "Floods cut off 30 villages."
    path = write(
        tmp_path / "x.jsonl",
        [
            rec(
                "x",
                text,
                ["isolation"],
                [num("30", text, role="cut_off", value=30, low=30, high=30)],
            )
        ],
    )
    default = messages(validate_files([path]))
    assert any("unknown event label 'isolation'" in m for m in default)
    assert any("unknown number role 'cut_off'" in m for m in default)
    schema_file = tmp_path / "labels.json"
    schema = LabelSchema.with_extra(["isolation"], ["cut_off"], {"cut_off": "isolation"})
    schema_file.write_text(json.dumps(schema.to_dict()), encoding="utf-8")
    assert validate_files([path], schema).ok
    assert (
        main(["data", "validate", "--no-normaliser", "--schema", str(schema_file), str(path)]) == 0
    )


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (0, 4, "span [0, 4) holds 'Five', not 'five'"),
        (37, 41, "span [37, 41) runs past the text (39 characters)"),
        (3, 3, "empty span [3, 3)"),
    ],
)
def test_bad_offsets(tmp_path, start, end, message):
    text = "Five soldiers were killed in an ambush."
    n = num("five", text, start=start, end=end)
    path = write(tmp_path / "o.jsonl", [rec("o", text, ["casualty"], [n])])
    assert messages(validate_files([path])) == [f"{path}:1: numbers[0] 'five': {message}"]


def test_overlapping_spans(tmp_path):
    text = "Between 5,000 and 7,000 refugees crossed into Chad."
    path = write(
        tmp_path / "ov.jsonl",
        [
            rec(
                "ov",
                text,
                ["displacement"],
                [
                    num("5,000 and 7,000", text, "displaced", "range", None, 5000, 7000),
                    num("7,000", text, "displaced", "exact", 7000, 7000, 7000),
                ],
            )
        ],
    )
    assert messages(validate_files([path])) == [
        f"{path}:1: numbers[1] '7,000' overlaps numbers[0] '5,000 and 7,000'"
    ]


def test_role_without_its_event_unless_the_source_did_not_annotate_it(tmp_path):
    text = "Rebels captured some 15 villages and killed two farmers."
    numbers = [
        num("15", text, "places", "approximate", 15, 15, 15),
        num("two", text, "killed", "exact", 2, 2, 2),
    ]
    path = write(
        tmp_path / "r.jsonl",
        [
            rec("r1", text, ["territorial-change"], numbers),
            rec(
                "r2",
                text + " ",
                ["territorial-change"],
                numbers,
                known_labels=["territorial-change", "places"],
            ),
        ],
    )
    assert messages(validate_files([path])) == [
        f"{path}:1: numbers[1] 'two' has role 'killed' but the record's events lack 'casualty'",
        f"{path}:2: duplicate text (first at {path}:1)",
    ]


def test_known_labels_must_be_declared(tmp_path):
    path = write(tmp_path / "k.jsonl", [rec("k", "Calm.", known_labels=["casualty", "kidnapped"])])
    assert messages(validate_files([path])) == [
        f"{path}:1: known_labels names 'kidnapped', which is no event label or role"
    ]


@pytest.mark.parametrize(
    ("qualifier", "value", "low", "high", "broken"),
    [
        ("exact", 5, 5, 5, False),
        ("exact", 5, 4, 5, True),
        ("approximate", 5, 5, 5, False),
        ("at_least", 5, 5, None, False),
        ("at_least", 5, 5, 5, True),
        ("at_most", 5, None, 5, False),
        ("at_most", 5, 5, None, True),
        ("range", None, 3, 5, False),
        ("range", 4, 3, 5, True),
        ("range", None, 5, 5, True),
        ("vague", None, 12, None, False),
        ("vague", 12, 12, None, True),
        ("vague", None, None, None, True),
        ("exact", -5, -5, -5, True),
    ],
)
def test_value_low_high_follow_the_qualifier(qualifier, value, low, high, broken):
    text = "Dozens died."
    record = Record.from_dict(
        rec("q", text, ["casualty"], [num("Dozens", text, "killed", qualifier, value, low, high)])
    )
    problems = check_record(record, LabelSchema.default())
    assert bool(problems) is broken
    if broken:
        assert (
            problems[0].startswith(f"numbers[0] 'Dozens': {qualifier} needs")
            or "negative" in problems[0]
        )


def test_disagreement_with_the_normaliser_is_a_problem(tmp_path):
    text = "At least 40 people were killed."
    path = write(
        tmp_path / "n.jsonl",
        [rec("n", text, ["casualty"], [num("40", text, "killed", "at_least", 40, 40, None)])],
    )
    assert validate_files([path], normaliser=fixed(40.0, 40.0, None, "at_least")).ok
    assert messages(validate_files([path], normaliser=fixed(40.0, 40.0, 40.0, "exact"))) == [
        f"{path}:1: numbers[0] '40': disagrees with the normaliser: high None vs 40.0, "
        "qualifier at_least vs exact"
    ]

    assert messages(
        validate_files([path], normaliser=fixed(None, None, None, "exact", "unknown"))
    ) == [f"{path}:1: numbers[0] '40': the normaliser finds no number in the span"]

    def unreadable(text, start, end):
        raise ValueError("not a number")

    assert messages(validate_files([path], normaliser=unreadable)) == [
        f"{path}:1: numbers[0] '40': the normaliser cannot read the span: not a number"
    ]


def test_the_real_normaliser_agrees_with_a_guideline_annotation(tmp_path):
    text = "Some 2.4 million people fled, and at least five were killed in Homs in 2011."
    path = write(
        tmp_path / "g.jsonl",
        [
            rec(
                "g",
                text,
                ["displacement", "casualty"],
                [
                    num("2.4 million", text, "displaced", "approximate", 2.4e6, 2.4e6, 2.4e6),
                    num("five", text, "killed", "at_least", 5, 5, None),
                ],
            )
        ],
    )
    assert validate_files([path], normaliser=parse_span).ok


def test_the_real_normaliser_catches_short_spans_and_non_counts(tmp_path):
    text = "Some 2.4 million people fled Homs in 2011."
    path = write(
        tmp_path / "s.jsonl",
        [
            rec(
                "s",
                text,
                ["displacement"],
                [
                    num("2.4", text, "displaced", "approximate", 2.4, 2.4, 2.4),
                    num("2011", text, "displaced", "exact", 2011, 2011, 2011),
                ],
            )
        ],
    )
    found = messages(validate_files([path], normaliser=parse_span))
    assert found[0] == (
        f"{path}:1: numbers[0] '2.4': the normaliser reads the number expression as "
        "'2.4 million' [5, 16), not [5, 8)"
    )
    assert found[1].startswith(f"{path}:1: numbers[0] '2.4': disagrees with the normaliser: value")
    assert found[2] == (
        f"{path}:1: numbers[1] '2011': has role 'displaced' but the normaliser reads a year, "
        "not a count"
    )
    assert len(found) == 3


def test_duplicate_ids_and_texts_across_files(tmp_path):
    a = write(tmp_path / "a.jsonl", GOOD)
    b = write(tmp_path / "b.jsonl", [rec("a1", "Another calm day."), rec("b2", GOOD[1]["text"])])
    assert messages(validate_files([a, b])) == [
        f"{b}:1: duplicate id 'a1' (first at {a}:1)",
        f"{b}:2: duplicate text (first at {a}:2)",
    ]


def test_near_duplicates_are_problems_only_across_splits(tmp_path):
    one = "At least 25 people were killed in Gao on Monday, police said."
    two = "At least 40 people were killed in Gao on Monday, police said."
    far = "Rebels seized the border town of Tine on Sunday after a week of fighting."
    train = write(tmp_path / "train.jsonl", [rec("t1", one), rec("t2", two)])
    dev = write(tmp_path / "dev.jsonl", [rec("d1", far)])
    test = write(tmp_path / "test.jsonl", [rec("s1", two.replace("40", "52"))])
    other = write(tmp_path / "extra.jsonl", [rec("e1", one.replace("25", "9"))])
    report = validate_files([train, dev, test, other])
    assert messages(report) == [
        f"{test}:1: near-duplicate of {train}:1 across splits train/test (word 3-gram Jaccard 1.00)",
        f"{test}:1: near-duplicate of {train}:2 across splits train/test (word 3-gram Jaccard 1.00)",
    ]


def test_duplicate_key_and_shingles():
    assert duplicate_key("Some 1.3 MILLION fled -- Idlib!") == [
        "some",
        "0",
        "0",
        "million",
        "fled",
        "idlib",
    ]
    assert shingles("Two died.") == frozenset({"two died"})
    assert shingles("!!!") == frozenset()
    assert len(shingles("one two three four five")) == 3


def test_near_duplicate_pairs_match_brute_force():
    rng = random.Random(7)
    words = "people were killed fled the town in Gao on Monday police said rebels took".split()
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 9))) for _ in range(300)]
    groups = [rng.randint(0, 5) for _ in texts]
    sets = [shingles(t) for t in texts]
    expected = set()
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if groups[i] != groups[j] and sets[i] and sets[j]:
                jaccard = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
                if jaccard >= 0.8:
                    expected.add((i, j))
    found = {(i, j) for i, j, _ in near_duplicate_pairs(texts, groups)}
    assert found == expected and expected


def test_split_names():
    assert [split_of(p) for p in ("a/train.jsonl", "dev.jsonl", "TEST.jsonl", "x/valid.jsonl")] == [
        "train",
        "dev",
        "test",
        "dev",
    ]
    assert split_of("train-extra.jsonl") is None


def test_a_one_megabyte_line_does_not_hang(tmp_path):
    rng = random.Random(1)
    words = [*alpha_words(20_000, rng), "1,234", "2011", "dozens"]
    text = " ".join(rng.choice(words) for _ in range(160_000))[:999_900]
    text += " and at least 40 people were killed."
    big = rec("big", text, ["casualty"], [num("40", text, "killed", "at_least", 40, 40, None)])
    path = write(tmp_path / "train.jsonl", [big, GOOD[1]])
    dev = write(tmp_path / "dev.jsonl", [rec("big2", text[: len(text) // 2])])
    assert path.stat().st_size > 1_000_000
    started = time.perf_counter()
    report = validate_files([path, dev], normaliser=parse_span)
    assert time.perf_counter() - started < 20
    assert len(report.records) == 3
    assert report.ok


def test_ten_thousand_records_validate_quickly(tmp_path):
    rng = random.Random(3)
    vocab = alpha_words(5000, rng)
    records = [
        rec(f"r{i}", " ".join(rng.choice(vocab) for _ in range(rng.randint(6, 40))))
        for i in range(10_000)
    ]
    paths = [
        write(tmp_path / "train.jsonl", records[:8000]),
        write(tmp_path / "dev.jsonl", records[8000:9000]),
        write(tmp_path / "test.jsonl", records[9000:]),
    ]
    started = time.perf_counter()
    report = validate_files(paths)
    assert time.perf_counter() - started < 20
    assert report.ok and len(report.records) == 10_000


def corpus_records():
    killed = "Two people were killed and three were wounded when shells hit a market."
    fled = "Thousands fled after rebels took the town."
    return [
        Record.from_dict(
            rec(
                "c1",
                killed,
                ["casualty", "attack-on-infrastructure"],
                [
                    num("Two", killed, "killed", value=2, low=2, high=2),
                    num("three", killed, "injured", value=3, low=3, high=3),
                ],
                source="written",
            )
        ),
        Record.from_dict(
            rec(
                "c2",
                fled,
                ["displacement", "territorial-change"],
                [num("Thousands", fled, "displaced", "vague", None, 1000, None)],
                source="written",
            )
        ),
        Record.from_dict(rec("c3", "Calm in Gao.", source="re3d")),
        Record.from_dict(rec("c4", "Talks resumed.")),
    ]


def test_stats_count_positives_roles_and_sources():
    stats = CorpusStats.from_records(corpus_records(), LabelSchema.default())
    assert stats.records == 4 and stats.no_event == 2 and stats.no_event_share == 0.5
    assert stats.multi_event == 2
    assert stats.events == {
        "displacement": 1,
        "casualty": 1,
        "territorial-change": 1,
        "attack-on-infrastructure": 1,
    }
    assert stats.numbers == 3
    assert stats.roles == {"displaced": 1, "killed": 1, "injured": 1, "places": 0, "facilities": 0}
    assert stats.sources == {"(none)": 1, "re3d": 1, "written": 2}
    assert CorpusStats.from_dict(json.loads(json.dumps(stats.to_dict()))) == stats
    table = stats.format()
    assert (
        "no event                    2 (50.0%)" in table
        and "  facilities                0" in table
    )


def test_minimums_name_every_shortfall():
    stats = CorpusStats.from_records(corpus_records(), LabelSchema.default())
    small = CorpusMinimums(
        records=4, positives_per_event=1, no_event_share=0.5, numbers=3, per_role=0, multi_event=2
    )
    assert small.shortfalls(stats) == []
    assert replace(small, per_role=1).shortfalls(stats) == [
        "numbers with role places: 0 < 1",
        "numbers with role facilities: 0 < 1",
    ]
    project = CorpusMinimums()
    assert (project.records, project.positives_per_event, project.no_event_share) == (
        2500,
        400,
        0.35,
    )
    assert (project.numbers, project.per_role, project.multi_event) == (1200, 150, 300)
    assert len(project.shortfalls(stats)) == 1 + 4 + 1 + 5 + 1 - 0  # all but the no-event share


def test_cli_exit_codes_stats_and_minimums(tmp_path, capsys):
    good = write(tmp_path / "good.jsonl", [r.to_dict() for r in corpus_records()])
    assert main(["data", "validate", "--no-normaliser", str(good)]) == 0
    assert main(["data", "validate", str(good)]) == 0  # the normaliser agrees with every number
    assert main(["data", "validate", "--no-normaliser", "--stats", str(good)]) == 0
    out = capsys.readouterr().out
    assert "records                     4" in out and "  written                   2" in out
    assert main(["data", "validate", "--no-normaliser", "--check-minimums", str(good)]) == 1
    assert "below minimum: records: 4 < 2500" in capsys.readouterr().out
    assert main(["data", "validate", "--no-normaliser", "--stats", "--json", str(good)]) == 0
    assert json.loads(capsys.readouterr().out)["multi_event"] == 2
    more = write(tmp_path / "more.jsonl", [rec("m1", "Talks went on in Geneva.")])
    assert main(["data", "validate", "--no-normaliser", "--stats", str(good), str(more)]) == 0
    out = capsys.readouterr().out
    assert f"  {good}  4\n  {more}  1" in out and "records                     5" in out
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n", encoding="utf-8")
    assert main(["data", "validate", "--no-normaliser", str(good), str(bad)]) == 1
    assert f"{bad}:1: field 'id' must be a non-empty string" in capsys.readouterr().out


def test_csv_and_datasets_folders_are_read_like_train_reads_them(tmp_path, capsys):
    from conflict_events.cli import main

    csv_file = tmp_path / "mine.csv"
    csv_file.write_text(
        "text,casualty\nThree people were killed.,1\nCalm.,maybe\nAll quiet.,0\n", encoding="utf-8"
    )
    report = validate_files([csv_file])
    assert [r.record.text for r in report.records] == ["Three people were killed.", "All quiet."]
    assert [str(p) for p in report.problems] == [
        f"{csv_file}:3: column 'casualty' must be 0 or 1, got 'maybe'"
    ]
    assert main(["data", "validate", str(csv_file)]) == 1
    assert "malformed JSON" not in capsys.readouterr().out
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "ds"
    datasets.Dataset.from_list(
        [{"id": "a", "text": "Three people were killed.", "events": ["casualty"]}]
    ).save_to_disk(str(folder))
    assert [r.record.id for r in validate_files([folder]).records] == ["a"]
