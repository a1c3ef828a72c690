"""Metrics: the per-question scoring functions, and ``METRICS``, the one table of what a run reports.

Each row of ``METRICS`` names a metric, defines it, says over which questions it is computed and how it aggregates
and whether higher or lower is better; aggregation, the ``--fail-under``/``--fail-over`` gates, report.md and
report.png all read it, so a metric is added in one place. Each definition comes from a published anchor:

- answer accuracy: a gold answer occurs in the answer (RGB, Chen et al. 2024), normalised; token F1 (SQuAD); both in
  ``matching``.
- answer relevancy, context precision / recall: RAGAS's, computed offline (``scoring``).
- citation recall / precision: ALCE (Gao et al., 2023), with a pluggable support judge.
- faithfulness: share of answer claims supported by the retrieved context (RAGAS, Es et al., 2023).
- hits@k, map@10, mrr@10: MultiHop-RAG (Tang & Yang, 2024): a retrieved chunk is relevant when it contains a gold
  fact, spaces and newlines removed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from collections.abc import Callable

from .matching import (  # noqa: F401  (the answer-matching names are part of this module's interface)
    answer_correct,
    answer_verdict,
    contains,
    gold_verdict,
    is_verdict,
    normalize,
    token_f1,
)

Judge = Callable[[str, list[str]], bool]  # (claim, passages) → supported?


def citation_scores(sentences: list[tuple[str, list[int]]], passages: dict[int, str], judge: Judge) -> dict:
    """ALCE citation recall and precision for one answer: sentences with their cited passage numbers."""
    if not sentences:
        return {}
    entailed = 0
    precise = 0
    total_citations = 0
    for claim, cited in sentences:
        refs = [n for n in cited if n in passages]
        total_citations += len(refs)
        joint = bool(refs) and judge(claim, [passages[n] for n in refs])
        entailed += joint
        if joint and len(refs) > 1:
            for n in refs:
                if judge(claim, [passages[n]]):
                    precise += 1
                elif not judge(claim, [passages[m] for m in refs if m != n]):
                    precise += 1  # needed together with the others
        else:
            precise += joint * len(refs)
    out = {"citation_recall": entailed / len(sentences)}
    if total_citations:
        out["citation_precision"] = precise / total_citations
    return out


def faithfulness(claims: list[str], context: list[str], judge: Judge) -> float | None:
    if not claims:
        return None
    return sum(judge(c, context) for c in claims) / len(claims)


def context_precision(relevant: list[bool]) -> float:
    """RAGAS context precision for one question: the passages in retrieval order, each relevant or not; the mean
    of precision@k over the ranks k that hold a relevant passage (0 when none does)."""
    hits, total = 0, 0.0
    for k, rel in enumerate(relevant, 1):
        if rel:
            hits += 1
            total += hits / k
    return total / hits if hits else 0.0


def squash(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")


def retrieval_scores(ranked_texts: list[str], facts: list[str]) -> dict:
    """MultiHop-RAG's retrieval_evaluate.py, per question: hits@4 / hits@10 (1 when any top-k chunk holds a gold
    fact), AP@10 (at each relevant rank, the gold facts first found there / rank, summed, over min(#facts, 10)),
    RR@10; plus ours: evidence_recall@4 / @10, the share of gold facts found in the top 4 / 10, and all_evidence@10
    (1 when every gold fact is in the top 10: a multi-hop answer needs them all)."""
    if not facts:
        return {}
    gold = [squash(f) for f in facts]
    chunks = [squash(t) for t in ranked_texts[:10]]
    found: list[str] = []
    found_by_4 = 0
    ap, first, hit4 = 0.0, None, False
    for rank, chunk in enumerate(chunks, 1):
        if any(f in chunk for f in gold):
            first = first or rank
            hit4 = hit4 or rank <= 4
            new = [f for f in gold if f in chunk and f not in found]
            found.extend(new)
            ap += len(new) / rank
        if rank == 4:
            found_by_4 = len(set(found))
    if len(chunks) < 4:
        found_by_4 = len(set(found))
    distinct = len(set(gold))
    return {
        "hits@4": float(hit4),
        "hits@10": float(first is not None),
        "map@10": ap / min(len(gold), 10),
        "mrr@10": 1 / first if first else 0.0,
        "evidence_recall@4": found_by_4 / distinct,
        "evidence_recall@10": len(set(found)) / distinct,
        "all_evidence@10": float(len(set(found)) == distinct),
    }


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


CONFLICT = re.compile(
    r"\b(incorrect|inaccurate|factual errors?|misinformation|conflict\w*|contradict\w*|"
    r"not (?:true|correct|accurate)|false)\b",
    re.I,
)


def flags_conflict(answer: str) -> bool:
    return bool(CONFLICT.search(answer))


# ---- the table


def answerable(row: dict) -> bool:
    """A question with a gold answer (an answers file without gold leaves it unknown: None, neither kind)."""
    return row["gold"]["unanswerable"] is False


def unanswerable(row: dict) -> bool:
    return row["gold"]["unanswerable"] is True


def everyone(row: dict) -> bool:
    return True


@dataclass(frozen=True)
class Metric:
    name: str
    definition: str
    population: str  # the questions it is computed over, in words
    key: str | None  # the per-question value in results.jsonl's "metrics"; None: from judge calibration
    where: Callable[[dict], bool] = everyone  # the population, as a filter on result rows
    aggregate: str = "mean"  # mean | p50 | p95
    better: str = "higher"  # or "lower"
    rate: bool = True  # a share in [0, 1] (charted on one axis)
    by_type: bool = False  # a column of the per-question-type table


METRICS: tuple[Metric, ...] = (
    Metric(
        "answer_accuracy",
        "answerable questions whose answer contains a gold answer (normalised; RGB's rule); a yes/no gold: the "
        "answer's first yes/no word",
        "answerable questions",
        "correct",
        by_type=True,
    ),
    Metric(
        "correct_and_cited",
        "answerable questions answered correctly AND citing a passage that holds a gold answer (a yes/no verdict: "
        "citing any passage)",
        "answerable questions",
        "correct_and_cited",
        by_type=True,
    ),
    Metric("token_f1", "best token F1 of the answer against a gold answer (SQuAD)", "answerable questions", "token_f1"),
    Metric(
        "rejection_rate",
        "unanswerable questions answered with a refusal",
        "unanswerable questions",
        "refused",
        where=unanswerable,
        by_type=True,
    ),
    Metric(
        "answered_from_negatives",
        "rejection mode: questions answered correctly, citing a left-in passage that states the gold answer "
        "(RGB's 'negatives' sometimes do)",
        "rejection-mode questions",
        "answered_from_negatives",
        where=unanswerable,
    ),
    Metric(
        "refused_or_answered_from_negatives",
        "rejection mode: refused, or answered correctly from a passage that states the answer",
        "rejection-mode questions",
        "refused_or_answered_from_negatives",
        where=unanswerable,
    ),
    Metric(
        "false_refusal_rate",
        "answerable questions refused",
        "answerable questions",
        "refused",
        where=answerable,
        better="lower",
        by_type=True,
    ),
    Metric(
        "citation_recall",
        "answer sentences supported by their cited passages together (ALCE)",
        "answered questions",
        "citation_recall",
        by_type=True,
    ),
    Metric(
        "citation_precision",
        "citations that are not irrelevant to their sentence (ALCE)",
        "answered questions with a citation",
        "citation_precision",
        by_type=True,
    ),
    Metric(
        "faithfulness",
        "answer claims supported by the retrieved passages (RAGAS)",
        "answered questions",
        "faithfulness",
        by_type=True,
    ),
    Metric(
        "answer_relevancy",
        "cosine similarity of the answer (citations removed) and the question in the embedder's space (RAGAS's "
        "answer relevancy, offline: no questions generated back from the answer)",
        "answered questions",
        "answer_relevancy",
    ),
    Metric(
        "context_precision",
        "RAGAS context precision: the given passages in retrieval order, mean precision@k at each relevant one; a "
        "passage is relevant when the judge finds it supports a reference claim (a gold evidence fact, else the "
        "question with its gold answer)",
        "answerable questions with passages and a non-yes/no gold answer or evidence",
        "context_precision",
    ),
    Metric(
        "context_recall",
        "RAGAS context recall: reference claims (gold evidence facts, else the question with its gold answer) the "
        "given passages support together, by the judge",
        "answerable questions with passages and a non-yes/no gold answer or evidence",
        "context_recall",
    ),
    Metric(
        "hits@4",
        "questions with a chunk holding a gold fact in the top 4 (MultiHop-RAG)",
        "answerable questions with evidence",
        "hits@4",
        by_type=True,
    ),
    Metric(
        "hits@10",
        "questions with a chunk holding a gold fact in the top 10 (MultiHop-RAG)",
        "answerable questions with evidence",
        "hits@10",
        by_type=True,
    ),
    Metric(
        "map@10",
        "mean average precision of the top 10 chunks (MultiHop-RAG's script)",
        "answerable questions with evidence",
        "map@10",
    ),
    Metric(
        "mrr@10",
        "reciprocal rank of the first chunk holding a gold fact (MultiHop-RAG)",
        "answerable questions with evidence",
        "mrr@10",
    ),
    Metric(
        "evidence_recall@4",
        "share of a question's gold facts found in the top 4 chunks",
        "answerable questions with evidence",
        "evidence_recall@4",
    ),
    Metric(
        "evidence_recall@10",
        "share of a question's gold facts found in the top 10 chunks",
        "answerable questions with evidence",
        "evidence_recall@10",
    ),
    Metric(
        "all_evidence@10",
        "questions with every gold fact in the top 10 chunks (all are needed for multi-hop)",
        "answerable questions with evidence",
        "all_evidence@10",
        by_type=True,
    ),
    Metric(
        "fake_answer_rate",
        "counterfactual: answers repeating the planted fake answer",
        "counterfactual questions with a fake answer",
        "fake_answer",
        better="lower",
    ),
    Metric(
        "conflict_flag_rate",
        "counterfactual: answers that flag the passages as wrong or conflicting",
        "counterfactual questions with a fake answer",
        "conflict_flagged",
    ),
    Metric(
        "rewrite_exact",
        "follow-up sets: the rewrite is the expected standalone question (normalised words)",
        "follow-ups",
        "rewrite_exact",
        by_type=True,
    ),
    Metric(
        "rewrite_resolved",
        "follow-up sets: a follow-up that needs it was rewritten and names its referent (every must_contain phrase)",
        "follow-ups that need rewriting",
        "rewrite_resolved",
        by_type=True,
    ),
    Metric(
        "standalone_kept",
        "follow-up sets: a question that already stands alone came back unchanged",
        "follow-ups that stand alone",
        "standalone_kept",
        by_type=True,
    ),
    Metric(
        "rewrite_token_f1",
        "follow-up sets: token F1 of the rewrite against the expected standalone question",
        "follow-ups",
        "rewrite_token_f1",
    ),
    Metric(
        "latency_ms_p50",
        "median time per question (retrieve + generate + verify), ms",
        "all questions",
        "latency_ms",
        aggregate="p50",
        better="lower",
        rate=False,
    ),
    Metric(
        "latency_ms_p95",
        "95th percentile time per question, ms",
        "all questions",
        "latency_ms",
        aggregate="p95",
        better="lower",
        rate=False,
    ),
    Metric(
        "judge_accuracy",
        "the judge's accuracy on labelled (claim, passages, supported?) pairs",
        "labelled judge pairs",
        None,
    ),
    Metric(
        "judge_precision", "of the pairs the judge calls supported, the share that are", "labelled judge pairs", None
    ),
    Metric("judge_recall", "of the supported pairs, the share the judge calls supported", "labelled judge pairs", None),
)
BY_NAME = {m.name: m for m in METRICS}


def aggregate(rows: list[dict]) -> dict:
    """Counts, then every metric of the table that at least one row could give (a metric with no population is
    left out, not reported as 0)."""
    out: dict = {"n": len(rows), "n_answerable": sum(map(answerable, rows))}
    out["n_unanswerable"] = sum(map(unanswerable, rows))
    if out["n"] > out["n_answerable"] + out["n_unanswerable"]:
        out["n_ungraded"] = out["n"] - out["n_answerable"] - out["n_unanswerable"]  # an answers file without gold
    for m in METRICS:
        if m.key is None:
            continue
        values = [float(r["metrics"][m.key]) for r in rows if r["metrics"].get(m.key) is not None and m.where(r)]
        if not values:
            continue
        out[m.name] = mean(values) if m.aggregate == "mean" else percentile(values, int(m.aggregate[1:]) / 100)
    return out


def gate_failures(summary: dict, fail_under: dict[str, float], fail_over: dict[str, float]) -> list[str]:
    """One line per gate not met; a metric the run could not give fails its gate."""
    failed = []
    for gates, word, bad in ((fail_under, "below", lambda v, t: v < t), (fail_over, "above", lambda v, t: v > t)):
        for name, threshold in gates.items():
            value = summary.get(name)
            if value is None:
                failed.append(f"{name} was not measured in this run (gate {threshold:g})")
            elif bad(value, threshold):
                failed.append(f"{name}={format_value(value)} is {word} {threshold:g}")
    return failed


def unknown_gates(names) -> list[str]:
    return sorted(set(names) - set(BY_NAME))


def format_value(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) <= 1.0 else f"{value:,.0f}"
    return str(value)
