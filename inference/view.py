"""Views of tagged documents for people: rich text on a terminal, and a self-contained HTML page.

``conflict-events tag`` on a terminal prints each document as :func:`document_view` draws it:
a title, then each sentence that reports an event or gives a number, with the numbers
highlighted and labelled with their role and value, and the sentence's events under it; then the
document summary (events, and one row per distinct figure with the sentences citing it).
``conflict-events show TAGGED.jsonl`` draws saved output the same way, or with ``--html OUT``
writes one HTML file (inline CSS, no script, no external asset) where each number is a
highlighted span labelled with its role and value, displaCy-style.

rich is imported here only when a view is drawn, so ``import conflict_events.inference`` stays
light.

>>> figure_text(25000.0, 25000.0, None, "at_least")
'≥25,000'
>>> figure_text(None, 3000.0, 5000.0, "range"), figure_text(None, 100.0, None, "vague")
('3,000–5,000', '≥100 (vague)')
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from conflict_events.inference.archive import same_file
from conflict_events.inference.results import (
    DocumentResult,
    DocumentSummary,
    NumberMention,
    SentenceResult,
)

PROG = "conflict-events show"
# One colour per role and event of the default schema; other labels take the spare colours.
ROLE_COLORS = {
    "displaced": "#8ecae6",
    "killed": "#f4a3a3",
    "injured": "#ffd6a5",
    "places": "#b9e4a8",
    "facilities": "#d5c4f2",
}
EVENT_COLORS = {
    "displacement": "#219ebc",
    "casualty": "#c1121f",
    "territorial-change": "#4f772d",
    "attack-on-infrastructure": "#7b2cbf",
}
SPARE_COLORS = ("#f9c74f", "#90be6d", "#f8961e", "#43aa8b", "#577590", "#f94144")
NO_ROLE_COLOR = "#dddddd"
# On a terminal: named colours, which every terminal shows apart (hex ones fade to one grey on
# 8-colour terminals).
TERMINAL_COLORS = {
    "displaced": "cyan",
    "killed": "red",
    "injured": "yellow",
    "places": "green",
    "facilities": "magenta",
    "displacement": "cyan",
    "casualty": "red",
    "territorial-change": "green",
    "attack-on-infrastructure": "magenta",
}
TERMINAL_SPARE = ("blue", "bright_yellow", "bright_green", "bright_cyan", "bright_magenta")
QUALIFIER_SIGNS = {"at_least": "≥", "at_most": "≤", "approximate": "~"}


def color(label: str | None, palette: dict[str, str], spare: Sequence[str] = SPARE_COLORS) -> str:
    """The colour of a role or event (a spare one, always the same, for labels of your own)."""
    if label is None:
        return NO_ROLE_COLOR if spare is SPARE_COLORS else "white"
    if label in palette:
        return palette[label]
    return spare[sum(map(ord, label)) % len(spare)]


def term_color(label: str | None) -> str:
    return color(label, TERMINAL_COLORS, TERMINAL_SPARE)


def _amount(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def figure_text(value: float | None, low: float | None, high: float | None, qualifier: str) -> str:
    """A figure as a person reads it: "≥25,000", "~15", "3,000–5,000", "≥100 (vague)"."""
    if qualifier == "range" and low is not None and high is not None:
        return f"{_amount(low)}–{_amount(high)}"
    if value is None:
        return f"≥{_amount(low)} (vague)" if low is not None else "?"
    return QUALIFIER_SIGNS.get(qualifier, "") + _amount(value)


def number_label(n: NumberMention) -> str:
    """The label drawn on a number: its role and its value."""
    return f"{n.role or 'no role'} {figure_text(n.value, n.low, n.high, n.qualifier.value)}"


def sentence_pieces(s: SentenceResult) -> list[tuple[str, NumberMention | None]]:
    """The sentence's text cut into plain runs and numbers (number offsets index the document)."""
    pieces: list[tuple[str, NumberMention | None]] = []
    at = 0
    for n in sorted(s.numbers, key=lambda n: n.start):
        start, end = n.start - s.start, n.end - s.start
        if start < at or end > len(s.text):
            continue  # not inside this sentence: shown in the summary only
        pieces += [(s.text[at:start], None), (s.text[start:end], n)]
        at = end
    pieces.append((s.text[at:], None))
    return [(text, n) for text, n in pieces if text or n is not None]


def shown(s: SentenceResult) -> bool:
    """A sentence worth showing: it reports an event or gives a number."""
    return bool(s.events or s.numbers)


def visible(
    doc: DocumentResult, all_sentences: bool
) -> tuple[list[tuple[int, SentenceResult]], int]:
    """The sentences to draw (with their indexes), and how many are left out."""
    drawn = [(i, s) for i, s in enumerate(doc.sentences) if all_sentences or shown(s)]
    return drawn, len(doc.sentences) - len(drawn)


