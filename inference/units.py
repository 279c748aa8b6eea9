"""Find the counted noun of a number: "25,000 **civilians**", "some 15 **villages**".

The rule reads forward from the end of the number span:

1. Skip a trailing qualifier ("+", "-plus", "or more", "or so") and a partitive "of" with its
   determiner and a second number: "2,895 of the 3,194 **schools**", "hundreds of thousands
   of **people**". "Five of them" has no unit.
2. Take up to four words, stopping at punctuation, a digit, a line break, or a stop word:
   a preposition, conjunction, determiner, pronoun, auxiliary, common reporting verb, or a time
   word ("killed 12 near the market", "two in Aldier", "12 yesterday" have no unit).
3. The unit is the first of those words in :data:`COUNTED_NOUNS` (a lexicon of what conflict
   reports count), moved on to the last noun of a compound: "five civilian **lives**", "12 aid
   **workers**". Modifiers before it are skipped: "1.3 million internally displaced **persons**"
   gives the head noun "persons", as written (data/GUIDELINE.md bolds only the head noun).
4. Without a lexicon noun, the first word that is no modifier (adverb in -ly, participle in
   -ed/-ing, :data:`MODIFIERS`, a capitalised adjective before another word) and looks plural
   ("15 tanks", "13 million Syrians"); else there is none. A nominal adjective standing alone
   ("27 dead", "61 wounded", "at least 25,000 displaced") is no unit: it restates the number's
   role, names no counted noun (the guideline's unit is a noun), and taking it as one would
   split "25,000 displaced" from "25,000 people" in the document summary.

A number followed by a hyphen ("a 40-member delegation", "a 12-year-old boy") is part of a
compound modifier and has no unit.

>>> text = "At least 25,000 civilians have fled; 2,895 of the 3,194 schools were hit."
>>> find_unit(text, 9, 15)
UnitSpan(text='civilians', start=16, end=25)
>>> find_unit(text, 37, 42).text
'schools'
>>> find_unit("Gunmen killed 12 near the market.", 14, 16) is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from conflict_events.inference.splitter import check_span

__all__ = [
    "COUNTED_NOUNS",
    "MODIFIERS",
    "NOMINAL_ADJECTIVES",
    "PEOPLE_NOUNS",
    "UnitSpan",
    "find_unit",
]


@dataclass(frozen=True)
class UnitSpan:
    """The counted noun of a number: ``text == source[start:end]``.

    >>> u = UnitSpan("villages", 8, 16)
    >>> UnitSpan.from_dict(u.to_dict()) == u
    True
    """

    text: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad unit span [{self.start}, {self.end}) for {self.text!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UnitSpan:
        return cls(data["text"], int(data["start"]), int(data["end"]))


# People (and the dead) a count counts; numbers reads them too ("room 135 people" is a count).
PEOPLE_NOUNS = frozenset(
    "people person persons civilian civilians child children kid kids boy boys girl girls woman"
    " women man men baby babies infant infants minor minors family families household households"
    " resident residents inhabitant inhabitants villager villagers refugee refugees idp idps"
    " migrant migrants asylum-seekers seekers evacuee evacuees returnee returnees victim victims"
    " casualty casualties death deaths body bodies corpse corpses life lives soul souls soldier"
    " soldiers troop troops fighter fighters militant militants rebel rebels insurgent insurgents"
    " gunman gunmen combatant combatants militiaman militiamen jihadist jihadists officer officers"
    " policeman policemen member members student students pupil pupils teacher teachers doctor"
    " doctors nurse nurses medic medics paramedic paramedics patient patients journalist"
    " journalists worker workers volunteer volunteers staff employee employees protester"
    " protesters protestor protestors demonstrator demonstrators prisoner prisoners detainee"
    " detainees hostage hostages passenger passengers farmer farmers fisherman fishermen miner"
    " miners pilgrim pilgrims worshipper worshippers individual individuals citizen citizens"
    " national nationals survivor survivors orphan orphans herder herders pastoralist"
    " pastoralists".split()
)
COUNTED_NOUNS = PEOPLE_NOUNS | frozenset(
    # places
    "village villages town towns city cities district districts area areas neighbourhood"
    " neighbourhoods neighborhood neighborhoods locality localities settlement settlements hamlet"
    " hamlets community communities region regions province provinces governorate governorates"
    " municipality municipalities county counties camp camps site sites position positions base"
    " bases checkpoint checkpoints hill hills outpost outposts"
    # facilities and things hit
    " school schools hospital hospitals clinic clinics centre centres center centers facility"
    " facilities bridge bridges road roads mosque mosques church churches market markets shelter"
    " shelters tent tents house houses home homes building buildings dwelling dwellings shop shops"
    " well wells plant plants station stations pipeline pipelines dam dams airport airports"
    " ambulance ambulances vehicle vehicles truck trucks lorry lorries car cars bus buses convoy"
    " convoys warehouse warehouses office offices factory factories farm farms"
    # weapons and events
    " tank tanks aircraft jet jets drone drones missile missiles rocket rockets shell shells bomb"
    " bombs attack attacks airstrike airstrikes strike strikes raid raids explosion explosions"
    " incident incidents case cases".split()
)
MODIFIERS = frozenset(
    "more other others additional new further young elderly old local foreign armed unarmed"
    " innocent separate different small large major minor vulnerable unaccompanied internally"
    " civil military medical humanitarian".split()
)
# Nominal adjectives: the unit when nothing follows them ("27 dead").
NOMINAL_ADJECTIVES = frozenset("dead wounded injured missing displaced homeless".split())
STOP_WORDS = frozenset(
    # prepositions, conjunctions, determiners, pronouns
    "in on at from to by with into onto across near for of over under after before during since"
    " until till between among amid against towards toward through throughout around about via"
    " per inside outside within without along beyond behind beside besides upon off out up down"
    " and or but nor so yet than as if while when where whereas because although though"
    " the a an this that these those their his her its our your my them they we he she it who"
    " which whom whose what there here all both each every some any no none one"
    # auxiliaries and verbs that follow a bare number
    " is are was were be been being has have had will would could should may might can must do"
    " does did said says say reported report reports told according fled flee flees fleeing"
    " died die dies killed kill kills remain remained remains stay stayed live lived lost arrived"
    " returned crossed gathered left leave got went came come made took escaped survived"
    " including included among like"
    # time words
    " yesterday today tonight tomorrow ago later earlier since last next this week weeks"
    " monday tuesday wednesday thursday friday saturday sunday morning evening night"
    " afternoon overnight daily weekly".split()
)
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)
_PARTITIVE_DETERMINERS = frozenset("the these those its their his her our some all".split())
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    " sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
    " hundred thousand million billion hundreds thousands millions billions dozen dozens and a"
    " half".split()
)

# Words (letters, inner hyphens and apostrophes: "asylum-seekers", "children's"), numbers with
# separators, and single other characters.
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+(?:[.,]\d+)*|\S")
_MAX_WORDS = 4
_LOOKAHEAD = 200


def find_unit(text: str, start: int, end: int) -> UnitSpan | None:
    """The counted noun of the number at ``text[start:end]``, or None (see the module rule).

    Raises ``TypeError`` for a non-``str`` text and ``ValueError`` for a span outside the text.

    >>> find_unit("Some 1.3 million internally displaced persons live in camps.", 5, 16).text
    'persons'
    >>> find_unit("three people were killed", 0, 5).text
    'people'
    """
    check_span(text, start, end)
    tokens = list(_TOKEN.finditer(text, end, min(len(text), end + _LOOKAHEAD)))
    k = _skip_qualifier(tokens, 0)
    if k == 0 and tokens and tokens[0].start() == end and tokens[0].group() == "-":
        return None  # a 40-member delegation, a 12-year-old boy
    k = _skip_partitive(tokens, k)
    if k is None:
        return None
    run = _noun_phrase(text, tokens, k, end)
    return _head(run)


def _low(tokens: list[re.Match[str]], k: int) -> str:
    return tokens[k].group().lower() if k < len(tokens) else ""


def _skip_qualifier(tokens: list[re.Match[str]], k: int) -> int:
    if _low(tokens, k) == "+":
        return k + 1
    if _low(tokens, k) == "-" and _low(tokens, k + 1) == "plus":
        return k + 2
    if _low(tokens, k) == "or" and _low(tokens, k + 1) in ("more", "so", "fewer", "less", "over"):
        return k + 2
    return k


def _skip_partitive(tokens: list[re.Match[str]], k: int) -> int | None:
    """Past "of", "of the", and a second number: the counted noun is shared. None: "of them"."""
    while _low(tokens, k) == "of":
        k += 1
        if _low(tokens, k) in ("them", "us", "whom", "which", "it"):
            return None
        if _low(tokens, k) in _PARTITIVE_DETERMINERS:
            k += 1
        while k < len(tokens) and (
            tokens[k].group()[0].isdecimal() or _low(tokens, k) in _NUMBER_WORDS
        ):
            k += 1
    return k


def _noun_phrase(
    text: str, tokens: list[re.Match[str]], k: int, number_end: int
) -> list[re.Match[str]]:
    """Up to four words from token ``k``, stopping at punctuation, digits, breaks, stop words."""
    run: list[re.Match[str]] = []
    previous_end = tokens[k - 1].end() if 0 < k <= len(tokens) else number_end
    while k < len(tokens) and len(run) < _MAX_WORDS:
        token = tokens[k]
        word = token.group()
        low = word.lower()
        if not word[0].isalpha() or low in _MONTHS or "\n" in text[previous_end : token.start()]:
            break
        # After an adverb a past participle is a modifier: "newly arrived refugees".
        participle = low.endswith("ed") and bool(run) and run[-1].group().lower().endswith("ly")
        if low in STOP_WORDS and not participle:
            break
        run.append(token)
        previous_end = token.end()
        k += 1
    return run


def _head(run: list[re.Match[str]]) -> UnitSpan | None:
    words = [m.group() for m in run]
    lowered = [w.lower() for w in words]
    for f, word in enumerate(lowered):
        if word in COUNTED_NOUNS:
            while f + 1 < len(lowered) and lowered[f + 1] in COUNTED_NOUNS:
                f += 1  # five civilian lives, aid workers
            return _span(run[f])
    for f, word in enumerate(words):
        if _is_modifier(word, followed=f + 1 < len(words)):
            continue
        low = word.lower()
        if len(low) > 3 and low.endswith("s") and not low.endswith("ss"):
            return _span(run[f])
        break
    return None


def _is_modifier(word: str, followed: bool) -> bool:
    low = word.lower()
    if low in MODIFIERS or low in NOMINAL_ADJECTIVES:
        return True
    if low.endswith(("ly", "ed", "ing")) and len(low) > 4:
        return True
    return followed and word[0].isupper() and not low.endswith("s")  # Palestinian children


def _span(match: re.Match[str]) -> UnitSpan:
    return UnitSpan(match.group(), match.start(), match.end())
