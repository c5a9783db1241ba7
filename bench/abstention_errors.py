"""The DEV questions that abstain wrongly, grouped by the mechanism that failed, counted per question file.

    python bench/abstention_errors.py ROWS.json [--show GROUP] [--compare OTHER.json] [--per-file] [--unchecked]

ROWS.json is the `--json` output of `python -m evaluation.evaluate --only dev` (every dev question's row: route,
grounded, gap, evidence, confidence). An answerable question that abstains, or an unanswerable one answered as
grounded, is put under the first mechanism that decided it:
  answerable refused:
    plan          the plan route (`api.plan`) answered it ungrounded;
    evidence      the evidence check found the asked kind of fact below the fitted share (`gap` is a fact kind);
    mention       a name in the question no linked page mentions (`gap: "mention"`, the key-name extraction);
    confidence    the abstention logistic put it below the threshold (no gap);
  unanswerable answered:
    plan          the plan route answered it grounded;
    share         the asked kind was checked and a sentence reached the fitted share (`evidence` >= it);
    kind          the asked kind was not one the check covers (`question_asks.detect` read no fact kind), and the
                  logistic passed it;
`--unchecked` prints, per file and side, how many questions the evidence check never looked at (the asked kind is
not one it covers, `other` apart) and how many of those were answered / abstained.
The counts are per file, test7 (the newest writer) apart. `--compare` prints the questions whose outcome differs
between two runs (fixed / broken). Only the dev set may be read here (the rows name their ids; the files map them).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

NEWEST = "test7"  # the newest writer's file, counted apart


def _files() -> dict[str, str]:
    """question id -> the dev file holding it."""
    from evaluation.evaluate import DEV

    out = {}
    for path in DEV:
        for line in path.read_text().splitlines():
            if line.strip():
                out[json.loads(line)["id"]] = path.stem.replace("_questions", "")
    return out


def _rows(path: Path) -> list[dict]:
    return list(json.loads(path.read_text())["runs"]["dev"]["questions"])


def group(row: dict) -> str | None:
    """The mechanism that made this question's abstention wrong, None when it is right."""

    answerable = row["kind"] != "unanswerable"  # cross-week questions are answerable too
    if answerable == bool(row["grounded"]):
        return None
    if row["route"] == "plan":
        return "plan"
    if answerable:
        if row["gap"] == "mention":
            return "mention"
        return "evidence" if row["gap"] else "confidence"
    return "share" if _checked(row) else "kind"


def _checked(row: dict) -> bool:
    """Does the served calibration's evidence check look at this row's question (its kind, or its group: a name asked
    by its maker is checked as "origin")?"""
    from vectorstore.calibration import DEFAULT
    from vectorstore.question_asks import checked_as

    return DEFAULT.checks(checked_as(row["question"], _kind(row)))


def _kind(row: dict) -> str:
    """The answer kind the run detected (rows written before it was recorded: the current detector's)."""
    from vectorstore.question_asks import detect

    return row.get("answer_kind") or detect(row["question"])


def unchecked(rows: list[dict], files: dict[str, str]) -> dict[str, dict[str, Counter[str]]]:
    """file -> side -> counts of the questions the evidence check did not look at: `other` and `unchecked` (any kind
    it does not cover, `other` included), each split into answered (`*_answered`) and abstained (`*_abstained`)."""

    out: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for row in rows:
        if row["route"] == "plan":
            continue
        kind = _kind(row)
        c = out[files.get(row["id"], "?")][_side(row)]
        c["all"] += 1
        outcome = "answered" if row["grounded"] else "abstained"
        for name, hit in (("other", kind == "other"), ("unchecked", not _checked(row))):
            if hit:
                c[name] += 1
                c[f"{name}_{outcome}"] += 1
    return out


def _side(row: dict) -> str:
    return "unanswerable" if row["kind"] == "unanswerable" else "answerable"


