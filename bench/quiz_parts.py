"""Measure the expected answer read as its parts for the quiz answer check (issue 15p), on dev only.

    python bench/quiz_parts.py --cache /tmp/parts.pkl              # the signals and wordpiece vectors, once (dev)
    python bench/quiz_parts.py --cache /tmp/parts.pkl --report     # each variant, leave one split out and by question
    python bench/quiz_parts.py --cache /tmp/parts.pkl --report --loqo   # also leave one question out (slow)
    python bench/quiz_parts.py --cache /tmp/parts.pkl --report --variants "best,share" --matched 0.9 --min-keys 2

Run it with OMP_NUM_THREADS=1 on a shared machine.

The expected text is cut into its parts at its list and coordination marks (",", ";", "and", "or"; with `cond`,
also before a condition: "when", "if", "unless", "while", "where", "after", "before"); a part holds at least one key
term (a part without one joins the next). Each part's match with the answer comes from the wordpiece vectors the
check's one model run already gives (`TokenVectors`, no model run added): the part's key-term recall (BERTScore-style,
as `key_recall`, restricted to the part's key wordpieces, against the answer or its best clause for that part) and its
exact coverage (the idf-weighted share of its key terms the answer holds, `holds`). Signals over the parts: `best`
(the best single part's recall: an answer that fully states one part), `share` (the share of parts whose recall is at
least 0.8), `gain` (best - key_recall, 0 for an expected text of one part) and `whole` (1 when some part of two or
more is held exactly whole, coverage 1). Variants add them to both logistic boundaries (standardised, the same
penalty as the check's signals; `quiz_pair_head.fit_and_judge` with the scale 1), or apply a floor rule (an answer of
a text with two or more parts that the score judges incorrect, no rule fired, whose best part's recall is at least
a threshold fitted on the training folds, is partial). Only the dev splits (`fit_quiz_check.DEV_SPLITS`) are read.
"""
from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fit_quiz_check as fq  # noqa: E402
import quiz_pair_head as ph  # noqa: E402

from api import grading  # noqa: E402
from api.answer_readings import holds, key_terms, surfaces, terms, without_hedges  # noqa: E402
from api.app import build_services  # noqa: E402
from api.metrics import Metrics  # noqa: E402
from settings import Settings  # noqa: E402
from vectorstore.embeddings import TokenVectors  # noqa: E402

MARKS = {",", ";", "and", "or"}
CONDITIONS = {"when", "if", "unless", "while", "where", "after", "before", "whenever"}
MATCHED = 0.8   # a part's recall from which it counts as matched, for `share`
MIN_KEYS = 1    # the key terms a part holds at least; a part with fewer joins the next
NEWEST = tuple(f"test{i}" for i in range(5, 15))
EXTRA = ("best", "share", "gain", "whole")


def cache(path: Path) -> None:
    """The dev answers' features (`fit_quiz_check.features`, as served) and the wordpiece vectors of their one model
    run (the expected text, the answer, its clauses), with the idf of every term of the expected texts."""
    rows = fq.load(fq.DATA, "dev")
    runs: list[list[TokenVectors]] = []

    def keep(tokens: grading.TokenEmbed) -> grading.TokenEmbed:
        def run(texts: Sequence[str]) -> tuple[np.ndarray, list[TokenVectors]]:
            vectors, pieces = tokens(texts)
            runs.append(pieces)
            return vectors, pieces
        return run

    feats, ms = fq.features(rows, Settings(), keep)
    lexical = build_services(Settings(), Metrics()).retriever.loaded().lexical
    done = iter(runs)
    pieces = [None if f.empty else next(done) for f in feats]
    idf = {t: lexical.idf(t) for r in rows for t in terms(r["expected"])}
    keep_rows = [{k: r[k] for k in ("id", "question", "expected", "answer", "label", "split", "week")} for r in rows]
    path.write_bytes(pickle.dumps({"rows": keep_rows, "feats": feats, "pieces": pieces, "idf": idf, "ms": ms}))
    print(f"cached {len(rows)} dev answers to {path}; signals p50 {np.percentile(ms, 50):.1f} ms, "
          f"p95 {np.percentile(ms, 95):.1f} ms")


