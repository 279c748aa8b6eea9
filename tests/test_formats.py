"""HTML, WARC, PDF readers and the JSONL/CSV/Parquet writers: round trips and broken records."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from conflict_events.inference.archive import BadRecord, Document
from conflict_events.inference.results import DocumentResult, SentenceResult
from conflict_events.inference.runner import Tagged

ARTICLE = (
    "At least 25,000 civilians have fled the town since Monday, the United Nations said. "
    "Three people were killed and 12 wounded in the market."
)
PAGE = f"""<html><head><title>News</title>
<meta property="article:published_time" content="2024-03-05"></head>
<body><nav>Home | World | Sport | Contact us</nav>
<article><h1>Clashes in the north</h1><p>{ARTICLE}</p>
<p>Rebels captured some 15 villages near the river, according to local officials.</p></article>
<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""
EMPTY_PAGE = "<html><head><script>var x = 1;</script></head><body></body></html>"


# -- HTML -----------------------------------------------------------------------------------------


def test_html_keeps_the_article_and_drops_boilerplate():
    pytest.importorskip("trafilatura")
    from conflict_events.inference.html_reader import read_html

    [doc] = read_html("page.html", io.BytesIO(PAGE.encode()))
    assert isinstance(doc, Document) and doc.id == "page.html"
    assert ARTICLE in doc.text and "15 villages" in doc.text
    assert "Contact us" not in doc.text and "Copyright" not in doc.text
    assert doc.meta == {"date": "2024-03-05"}
    assert doc.date == "2024-03-05"  # the page's own date: the tagged record's publication date


def test_html_with_no_text_is_a_bad_record():
    pytest.importorskip("trafilatura")
    from conflict_events.inference.html_reader import read_html

    [bad] = read_html("empty.html", io.BytesIO(EMPTY_PAGE.encode()))
    assert isinstance(bad, BadRecord) and bad.file == "empty.html"
    assert "no main text" in bad.reason


# -- WARC -----------------------------------------------------------------------------------------


