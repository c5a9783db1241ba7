"""The roadmap markdown, parsed: phases, weeks (goals, sections, weekend project, deliverables), every linked
resource with the week/phase/section it sits under, and citable sections of the roadmap's own text.

The rules, for roadmaps as people write them:
- A week is a heading at any level naming "Week N", with or without bold or emoji and with any separator
  ("### **Week 17: Serving**", "## Week 17 - Serving", "#### 📅 Week 17 — Serving", "## Week 17"); any number
  of weeks, numbered as the keeper likes. A week runs from its heading to the next heading at its level or above.
- A phase is a heading naming "Phase N", with or without a week range ("## Phase 2: Platform (Weeks 5-8)").
  Weeks under a phase heading belong to it; a week under none belongs to the phase whose range holds it.
- Inside a week, a bold-only line ("**Core Python (2 hours/day):**") or a deeper heading starts a section;
  "**Goals**:", "**Weekend Project**:" (or "**Final Project**:") and "**Deliverable**:" lines, plus any bullets
  under them, fill those fields. Bullets are `-`, `*`, `+` or numbered, with or without a `[ ]` checkbox.
- Links are bare URLs or `[label](url)`; fenced code blocks are ignored. A bare URL's label is the bold text or
  the "Label:" before it on its line, else its host and path.
- Headings outside the weeks (an overview, a resources list, certifications) stay sections of their own.
- A roadmap needs at least one week (`parse_roadmap`) and one link (`load_roadmap`, which reads the file): one
  without is refused, naming the file and what is missing.
Pure text in, dataclasses out (`Roadmap.to_dict`/`from_dict` for storing a parse with an index version).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from errors import ConfigError
from ingest.urls import UrlMap

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_WEEK = re.compile(r"^weeks?\s+(\d+)(?:\s*[-–—]\s*\d+)?\s*[:.\-–—]?\s*(.*)$", re.I)
_PHASE = re.compile(r"^phase\s+(\d+)\s*[:.\-–—]?\s*(.*)$", re.I)
_RANGE = re.compile(r"\(\s*weeks?\s+(\d+)(?:\s*[-–—]\s*(\d+))?\s*\)", re.I)
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s*)?(.*)$")
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HR = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?(https?://[^\s()<>]+(?:\([^\s()]*\)[^\s()<>]*)*)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_URL = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]+")
# The field labels a week's bold lines may carry, and the Week field each fills (api.plan routes by them too).
FIELD_NAMES = {"goals": "goals", "goal": "goals", "weekend project": "weekend", "final project": "weekend",
               "deliverable": "deliverables", "deliverables": "deliverables"}


@dataclass(frozen=True)
class Resource:
    """One link occurrence; `section` is the week's sub-heading, or the top-level section title outside weeks."""
    label: str
    url: str
    week: int | None
    phase: int | None
    section: str


@dataclass
class Week:
    """One week; `phase` is 0 when the week sits under no phase heading; `text` is its own markdown."""
    number: int
    title: str
    phase: int
    goals: str
    sections: dict[str, list[str]]  # section name -> its bullet lines (list marker dropped, 2 spaces per nesting)
    weekend_project: str | None
    deliverables: list[str]
    text: str

    @property
    def anchor(self) -> str:
        return f"week-{self.number}"


@dataclass
class Phase:
    number: int
    title: str
    first_week: int
    last_week: int


@dataclass
class RoadmapSection:
    """A citable piece of the roadmap's own text: a week, or a top-level section that holds text."""
    title: str
    anchor: str
    week: int | None
    phase: int | None
    text: str


@dataclass
class Roadmap:
    title: str
    phases: list[Phase]
    weeks: list[Week]
    resources: list[Resource]  # every link occurrence, in document order
    sections: list[RoadmapSection]
    text: str = ""             # the markdown it was parsed from (what the /roadmap page renders)

    def week(self, n: int) -> Week | None:
        return next((w for w in self.weeks if w.number == n), None)

    def resources_by_url(self) -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        for r in self.resources:
            out.setdefault(r.url, []).append(r)
        return out

    def urls(self) -> list[str]:
        return list(self.resources_by_url())

    def week_numbers(self) -> list[int]:
        """The weeks' numbers, sorted, each once."""
        return sorted({w.number for w in self.weeks})

    def week_range(self) -> str:
        """'between 1 and 18' for contiguous weeks, else 'one of 1, 2, 5'."""
        nums = self.week_numbers()
        if nums and nums == list(range(nums[0], nums[-1] + 1)):
            return f"between {nums[0]} and {nums[-1]}"
        return "one of " + ", ".join(map(str, nums))

    def to_dict(self) -> dict:
        """A JSON-able form (what an index version stores); `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Roadmap:
        return cls(d["title"], [Phase(**p) for p in d["phases"]], [Week(**w) for w in d["weeks"]],
                   [Resource(**r) for r in d["resources"]], [RoadmapSection(**s) for s in d["sections"]],
                   d.get("text", ""))


def clean(text: str) -> str:
    """Heading/label text without emoji, bold/emphasis markers, link syntax or a trailing colon."""
    text = _MD_LINK.sub(r"\1", text).replace("**", "").replace("__", "")
    text = "".join(c for c in text if unicodedata.category(c) not in ("So", "Cs", "Co") and c not in "\ufe0f\u200d")
    return " ".join(text.split()).strip("*_ ").rstrip(":").strip()


def slug(title: str) -> str:
    """GitHub-style anchor: lower-case, punctuation dropped, each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", clean(title).lower()).replace(" ", "-")


