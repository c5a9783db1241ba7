"""Values set in code, configuration and command lines: `settings(line, kind)` reads a value assigned to an
identifier (`epochs=5`, `"num_round": "50"`, `MaxRuntimeInSeconds: 1800`, `--max-capacity 8`) as a number, a
duration (a time unit, or an identifier naming a time) or a version (a release number), with its identifier's words
("max runtime in seconds 1800") and the call it is passed to. The evidence check (`vectorstore.passage_facts`) reads
passages' code with it. All patterns are general; none names a product, a page or a question.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

# The word boundary inside a camel-case identifier: "knowledgeBaseId" names a knowledge base ID.
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# A value assigned to an identifier: a keyword argument or variable (`epochs=5`, `timeout = 60`), a JSON or YAML key
# (`"num_round": "50"`, `MaxRuntimeInSeconds: 1800`, `duration: 20s`) or a command-line flag (`--max-capacity 8`,
# `--max-capacity=8`). The value is a number (a release number, or one written with a unit: `20s`, `512Mi`) that ends
# there: at a comma, a bracket, a line continuation, a comment, the line's end or the next flag ("Note: 3 replicas are
# made" is prose, not a key).
_SETTING = re.compile(
    r"(?:(?<![\w.-])--?(?P<flag>[A-Za-z][\w.-]*)(?:=|\s+)|"
    r"(?P<q>[\"'])(?P<key>[A-Za-z_][\w.-]*)(?P=q)\s*:\s*|"
    r"^\s*(?:-\s+)?(?P<yaml>[A-Za-z_][\w.-]*)\s*:\s+|"
    r"(?<![\w.])(?P<arg>[A-Za-z_][\w.]*)\s*=(?!=)\s*)"
    r"[\"']?(?P<value>(?:[<>=~^!]{1,2})?v?\d[\d_]*(?:\.\d+)*)(?P<unit>[A-Za-z]{1,3})?[\"']?"
    r"(?=\s*(?:[,;)}\]\\]|#|$)|\s+--?[A-Za-z])", re.M)
# Units a value may be written with: a time (`20s`, `500ms`, `2h`) or a size (`512Mi`, `1Gi`, `10GB`).
_TIME_SUFFIX = re.compile(r"ms|s|sec|min|h|d|w", re.I)
_SIZE_SUFFIX = re.compile(r"[KMGTPE]i?|[KMGTPE]B|k", re.I)
# Identifier words that name a time: a unit (`_in_seconds`, `TimeoutMs`) or what is timed (a timeout, a runtime, a
# period); a value set under such a name is a duration. English words, not any product's names.
_TIME_NAME = re.compile(r"ms|millis|milliseconds?|secs?|seconds?|minutes?|mins|hours?|hrs?|days?|weeks?|months?|"
                        r"years?|timeouts?|runtimes?|periods?|intervals?|durations?|ttl|delays?|wait|latency|expiry|"
                        r"expiration|expires|retention|deadline|cooldown|backoff|sleep|lifetime|age", re.I)
_VERSION_NAME = re.compile(r"versions?|releases?|ver", re.I)


def identifier_words(identifier: str) -> list[str]:
    """The words an identifier is written from: snake_case, camelCase, kebab-case and dotted names split
    ("max_runtime_in_seconds", "MaxRuntimeInSeconds" -> max runtime in seconds; "--max-capacity" -> max capacity)."""
    return [w for w in re.split(r"[\W_]+", CAMEL.sub(" ", identifier)) if w]


def setting_kinds(words: list[str], value: str, unit: str = "") -> tuple[str, ...]:
    """The kinds of fact a setting states, from its identifier's `words` and its value: a release number
    (`1.27.3`, `v2.1`, `>=3.8`, `3.9` under a version's name) is a version; any other number is a number, and also a
    duration when it is written with a time unit or its identifier names a time."""
    dotted = value.count(".")
    named_version = any(_VERSION_NAME.fullmatch(w) for w in words)
    if unit and not (_TIME_SUFFIX.fullmatch(unit) or _SIZE_SUFFIX.fullmatch(unit)):
        return ()
    if not unit and (dotted >= 2 or (dotted and (named_version or value[0] in "<>=~^!v"))):
        return ("version",)
    if value[0] in "<>=~^!v":
        return ()
    timed = bool(unit and _TIME_SUFFIX.fullmatch(unit)) or any(_TIME_NAME.fullmatch(w) for w in words)
    return ("number", "duration") if timed else ("number",)


def settings(line: str, kind: str) -> Iterable[tuple[str, str]]:
    """Each value of `kind` a code, configuration or command line sets (`_SETTING`): (the line before the first
    setting, which names the call or command it is passed to; the setting read as words: its identifier split into
    words and its value, "max runtime in seconds 1800")."""
    found = list(_SETTING.finditer(line))
    call = line[:found[0].start()] if found else ""
    for m in found:
        identifier = m.group("flag") or m.group("key") or m.group("yaml") or m.group("arg")
        words = identifier_words(identifier)
        if kind in setting_kinds(words, m.group("value"), m.group("unit") or ""):
            yield call, " ".join([*words, m.group("value") + (m.group("unit") or "")])


SETTING_KINDS = ("number", "duration", "version")  # the kinds a setting in code can state
