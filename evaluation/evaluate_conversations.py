"""Conversations replayed through the service: `python -m evaluation.evaluate_conversations --conversations
eval/conversations.jsonl [--split dev|test|all] [--k 5] [--json out.json]`.

Each conversation is a few user turns; only the last has gold (`gold_urls`, `must_contain`, `expected_week`,
`kind`). The earlier turns are answered by the system itself, through the same core the routes use
(`api.routes.ask.answer_turn`: the history cleaning, follow-up rewrite, week precedence, retrieval and
answerer), and each answer is replayed as an assistant message, with its Sources list as the OpenAI-compatible
route writes it. The last turn is then asked twice:
- `history`: with the conversation so far (the service's history handling);
- `alone`: the same last question with no history (what the service did before it kept the thread).
Reported per split, overall and per `kind`: gold@k (a gold URL among the k passages retrieved for the answer),
cited (a gold URL among the answer's citations), key facts (the share of `must_contain` phrases in the answer
text, and the share of answers holding all of them), week (the answer's week is `expected_week`), grounded.
URLs are compared as `evaluation.evaluate` compares them. Answers are extractive unless a model is configured.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from api.conversation import STANDALONE_PRIOR, Message, choose, confidence_of
from evaluation.evaluate import norm_url
from vectorstore.retrieve import Retrieval

if TYPE_CHECKING:
    from api.extractive import Citation
    from api.routes.ask import Answered

Row = dict[str, Any]          # a conversation as read, or one scored turn
Ask = Callable[[str, "int | None", int, list[Message]], "Answered"]  # question, week, k, history -> answered
Sources = Callable[[Sequence["Citation"]], str]                       # citations -> a "Sources:" block
Case = tuple[list[Retrieval], list[bool]]                             # the searches of one turn, gold in each

MODES = ("history", "alone")
METRICS = ("gold@k", "cited", "facts", "all_facts", "week", "grounded")


def load(path: str) -> list[Row]:
    """The conversations of a JSONL file (`turns`: the user messages, strings or {"content": ...})."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            conv = json.loads(line)
            turns = [t if isinstance(t, str) else t.get("content", "") for t in conv.get("turns") or []]
            if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
                raise ValueError(f"{path}:{n}: a conversation needs `turns`, a list of user messages")
            out.append({**conv, "turns": turns})
    return out


def replayed(answered: Answered, sources: Sources) -> str:
    """An answer as a client replays it: the text and its Sources list."""
    return str(answered.answer.answer) + sources(answered.answer.citations)


def score(conv: Row, answered: Answered, k: int) -> Row:
    """The last turn's scores."""
    gold = {norm_url(u) for u in conv.get("gold_urls") or []}
    answer = answered.answer
    cited = [norm_url(c.url) for c in answer.citations]
    searched = getattr(answered.retrieval, "hits", None)  # None: a plan answer, made from the roadmap unsearched
    hits = [norm_url(h.meta.get("url", "")) for h in searched[:k]] if searched is not None else cited[:k]
    text = answer.answer.lower()
    facts = [p.lower() in text for p in conv.get("must_contain") or []]
    row = {"id": conv.get("id"), "split": conv.get("split"), "kind": conv.get("kind"), "query": answered.query,
           "week": answer.week, "scope": answer.scope, "grounded": answer.grounded, "urls": hits,
           "answer": answer.answer}
    if gold:
        row["gold@k"] = float(bool(gold.intersection(hits)))
        row["cited"] = float(bool(gold.intersection(cited)))
    if facts:
        row["facts"] = sum(facts) / len(facts)
        row["all_facts"] = float(all(facts))
    if "expected_week" in conv:
        row["week_ok"] = float(answer.week == conv["expected_week"])
    return row


def replay(ask: Ask, conv: Row, k: int, sources: Sources) -> list[Message]:
    """The conversation before its last turn, each earlier turn answered by the system and replayed."""
    history: list[Message] = []
    for question in conv["turns"][:-1]:
        answered = ask(question, conv.get("week"), k, history)
        history += [Message("user", question), Message("assistant", replayed(answered, sources))]
    return history


def run_conversation(ask: Ask, conv: Row, k: int, sources: Sources) -> dict[str, Row]:
    """Replay the earlier turns, then ask the last one with and without the history; the two rows."""
    history, week, last = replay(ask, conv, k, sources), conv.get("week"), conv["turns"][-1]
    return {"history": score(conv, ask(last, week, k, history), k), "alone": score(conv, ask(last, week, k, []), k)}


# ---------------------------------------------------------------- fitting the standalone prior
# What a search's trust is read from when the bare and the standalone query compete: the calibrated confidence
# (its inputs normalised per query) against two raw readings of the dense search, each with its own prior grid.
Scorer = Callable[[Retrieval], float]
SCORERS: dict[str, tuple[Scorer, tuple[float, ...]]] = {
    "confidence": (confidence_of, tuple(round(-0.3 + 0.05 * i, 2) for i in range(19))),          # -0.30 .. 0.60
    "dense_gap": (lambda r: (r.signals or [0.0, 0.0])[1], tuple(round(-0.2 + 0.02 * i, 2) for i in range(31))),
    "dense": (lambda r: (r.signals or [0.0])[0], tuple(round(-0.2 + 0.02 * i, 2) for i in range(31))),
}


def gold_in(retrieval: Retrieval, conv: Row, k: int) -> bool:
    gold = {norm_url(u) for u in conv.get("gold_urls") or []}
    return bool(gold.intersection(norm_url(h.meta.get("url", "")) for h in retrieval.hits[:k]))


