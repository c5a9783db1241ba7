"""Measure a learned pair head on frozen MiniLM vectors for the quiz answer check (issue 15o), on dev only.

    python bench/quiz_pair_head.py --cache /tmp/pairs.pkl          # compute the signals and vectors once (dev)
    python bench/quiz_pair_head.py --cache /tmp/pairs.pkl --report --variants none,expected,expected:64,both:64
        # each variant by leave-one-split-out and by 10 folds grouped by question, per split
    python bench/quiz_pair_head.py --cache /tmp/pairs.pkl --auc   # the boundaries' out-of-split ROC AUC

Run it with OMP_NUM_THREADS=1 on a shared machine (the 768-d fits are several times faster on one BLAS thread).

The head: beside the check's signals (`api.grading`: similarity, specifics, key_recall, length, replaced), features
of the pair (answer a, expected text e) of unit-length MiniLM sentence vectors: [a*e, |a-e|] (768 dims; a is the
answer's best clause, as the similarity reads it), or a low-rank version of it (the pair features projected onto
their top principal directions, fitted inside each fold). They go into the same two logistic boundaries as the
signals ("at least partial", "correct"), strongly L2-regularised: the pair block is scaled by a factor chosen by an
inner cross-validation (grouped by split) on the training folds only, so a smaller factor is a stronger penalty on
the head than on the signals. Verdicts then go through `grading.judge` exactly as served (rules, ELSEWHERE). Only the
dev splits (`fit_quiz_check.DEV_SPLITS`) are read.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fit_quiz_check as fq  # noqa: E402

from api import grading  # noqa: E402
from settings import Settings  # noqa: E402
from vectorstore.embeddings import TokenVectors, l2_normalise  # noqa: E402

SIGNALS = ("similarity", "specifics", "key_recall", "length", "replaced")
NEWEST = tuple(f"test{i}" for i in range(5, 15))


def cache(path: Path) -> None:
    """The dev answers' features, computed as the service computes them (`fit_quiz_check.features`), and their unit
    sentence vectors from the same model runs: the expected text, the answer's best clause (the one the similarity
    takes) and the whole answer (as read: hedges dropped); and the quote's."""
    rows = fq.load(fq.DATA, "dev")
    runs: list[np.ndarray] = []
    model: list[grading.TokenEmbed] = []

    def keep(tokens: grading.TokenEmbed) -> grading.TokenEmbed:
        model.append(tokens)

        def run(texts: Sequence[str]) -> tuple[np.ndarray, list[TokenVectors]]:
            vectors, pieces = tokens(texts)
            runs.append(l2_normalise(np.asarray(vectors, dtype=np.float32)))
            return vectors, pieces
        return run

    feats, _ = fq.features(rows, Settings(), keep)
    quotes = [r["quote"] for r in rows]
    quote = np.vstack([l2_normalise(np.asarray(model[0](quotes[i:i + 64])[0], dtype=np.float32))
                       for i in range(0, len(quotes), 64)])
    # an empty answer is never embedded (the rules judge it): zeros
    done = iter(runs)
    vecs = []
    for f, q in zip(feats, quote, strict=True):
        v = np.zeros((3, len(q)), np.float32) if f.empty else next(done)
        vecs.append(np.stack([v[0], v[1 + int(np.argmax(v[1:] @ v[0]))], v[1], q]) if not f.empty else
                    np.stack([*v, q]))
    keep_rows = [{k: r[k] for k in ("id", "question", "label", "split", "week")} for r in rows]
    path.write_bytes(pickle.dumps({"rows": keep_rows, "feats": feats, "vecs": np.stack(vecs)}))
    print(f"cached {len(rows)} dev answers to {path}")


def pair_block(vecs: np.ndarray, which: str) -> np.ndarray:
    """[a*e, |a-e|] of the answer's best clause a with the expected text e ("expected"), or with the quote ("quote"),
    or both ("both")."""
    a = vecs[:, 1]
    blocks = []
    for k in {"expected": (0,), "quote": (3,), "both": (0, 3)}[which]:
        e = vecs[:, k]
        blocks += [a * e, np.abs(a - e)]
    return np.hstack(blocks)


