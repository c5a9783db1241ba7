"""Quantities in a quiz answer and in what the question asks for: a number with a unit of time or of information,
read with pint's unit registry, so that "60 minutes" is the source's "1 hour", "2 min" is "120 seconds" and "1 GB"
is "1024 MB".

Only two kinds of unit are read, those the roadmap's documentation states limits in: time (pint's `[time]`: "ms",
"seconds", "min", "hours", "days", "weeks", "years") and information (bits and bytes). Byte sizes are read the way the
documentation and learners write them, whatever the case or prefix: "gb", "GB" and "GiB" are all 2**30 bytes ("1 GB"
= "1024 MB"), since a learner does not mark the difference. Any other word after a number is not a unit here (pint
would read "in" as inches and "a" as a year). The registry is built once, on first use (about 0.2 s).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pint

_QUANTITY = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([A-Za-z\u00b5]+)\b")
_BLANK_UNIT = re.compile(r"_{2,}\s*([A-Za-z\u00b5]+)\b")
_BYTES = re.compile(r"(?i)^([kmgtpe]?)(i?)(b|bytes?)$")
_PREFIX_WORDS = re.compile(r"^(?:kilo|mega|giga|tera|peta|exa)(?=bytes?$)|^(?:ki|me|gi|te|pe|ex)bi(?=bytes?$)")
_CLIPPED = re.compile(r"^(gig|meg)s?$")   # "two gigs", "500 megs": a learner's gigabytes and megabytes (issue 15k)
_RELATIVE = 1e-6   # two quantities are equal when they differ by less than this share


@dataclass(frozen=True)
class Quantity:
    text: str          # as written ("60 minutes")
    number: str        # its number ("60")
    dimension: str     # "time" or "information"
    base: float        # in seconds or bits

    def equals(self, other: Quantity) -> bool:
        return self.dimension == other.dimension and \
            abs(self.base - other.base) <= _RELATIVE * max(abs(self.base), abs(other.base))


def load() -> None:
    """Build the unit registry now (the study companion's warm-up does, so that no check waits for it)."""
    _registry()


@cache
def _registry() -> pint.UnitRegistry[float]:
    import pint

    return pint.UnitRegistry()


def _pint_name(word: str) -> str:
    """The name pint knows a byte size by ("gb" -> "GiB", "kb" -> "KiB", "megabytes" -> "MiB", "bytes" -> "byte"),
    else the word itself."""
    m = _BYTES.match(_PREFIX_WORDS.sub(lambda p: p[0][0], _CLIPPED.sub(lambda p: p[1][0] + "b", word.lower())))
    if m is None or (m[3] == "b" and not m[1]):   # a lone "b" is not a unit
        return word
    return f"{m[1].upper()}iB" if m[1] else "byte"


@cache
def unit(word: str) -> tuple[str, float] | None:
    """("time", seconds) or ("information", bits) for one of the unit, or None when the word is not a unit read here."""
    if len(word) < 2 and word != "s" and word != "h":
        return None
    import pint

    registry = _registry()
    try:
        parsed = registry.parse_units(_pint_name(word))
    except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError):
        return None
    factor, root = registry.get_root_units(parsed)
    if not isinstance(factor, int | float):
        return None
    if registry.get_dimensionality(parsed) == registry.get_dimensionality("second"):
        return "time", float(factor)
    if root == registry.bit:
        return "information", float(factor)
    return None


_MEASURED = re.compile(r"\b(?:in|of|many|few|several)\s+([A-Za-z]+)\b", re.IGNORECASE)


def measured(text: str) -> set[str]:
    """The kinds of quantity ("time", "information") the text measures in a unit written without a number: "age in
    months", "over many years", "a number of seconds"."""
    return {found[0] for m in _MEASURED.finditer(text) if (found := unit(m[1])) is not None}


def dimensions(text: str) -> set[str]:
    """The kinds of quantity any word of the text is a unit of ("hours", "GB")."""
    return {found[0] for w in re.findall(r"[A-Za-z]{2,}", text) if (found := unit(w)) is not None}


def remeasured(answer: str, source: str) -> bool:
    """Whether the answer measures, in a unit without a number, a kind of quantity the source gives no unit of
    ("the mother's age in months" where the source says "the mother's age"): it says what the source does not."""
    kinds = measured(answer)
    return bool(kinds) and bool(kinds - dimensions(source))


def quantities(text: str) -> list[Quantity]:
    """The numbers with a unit the text gives, in order (the text's numbers are digits: see
    `answer_readings.normalise`)."""
    out = []
    for m in _QUANTITY.finditer(text):
        found = unit(m[2])
        if found is not None:
            out.append(Quantity(m[0], m[1], found[0], float(m[1]) * found[1]))
    return out


