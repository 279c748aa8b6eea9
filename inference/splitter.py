"""Split a text into sentences with exact character offsets, in one linear pass.

The tagger reads one sentence at a time, so the splitter decides what the model sees. It is
written for news and field reports:

* A period, "!", "?", "…" or "..." ends a sentence when whitespace and a sentence start (not a
  lowercase letter) follow; closing quotes and brackets after it stay in the sentence
  ('"We have nothing left." Residents ...').
* A period does not end a sentence after a title ("Gen.", "Dr.", "St."), after "No.", "p.",
  "Fig.", "pop." or a month ("Dec. 22") when a digit follows, after an initial ("J. R. Smith")
  or a dotted abbreviation ("U.N.", "U.S.", "a.m.") unless a common sentence opener follows
  ("... in the U.K. He moved"; "10 a.m. Monday" goes on), nor after a list number at the start
  of a line ("1. Shelling hit ..."). Decimals ("2.4 million") have no space after the point.
* Lines: a blank line always ends a sentence. A line that ends without final punctuation
  (a headline, a list item, "Key figures:") ends a sentence at the line break, unless it ends
  with "," or ";" or the next line starts with a lowercase letter: a hard-wrapped sentence
  ("killed at least\\ntwelve people") stays whole. So repeated headlines stay separate.
* ``max_chars`` caps a sentence for the model: a longer one is cut into pieces of at most
  ``max_chars`` characters, at the last ",", ";" or ":" in the second half of the window, else at
  the last whitespace, else (no whitespace at all) exactly at the limit.

>>> doc = 'Fighting resumed on Dec. 22. The U.N. said 2.4 million fled.\\n\\nMore later'
>>> [doc[s.start:s.end] for s in split_sentences(doc)]
['Fighting resumed on Dec. 22.', 'The U.N. said 2.4 million fled.', 'More later']

Bad input: a non-``str`` text raises ``TypeError`` (bytes: decode them first); an empty or blank
text has no sentences. Control characters and lone surrogates are ordinary characters, kept
in the sentence they occur in, and the line separators of :meth:`str.splitlines` (form feed,
U+2028, U+2029 ...) break lines like "\\n".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["SentenceSpan", "cap_span", "check_text", "split_sentences"]


def check_text(text: object) -> str:
    """Return ``text`` if it is a ``str``, else raise a ``TypeError`` saying what to pass.

    Shared by the inference readers so that every entry point refuses bad input the same way.

    >>> check_text("ok")
    'ok'
    >>> check_text(None)
    Traceback (most recent call last):
    TypeError: expected str, got NoneType
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"expected str, got {type(text).__name__}: decode it first, e.g. data.decode('utf-8')"
        )
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return text


def check_span(text: object, start: object, end: object) -> str:
    """Check a text and a non-empty ``[start, end)`` span inside it; return the text.

    >>> check_span("Five died.", 0, 4)
    'Five died.'
    >>> check_span("Five died.", 4, 40)
    Traceback (most recent call last):
    ValueError: span [4, 40) is empty or outside the text (length 10)
    """
    check_text(text)
    if not (isinstance(start, int) and isinstance(end, int)):
        raise TypeError(
            f"start and end must be int, got {type(start).__name__}, {type(end).__name__}"
        )
    if not 0 <= start < end <= len(text):  # type: ignore[arg-type]
        raise ValueError(f"span [{start}, {end}) is empty or outside the text (length {len(text)})")  # type: ignore[arg-type]
    return text  # type: ignore[return-value]


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence of a text: ``text[start:end]``, without surrounding whitespace.

    >>> s = SentenceSpan(5, 9)
    >>> s.text_of("One. Two."), SentenceSpan.from_dict(s.to_dict()) == s
    ('Two.', True)
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad sentence span [{self.start}, {self.end})")

    def text_of(self, text: str) -> str:
        """The sentence in ``text``, the string it was split from."""
        return text[self.start : self.end]

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentenceSpan:
        return cls(int(data["start"]), int(data["end"]))


