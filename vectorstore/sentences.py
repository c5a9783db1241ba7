"""The readable sentences of a chunk: what the extractive answer quotes, the quiz asks about, and ingest embeds.

A chunk body (`body_of`: its text without the heading line) is cut into paragraphs (no heading line, code block,
table row header, image, breadcrumb or bare "Note"/"Important"/"Tip" label) and each paragraph into sentences by
`syntok`, which keeps abbreviations ("U.S.", "e.g."), version numbers ("v1.2.3", "Python 3.11") and URLs whole.
Fragments and code-like lines are dropped (numbers, amounts and versions count as words, not code); commands and
calls left unquoted in prose are quoted as code (`pip install x`, `df.groupby()`). A table row becomes one sentence
("Cost: 300 USD"), a run of short unordered list items one sentence led by the line introducing it (a nested run by
the short item above it), numbered items one by one. `sentences` gives them as an answer shows them,
`quotable_sentences` in the page's own spelling. Ingest embeds `sentences` of every new chunk and stores the
vectors with the index (`vectorstore.store`), so the picker and the ranking read the very sentences they were
computed for.
"""
from __future__ import annotations

import re
from functools import lru_cache

from syntok import segmenter


def body_of(text: str) -> str:
    """The chunk's body: its text without the heading line ("Page > Section") and the blank line after it."""
    head, sep, body = text.partition("\n\n")
    return body.strip() if sep and "\n" not in head.strip() else text.strip()


_FENCE = re.compile(r"^(```|~~~)")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_BULLET = re.compile(r"^(?:[-*+•]|\d{1,2}[.)])\s+(?:\[[ xX]\]\s+)?")  # with a task-list checkbox
_LABEL = r"(?:note|notes|important|tip|tips|warning|caution|attention|info|see also|example|examples)"
_BARE_LABEL = re.compile(rf"^{_LABEL}\s*:?$", re.I)
_TRAILING_LABEL = re.compile(rf"(?<=[.!?])\s+{_LABEL}$", re.I)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|^(?:image|figure|fig\.|diagram|screenshot)\s*\d*\s*[:.-]", re.I)
_CRUMB = re.compile(r"^[^.!?]{1,80}?(?:\s(?:>|/|›|»|→)\s[^.!?]{1,80}?){2,}$")
_PLAIN = re.compile(r"^(?:[(\"'`]?[A-Za-z][A-Za-z'’-]*[.,;:!?)\"'`]*|https?://\S+)$")
# a number, amount, size or version as prose writes it ("750", "1,000;", "$0.99,", "70B", "24h", "1.2-1", "30%")
_NUMERIC = re.compile(r"^[(\"'`]?[$€£]?v?\d[\d.,:/%–-]*[A-Za-z]{0,4}[.,;:!?)\"'`]*$")
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_CLI = [
    "pip", "pip3", "python", "python3", "aws", "kubectl", "docker", "git", "conda", "npm", "helm", "terraform",
    "eksctl", "dvc", "mlflow", "curl", "uvicorn", "jupyter", "sam", "cdk", "az", "gcloud", "kfp"
]
_SUBCOMMAND = [
    "install", "uninstall", "run", "apply", "add", "push", "pull", "commit", "init", "create", "build", "get",
    "describe", "delete", "configure", "serve", "ui", "repro", "clone", "start", "stop", "deploy", "exec",
    "logs", "login", "list", "ls", "cp", "sync", "remote", "checkout", "status", "compile", "upload", "invoke",
    "update"
]
_COMMAND = re.compile(
    rf"\b(?:(?:{'|'.join(_CLI)})\s+(?:{'|'.join(_SUBCOMMAND)}|-{{1,2}}[a-z][\w-]*)|aws\s+[a-z][\w-]*\s+[a-z][\w-]*)\b"
    r"(?:\s+(?:-{1,2}[\w-]+(?:=\S+)?|[\w@./:=+-]*[@./:=_\d-][\w@./:=+-]*(?<![.:]))){0,6}"
    r"(?:\s+(?!(?:to|and|or|the|a|an|in|on|for|with|from|is|are|then|first|again|command|which|that|it)\b)"
    r"[a-z][\w-]*(?=[\s.,;:)]|$))?")
_CALL = re.compile(r"(?<![\w`])[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*\([^()\s]{0,40}\)"
                   r"(?:\.[A-Za-z_]\w*(?:\([^()]{0,40}\))?)*")