def asked(expected: str, question: str) -> list[Quantity]:
    """The quantities the question asks for: the expected text's own, or, when it is a bare number filling a blank,
    that number in the unit written right after the blank ("a maximum of ____ hour" asks for "1" hour; its text
    stays "1"), or, with no unit after the blank, that many bytes ("134217728" is 128 MiB)."""
    found = quantities(expected)
    if found or not re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", expected):
        return found
    after = _BLANK_UNIT.search(question)
    if after is None:   # a bare number with no unit after it can be a size in bytes ("134217728" is "128 MB")
        return [Quantity(expected.strip(), expected.strip(), "information", float(expected) * 8)]
    return [Quantity(expected.strip(), q.number, q.dimension, q.base)
            for q in quantities(f"{expected.strip()} {after[1]}")]


def as_asked(answer: str, expected: str, question: str) -> str:
    """The answer with each quantity equal to one asked for, in whatever unit, written as the source writes it:
    "60 minutes" -> "1" when the question asks for "____ hour", "1024 MB" -> "1 GB". Others are left as they are (a
    right number in a wrong unit, "1 minute", stays a wrong quantity)."""
    wanted = asked(expected, question)
    if not wanted:
        return answer
    out, at = [], 0
    for m in _QUANTITY.finditer(answer):
        found = unit(m[2])
        if found is None:
            continue
        mine = Quantity(m[0], m[1], found[0], float(m[1]) * found[1])
        match = next((w for w in wanted if mine.equals(w)), None)
        if match is not None:
            out += [answer[at:m.start()], match.text]
            at = m.end()
    return "".join([*out, answer[at:]])


_AFTER_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([A-Za-z\u00b5]+)\b")


def contradicted(answer: str, expected: str, question: str) -> list[Quantity]:
    """The answer's quantities that give the source's number in a unit the source contradicts: the word the source
    writes right after that number (after the blank it fills, or in the expected text) is a unit of another quantity
    ("3600 milliseconds" where the source says "3600 seconds") or no unit at all, so the number counts something else
    ("4 GB" where the source's 4 counts "OCUs"). A source that writes no word after its number contradicts nothing."""
    said: dict[float, str] = {float(m[1]): m[2] for m in _AFTER_NUMBER.finditer(expected)}
    if not said and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", expected):
        after = re.search(r"_{2,}\s*([A-Za-z\u00b5]+)\b", question)
        said = {float(expected): after[1]} if after else {}
    out = []
    for q in quantities(answer):
        word = said.get(float(q.number))
        if word is None:
            continue
        own = unit(word)
        if own is None or not q.equals(Quantity(word, q.number, own[0], float(q.number) * own[1])):
            out.append(q)
    return out


_COUNTS = {"couple": (2.0, 3.0), "few": (2.0, 10.0), "several": (2.0, 10.0), "handful": (2.0, 10.0)}
_VAGUE = re.compile(
    r"\b(?:a\s+)?(couple|few|several|handful)\s+(?:of\s+)?(?:(\d+(?:\.\d+)?)(?:\s+|$))?(?:of\s+)?([A-Za-z]+)?",
    re.IGNORECASE)
_BOUNDS = {"less than": "below", "fewer than": "below", "under": "below", "below": "below", "at most": "below",
           "up to": "below", "no more than": "below", "more than": "above", "over": "above", "above": "above",
           "at least": "above", "no less than": "above", "about": "near", "around": "near", "roughly": "near",
           "approximately": "near", "nearly": "near", "almost": "near", "~": "near"}
_BOUND = re.compile(rf"(?:(?<=\s)|^)({'|'.join(re.escape(b) for b in _BOUNDS)})\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)?",
                    re.IGNORECASE)
NEAR = 1.5   # "about N" holds the values within a factor of 1.5 of N
# A number left unfinished: "3000 something" (3000 to 3999), "100-something secs", "version 2 something" and "2.x" (2
# to 2.999...), "40 odd": the range of the numbers it begins (its trailing zeros are the digits left open).
_UNFINISHED = re.compile(r"(?<![\w.])(\d+)(?:\s*-?\s*something\b|\s*-?\s*odd\b|\.[x*](?![\w.]))\s*([A-Za-z]+)?",
                         re.IGNORECASE)
# Two numbers that bound it: "between 5 and 10 GiB", "5 to 10 GiB", "5-10 GiB" (the unit after either; the second's
# first).
_BETWEEN = re.compile(r"(?<![\w.])(?:between\s+)?(\d+(?:\.\d+)?)\s*([A-Za-z]+)?\s*(?:and|to|-|–)\s*"
                      r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)?", re.IGNORECASE)