def parts(words: Sequence[str], keys: set[str], cond: bool) -> list[list[int]]:
    """The expected text's words (indices) cut at its list and coordination marks (and conditions with `cond`); a
    part with fewer than MIN_KEYS key terms joins the next (the last joins the one before)."""
    cuts = MARKS | (CONDITIONS if cond else set())
    out: list[list[int]] = [[]]
    for i, w in enumerate(words):
        if w.lower() in cuts:
            if out[-1]:
                out.append([])
            if w.lower() in MARKS:
                continue
        out[-1].append(i)
    keyed = [p for p in out if p]
    merged: list[list[int]] = []
    carry: list[int] = []
    for p in keyed:
        if len({t for i in carry + p for t in terms(words[i]) if t in keys}) >= MIN_KEYS:
            merged.append(carry + p)
            carry = []
        else:
            carry += p
    if carry and merged:
        merged[-1] += carry
    return merged or [list(range(len(words)))]


def part_signals(row: dict, f: grading.Features, pieces: list[TokenVectors] | None, idf: dict[str, float],
                 cond: bool) -> tuple[list[float], int]:
    """best, share, gain, whole, and the number of parts."""
    if pieces is None or not len(pieces[0].vectors):
        return [0.0, 0.0, 0.0, 0.0], 1
    keys = set(key_terms(row["question"], row["expected"]))
    ref = pieces[0]
    cut = parts(ref.words, keys, cond)
    given = surfaces(without_hedges(row["answer"]))
    recalls, whole = [], 0.0
    for p in cut:
        members = set(p)
        rows_p = [j for j, w in enumerate(ref.word_ids) if w in members]
        wts = np.array([np.mean([idf.get(t, 1.0) for t in ts]) if (ts := [t for t in terms(ref.words[ref.word_ids[j]])
                                                                         if t in keys]) else 0.0 for j in rows_p])
        if not len(rows_p) or wts.sum() == 0:
            continue
        best = max(float(np.clip(ref.vectors[rows_p] @ c.vectors.T, 0, 1).max(axis=1) @ wts / wts.sum())
                   for c in pieces[1:] if len(c.vectors))
        recalls.append(best)
        part_keys = {t for i in p for t in terms(ref.words[i]) if t in keys}
        if len(cut) > 1 and part_keys and all(holds(given, t) for t in part_keys):
            whole = 1.0
    if not recalls:
        return [f.key_recall, 0.0, 0.0, 0.0], 1
    best = max(recalls)
    n = len(recalls)
    return [best, sum(r >= MATCHED for r in recalls) / n, best - f.key_recall if n > 1 else 0.0, whole], n


def floor_verdicts(feats: list[grading.Features], said: list[str], best: np.ndarray, n: np.ndarray,
                   labels: np.ndarray, train: np.ndarray) -> list[str]:
    """The floor rule, its threshold chosen on the training answers (the one that agrees best; never among them)."""
    def apply(tau: float) -> list[str]:
        out = list(said)
        for i, f in enumerate(feats):
            if out[i] == "incorrect" and n[i] > 1 and best[i] >= tau and f.ruled() is None and not f.negated_part \
                    and grading.judge(f)[1] is None:
                out[i] = "partial"
        return out
    truth = [grading.VERDICTS[2 - lab] for lab in labels]
    idx = np.where(train)[0]
    taus = [0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 2.0]
    tau = max(taus, key=lambda t: (sum(v == truth[i] for i, v in enumerate(apply(t)) if i in set(idx)), t))
    return apply(tau)