_AFTER_NUMBER = re.compile(r"(?<=\d)\.\s+(?=[`\"'(]?[A-Z][a-z])")  # "... v3.6.2. Run it": syntok keeps these together


def _tidy(sentence: str) -> str:
    s = " ".join(sentence.replace("\\(", "").replace("\\)", "").split()).rstrip(" :;,")
    return s if s.endswith((".", "!", "?")) else s + "."


def quote_code(sentence: str) -> str:
    """Quote shell commands and calls written as plain prose as code: `pip install boto3`, `df.mean()`."""
    parts = _CODE_SPAN.split(sentence)
    for i in range(0, len(parts), 2):  # the even parts are outside `...`
        text = _COMMAND.sub(lambda m: f"`{m[0]}`", parts[i])
        parts[i] = "".join(_CALL.sub(lambda m: f"`{m[0]}`", p) if j % 2 == 0 else p
                           for j, p in enumerate(_CODE_SPAN.split(text)))
    return "".join(parts)


_URL = re.compile(r"https?://\S+")


def _is_prose(sentence: str, row: bool = False) -> bool:
    """At least four words besides URLs (a "Label: https://..." list item is a link, not a sentence; a table `row`
    holding a number needs three: "Cost: 300 USD"), not code. Words and numbers as prose writes them ("$0.99",
    "70B", "1.2-1") make at least 60% of it."""
    words = _CODE_SPAN.sub("code", sentence).split()
    if len(_URL.sub("", sentence).split()) < (3 if row and any(c.isdigit() for c in sentence) else 4) \
            or len(words) > 60 \
            or sum(sentence.count(c) for c in "{}=<>|;") + max(0, sentence.count("$") - 4 * row) > 2:
        return False
    return sum(bool(_PLAIN.match(w) or _NUMERIC.match(w)) for w in words) >= 0.6 * len(words)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph of prose, with the paragraph's own spelling (syntok finds the boundaries)."""
    out = []
    for para in segmenter.analyze(paragraph):
        for sentence in para:
            if sentence:
                start = sentence[0].offset
                end = sentence[-1].offset + len(sentence[-1].value)
                out.extend(_AFTER_NUMBER.sub(".\n", paragraph[start:end]).split("\n"))
    return [s.strip() for s in out if s.strip()]


_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
SHORT_ITEM = 8  # words: a list item at most this long names a thing; a run of them is read as one sentence