def _trim_url(url: str) -> str:
    while True:
        before = url
        url = url.rstrip(".,;:!?*_~")
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        if url == before:
            return url


def _fallback_label(url: str) -> str:
    p = urlsplit(url)
    return (p.netloc + p.path).rstrip("/") or url


def _links(line: str) -> list[tuple[str, str]]:
    """(label, url) for every link on a line, in order of appearance."""
    found: list[tuple[int, int, str, str]] = []
    for m in _MD_LINK.finditer(line):
        found.append((m.start(), m.end(), clean(m[1]), m[2]))
    taken = [(s, e) for s, e, _, _ in found]
    for m in _BARE_URL.finditer(line):
        if not any(s <= m.start() < e for s, e in taken):
            found.append((m.start(), m.end(), "", _trim_url(m[0])))
    found.sort()
    out, prev_end = [], 0
    for start, end, label, url in found:
        if not label or _BARE_URL.fullmatch(label):
            before = line[prev_end:start]
            bolds = _BOLD.findall(before)
            plain = _BULLET.sub(r"\2", before).strip()
            if bolds:
                label = clean(bolds[-1])
            elif plain.endswith((":", " -", " –")) and len(plain) <= 80:
                label = clean(plain.rstrip("-– "))
        out.append((label or _fallback_label(url), url))
        prev_end = end
    return out


def _trimmed(lines: list[str]) -> str:
    """Join lines, dropping leading/trailing blank lines and trailing horizontal rules."""
    while lines and (not lines[-1].strip() or _HR.match(lines[-1])):
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return "\n".join(lines)