def evaluate(data: dict, extra: np.ndarray, floor: bool, folds: list[np.ndarray]) -> list[str]:
    rows, feats = data["rows"], data["feats"]
    labels = np.array([fq.RANK[r["label"]] for r in rows])
    splits = np.array([r["split"] for r in rows])
    out = [""] * len(rows)
    for held in folds:
        train = ~held
        block = extra if extra.shape[1] else np.zeros((len(rows), 1))
        said, _ = ph.fit_and_judge(feats, labels, splits, block, train, [1.0 if extra.shape[1] else 0.0],
                                   fq.REGULARISATION)
        if floor:
            said = floor_verdicts(feats, said, data["best"], data["n"], labels, train)
        for i in np.where(held)[0]:
            out[i] = said[i]
    return out


def report(path: Path, variants: list[str], loqo: bool) -> None:
    data = pickle.loads(path.read_bytes())
    rows, feats = data["rows"], data["feats"]
    splits = np.array([r["split"] for r in rows])
    questions = np.array([f"{r['id']}|{r['question']}" for r in rows])
    by = {"split": [splits == s for s in dict.fromkeys(splits)]}
    from sklearn.model_selection import GroupKFold
    by["question10"] = [np.isin(np.arange(len(rows)), te) for _, te in
                        GroupKFold(n_splits=10).split(questions, questions, questions)]
    if loqo:
        by["question"] = [questions == q for q in dict.fromkeys(questions)]
    for cond in (False, True):
        sig = [part_signals(r, f, p, data["idf"], cond) for r, f, p in zip(rows, feats, data["pieces"], strict=True)]
        x = np.array([s for s, _ in sig])
        n = np.array([k for _, k in sig])
        multi = [i for i in range(len(rows)) if n[i] > 1]
        print(f"cond={cond}: {len(multi)} answers of expected texts with 2+ parts "
              f"({sum(rows[i]['label'] == 'partial' for i in multi)} partial)", flush=True)
        data["best"], data["n"] = x[:, 0], n
        for variant in variants:
            name, _, floor = variant.partition("+")
            cols = [EXTRA.index(c) for c in name.split(",") if c and c != "none"]
            for how, folds in by.items():
                t = time.perf_counter()
                out = evaluate(data, x[:, cols], floor == "floor", folds)
                hits = [o == r["label"] for o, r in zip(out, rows, strict=True)]
                per = {s: (sum(h for h, r in zip(hits, rows, strict=True) if r["split"] == s),
                           sum(r["split"] == s for r in rows)) for s in fq.DEV_SPLITS}
                mean10 = float(np.mean([per[s][0] / per[s][1] for s in NEWEST]))
                p2i = sum(r["label"] == "partial" and o == "incorrect" for o, r in zip(out, rows, strict=True))
                i2p = sum(r["label"] == "incorrect" and o == "partial" for o, r in zip(out, rows, strict=True))
                print(f"cond={int(cond)} {variant:>22} {how:>10}: {sum(hits) / len(hits):.3f} ({sum(hits)}) "
                      f"mean10 {mean10:.3f} partial->incorrect {p2i} incorrect->partial {i2p} "
                      f"[{time.perf_counter() - t:.0f}s]", flush=True)
                print("    " + ", ".join(f"{s} {h}/{k}" for s, (h, k) in per.items()), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--loqo", action="store_true", help="also leave one question out (411 refits per variant)")
    ap.add_argument("--variants", default="none;best;best,share;gain;whole;none+floor")
    ap.add_argument("--matched", type=float, default=MATCHED, help="a part's recall from which it counts as matched")
    ap.add_argument("--min-keys", type=int, default=1, help="the key terms a part holds at least (else it joins)")
    args = ap.parse_args()
    MATCHED, MIN_KEYS = args.matched, args.min_keys
    if not args.cache.exists():
        cache(args.cache)
    if args.report:
        report(args.cache, args.variants.split(";"), args.loqo)