def counts(rows: list[dict], files: dict[str, str]) -> dict[tuple[str, str], Counter[str]]:
    """(answerable|unanswerable, group) -> per-file counts."""
    out: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in rows:
        if (g := group(row)) is not None:
            out[(_side(row), g)][files.get(row["id"], "?")] += 1
    return out


def per_file_rates(rows: list[dict], files: dict[str, str]) -> dict[str, tuple[str, str]]:
    """file -> ("abstained/unanswerable (rate)", "abstained/answerable (rate)"), "–" for a side with none."""
    def rate(side: list[dict]) -> str:
        n = sum(not r["grounded"] for r in side)
        return f"{n}/{len(side)} ({100 * n / len(side):.1f}%)" if side else "–"

    out = {}
    for name in sorted(set(files.values())):
        mine = [r for r in rows if files.get(r["id"]) == name]
        out[name] = (rate([r for r in mine if _side(r) == "unanswerable"]),
                     rate([r for r in mine if _side(r) == "answerable"]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rows", type=Path)
    ap.add_argument("--unchecked", action="store_true",
                    help="print, per file, the questions whose asked kind the evidence check does not cover")
    ap.add_argument("--show", help="print the questions of one group (e.g. evidence, kind, plan)")
    ap.add_argument("--compare", type=Path, help="another run's rows: print what changed")
    ap.add_argument("--per-file", action="store_true",
                    help="print each file's abstention rates (unanswerable that abstain / answerable that do)")
    args = ap.parse_args(argv)
    files = _files()
    rows = _rows(args.rows)
    if any(r["id"] not in files for r in rows):
        print("error: rows not from the dev files", file=sys.stderr)
        return 2
    totals = Counter(_side(r) for r in rows)
    print(f"dev: {len(rows)} questions ({totals['answerable']} answerable, {totals['unanswerable']} unanswerable)")
    for (kind, g), per in sorted(counts(rows, files).items()):
        new = per.get(NEWEST, 0)
        print(f"  {kind:<12} {g:<11} {sum(per.values()):>4}  ({NEWEST} {new}; others {sum(per.values()) - new})")
    for kind in ("answerable", "unanswerable"):
        wrong = [r for r in rows if _side(r) == kind and (kind == "answerable") != bool(r["grounded"])]
        print(f"  {kind} wrong: {len(wrong)} of {totals[kind]}")
    if args.per_file:
        for name, (un, an) in sorted(per_file_rates(rows, files).items()):
            print(f"  {name:<20} unanswerable abstain {un}, answerable abstain {an}")
    if args.unchecked:
        print("  file                 side          n  other (answered/abstained)  unchecked (answered/abstained)")
        for name, sides in sorted(unchecked(rows, files).items()):
            for side in ("unanswerable", "answerable"):
                c = sides[side]
                print(f"  {name:<20} {side:<12} {c['all']:>3}  {c['other']:>5} ({c['other_answered']:>3}/"
                      f"{c['other_abstained']:>3}) {c['unchecked']:>18} ({c['unchecked_answered']:>3}/"
                      f"{c['unchecked_abstained']:>3})")
    if args.show:
        for r in rows:
            if group(r) == args.show:
                print(f"{r['id']:>6} {files[r['id']]:<18} {_side(r)[:3]} gap={r['gap']} ev={r.get('evidence')} "
                      f"conf={r.get('confidence')} | {r['question']}")
    if args.compare:
        before = {r["id"]: r for r in _rows(args.compare)}
        per_file: dict[str, Counter[str]] = defaultdict(Counter)
        for r in rows:
            b = before.get(r["id"])
            if b is None or bool(b["grounded"]) == bool(r["grounded"]):
                continue
            right = (_side(r) == "answerable") == bool(r["grounded"])
            per_file[files[r["id"]]]["fixed" if right else "broken"] += 1
            print(f"{'fixed' if right else 'BROKEN':<6} {r['id']:>6} {_side(r)[:3]} {r['question']}")
        for name, c in sorted(per_file.items()):
            print(f"  {name:<20} fixed {c['fixed']}, broken {c['broken']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