# Periods after these (lowercased, without the period) never end a sentence: a name follows.
TITLES = set(
    "mr mrs ms dr gen lt col maj capt cpt sgt cpl pte adm gov sen rep rev prof st mt ft pres"
    " brig cmdr cdr insp supt hon messrs mme mlle fr".split()
)
# Periods after these do not end a sentence when a number follows: "No. 5", "Dec. 22".
BEFORE_NUMBERS = set(
    "no nos art arts p pp fig figs vol vols para paras ch sec pop tel approx ca est op ref"
    " jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# After an initial or a dotted abbreviation, these words start a new sentence.
OPENERS = set(
    "the a an in on at he she it they we i this that these those there his her their its our"
    " but and or so as after before when while if since however meanwhile according yet"
    " some many most all no none one two three four five six seven eight nine ten several"
    " both each every other another earlier later then today yesterday officials residents"
    " police witnesses".split()
)
# After "a.m."/"p.m." these words continue the sentence: "10 a.m. Monday".
CLOCK_FOLLOWERS = set(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may"
    " june july august september october november december jan feb mar apr jun jul aug sep"
    " sept oct nov dec local gmt utc est cet eet ast".split()
)
_TERMINALS = ".!?…"
_CLOSERS = "\"'”’»)]"
_OPENING = "\"'“‘«([-*•–—"
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_PARAGRAPH_BREAKS = "\f\u2029"

_PUNCTUATION = re.compile(r"[.!?…]+[\"'”’»)\]]*")
_WHITESPACE = re.compile(r"\s+")
_LINE_BREAK = re.compile(f"[{_LINE_BREAKS}]")
_NON_SPACE = re.compile(r"\S")
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
_WORD = re.compile(r"[^\W_]+")
# How far back a period looks for the word it ends: longer chunks are no abbreviation.
_LOOKBACK = 32


def split_sentences(text: str, max_chars: int | None = None) -> list[SentenceSpan]:
    """The sentences of ``text``, in order, as offsets into ``text``.

    ``max_chars`` (optional, >= 1) cuts longer sentences into pieces for the model (see the
    module docstring). Runs in time linear in ``len(text)``.

    >>> text = "25,000 flee Idlib\\nAt least 25,000 civilians fled, the U.N. said. Gen. Ali agreed."
    >>> [s.text_of(text) for s in split_sentences(text)]
    ['25,000 flee Idlib', 'At least 25,000 civilians fled, the U.N. said.', 'Gen. Ali agreed.']
    >>> [s.text_of(text) for s in split_sentences(text, max_chars=32)][1:3]
    ['At least 25,000 civilians fled,', 'the U.N. said.']
    >>> split_sentences(" \\n ")
    []
    """
    check_text(text)
    if max_chars is not None and (
        isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1
    ):
        raise ValueError(f"max_chars must be a positive int or None, got {max_chars!r}")
    cuts = sorted(set(_punctuation_ends(text)) | set(_line_ends(text)))
    spans, begin = [], 0
    for cut in [*cuts, len(text)]:
        span = _stripped(text, begin, cut)
        if span is not None:
            spans.append(span)
        begin = cut
    if max_chars is None:
        return spans
    return [piece for span in spans for piece in _capped(text, span, max_chars)]


def _stripped(text: str, start: int, end: int) -> SentenceSpan | None:
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return None
    last = end
    while text[last - 1].isspace():
        last -= 1
    return SentenceSpan(first.start(), last)


def _punctuation_ends(text: str):
    """Positions right after the punctuation (and closing quotes) that ends a sentence."""
    for match in _PUNCTUATION.finditer(text):
        end = match.end()
        if end < len(text) and not text[end].isspace():
            continue  # 2.4, U.S.-led, "a.m.,"
        following = _NON_SPACE.search(text, end)
        if following is None:
            yield end
            continue
        next_char = text[following.start()]
        if next_char.islower():
            continue
        marks = match.group().rstrip(_CLOSERS)
        if marks != "." or _period_ends(text, match.start(), following.start()):
            yield end


def _period_ends(text: str, dot: int, following: int) -> bool:
    """Does the single period at ``dot`` end a sentence, given what follows at ``following``?"""
    chunk_start = max(0, dot - _LOOKBACK)
    chunk = text[chunk_start:dot]
    parts = chunk.rsplit(None, 1)
    if not parts or chunk[-1].isspace():
        return True  # " . " ends whatever came before
    if len(parts) == 1 and chunk_start > 0 and not text[chunk_start - 1].isspace():
        return True  # a word this long is no abbreviation
    word = parts[-1].lstrip(_OPENING)
    lowered = word.lower()
    next_word = _WORD.match(text, following)
    next_lower = next_word.group().lower() if next_word else ""
    next_is_digit = text[following].isdecimal()
    if lowered in TITLES:
        return False
    if lowered in BEFORE_NUMBERS and next_is_digit:
        return False
    if _DOTTED.fullmatch(word):
        if lowered in ("a.m", "p.m"):
            return next_lower not in CLOCK_FOLLOWERS
        return next_lower in OPENERS or next_is_digit or text[following] in _OPENING
    if len(word) == 1 and word.isalpha() and word.isupper():
        return next_lower in OPENERS  # an initial: "J. R. Smith"
    if word.isdecimal() and len(word) <= 2 and _starts_line(text, dot - len(word)):
        return False  # "1. Shelling hit ..." numbers a list
    return True


def _starts_line(text: str, position: int) -> bool:
    """Only spaces or tabs stand between the start of its line and ``position``."""
    k = position - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return k < 0 or text[k] in _LINE_BREAKS


def _line_ends(text: str):
    """Sentence ends at line breaks: blank lines, and lines without final punctuation."""
    for run in _WHITESPACE.finditer(text):
        gap = run.group()
        if run.start() == 0 or not _LINE_BREAK.search(gap):
            continue
        breaks = sum(gap.count(c) for c in _LINE_BREAKS) - gap.count("\r\n")
        if breaks >= 2 or run.end() == len(text) or any(c in gap for c in _PARAGRAPH_BREAKS):
            yield run.start()
            continue
        last = text[run.start() - 1]
        before_last = text[run.start() - 2] if run.start() >= 2 else " "
        if last in _TERMINALS or (last in _CLOSERS and before_last in _TERMINALS):
            continue  # the punctuation rules decide
        if last in ",;" or text[run.end()].islower():
            continue  # a hard-wrapped sentence goes on
        yield run.start()


def cap_span(text: str, span: SentenceSpan, max_chars: int) -> list[SentenceSpan]:
    """``span`` cut into pieces of at most ``max_chars`` characters (the ``max_chars`` rule).

    >>> text = "one two, three four"
    >>> [s.text_of(text) for s in cap_span(text, SentenceSpan(0, len(text)), 10)]
    ['one two,', 'three four']
    """
    return list(_capped(text, span, max_chars))


def _capped(text: str, span: SentenceSpan, max_chars: int):
    """Cut a sentence longer than ``max_chars`` into pieces, preferring clause breaks."""
    start, end = span.start, span.end
    while end - start > max_chars:
        limit = start + max_chars
        cut = None
        for k in range(limit, start + max_chars // 2, -1):
            if text[k].isspace() and text[k - 1] in ",;:":
                cut = k
                break
        if cut is None:
            for k in range(limit, start, -1):
                if text[k].isspace():
                    cut = k
                    break
        piece = _stripped(text, start, cut if cut is not None else limit)
        if piece is not None:
            yield piece
        start = cut if cut is not None else limit
        nxt = _NON_SPACE.search(text, start, end)
        start = nxt.start() if nxt else end
    if end > start:
        yield SentenceSpan(start, end)
