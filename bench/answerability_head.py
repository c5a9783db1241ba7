"""A learned answerability head on the frozen MiniLM vectors: does it refuse near misses the current decision
answers, without refusing answerable questions? (issue 9ah; DEV data only)

    python bench/answerability_head.py collect [--out /tmp/i9ah-feats.npz]
    python bench/answerability_head.py fit [--feats /tmp/i9ah-feats.npz] [--variants cos,s1,mean3,s1q] [--show 10]

`collect` routes every dev question the way `POST /ask` does (`evaluation.evaluate.Harness`, the index the settings
point at) and answers it extractively, so each row's `grounded` is the served decision. For each searched question
(not the plan route) it stores: the question vector q (the retriever's search text, embedded by the index's embedder,
unit length), the stored unit vectors of the 5 sentences closest to q among the top-5 passages' sentences, their
cosines, the 5 abstention signals and the confidence, the label (unanswerable vs answerable / cross-week), the dev
file (one writer each) and a page group (the first gold URL of an answerable question, the top hit's URL of an
unanswerable one: a near miss is about the page it nearly hits).

`fit` reads the cache and, per feature variant, estimates honestly with two outer splits: leave-one-FILE-out (18
files) and page-grouped folds (10, by the page group). Inside each outer training fold, the L2 strength C is chosen
by inner 5-fold grouped CV (the same grouping; the AUC of the out-of-fold scores among the answered questions), and
the threshold t is fitted on those out-of-fold scores to the budget: among the questions the current decision
answers, refuse P(unanswerable) > t, with the most unanswerable newly refused such that newly refused answerable <=
1 per 3 newly refused unanswerable. The head is a class-balanced L2 logistic over standardised features
(scikit-learn, bench only). Reported per variant: pooled newly refused unanswerable / answerable over the held-out
folds, per file, files improved / worsened, and the AUC of the head alone vs the current confidence (all searched
questions, and among the currently answered ones).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

TOP = 5  # sentences kept per question
FEATS = Path("/tmp/i9ah-feats.npz")


# ---------------------------------------------------------------- collect
def collect(out: Path) -> None:
    from api import conversation
    from evaluation.evaluate import DEV, Harness, evaluate_question, load_questions
    from vectorstore.embeddings import l2_normalise

    harness = Harness.open()
    retriever = harness.retriever
    captured: list = []

    def route(question: str, week: int | None, top_k: int):
        resolved = conversation.resolve(retriever, question, [], week, top_k, plan=harness.planned)
        if not captured:
            captured.append(resolved.retrieval)
        return resolved.answer_question(generated=False), resolved.retrieval

    q_vecs, s_vecs, s_cos, sigs, conf, label, grounded, files, groups, rows = [], [], [], [], [], [], [], [], [], []
    for path in DEV:
        for q in load_questions(path):
            captured.clear()
            row = evaluate_question(route, harness.answerer.answer, q, 5, True)
            top = captured[0]
            if row["route"] != "search":
                continue
            qv = l2_normalise(np.asarray(retriever.embedder.embed([top.query]), dtype=np.float32))[0]
            sents: dict[str, np.ndarray] = {}
            for h in top.hits[:5]:
                sents.update(h.vectors)
            mat = (np.asarray(list(sents.values()), dtype=np.float32) if sents
                   else np.zeros((0, qv.shape[0]), dtype=np.float32))
            cos = mat @ qv if len(mat) else np.zeros(0, dtype=np.float32)
            order = np.argsort(-cos)[:TOP]
            sv = np.zeros((TOP, qv.shape[0]), dtype=np.float32)
            sc = np.full(TOP, -1.0, dtype=np.float32)  # a missing sentence: cosine -1, vector 0
            sv[:len(order)], sc[:len(order)] = mat[order], cos[order]
            unanswerable = q.get("kind") == "unanswerable"
            q_vecs.append(qv)
            s_vecs.append(sv)
            s_cos.append(sc)
            sigs.append(top.signals or [0.0] * 5)
            conf.append(top.confidence)
            label.append(unanswerable)
            grounded.append(bool(row["grounded"]))
            files.append(path.stem.replace("_questions", ""))
            groups.append(row["urls"][0] if unanswerable and row["urls"] else (q.get("gold_urls") or [""])[0])
            rows.append({"id": q.get("id"), "question": q["question"], "kind": q.get("kind", "answerable"),
                         "gap": row.get("gap"), "answer_kind": row.get("answer_kind")})
    np.savez_compressed(out, q=np.asarray(q_vecs), s=np.asarray(s_vecs), cos=np.asarray(s_cos),
                        signals=np.asarray(sigs, dtype=np.float32), confidence=np.asarray(conf, dtype=np.float32),
                        label=np.asarray(label), grounded=np.asarray(grounded), writer=np.asarray(files),
                        group=np.asarray(groups), rows=np.asarray([json.dumps(r) for r in rows]))
    print(f"{len(label)} searched dev questions ({sum(label)} unanswerable, {sum(grounded)} answered) -> {out}")


# ---------------------------------------------------------------- features
def features(d: dict[str, np.ndarray], variant: str) -> np.ndarray:
    """The head's inputs for one variant: `cos` the 5 signals and the top-5 sentence cosines; `s1` adds q*s1 and
    |q - s1| for the best sentence s1; `mean3` adds their mean over the best 3 sentences; `s1q` adds q itself to s1
    (what the question is about and how it is phrased: the page-grouped folds say whether that transfers); `q` adds
    q alone (the question without its evidence)."""
    q, s, cos, sig = d["q"], d["s"], d["cos"], d["signals"]
    base = [sig, cos, np.log1p(np.maximum(cos[:, :1], 0) - np.maximum(cos[:, 1:2], 0) + 1e-6)]
    if variant == "cos":
        return np.hstack(base)
    s1 = s[:, 0]
    pair1 = [q * s1, np.abs(q - s1)]
    if variant == "s1":
        return np.hstack(base + pair1)
    if variant == "mean3":
        prod = (q[:, None, :] * s[:, :3]).mean(axis=1)
        diff = np.abs(q[:, None, :] - s[:, :3]).mean(axis=1)
        return np.hstack(base + [prod, diff])
    if variant == "s1q":
        return np.hstack(base + pair1 + [q])
    if variant == "q":
        return np.hstack([*base, q])
    raise ValueError(f"unknown variant {variant!r}")


# ---------------------------------------------------------------- fitting
CS = (0.0003, 0.001, 0.003, 0.03, 0.3)


def _fit(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=2000)).fit(x, y)


def _folds(groups: np.ndarray, n: int) -> list[np.ndarray]:
    """Held-out index sets: one per distinct group when n is 0 (leave-one-group-out), else n grouped folds."""
    from sklearn.model_selection import GroupKFold

    if n == 0:
        return [np.flatnonzero(groups == g) for g in dict.fromkeys(groups.tolist())]
    n = min(n, len(set(groups.tolist())))  # fewer groups than folds: one group a fold
    return [test for _train, test in GroupKFold(n_splits=n).split(groups, groups=groups)]


def _oof(x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float, n: int) -> np.ndarray:
    p = np.zeros(len(y))
    for test in _folds(groups, n):
        train = np.setdiff1d(np.arange(len(y)), test)
        p[test] = _fit(x[train], y[train], c).predict_proba(x[test])[:, 1]
    return p


def auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else float("nan")


def threshold(p: np.ndarray, y: np.ndarray, answered: np.ndarray, ratio: float = 3.0) -> float:
    """The t refusing the most unanswerable among the answered questions with P > t, at most 1 answerable per
    `ratio` unanswerable newly refused (1.0 + : refuse nothing when no t keeps the budget)."""
    pa, ya = p[answered], y[answered]
    best_t, best_u = 1.01, 0
    for t in np.unique(pa):
        refused = pa > t
        u, a = int((refused & ya).sum()), int((refused & ~ya).sum())
        if u > best_u and ratio * a <= u:
            best_t, best_u = float(t), u
    return best_t


def outer(x: np.ndarray, d: dict[str, np.ndarray], by: str, inner_n: int, outer_n: int,
          answered_only: bool = False) -> dict:
    """Held-out head probabilities and thresholds under one outer split (`by`: the "writer" (file) or "group" key);
    `answered_only`: the head is fitted on the questions the current decision answers only (the ones it can change)."""
    y, answered, groups = d["label"], d["grounded"], d[by]
    p = np.zeros(len(y))
    refuse = np.zeros(len(y), dtype=bool)
    chosen = []
    for test in _folds(groups, outer_n):
        train = np.setdiff1d(np.arange(len(y)), test)
        if answered_only:
            train = train[answered[train]]
        oofs = {c: _oof(x[train], y[train], groups[train], c, inner_n) for c in CS}
        acts = answered[train]  # C is chosen by the AUC among the questions the head can change
        c = max(CS, key=lambda c: auc(y[train][acts], oofs[c][acts]))
        t = threshold(oofs[c], y[train], answered[train])
        p[test] = _fit(x[train], y[train], c).predict_proba(x[test])[:, 1]
        refuse[test] = answered[test] & (p[test] > t)
        chosen.append((c, round(t, 3)))
    return {"p": p, "refuse": refuse, "chosen": chosen}


def summary(name: str, res: dict, d: dict[str, np.ndarray]) -> dict:
    y, answered, files = d["label"], d["grounded"], d["writer"]
    refuse = res["refuse"]
    per_file = {}
    for f in dict.fromkeys(files.tolist()):
        m = files == f
        per_file[f] = (int((refuse & y & m).sum()), int((refuse & ~y & m).sum()))
    u, a = int((refuse & y).sum()), int((refuse & ~y).sum())
    better = sum(1 for fu, fa in per_file.values() if fu > 3 * fa)
    worse = sum(1 for fu, fa in per_file.values() if fu < 3 * fa)
    # how the answered questions the held-out head scores highest split: unanswerable / answerable in the top n
    order = np.flatnonzero(answered)[np.argsort(-res["p"][answered])]
    top = {n: (int(y[order[:n]].sum()), int(n - y[order[:n]].sum())) for n in (10, 20, 40, 80)}
    return {"split": name, "new_unans": u, "new_ans": a, "files_better": better, "files_worse": worse,
            "per_file": per_file, "top": top, "auc_head": round(auc(y, res["p"]), 3),
            "auc_head_answered": round(auc(y[answered], res["p"][answered]), 3), "chosen": res["chosen"]}


SCALARS = ["dense", "dense_gap", "lexical", "coverage", "agree", *(f"cos{i + 1}" for i in range(TOP)), "log gap12"]


def explain(d: dict[str, np.ndarray], variant: str, c: float = 0.003) -> None:
    """What a head fitted on all of dev (in-sample: descriptive only) responds to: the standardised weights of the
    scalar features, the size of each vector block's weights, and its mean score by asked kind among the answered."""
    x, y = features(d, variant), d["label"]
    model = _fit(x, y, c)
    w = model[-1].coef_[0]
    n = len(SCALARS)
    print(f"explain {variant} (C={c}, in-sample, dev): scalar weights (standardised, + = unanswerable):")
    print("   ", ", ".join(f"{name} {v:+.3f}" for name, v in zip(SCALARS, w[:n], strict=True)))
    dim = d["q"].shape[1]
    blocks = [w[n + i * dim:n + (i + 1) * dim] for i in range((len(w) - n) // dim)]
    print("    vector blocks, L2 norm of their weights:", ", ".join(f"{np.linalg.norm(b):.3f}" for b in blocks),
          f"(scalars {np.linalg.norm(w[:n]):.3f})")
    p = model.predict_proba(x)[:, 1]
    rows = [json.loads(r) for r in d["rows"]]
    kinds = np.asarray([r.get("answer_kind") or "?" for r in rows])
    answered = d["grounded"]
    print("    mean in-sample P(unanswerable) among the answered, by asked kind: kind n_unans/n_ans P_unans/P_ans")
    for k in sorted(set(kinds[answered].tolist())):
        m = answered & (kinds == k)
        mu, ma = m & y, m & ~y
        if mu.sum():
            print(f"      {k:11} {int(mu.sum()):3}/{int(ma.sum()):4} {p[mu].mean():.2f}/{p[ma].mean():.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", type=Path, default=FEATS)
    f = sub.add_parser("fit")
    f.add_argument("--feats", type=Path, default=FEATS)
    f.add_argument("--variants", default="cos,s1,mean3,s1q")
    f.add_argument("--groups", type=int, default=10, help="page-grouped outer folds")
    f.add_argument("--show", type=int, default=0,
                   help="print this many answered questions each way, highest held-out P first (leave-one-file-out)")
    f.add_argument("--answered-only", action="store_true",
                   help="fit the head on the questions the current decision answers only")
    f.add_argument("--explain", help="a variant to fit on all dev (in-sample) and print what its weights read")
    f.add_argument("--json", type=Path, help="write the results as JSON")
    args = ap.parse_args(argv)
    if args.cmd == "collect":
        collect(args.out)
        return 0
    d = dict(np.load(args.feats))
    y, answered = d["label"], d["grounded"]
    print(f"dev: {len(y)} searched questions, {int(y.sum())} unanswerable; currently answered: "
          f"{int((answered & y).sum())} unanswerable, {int((answered & ~y).sum())} answerable")
    print("head fitted on:", "the answered questions only" if args.answered_only else "every searched question")
    print(f"AUC of the current confidence (dev): all {auc(y, -d['confidence']):.3f}, "
          f"among the answered {auc(y[answered], -d['confidence'][answered]):.3f}")
    results = []
    for variant in filter(None, args.variants.split(",")):
        x = features(d, variant)
        for name, by, inner_n, outer_n in (("leave-one-file-out", "writer", 5, 0),
                                           ("page-grouped", "group", 5, args.groups)):
            res = outer(x, d, by, inner_n, outer_n, args.answered_only)
            s = {"variant": variant, **summary(name, res, d)}
            results.append(s)
            print(f"{variant:6} {name:19} newly refused unanswerable {s['new_unans']:3} / answerable "
                  f"{s['new_ans']:3}; files better {s['files_better']:2} worse {s['files_worse']:2}; AUC head "
                  f"{s['auc_head']:.3f} (answered {s['auc_head_answered']:.3f}); C,t {s['chosen'][:4]}...")
            print("    answered, highest held-out P first: top n -> unanswerable/answerable",
                  " ".join(f"{n}:{u}/{a}" for n, (u, a) in s["top"].items()))
            if name == "leave-one-file-out":
                print("    per file (unans/ans):", " ".join(f"{k}:{u}/{a}" for k, (u, a) in s["per_file"].items()))
            if args.show and name == "leave-one-file-out":
                rows = [json.loads(r) for r in d["rows"]]
                for want, what in ((True, "unanswerable"), (False, "answerable")):
                    idx = np.flatnonzero(answered & (y == want))  # refused at the fold's t or not: the first ones
                    idx = idx[np.argsort(-res["p"][idx])][:args.show]
                    print(f"    answered {what}, highest held-out P first (* refused at the fold's t):")
                    for i in idx:
                        print(f"      {'*' if res['refuse'][i] else ' '}{res['p'][i]:.2f} [{d['writer'][i]}] "
                              f"{rows[i]['question']}")
    if args.explain:
        explain(d, args.explain)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