# -- terminal (rich) ------------------------------------------------------------------------------


def _render(renderables: Iterable[Any], width: int | None, colors: bool) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 100,
        force_terminal=colors,
        no_color=not colors,
        color_system="auto" if colors else None,
        highlight=False,
        soft_wrap=False,
    )
    for renderable in renderables:
        console.print(renderable)
    return buffer.getvalue()


def header_view(doc_id: str | None) -> Any:
    from rich.rule import Rule
    from rich.text import Text

    return Rule(Text(str(doc_id) if doc_id else "document", style="bold"), align="left")


def sentence_view(index: int, s: SentenceResult) -> Any:
    from rich.text import Text

    text = Text()
    text.append(f"{index:>3}  ", style="dim")
    for piece, number in sentence_pieces(s):
        if number is None:
            text.append(piece)
            continue
        text.append(piece, style=f"bold black on {term_color(number.role)}")
        text.append(f"⟨{number_label(number)}⟩", style=f"italic {term_color(number.role)}")
    if s.events:
        text.append("\n     ")
        for e in s.events:
            text.append(f" {e.label} ", style=f"bold white on {term_color(e.label)}")
            text.append(f" {e.score:.2f}  ", style="dim")
    return text


def summary_view(
    summary: DocumentSummary | None, sentences: int, hidden: int, warnings: Sequence[str] = ()
) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    if hidden:
        out.append(Text(f"     … {hidden} of {sentences} sentences report no event", style="dim"))
    events = Text("events: ", style="bold")
    for label in summary.events if summary else ():
        events.append(f" {label} ", style=f"bold white on {term_color(label)}")
        events.append(" ")
    if not summary or not summary.events:
        events.append("none", style="dim")
    out.append(events)
    if summary and summary.figures:
        table = Table(title=None, show_edge=False, header_style="bold", pad_edge=False)
        for column in ("role", "figure", "unit", "cited in sentences"):
            table.add_column(column)
        for f in summary.figures:
            table.add_row(
                Text(f.role, style=f"bold black on {term_color(f.role)}"),
                figure_text(f.value, f.low, f.high, f.qualifier.value),
                f.unit or "",
                ", ".join(str(c.sentence) for c in f.citations),
            )
        out.append(table)
    out += [Text(f"warning: {w}", style="yellow") for w in warnings]
    return out


def document_view(doc: DocumentResult, all_sentences: bool = False) -> list[Any]:
    """The rich renderables of one document (every sentence with ``all_sentences``)."""
    drawn, hidden = visible(doc, all_sentences)
    out = [header_view(doc.id), *(sentence_view(index, s) for index, s in drawn)]
    return out + summary_view(doc.summary, len(doc.sentences), hidden, doc.warnings)


def document_text(
    doc: DocumentResult, width: int | None = None, colors: bool = True, all_sentences: bool = False
) -> str:
    """One document drawn as terminal text (ANSI colours when ``colors``)."""
    return _render(document_view(doc, all_sentences), width, colors)


def render_pieces(renderables: Iterable[Any], width: int | None, colors: bool = True) -> str:
    """Renderables from :func:`header_view` / :func:`sentence_view` / :func:`summary_view` as text."""
    return _render(renderables, width, colors)


# -- HTML -----------------------------------------------------------------------------------------

CSS = """
body { font: 16px/1.6 system-ui, sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; border-bottom: 1px solid #ccc; }
.sentence { margin: .4em 0; } .index { color: #999; font-size: .8em; margin-right: .5em; }
mark.number { padding: .1em .3em; border-radius: .3em; font-weight: 600; color: #111; }
mark.number .label { font-size: .7em; font-weight: 700; text-transform: uppercase;
  margin-left: .4em; vertical-align: middle; color: #333; }
.event { display: inline-block; color: #fff; font-size: .75em; font-weight: 700;
  padding: 0 .4em; border-radius: .3em; margin-right: .3em; }
.quiet { color: #999; font-size: .85em; }
table.summary { border-collapse: collapse; margin: .5em 0 1.5em; }
table.summary td, table.summary th { padding: .2em .8em; border-bottom: 1px solid #eee;
  text-align: left; }
"""


def html_head(title: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
    )


HTML_TAIL = "</body></html>\n"