def low_rank(vecs: np.ndarray, train: np.ndarray, rank: int, which: str) -> np.ndarray:
    """The pair features on the top `rank` principal directions of (a - e), fitted on the training answers only."""
    a = vecs[:, 1]
    blocks = []
    for k in {"expected": (0,), "quote": (3,), "both": (0, 3)}[which]:
        e = vecs[:, k]
        d = (a - e)[train]
        d = d - d.mean(axis=0)
        basis = np.linalg.svd(d, full_matrices=False)[2][:rank]
        pa, pe = a @ basis.T, e @ basis.T
        blocks += [pa * pe, np.abs(pa - pe)]
    return np.hstack(blocks)


class Head:
    """One boundary's logistic on [standardised signals, alpha * standardised pair features]."""

    def __init__(self, x: np.ndarray, p: np.ndarray, y: np.ndarray, alpha: float, c: float) -> None:
        self.sx, self.sp, self.alpha = StandardScaler().fit(x), StandardScaler().fit(p), alpha
        self.model = LogisticRegression(C=c, solver="newton-cholesky", max_iter=200).fit(self.design(x, p), y)

    def design(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.hstack([self.sx.transform(x), self.alpha * self.sp.transform(p)]) if self.alpha else \
            self.sx.transform(x)


def logloss(model: Head, x: np.ndarray, p: np.ndarray, y: np.ndarray) -> float:
    q = np.clip(model.model.predict_proba(model.design(x, p))[:, 1], 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def choose_alpha(x: np.ndarray, p: np.ndarray, y: np.ndarray, groups: np.ndarray, alphas: Sequence[float],
                 c: float, folds: int = 3) -> float:
    """The pair block's scale with the least log-loss in an inner cross-validation grouped by `groups`."""
    if len(alphas) == 1:
        return alphas[0]
    from sklearn.model_selection import GroupKFold
    losses = dict.fromkeys(alphas, 0.0)
    for tr, te in GroupKFold(n_splits=folds).split(x, y, groups):
        for al in alphas:
            losses[al] += logloss(Head(x[tr], p[tr], y[tr], al, c), x[te], p[te], y[te])
    return min(alphas, key=lambda al: (losses[al], al))


def fit_and_judge(feats: list, labels: np.ndarray, groups: np.ndarray, pair: np.ndarray, train: np.ndarray,
                  alphas: Sequence[float], c: float) -> tuple[list[str], tuple[float, float]]:
    """Fit both boundaries (and ELSEWHERE, ELSEWHERE_TERMS) on `train`, judge every answer with `grading.judge`."""
    x = np.array([[getattr(f, s) for s in SIGNALS] for f in feats])
    scored = np.array([f.ruled() is None for f in feats])
    fit_idx = np.where(train & scored)[0]
    heads, chosen = [], []
    for target in (labels >= 1, labels >= 2):
        y = target.astype(int)
        al = choose_alpha(x[fit_idx], pair[fit_idx], y[fit_idx], groups[fit_idx], alphas, c)
        h = Head(x[fit_idx], pair[fit_idx], y[fit_idx], al, c)
        heads.append(h)
        chosen.append(al)
    # logits of each boundary for every answer; judge with weights that reproduce them: the signals' raw weights
    # and a threshold per answer that absorbs the intercept and the head's score
    consts = []
    for h in heads:
        coef = h.model.coef_[0][:len(SIGNALS)] / h.sx.scale_
        w = dict.fromkeys(grading.SIGNALS, 0.0) | dict(zip(SIGNALS, map(float, coef), strict=True))
        thr = -float(h.model.intercept_[0] - coef @ h.sx.mean_)
        head = h.alpha * h.sp.transform(pair) @ h.model.coef_[0][len(SIGNALS):] if h.alpha else np.zeros(len(feats))
        consts.append((w, thr - head))
    (wp, tp), (wc, tc) = consts

    def said(margin: float, terms: int) -> list[str]:
        return [grading.verdict(f, wp, float(tc[i]), float(tp[i]), margin, wc, terms) for i, f in enumerate(feats)]

    def agree(v: list[str], idx: np.ndarray) -> int:
        return int(sum(v[i] == fq.grading.VERDICTS[2 - labels[i]] for i in idx))

    tr = np.where(train)[0]
    margin = max(fq.MARGINS, key=lambda m: (agree(said(m, 1), tr), m))
    terms = max(fq.TERMS, key=lambda t: (agree(said(margin, t), tr), -t))
    return said(margin, terms), (chosen[0], chosen[1])


def evaluate(data: dict, variant: str, alphas: Sequence[float], c: float, by: str) -> tuple[list[str], list]:
    rows, feats, vecs = data["rows"], data["feats"], data["vecs"]
    labels = np.array([fq.RANK[r["label"]] for r in rows])
    splits = np.array([r["split"] for r in rows])
    questions = np.array([f"{r['id']}|{r['question']}" for r in rows])
    if by == "split":
        folds = [splits == s for s in dict.fromkeys(splits)]
    else:
        from sklearn.model_selection import GroupKFold
        folds = [np.isin(np.arange(len(rows)), te) for _, te in
                 GroupKFold(n_splits=10).split(vecs, labels, questions)]
    out = [""] * len(rows)
    picked = []
    for held in folds:
        train = ~held
        which, _, rank = variant.partition(":")
        pair = np.zeros((len(rows), 1)) if variant == "none" else \
            low_rank(vecs, train, int(rank), which) if rank else pair_block(vecs, which)
        said, al = fit_and_judge(feats, labels, splits, pair, train, alphas, c)
        picked.append(al)
        for i in np.where(held)[0]:
            out[i] = said[i]
    return out, picked


def report(path: Path, variants: list[str], alphas: list[float], c: float) -> None:
    data = pickle.loads(path.read_bytes())
    rows = data["rows"]
    for variant in variants:
        for by in ("split", "question"):
            out, picked = evaluate(data, variant, alphas if variant != "none" else [0.0], c, by)
            hits = [o == r["label"] for o, r in zip(out, rows, strict=True)]
            per = {s: (sum(h for h, r in zip(hits, rows, strict=True) if r["split"] == s),
                       sum(r["split"] == s for r in rows)) for s in fq.DEV_SPLITS}
            mean10 = float(np.mean([per[s][0] / per[s][1] for s in NEWEST]))
            print(f"{variant:>14} leave-one-{by:<8} C {c}: {sum(hits) / len(hits):.3f} ({sum(hits)}/{len(hits)}) "
                  f"mean test5-14 {mean10:.3f}  alphas {sorted(set(picked))}", flush=True)
            print("    " + ", ".join(f"{s} {h}/{n}" for s, (h, n) in per.items()), flush=True)


def auc(path: Path, alpha: float, c: float) -> None:
    """How well each boundary's logit, fitted without the split, ranks that split's answers the rules leave to the
    score (ROC AUC, out of fold): the signals alone, the signals with the 768-d head, and the head alone."""
    from sklearn.metrics import roc_auc_score
    data = pickle.loads(path.read_bytes())
    rows, feats = data["rows"], data["feats"]
    x = np.array([[getattr(f, s) for s in SIGNALS] for f in feats])
    pair = pair_block(data["vecs"], "expected")
    labels = np.array([fq.RANK[r["label"]] for r in rows])
    splits = np.array([r["split"] for r in rows])
    scored = np.array([f.ruled() is None for f in feats])
    for name, bound in (("at least partial", 1), ("correct", 2)):
        y = (labels >= bound).astype(int)
        for held in NEWEST[-5:]:
            tr, te = scored & (splits != held), scored & (splits == held)
            out = []
            for xs, ps, al in ((x, pair[:, :1] * 0, 0.0), (x, pair, alpha), (x[:, :0], pair, 1.0)):
                if xs.shape[1] == 0:   # the head alone: a plain L2 logistic on the standardised pair features
                    sp = StandardScaler().fit(ps[tr])
                    m = LogisticRegression(C=c * alpha ** 2, solver="newton-cholesky").fit(sp.transform(ps[tr]), y[tr])
                    out.append(roc_auc_score(y[te], m.decision_function(sp.transform(ps[te]))))
                else:
                    h = Head(xs[tr], ps[tr], y[tr], al, c)
                    out.append(roc_auc_score(y[te], h.model.decision_function(h.design(xs[te], ps[te]))))
            print(f"{name:>16} {held:>6} ({te.sum()} scored): signals {out[0]:.3f}, + head {out[1]:.3f}, "
                  f"head alone {out[2]:.3f}", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--variants", default="none,expected")
    ap.add_argument("--alphas", default="0,0.01,0.03,0.1,0.3")
    ap.add_argument("--C", type=float, default=fq.REGULARISATION)
    ap.add_argument("--auc", action="store_true", help="the boundaries' out-of-split ROC AUC on test10-test14")
    args = ap.parse_args()
    if not args.report and not args.auc or not args.cache.exists():
        cache(args.cache)
    if args.auc:
        auc(args.cache, float(args.alphas.split(",")[0]), args.C)
    if args.report:
        report(args.cache, args.variants.split(","), [float(a) for a in args.alphas.split(",")], args.C)