@dataclass
class _WeekDraft:
    """A week being read: `mode` says which field bullets go to, `label` is the current section's name (links
    under a goals/project/deliverable line still count as resources of the section before it)."""
    number: int
    title: str
    heading: str
    phase: int
    level: int
    start: int
    label: str = ""
    mode: str = "section"
    inline: bool = False
    goals: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)
    weekend: list[str] | None = None
    deliverables: list[str] = field(default_factory=list)

    def start_section(self, name: str) -> None:
        self.mode, self.label = "section", name
        self.sections.setdefault(name, [])

    def feed(self, line: str) -> None:
        """Take one non-heading line of the week's body."""
        if b := _BULLET.match(line):
            item = "  " * (len(b[1].expandtabs(4)) // 2) + b[2].strip()
            # "**Goals**: text" already holds its value: a linked bullet after it is a resource, not more goals
            if self.mode == "section" or (self.inline and _links(item)):
                self.sections.setdefault(self.label, []).append(item)
            else:
                self._field().append(item)
            return
        m = _BOLD_LINE.match(line.strip())
        if not m:
            return  # a plain paragraph: kept in the week's text only
        key, rest = m[1], m[2].strip()
        if key.rstrip().endswith(":"):
            value = rest
        elif rest.startswith(":") or not rest:
            value = rest[1:].strip()
        else:
            return
        kind = FIELD_NAMES.get(clean(key).lower())
        if kind:
            self.mode, self.inline = kind, bool(value)
            if kind == "weekend" and self.weekend is None:
                self.weekend = []
            if value:
                self._field().append(value)
        elif not value:
            self.start_section(clean(key))

    def _field(self) -> list[str]:
        if self.mode == "weekend":
            if self.weekend is None:
                self.weekend = []
            return self.weekend
        return {"goals": self.goals, "deliverables": self.deliverables}[self.mode]

    def build(self, lines: list[str], end: int) -> Week:
        weekend = "\n".join(self.weekend or []) or None
        return Week(self.number, self.title, self.phase, "\n".join(self.goals), self.sections, weekend,
                    self.deliverables, _trimmed(lines[self.start:end]))


def _missing(weeks: list, resources: list) -> str:
    """'no week headings (...) and no links (...)': what a roadmap lacks."""
    return " and ".join(what for what, found in (("no week headings (like '## Week 1: Title')", weeks),
                                                 ("no links (bare URLs or [label](url))", resources)) if not found)


def parse_roadmap(text: str) -> Roadmap:
    """Parse roadmap markdown; raises ConfigError when it holds no week headings (naming the links too, when
    there are none either). `load_roadmap` also refuses a roadmap without links."""
    lines = re.split(r"\r\n|\r|\n", text.lstrip("\ufeff"))
    heads: dict[int, tuple[int, str]] = {}
    in_code = [False] * len(lines)
    fence = None
    for i, line in enumerate(lines):
        if m := _FENCE.match(line):
            fence = None if fence == m[1] else fence or m[1]
            in_code[i] = True
        elif fence:
            in_code[i] = True
        elif m := _HEADING.match(line):
            heads[i] = (len(m[1]), m[2])
    first = min(heads, default=None)
    title_idx = first if first is not None and heads[first][0] == 1 else None
    title = clean(heads[title_idx][1]) if title_idx is not None else "Roadmap"
    top_level = min((lv for i, (lv, _) in heads.items() if i != title_idx), default=2)

    weeks: list[Week] = []
    resources: list[Resource] = []
    pieces: list[tuple[str, int | None, int | None, str, bool]] = []  # title, week, phase, text, is_week
    declared: dict[int, tuple[str, tuple[int, int] | None]] = {}
    phase: int | None = None
    phase_level = 0
    week: _WeekDraft | None = None
    sec: tuple[str, int | None, int] | None = (title, None, 0)  # title, phase, start line

    def close(i: int) -> None:
        nonlocal week, sec
        if week:
            built = week.build(lines, i)
            weeks.append(built)
            pieces.append((week.heading, week.number, week.phase or None, built.text, True))
            week = None
        if sec:
            body = lines[sec[2]:i]
            if sec[2] in heads:
                body = body[1:]
            if _trimmed([ln for ln in body if not _HR.match(ln)]):
                pieces.append((sec[0], None, sec[1], _trimmed(lines[sec[2]:i]), False))
            sec = None

    for i, line in enumerate(lines):
        if i in heads and i != title_idx:
            level, name = heads[i][0], clean(heads[i][1])
            if m := _WEEK.match(name):
                close(i)
                wtitle = clean(m[2]) or name
                week = _WeekDraft(int(m[1]), wtitle, name, phase or 0, level, i, label=wtitle)
            elif m := _PHASE.match(name):
                close(i)
                phase, phase_level = int(m[1]), level
                r = _RANGE.search(m[2])
                rng = (int(r[1]), int(r[2] or r[1])) if r else None
                declared.setdefault(phase, (clean(_RANGE.sub("", m[2])).strip(" -–—") or f"Phase {phase}", rng))
                sec = (name, phase, i)
            elif week and level > week.level:
                week.start_section(name)
            else:
                if week:
                    close(i)
                if phase is not None and level <= phase_level:
                    phase = None
                if sec is None or level <= top_level:
                    close(i)
                    sec = (name, phase, i)
        elif week and not in_code[i]:
            week.feed(line)
        if in_code[i]:
            continue
        for label, url in _links(line):
            if week:
                resources.append(Resource(label, url, week.number, week.phase or None, week.label))
            else:
                resources.append(Resource(label, url, None, sec[1] if sec else phase, sec[0] if sec else title))
    close(len(lines))

    if not weeks:
        raise ConfigError(f"the roadmap has {_missing(weeks, resources)}; check RA_ROADMAP")
    by_week: dict[int, Week] = {}
    for w in weeks:  # a week under no phase heading joins the phase whose declared range holds it
        if not w.phase:
            w.phase = next((n for n, (_t, rng) in declared.items() if rng and rng[0] <= w.number <= rng[1]), 0)
        by_week.setdefault(w.number, w)
    resources = [replace(r, phase=by_week[r.week].phase or None) if r.week is not None and r.phase is None else r
                 for r in resources]
    phases = []
    for n, (ptitle, rng) in declared.items():
        nums = [w.number for w in weeks if w.phase == n]
        if nums:
            phases.append(Phase(n, ptitle, min(nums), max(nums)))
        elif rng:
            phases.append(Phase(n, ptitle, rng[0], rng[1]))
    sections, used = [], set()
    for ptitle, wk, ph, body, is_week in pieces:
        ph = (by_week[wk].phase or None) if is_week and wk is not None else ph
        base = f"week-{wk}" if is_week else slug(ptitle) or "section"
        anchor, k = base, 0
        while anchor in used:
            k += 1
            anchor = f"{base}-{k}"
        used.add(anchor)
        sections.append(RoadmapSection(ptitle, anchor, wk, ph, body))
    return Roadmap(title, phases, weeks, resources, sections, text.lstrip("\ufeff"))


def load_roadmap(path: str | Path, mirror_base: str | None = None) -> Roadmap:
    """Read and parse the roadmap file; a missing or unreadable file, or one without weeks or links, is a
    ConfigError naming the file and RA_ROADMAP. With a mirror, links written as mirror URLs (the mirror's
    `--rewrite`) are read as the real URLs they stand for, so both forms give the same roadmap."""
    p = Path(path)
    try:
        text = UrlMap(mirror_base).real_text(p.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as e:
        reason = "not found" if isinstance(e, FileNotFoundError) else f"cannot be read ({e.__class__.__name__})"
        raise ConfigError(f"roadmap file {p} {reason}: set RA_ROADMAP to the roadmap markdown file") from None
    try:
        roadmap = parse_roadmap(text)
    except ConfigError as e:
        raise ConfigError(f"{p}: {e}") from None
    if not roadmap.resources:
        raise ConfigError(f"{p}: the roadmap has {_missing(roadmap.weeks, roadmap.resources)}; check RA_ROADMAP")
    return roadmap