def table_row(line: str) -> str:
    """A table row read as a sentence: its first cell, a colon, the other cells ("Cost | 300 USD" -> "Cost: 300
    USD", "Batch | Per token | None" -> "Batch: Per token, None"); the page's words in the page's order, so a quote
    of it is found in its passage."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    cells = [c for c in cells if c]
    return f"{cells[0]}: {', '.join(cells[1:])}" if len(cells) > 1 else ""


def list_sentence(items: list[str], lead: str = "") -> str:
    """A run of short list items as one sentence: "Lead: a, b, c" (the lead is the line introducing the list)."""
    return f"{lead.rstrip(':').strip()}: {', '.join(items)}" if lead else ", ".join(items)


CODE_LINES, CODE_CHARS = 2, 100  # a code block this short (lines, characters per line) completes its lead-in
_PROMPT = re.compile(r"^(?:\$|>>>|In \[\d+\]:)\s+")  # a shell, Python or IPython prompt before a command
_MARKER = re.compile(r"\[\d{1,3}\]")


def _short_code(lines: list[str]) -> str:
    """A short code block as code spans ("`pip install boto3==1.0.0`"), or "" when it is long or holds a backtick or
    an index like a citation marker ("argv[1]").
    Comment lines are left out, and in a block with prompts ("$ ", ">>> ") only the prompted lines (the commands,
    not their output) count."""
    lines = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if any(_PROMPT.match(line) for line in lines):
        lines = [_PROMPT.sub("", line) for line in lines if _PROMPT.match(line)]
    if not lines or len(lines) > CODE_LINES \
            or any(len(line) > CODE_CHARS or "`" in line or _MARKER.search(line) for line in lines):
        return ""  # long, or holding what an answer would misread: a backtick, a "[1]" like a citation marker
    return " ".join(f"`{line}`" for line in lines)


_FORWARD = re.compile(r"\b(?:the following|as follows)\b|\bbelow\b(?!\s+(?:\d|the|a|an|\$)\b)", re.I)


def introduces(sentence: str) -> bool:
    """Does the sentence introduce what follows it: it ends with ":" or points forward ("the following command",
    "the commands below", "as follows")?"""
    return sentence.rstrip().endswith(":") or bool(_FORWARD.search(sentence))


def _paragraphs(text: str) -> list[tuple[str, bool, bool, str]]:
    """The prose paragraphs (and list items) of a chunk body, without headings, code, images, labels. A table row
    becomes one paragraph ("Cell: cell; cell"), its header row none; a run of short list items becomes one, led by
    the line (a heading, or a short line ending in ":") that introduces it. Each comes with whether it is a table
    row (data, read with a looser prose test), whether it is a list item (or a run of them), and the short code
    block that directly follows a prose paragraph (`_short_code`; "" for most)."""
    found: list[tuple[str, bool, bool, str]] = []
    paragraph: list[str] = []
    items: list[str] = []   # the current run of short list items
    in_code = False
    code: list[str] = []    # the lines of the code block being read
    after: int | None = None  # the prose paragraph (index in found) the last non-blank line ended, if any
    completes: int | None = None  # the paragraph the code block being read follows directly
    first = text.strip().split("\n", 1)[0]
    title = first.split(" > ", 1)[0].strip()  # merged chunks repeat "Title > Sub" lines
    lead = first.split(" > ")[-1].strip() if body_of(text) != text.strip() else ""  # what a list may follow
    table = False  # inside a table (the next row is not its header)
    indent = 0     # the indentation of the current run of list items (a nested list starts another run)

    def end_items() -> None:
        if len(items) > 1:
            found.append((list_sentence(items, lead), False, True, ""))
        elif items:
            found.append((items[0], False, True, ""))
        items.clear()

    def end_paragraph() -> None:
        nonlocal lead, after
        # A lone short line without closing punctuation is a sub-heading kept as text, not a sentence.
        lone = len(paragraph) == 1 and len(paragraph[0].split()) <= 12
        if paragraph and not (lone and paragraph[0][-1] not in ".!?:"):
            found.append((_TRAILING_LABEL.sub("", " ".join(paragraph)), False, False, ""))
            after = len(found) - 1
            lead = paragraph[0] if lone and paragraph[0].endswith(":") else ""
        elif paragraph:
            lead = paragraph[0]
        paragraph.clear()

    for line in body_of(text).splitlines():
        s = _EMOJI.sub("", line).strip().replace("**", "")
        if s and not in_code and not _FENCE.match(s) and not (paragraph and not _BULLET.match(s)):
            after = None  # a line other than the paragraph's own: a code block after it completes nothing
        row = not in_code and (s.startswith("|") or " | " in s or bool(_TABLE_RULE.match(s)))
        if not row:
            table = False
        if (m := _BULLET.match(s)) and not in_code:
            end_paragraph()
            item = s[m.end():].strip()
            depth = len(line) - len(line.lstrip())
            if items and depth != indent:
                parent = items[-1]
                end_items()
                # a nested run is led by the short item just above it (the page's words stay in order)
                lead = parent if depth > indent else ""
            indent = depth
            # short unordered items form a run; numbered items are steps, each read on its own
            if len(item.split()) <= SHORT_ITEM and not item.rstrip(".").count(".") and not s[0].isdigit():
                items.append(item.rstrip("."))
                continue
            end_items()
            found.append((item, False, True, ""))
            lead = ""
            continue
        if s:
            end_items()
        if _FENCE.match(s):
            in_code = not in_code
            end_paragraph()
            if in_code:
                completes, code = after, []
            else:
                if completes is not None and (block := _short_code(code)):
                    found[completes] = (*found[completes][:3], block)
                completes = None
            after = None
            lead = ""
        elif in_code:
            code.append(s)
            continue
        elif row:
            end_paragraph()
            if table and not _TABLE_RULE.match(s) and (sentence := table_row(s)):
                found.append((sentence, True, False, ""))
            table = True
            lead = ""
        elif s == title or s.startswith(title + " > "):
            end_paragraph()
            lead = s.split(" > ")[-1].strip()
        elif not s or s.startswith("#") or _BARE_LABEL.match(s) or _CRUMB.match(s):
            end_paragraph()
            if s:
                lead = ""
        elif s := _IMAGE.sub(" ", s).strip():
            paragraph.append(s)
    end_paragraph()
    end_items()
    return found


@lru_cache(maxsize=8192)
def _sentence_rows(text: str) -> tuple[tuple[str, str, bool, str], ...]:
    """(as the page writes it, as an answer shows it, whether it opens a list item, the short code block it leads
    into) for each readable sentence of a chunk. A paragraph opening with a short label sentence ("Pick a tool.
    Choose one platform ...") keeps the label with what follows it. The code block after a paragraph belongs to its
    last sentence when that sentence introduces it (`introduces`: it ends with ":" or points forward)."""
    out = []
    for paragraph, row, item, code in _paragraphs(text):
        found = split_sentences(paragraph)
        if len(found) > 1 and len(found[0].split()) < 4 and found[0].endswith("."):
            found[:2] = [f"{found[0][:-1]}: {found[1]}"]
        first = True
        for n, s in enumerate(found):
            s = _TRAILING_LABEL.sub("", s)
            shown = quote_code(_tidy(s))
            if _is_prose(shown, row) and not _IMAGE.search(shown):
                leads = code if n == len(found) - 1 and introduces(s) else ""
                out.append((" ".join(s.split()), shown, item and first, leads))
            first = False
    return tuple(out)


def _sentence_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """(as the page writes it, as an answer shows it) for each readable sentence of a chunk."""
    return tuple((raw, shown) for raw, shown, _item, _code in _sentence_rows(text))


def code_after(text: str) -> tuple[str, ...]:
    """For each readable sentence of a chunk (in `sentences` order), the short code block it introduces, as code
    spans: "If you wish to execute these examples in IPython, use:" -> "`%doctest_mode`", "remove the environment
    by running the following command." -> "`conda remove --name myenv --all`" ("" for most sentences;
    a block of at most CODE_LINES lines of at most CODE_CHARS characters, right after the sentence's paragraph)."""
    return tuple(code for _raw, _shown, _item, code in _sentence_rows(text))


_EXAMPLE = re.compile(r"^(?:for (?:example|instance)|e\.g\.|such as)\b", re.I)
ITEMS_AFTER_LEAD = 8  # sentences after a lead-in searched for the list items it introduces


@lru_cache(maxsize=8192)
def continuations(text: str) -> tuple[tuple[int, ...], ...]:
    """For each readable sentence of a chunk (in `sentences` order), the sentences that complete it: the list
    items a lead-in introduces ("There are two types of actions:" -> the first sentence of each item that follows,
    within ITEMS_AFTER_LEAD sentences, until the next lead-in), or the example that follows a general statement
    ("... hard to detect." -> "For example, ..."). Most sentences have none."""
    rows = _sentence_rows(text)
    out: list[tuple[int, ...]] = []
    for i, (raw, _shown, _item, _code) in enumerate(rows):
        follow: list[int] = []
        if raw.rstrip().endswith(":"):
            for j in range(i + 1, min(len(rows), i + 1 + ITEMS_AFTER_LEAD)):
                if rows[j][0].rstrip().endswith(":"):
                    break
                if rows[j][2]:
                    follow.append(j)
        elif i + 1 < len(rows) and not rows[i + 1][2] and _EXAMPLE.match(rows[i + 1][0]):
            follow.append(i + 1)
        out.append(tuple(follow))
    return tuple(out)


def _sentences(text: str) -> tuple[str, ...]:
    return tuple(shown for _raw, shown in _sentence_pairs(text))


def sentences(text: str) -> list[str]:
    """The readable sentences of a chunk, commands quoted as code (remembered per chunk text)."""
    return list(_sentences(text))


def quotable_sentences(text: str) -> list[str]:
    """The same readable sentences as `sentences`, in the page's own spelling (nothing quoted as code, no full
    stop added, whitespace collapsed): what a quiz quotes word for word (`api.facts`)."""
    return [raw for raw, _shown in _sentence_pairs(text)]


def plain(text: str) -> str:
    """A chunk's text as the sentence reader sees it: each line without emoji, bold markers or list marker (and
    task-list checkbox), spaces collapsed. A quotable sentence is a substring of its chunk's `plain` text with
    line breaks read as spaces (`flat`)."""
    lines = (_BULLET.sub("", _EMOJI.sub("", line).strip().replace("**", "")) for line in text.splitlines())
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def flat(text: str) -> str:
    """`plain` text on one line: what a verbatim quote is looked up in."""
    return " ".join(plain(text).split())