def _warc(pages: list[tuple[str, str, str]], gzip: bool = True) -> bytes:
    """A WARC written here: a warcinfo record, then per page a request and a response record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "tests"}))
    for uri, content_type, body in pages:
        request = StatusAndHeaders(
            "GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True
        )
        writer.write_record(writer.create_warc_record(uri, "request", http_headers=request))
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        payload = io.BytesIO(body.encode("utf-8"))
        writer.write_record(
            writer.create_warc_record(uri, "response", payload=payload, http_headers=headers)
        )
    return out.getvalue()


PAGES = [
    ("https://example.org/a", "text/html; charset=utf-8", PAGE),
    ("https://example.org/logo.png", "image/png", "not text"),
    ("https://example.org/empty", "text/html", EMPTY_PAGE),
    ("https://example.org/b.txt", "text/plain", "Two bridges were destroyed by air strikes."),
]


@pytest.mark.parametrize("gzip", [True, False])
def test_warc_pages_become_documents_with_their_uri(gzip):
    pytest.importorskip("warcio")
    from conflict_events.inference.warc_reader import read_warc

    items = list(read_warc("crawl.warc", io.BytesIO(_warc(PAGES, gzip))))
    assert [type(i).__name__ for i in items] == ["Document", "BadRecord", "Document"]
    page, empty, plain = items
    assert page.id == "https://example.org/a" and ARTICLE in page.text
    assert page.meta["url"] == page.id and page.meta["date"] == "2024-03-05"
    assert page.date == "2024-03-05" and plain.date is None  # a crawl date is no publication date
    assert page.line == 3  # warcinfo, request, then this response
    assert empty.location == "crawl.warc:7" and "no main text" in empty.reason
    assert plain.id == "https://example.org/b.txt" and plain.text.startswith("Two bridges")


@pytest.mark.parametrize("gzip", [True, False])
def test_truncated_warc_reports_the_record_and_keeps_what_came_before(gzip):
    pytest.importorskip("warcio")
    from conflict_events.inference.warc_reader import read_warc

    data = _warc(PAGES, gzip)
    for cut in (len(data) - 30, len(data) * 2 // 3):
        items = list(read_warc("cut.warc", io.BytesIO(data[:cut])))
        assert isinstance(items[0], Document) and items[0].id == "https://example.org/a"
        bad = items[-1]
        assert isinstance(bad, BadRecord) and bad.file == "cut.warc" and bad.line is not None
        assert "truncated" in bad.reason or "unreadable" in bad.reason, bad.reason


def test_warc_without_a_page_is_reported_not_passed_as_empty():
    pytest.importorskip("warcio")
    from conflict_events.inference.warc_reader import read_warc

    images = [("https://example.org/logo.png", "image/png", "not text")]
    [bad] = read_warc("images.warc", io.BytesIO(_warc(images)))
    assert isinstance(bad, BadRecord) and bad.file == "images.warc"
    assert bad.reason == (
        "no HTML or plain-text page among its 3 WARC records (1 request, 1 response, 1 warcinfo)"
    )


def test_garbage_is_no_warc():
    pytest.importorskip("warcio")
    from conflict_events.inference.warc_reader import read_warc

    [bad] = read_warc("x.warc", io.BytesIO(b"this is not a web archive\n" * 3))
    assert isinstance(bad, BadRecord) and bad.file == "x.warc"


# -- PDF ------------------------------------------------------------------------------------------


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF written by hand: one Helvetica text line per string, pages in order."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font = 3 + 2 * len(pages)
    for i, lines in enumerate(pages):
        shown = " ".join(f"({line}) Tj T*" for line in lines)
        content = f"BT /F1 11 Tf 14 TL 72 720 Td {shown} ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


REPORT = [
    [
        "Situation report 12",
        "",
        "At least 25,000 civilians have been dis-",
        "placed by the fighting in the north",
        "of the country.",
    ],
    ["Three people were killed and 12 wounded", "in the market."],
]


def test_pdf_text_is_repaired_across_lines_and_pages():
    pytest.importorskip("pypdf")
    from conflict_events.inference.pdf_reader import read_pdf

    [doc] = read_pdf("report.pdf", io.BytesIO(make_pdf(REPORT)))
    assert isinstance(doc, Document) and doc.id == "report.pdf"
    assert "civilians have been displaced by the fighting in the north of the country." in doc.text
    assert doc.text.endswith("Three people were killed and 12 wounded in the market.")
    second = doc.meta["pages"][1]
    assert doc.text[second:].startswith("Three people")


def test_broken_pdf_is_a_bad_record():
    pytest.importorskip("pypdf")
    from conflict_events.inference.pdf_reader import read_pdf

    data = make_pdf(REPORT)
    for broken in (data[: len(data) // 3], b"%PDF-1.4\nnothing else"):
        [bad] = read_pdf("broken.pdf", io.BytesIO(broken))
        assert isinstance(bad, BadRecord) and bad.file == "broken.pdf"
        assert "PDF" in bad.reason
    [blank] = read_pdf("scan.pdf", io.BytesIO(make_pdf([[]])))
    assert isinstance(blank, BadRecord) and "no text" in blank.reason


# -- writers --------------------------------------------------------------------------------------


def _results() -> list[Tagged]:
    from conflict_events.inference.results import (
        Citation,
        DocumentSummary,
        EventScore,
        Figure,
        NumberMention,
        Qualifier,
        Quantity,
    )

    number = NumberMention(
        "25,000",
        9,
        15,
        25000.0,
        25000.0,
        25000.0,
        Qualifier.AT_LEAST,
        "displaced",
        "civilians",
        0.9,
    )
    sentence = SentenceResult(ARTICLE[:83], 0, 83, (EventScore("displacement", 0.97),), (number,))
    figure = Figure(
        "displaced",
        Quantity(25000.0, 25000.0, 25000.0, Qualifier.AT_LEAST),
        "civilians",
        (Citation(0, 9, 15),),
    )
    result = DocumentResult(
        "a",
        ARTICLE,
        (sentence, SentenceResult(ARTICLE[84:], 84, len(ARTICLE))),
        DocumentSummary(("displacement",), (figure,)),
    )
    doc = Document("a", ARTICLE, "in.jsonl", 1, {"date": "2024-03-05"})
    return [
        Tagged(doc, result),
        Tagged(None, error=BadRecord("crawl.warc", 7, "HTML page with no main text")),
        Tagged(Document("c", "x", "in.jsonl", 3), DocumentResult("c", "x")),
    ]


@pytest.mark.parametrize("layout", ["documents", "rows"])
def test_parquet_round_trip(tmp_path, layout):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from conflict_events.inference.writers import open_writer

    path = tmp_path / f"out-{layout}.parquet"
    items = _results()
    with open_writer(path, layout=layout, errors=True) as writer:
        for item in items:
            writer.write(item)
    rows = pq.read_table(path).to_pylist()
    if layout == "documents":
        assert [r["id"] for r in rows] == ["a", "crawl.warc:7", "c"]
        restored = DocumentResult.from_dict({**rows[0], "text": ARTICLE})
        assert restored == items[0].result
        assert json.loads(rows[0]["meta"]) == {"date": "2024-03-05"}
        assert rows[1]["error"] == "HTML page with no main text" and rows[1]["line"] == 7
    else:
        kinds = [(r["id"], r["kind"]) for r in rows]
        assert kinds == [
            ("a", "event"),
            ("a", "number"),
            ("a", "figure"),
            ("a", "document"),
            ("crawl.warc:7", "error"),
            ("c", "document"),
        ]
        assert (
            rows[1]["value"] == 25000.0 and rows[1]["start"] == 9 and rows[1]["role"] == "displaced"
        )


def test_jsonl_and_csv_writers_share_the_interface(tmp_path):
    from conflict_events.inference.writers import open_writer

    items = _results()
    for name in ("out.jsonl", "out.csv"):
        with open_writer(tmp_path / name, errors=False) as writer:
            for item in items:
                writer.write(item)
        assert writer.written == 2  # the error is the caller's to report when errors=False
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert DocumentResult.from_dict({**first, "text": ARTICLE}) == items[0].result
    assert first["meta"] == {"date": "2024-03-05"}
    import csv

    rows = list(csv.reader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert rows[0][:2] == ["id", "kind"] and [r[1] for r in rows[1:]] == [
        "event",
        "number",
        "figure",
        "document",
        "document",
    ]


# -- through the command: good and broken files of every new format, local and Ray ---------------


@pytest.fixture()
def mixed_folder(tmp_path):
    """Good and broken HTML, WARC and PDF files in one folder."""
    for module in ("trafilatura", "warcio", "pypdf"):
        pytest.importorskip(module)
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "a-page.html").write_text(PAGE, encoding="utf-8")
    (folder / "b-empty.html").write_text(EMPTY_PAGE, encoding="utf-8")
    good = _warc(PAGES[:1])
    (folder / "c-crawl.warc.gz").write_bytes(good)
    (folder / "d-cut.warc.gz").write_bytes(_warc(PAGES)[:-30])
    (folder / "e-report.pdf").write_bytes(make_pdf(REPORT))
    (folder / "f-broken.pdf").write_bytes(make_pdf(REPORT)[:300])
    return folder


GLOB = "*.html,*.warc.gz,*.pdf"


def _check_mixed(folder, results: list[dict], errors: list[dict]) -> None:
    ids = [r["id"] for r in results]
    assert str(folder / "a-page.html") in ids and str(folder / "e-report.pdf") in ids
    assert ids.count("https://example.org/a") == 2  # one from each WARC, before the cut
    assert "https://example.org/b.txt" not in ids  # after the cut in d-cut.warc.gz
    where = {(Path(e["file"]).name, e["line"]): e["reason"] for e in errors}
    assert "no main text" in where[("b-empty.html", None)]
    cut = [k for k in where if k[0] == "d-cut.warc.gz"]
    assert cut and all(line is not None for _, line in cut)  # the record is named
    assert any("truncated" in where[k] for k in cut)
    assert "PDF" in where[("f-broken.pdf", None)]
    page = next(r for r in results if r["id"] == str(folder / "a-page.html"))
    assert page["date"] == "2024-03-05"  # the page's own date, for `events`


def test_tag_reads_every_format_and_reports_broken_files(decisive_model, mixed_folder, tmp_path):
    from conflict_events.cli import main

    out, errors = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    argv = ["tag", str(mixed_folder), "--glob", GLOB, "--model", str(decisive_model)]
    assert main([*argv, "--quiet", "--out", str(out), "--errors", str(errors)]) == 1
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    problems = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    _check_mixed(mixed_folder, results, problems)
    pdf = next(r for r in results if r["id"].endswith("e-report.pdf"))
    assert pdf["meta"]["pages"][0] == 0  # what the source says, next to the results


def test_ray_engine_writes_broken_files_as_error_rows(
    ray_local, decisive_model, mixed_folder, tmp_path
):
    from conflict_events.cli import main
    from conflict_events.inference.shards import read_shards

    out = tmp_path / "shards"
    argv = ["tag", str(mixed_folder), "--glob", GLOB, "--model", str(decisive_model)]
    assert main([*argv, "--engine", "ray", "--quiet", "--out", str(out)]) == 1
    rows = list(read_shards(out))
    results = [r for r in rows if not r["error"]]
    errors = [
        {"file": r["file"], "line": r["line"], "reason": r["error"]} for r in rows if r["error"]
    ]
    _check_mixed(mixed_folder, results, errors)
    pdf = next(r for r in results if r["id"].endswith("e-report.pdf"))
    assert json.loads(pdf["meta"])["pages"][0] == 0
