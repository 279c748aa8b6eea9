"""The word tables of the number normaliser (:mod:`conflict_events.inference.numbers`).

Number words, scale words, vague quantities, qualifier phrases, and the words that tell a count
from money, a date, a duration, a measure or an identifier. They are data: the rules that read
them live in ``numbers``.

>>> TENS["forty"], SCALES["lakh"], VAGUE_LOW_BOUNDS["scores"]
(40, 100000.0, 20.0)
>>> QUALIFIER_PHRASES[("as", "high", "as")].value, QUALIFIER_PHRASES[("passed",)].value
('at_most', 'at_least')
"""

from __future__ import annotations

from conflict_events.inference.results import Qualifier

UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
TEENS = {
    w: i + 10
    for i, w in enumerate(
        "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
TENS = {
    w: 10 * (i + 2)
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
# Tens and units written as one word, as telex copy does ("THIRTYTHREE").
FUSED_TENS = {tens + unit: TENS[tens] + UNITS[unit] for tens in TENS for unit in list(UNITS)[1:]}
ORD_UNITS = {
    w: i + 1
    for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth".split())
}
ORD_TEENS = {
    w: i + 10
    for i, w in enumerate(
        "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth"
        " eighteenth nineteenth".split()
    )
}
ORD_TENS = {
    w: 10 * (i + 2)
    for i, w in enumerate(
        "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split()
    )
}
# The words worth 10 to 99 on their own, cardinal or ordinal: "twelve", "forty", "thirtythree".
TEENS_AND_TENS = {**TEENS, **ORD_TEENS, **TENS, **ORD_TENS, **FUSED_TENS}
# Scale words that multiply what comes before them, in words or after digits ("2.4 million").
SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7, "dozen": 12.0,
}  # fmt: skip
ORD_SCALES = {"hundredth": 1e2, "thousandth": 1e3, "millionth": 1e6}
# Abbreviations after digits, spaced ("3.7 mln") or written on ("1.3m", "$1bn", "850k").
SCALE_ABBREVIATIONS = {"mln": 1e6, "mn": 1e6, "bn": 1e9, "bln": 1e9}
SCALE_SUFFIXES = {**SCALE_ABBREVIATIONS, "k": 1e3, "m": 1e6, "b": 1e9, "tn": 1e12}
# Plural scale words are vague on their own ("hundreds of families").
VAGUE_LOW_BOUNDS: dict[str, float] = {
    "tens": 10.0, "dozens": 12.0, "scores": 20.0, "hundreds": 100.0, "thousands": 1e3,
    "millions": 1e6, "billions": 1e9, "several": 3.0, "a few": 2.0,
}  # fmt: skip
DENOMINATORS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7,
    "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9, "tenth": 10, "tenths": 10,
}  # fmt: skip
HALF_FOLLOWERS = {"of", "the", "its", "their", "his", "her", "all", "them"}
# "a pair of" counts two, exactly.
PAIR_WORDS = {"pair": 2.0}

# Verbs that give a threshold the figure has reached ("the death toll passes 500") read like
# "over": at_least. After "pass", "cross" and "past" the number may count what was passed
# ("crossed 3 borders", "passing 7,000 litres"): then they are no qualifier (numbers reads
# the noun after the number to tell).
THRESHOLD_VERBS = {
    "pass", "passes", "passed", "passing", "past", "cross", "crosses", "crossed", "crossing",
    "tops", "topped", "topping", "exceed", "exceeds", "exceeded", "exceeding",
    "surpass", "surpasses", "surpassed", "surpassing",
}  # fmt: skip
LITERAL_OBJECT_VERBS = {
    "pass", "passes", "passed", "passing", "past", "cross", "crosses", "crossed", "crossing",
}  # fmt: skip

QUALIFIER_PHRASES: dict[tuple[str, ...], Qualifier] = {
    **dict.fromkeys(
        [("at", "least"), ("more", "than"), ("over",), ("upwards", "of"), ("upward", "of"),
         ("in", "excess", "of"), ("no", "fewer", "than"), ("no", "less", "than"),
         ("not", "less", "than"), ("not", "fewer", "than"), ("a", "minimum", "of"),
         ("just", "over"), ("well", "over"), ("above",),
         *((verb,) for verb in sorted(THRESHOLD_VERBS))],
        Qualifier.AT_LEAST,
    ),
    **dict.fromkeys(
        [("some",), ("about",), ("around",), ("roughly",), ("nearly",), ("almost",),
         ("an", "estimated"), ("estimated",), ("approximately",), ("approx", "."), ("approx",),
         ("close", "to"), ("circa",), ("an", "approximate"), ("~",), ("≈",)],
        Qualifier.APPROXIMATE,
    ),
    **dict.fromkeys(
        [("up", "to"), ("as", "many", "as"), ("as", "much", "as"), ("fewer", "than"),
         ("less", "than"), ("no", "more", "than"), ("not", "more", "than"), ("at", "most"),
         ("a", "maximum", "of"), ("under",), ("just", "under"), ("below",),
         ("as", "high", "as")],
        Qualifier.AT_MOST,
    ),
}  # fmt: skip
QUALIFIER_WORDS = {w for phrase in QUALIFIER_PHRASES for w in phrase}
# Phrases by their last word, longest first: "no more than" is tried before "more than".
QUALIFIERS_BY_LAST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(QUALIFIER_PHRASES, key=len, reverse=True):
    QUALIFIERS_BY_LAST_WORD.setdefault(_phrase[-1], []).append(_phrase)
# Qualifiers a comma may follow ("approximately, 10,885"): words no clause ends with.
COMMA_QUALIFIERS = {"approximately", "approx", "roughly", "circa", "estimated"}
# One-word qualifiers that are also prepositions: a line break after one ends the phrase.
PREPOSITION_QUALIFIERS = {"over", "under", "above", "below", "about", "around", "past"}
# After these verbs "over" is a particle ("handed over 7 bases"), not "more than". After "take"
# it is a particle too ("took over 4 villages"), except before a round figure (a multiple of
# ten), the figures "more than" is said of ("took over 60 posts").
OVER_PARTICLE_VERBS = set("hand hands handed handing turn turns turned turning".split())
TAKE_OVER_VERBS = set("take takes took taken taking".split())
# "the past 24 hours": "past" after these is no threshold verb.
PAST_DETERMINERS = {"the", "this", "that", "these", "those", "its", "their", "his", "her", "our"}
# "close to the 800 mark": the qualifier reaches past "the" to a round figure.
MARK_WORDS = {"mark", "milestone", "threshold", "barrier"}

MONTHS = set(
    "January February March April May June July August September October November December"
    " Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
CURRENCY_SIGNS = set("$€£¥₹₦₱₺")
CURRENCY_CODES = {"usd", "us", "eur", "gbp", "rs", "inr", "syp", "sdg", "yer", "iqd", "lbp", "afn"}
CURRENCY_WORDS = set(
    "dollar dollars euro euros pound pounds sterling yen yuan rupee rupees dinar dinars lira"
    " liras lire rial rials riyal riyals dirham dirhams franc francs shilling shillings naira"
    " birr afghani afghanis taka kyat rouble roubles ruble rubles hryvnia hryvnias peso pesos"
    " cedi cedis kwacha leone leones usd eur gbp syp".split()
)
TIME_UNITS = set(
    "second seconds minute minutes min mins hour hours hr hrs day days night nights week"
    " weeks month months year years yr yrs decade decades century centuries".split()
)
MEASURE_UNITS = set(
    "km kms km2 kilometre kilometres kilometer kilometers mile miles metre metres meter meters"
    " m cm mm foot feet ft inch inches yard yards hectare hectares ha acre acres dunum dunums"
    " dunam dunams donum donums kg kgs kilo kilos kilogram kilogrammes kilograms gram grams"
    " tonne tonnes ton tons mt litre litres liter liters gallon gallons barrel barrels degree"
    " degrees mw kw mph kph sq square cubic".split()
)
IDENTIFIER_WORDS = set(
    "resolution resolutions route highway article articles chapter section paragraph phase"
    " sector zone block gate building room flight decree law protocol platform level grade"
    " category round".split()
)
NOT_IDENTIFIER_PREFIXES = {"mid", "pre", "post", "late", "early", "anti", "over", "under"}
RANGE_FROM_CUES = {
    "ranged", "ranging", "range", "ranges", "anywhere", "varied", "varying", "vary", "varies",
}  # fmt: skip
# Words before a four-digit number that keep it a year even when people follow it ("in 2014
# civilians fled"): prepositions, conjunctions, determiners, seasons and parts of a year.
YEAR_LEFT_WORDS = set(
    "in on at by since until till from to before after during through throughout of for"
    " between and or than the a an this that its their his her our mid early late end spring"
    " summer autumn winter fall year fiscal".split()
)
# "Scores" is often a verb or a noun ("the team scores", "their scores were"); it is a vague
# quantity before "of", "more" or these words after a conjunction or at a clause start ("and
# scores were injured"), or after these verbs ("killing scores").
SCORES_FOLLOWERS = set(
    "of more were was are have had killed wounded injured dead died fled hurt missing".split()
)
SCORES_CONJUNCTIONS = {"and", "or", "but", "while", "whereas", "as", "with"}
SCORES_AFTER = set(
    "killed killing kill kills wounded wounding injured injuring left leaving displaced"
    " displacing".split()
)

WORD_STARTS = (
    set(UNITS) | set(TEENS) | set(TENS) | set(FUSED_TENS) | set(ORD_UNITS) | set(ORD_TEENS)
    | set(ORD_TENS) | {"a", "an", "half", "several"}
    | {w for w in VAGUE_LOW_BOUNDS if " " not in w}
)  # fmt: skip