# A number written roughly: "8700 or so", "6 MB or so", "20ish", "20-ish minutes": as "about N".
_ROUGH = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:(?:-?ish\b|\s+or\s+so\b)\s*([A-Za-z]+)?|([A-Za-z]+)\s+or\s+so\b)",
                    re.IGNORECASE)


def _scale(word: str | None, number: float) -> tuple[str | None, float]:
    """A number with the word after it: (dimension, value in base units), or (None, the number) when the word is not
    a unit read here."""
    found = unit(word) if word else None
    return (found[0], number * found[1]) if found else (None, number)


def _ranges(answer: str, expected: str, question: str) -> list[tuple[str, bool]]:
    """Each range the answer gives that is comparable with an asked value (in its dimension, or without a unit), with
    the numbers it is written with and whether it holds that value."""
    wanted: list[tuple[str | None, float, float]] = [(q.dimension, q.base, float(q.number))
                                                     for q in asked(expected, question)]
    if not wanted and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", expected):
        wanted = [(None, float(expected), float(expected))]
    # dimension, low, high, in base units, the numbers it is written with (separated by spaces)
    ranges: list[tuple[str | None, float, float, bool, str]] = []
    for m in _VAGUE.finditer(answer):
        low, high = _COUNTS[m[1].lower()]
        times = float(m[2]) if m[2] else 1.0
        dimension, per = _scale(m[3], times)
        ranges.append((dimension, low * per, high * per, dimension is not None, m[2] or ""))
    for m in _BOUND.finditer(answer):
        # the question's own bound before its blank ("versions up to ____") is its words, not a vague value: "up to
        # 2.3" there gives 2.3
        if re.search(rf"(?<![\w-]){re.escape(m[1])}\s*_{{2,}}", question, re.IGNORECASE):
            continue
        dimension, value = _scale(m[3], float(m[2]))
        low, high = {"below": (0.0, value), "above": (value, float("inf")),
                     "near": (value / NEAR, value * NEAR)}[_BOUNDS[m[1].lower()]]
        ranges.append((dimension, low, high, dimension is not None, m[2]))
    for m in _UNFINISHED.finditer(answer):
        open_digits = len(m[1]) - len(m[1].rstrip("0"))
        dimension, low = _scale(m[2], float(m[1]))
        _, step = _scale(m[2], float(10 ** open_digits))
        ranges.append((dimension, low, low + step * 0.999999, dimension is not None, m[1]))
    for m in _BETWEEN.finditer(answer):
        # "and" joins two bounds only after "between" ("5 and 10 GiB" alone may be two values offered)
        if m[0].lower().startswith("between") or not re.match(r"\s*and\b", answer[m.end(2) if m[2] else m.end(1):]):
            word = m[4] or m[2]
            dimension, low = _scale(word, float(m[1]))
            _, high = _scale(word, float(m[3]))
            if low <= high:
                ranges.append((dimension, low, high, dimension is not None, f"{m[1]} {m[3]}"))
    for m in _ROUGH.finditer(answer):
        dimension, value = _scale(m[2] or m[3], float(m[1]))
        ranges.append((dimension, value / NEAR, value * NEAR, dimension is not None, m[1]))
    out = []
    for dimension, low, high, based, written in ranges:
        for w_dimension, w_base, w_number in wanted:
            if based and dimension != w_dimension:
                continue
            value = w_base if based else w_number
            out.append((written, low <= value <= high))
    return out


def vague(answer: str, expected: str, question: str) -> set[str] | None:
    """When the answer gives the asked value only vaguely, a range that holds it ("a few thousand seconds" for 3600
    seconds, "a couple of minutes" for 120 seconds, "less than 10" for 8 GiB, "about 100" for 110, "3000 something"
    for 3600, "2.x" for 2.1, "8700 or so" for 8760, "between 5 and 10 GiB" for 8): the numbers the range is written
    with (so that they are not read as a wrong value); None when it gives no such range. A vague count ("a couple": 2
    to 3, "a few", "several", "a handful": 2 to 10) is of the number or unit after it; a bound without a unit is in
    the asked unit. Numbers are digits (see `answer_readings.normalise`)."""
    return next((set(written.split()) for written, held in _ranges(answer, expected, question) if held), None)


def outside(answer: str, expected: str, question: str) -> bool:
    """Whether the answer gives the asked value only as ranges that do not hold it ("a few hours" for 30 days): a
    wrong value written without a number of its own."""
    found = _ranges(answer, expected, question)
    return bool(found) and not any(held for _, held in found)