def html_sentence(index: int, s: SentenceResult) -> str:
    parts = [f'<p class="sentence" data-index="{index}"><span class="index">{index}</span>']
    for piece, n in sentence_pieces(s):
        if n is None:
            parts.append(html.escape(piece))
            continue
        value = "" if n.value is None else f"{n.value:g}"
        parts.append(
            f'<mark class="number" data-role="{html.escape(n.role or "")}" '
            f'data-value="{value}" data-qualifier="{n.qualifier.value}" '
            f'style="background: {color(n.role, ROLE_COLORS)}">{html.escape(piece)}'
            f'<span class="label">{html.escape(number_label(n))}</span></mark>'
        )
    if s.events:
        parts.append("<br>")
        parts += [
            f'<span class="event" data-event="{html.escape(e.label)}" '
            f'style="background: {color(e.label, EVENT_COLORS)}">{html.escape(e.label)} '
            f"{e.score:.2f}</span>"
            for e in s.events
        ]
    return "".join(parts) + "</p>\n"


def html_document(doc: DocumentResult, all_sentences: bool = False) -> str:
    drawn, hidden = visible(doc, all_sentences)
    parts = [f'<section class="document"><h2>{html.escape(str(doc.id))}</h2>\n']
    parts += [html_sentence(index, s) for index, s in drawn]
    if hidden:
        parts.append(
            f'<p class="quiet">{hidden} of {len(doc.sentences)} sentences report no event</p>\n'
        )
    summary = doc.summary
    events = " ".join(
        f'<span class="event" style="background: {color(label, EVENT_COLORS)}">'
        f"{html.escape(label)}</span>"
        for label in (summary.events if summary else ())
    )
    parts.append(f"<p><b>events:</b> {events or 'none'}</p>\n")
    if summary and summary.figures:
        parts.append(
            '<table class="summary"><tr><th>role</th><th>figure</th><th>unit</th>'
            "<th>cited in sentences</th></tr>\n"
        )
        for f in summary.figures:
            parts.append(
                f'<tr class="figure"><td><mark class="role" style="background: '
                f'{color(f.role, ROLE_COLORS)}">{html.escape(f.role)}</mark></td>'
                f"<td>{html.escape(figure_text(f.value, f.low, f.high, f.qualifier.value))}</td>"
                f"<td>{html.escape(f.unit or '')}</td>"
                f"<td>{', '.join(str(c.sentence) for c in f.citations)}</td></tr>\n"
            )
        parts.append("</table>\n")
    parts += [f'<p class="quiet">warning: {html.escape(w)}</p>\n' for w in doc.warnings]
    return "".join(parts) + "</section>\n"


# -- the command ----------------------------------------------------------------------------------


def read_tagged(path: str, stdin: Any = None) -> Iterator[DocumentResult | str]:
    """The documents of a ``tag`` JSONL output; for a line that is none, ``"file:line: why"``."""
    stream = (stdin or sys.stdin) if path == "-" else open(path, encoding="utf-8")
    with stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield DocumentResult.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                yield f"{path}:{number}: not a record of `conflict-events tag` ({exc})"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Show documents tagged by `conflict-events tag` (JSONL): on the terminal, or as one "
        "self-contained HTML page with the numbers highlighted."
    )
    parser.add_argument("tagged", metavar="TAGGED.jsonl", help="output of `tag` (- for stdin)")
    parser.add_argument("--html", metavar="OUT.html", help="write an HTML page here instead")
    parser.add_argument(
        "--all", action="store_true", help="every sentence, not only those with events or numbers"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --html file")


def run(args: argparse.Namespace) -> int:
    if args.tagged != "-" and not os.path.isfile(args.tagged):
        print(f"{PROG}: error: {args.tagged}: no such file", file=sys.stderr)
        return 2
    if args.html and args.tagged != "-" and same_file(args.html, args.tagged):
        print(
            f"{PROG}: error: --html {args.html} is the input; choose another file", file=sys.stderr
        )
        return 2
    if args.html and os.path.exists(args.html) and not args.overwrite:
        print(f"{PROG}: error: {args.html} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    bad = documents = 0
    try:
        out = open(args.html, "w", encoding="utf-8") if args.html else None
    except OSError as exc:
        print(f"{PROG}: error: cannot write {args.html}: {exc.strerror}", file=sys.stderr)
        return 2
    colors = sys.stdout is not None and sys.stdout.isatty()
    width = os.get_terminal_size().columns if colors else 100
    try:
        if out is not None:
            out.write(html_head(f"conflict-events: {os.path.basename(args.tagged)}"))
        for item in read_tagged(args.tagged):
            if isinstance(item, str):
                bad += 1
                print(f"{PROG}: {item}", file=sys.stderr)
            elif out is not None:
                documents += 1
                out.write(html_document(item, args.all))
            else:
                documents += 1
                sys.stdout.write(document_text(item, width, colors, args.all))
        if out is not None:
            out.write(HTML_TAIL)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        if out is not None:
            out.close()
    if args.html:
        print(f"{PROG}: wrote {documents} documents to {args.html}", file=sys.stderr)
    return 1 if bad else 0