def hit_rate(cases: list[Case], prior: float, score: Scorer = confidence_of) -> float:
    """The share of cases whose kept search (`conversation.choose` with this prior) has a gold page."""
    if not cases:
        return 0.0
    return statistics.fmean(golds[choose(retrievals, prior, score)] for retrievals, golds in cases)


def fit_prior(cases: list[Case], folds: int = 5, scorer: str = "confidence") -> Row:
    """k-fold cross-validation of the standalone query's prior on the last turns searched twice (standalone and
    bare), trust read by `scorer`: each fold's prior is the middle of the best priors on the other folds, scored
    on the held-out fold."""
    score, priors = SCORERS[scorer]
    held: list[float] = []
    chosen: list[float] = []
    for f in range(folds):
        train = [c for i, c in enumerate(cases) if i % folds != f]
        test = [c for i, c in enumerate(cases) if i % folds == f]
        rates = [hit_rate(train, p, score) for p in priors]
        best = [p for p, r in zip(priors, rates, strict=True) if r == max(rates)]
        prior = best[len(best) // 2]
        chosen.append(prior)
        held += [float(golds[choose(retrievals, prior, score)]) for retrievals, golds in test]
    whole = {p: round(hit_rate(cases, p, score), 3) for p in priors}
    return {"scorer": scorer, "cases": len(cases), "folds": folds, "fold_priors": chosen,
            "cv_gold@k": round(statistics.fmean(held), 3) if held else None,
            "current": {"prior": STANDALONE_PRIOR, "gold@k": round(hit_rate(cases, STANDALONE_PRIOR), 3)}
            if scorer == "confidence" else None,
            "standalone_only": round(statistics.fmean(g[0] for _r, g in cases), 3) if cases else None,
            "bare_only": round(statistics.fmean(g[-1] for _r, g in cases), 3) if cases else None,
            "whole_split": whole}


def summarise(rows: list[Row]) -> Row:
    out: Row = {"conversations": len(rows)}
    for metric, key in (("gold@k", "gold@k"), ("cited", "cited"), ("facts", "facts"), ("all_facts", "all_facts"),
                        ("week", "week_ok"), ("grounded", "grounded")):
        values = [float(r[key]) for r in rows if key in r]
        if values:
            out[metric] = round(statistics.fmean(values), 3)
    return out


def report(results: list[dict[str, Row]]) -> Row:
    """Per split (and all), per mode: overall and per kind."""
    out: Row = {}
    splits = sorted({r["history"]["split"] or "none" for r in results})
    for split in [*splits, "all"] if len(splits) > 1 else splits:
        chosen = [r for r in results if split == "all" or (r["history"]["split"] or "none") == split]
        kinds = sorted({r["history"]["kind"] or "none" for r in chosen})
        out[split] = {mode: {"overall": summarise([r[mode] for r in chosen]),
                             "per_kind": {kind: summarise([r[mode] for r in chosen
                                                           if (r[mode]["kind"] or "none") == kind])
                                          for kind in kinds}}
                      for mode in MODES}
    return out


def table(split: str, runs: Row) -> str:
    cols = ["conversations", *METRICS]
    lines = [f"{split}", f"{'':<28}" + "".join(f"{c:>15}" for c in cols)]
    kinds = list(runs["history"]["per_kind"])
    for name in ["overall", *kinds]:
        for mode in MODES:
            summary = runs[mode]["overall"] if name == "overall" else runs[mode]["per_kind"][name]
            label = f"{name} ({mode})"
            lines.append(f"{label:<28}" + "".join(f"{summary.get(c, ''):>15}" for c in cols))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evaluation.evaluate_conversations",
                                 description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--conversations", required=True,
                    help="JSONL: turns, split, gold_urls, must_contain, expected_week, kind")
    ap.add_argument("--split", default="all", help="dev, test or all (default)")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--json", help="also write every conversation's rows and the summary here")
    ap.add_argument("--fit-prior", action="store_true",
                    help="instead, cross-validate the standalone query's prior (STANDALONE_PRIOR) on the split")
    ap.add_argument("--folds", type=int, default=5, help="folds for --fit-prior (default 5)")
    args = ap.parse_args(argv)

    from api.app import build_services
    from api.metrics import Metrics
    from api.routes.ask import answer_turn, resolve
    from api.routes.openai_compat import sources_block
    from errors import RoadmapAssistantError
    from settings import Settings

    try:
        conversations = [c for c in load(args.conversations) if args.split == "all" or c.get("split") == args.split]
        if not conversations:
            raise ValueError(f"no conversations in {args.conversations} for split {args.split!r}")
        settings = Settings()
        services = build_services(settings, Metrics())
        target = settings.roadmap_url or "/roadmap"

        def ask(question: str, week: int | None, k: int, history: list[Message]) -> Answered:
            return answer_turn(services, question, week, k, history, target)

        if args.fit_prior:
            cases: list[Case] = []
            for c in conversations:
                resolved = resolve(services, c["turns"][-1], replay(ask, c, args.k, sources_block), c.get("week"),
                                   args.k)
                if len(resolved.candidates) > 1:
                    cases.append((resolved.candidates, [gold_in(r, c, args.k) for r in resolved.candidates]))
            for scorer in SCORERS:
                print(json.dumps(fit_prior(cases, args.folds, scorer)))
            return 0
        results = [run_conversation(ask, c, args.k, sources_block) for c in conversations]
    except (RoadmapAssistantError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    summary = report(results)
    mode = "model" if services.condenser is not None else "rule"
    print(f"{len(results)} conversations, k={args.k}, index version {services.retriever.version}, "
          f"follow-ups rewritten by the {mode}, answers {'generated' if services.answerer.llm else 'extractive'}")
    for split, runs in summary.items():
        print()
        print(table(split, runs))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"k": args.k, "version": services.retriever.version, "summary": summary,
                       "conversations": results},
                      f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
