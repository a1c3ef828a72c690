"""One answer scored against its question: the same function for this pipeline's answers, an answers file's
(``--answers``) and another query engine's (``--query-engine``), so their figures mean the same.

``Reply`` is what scoring reads of an answer, whoever made it: its text, whether it refused, the passages it was
given (numbered as its ``[n]`` markers cite them, in retrieval order), the wider ranking (for hits@k) and its latency;
a part a system did not give is ``None`` and the metrics that need it are not computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from . import metrics as M
from .sets import EvalQuestion

Embed = Callable[[list[str]], list[list[float]]]


@dataclass
class Reply:
    text: str
    refused: bool
    contexts: list[tuple[int, str]] | None  # (n, text) in retrieval order: what the answer was made from
    ranked: list[str] | None = None  # the retrieval ranking (top 10), for the retrieval metrics
    latency_ms: float | None = None
    cites: bool = True  # does the system cite with [n] markers (else the citation metrics are left out)

    @classmethod
    def of_answer(cls, answer, ranked: list) -> Reply:
        """This pipeline's Answer (its passages in the order of the ranking ``ranked``)."""
        from ..answer.dated import dateline

        rank = {p.chunk_id: i for i, p in enumerate(ranked)}
        given = sorted(answer.passages, key=lambda p: rank.get(p.chunk_id, len(rank) + p.n))
        return cls(
            text=answer.answer,
            refused=answer.refused,
            # each passage with where and when it was published, as the model read it: a dated answer's date checks
            contexts=[(p.n, f"{dateline(p)}\n{p.text}".lstrip()) for p in given],
            ranked=[p.text for p in ranked],
            latency_ms=answer.timings_ms["total"],
        )


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def reference_claims(q: EvalQuestion) -> list[str]:
    """What the retrieved passages should support: the gold evidence facts when the set gives them, else the question
    with its gold answer (as the judge's labelled pairs are written); none for a verdict (yes/no) without evidence."""
    if q.evidence:
        return list(q.evidence)
    if q.answers and not M.is_verdict(q.answers):
        return [f"{q.question}: {q.answers[0]}."]
    return []


def score(q: EvalQuestion, reply: Reply, judge, mode: str, embed: Embed | None = None) -> dict:
    """The per-question metrics (``results.jsonl``'s "metrics"); ``METRICS`` aggregates them."""
    from ..text import cited_numbers, split_sentences, strip_citations

    m: dict = {"refused": reply.refused}
    if reply.latency_ms is not None:
        m["latency_ms"] = reply.latency_ms
    numbered = dict(reply.contexts) if reply.contexts is not None else None
    cited = None  # the texts of the passages the answer cites, when it could cite any
    if numbered is not None and reply.cites:
        cited = [numbered[n] for n in dict.fromkeys(cited_numbers(reply.text)) if n in numbered]
    if q.answers:
        m["correct"] = (not reply.refused) and M.answer_correct(reply.text, q.answers)
        m["token_f1"] = 0.0 if reply.refused else M.token_f1(reply.text, q.answers)
        if cited is not None:
            # a verdict (yes/no) is in no passage: correct and citing evidence at all
            m["correct_and_cited"] = m["correct"] and (
                bool(cited) if M.is_verdict(q.answers) else any(M.answer_correct(c, q.answers) for c in cited)
            )
    if q.withheld and mode == "rejection" and cited is not None:
        # RGB's negatives are meant not to hold the answer, but some do: a correct answer citing one that states it
        # is what the tool should say; it is counted apart, and rejection_rate stays RGB's own figure
        m["answered_from_negatives"] = (
            (not reply.refused)
            and M.answer_correct(reply.text, q.withheld)
            and any(M.answer_correct(c, q.withheld) for c in cited)
        )
        m["refused_or_answered_from_negatives"] = reply.refused or m["answered_from_negatives"]
    if q.fake_answers and mode == "counterfactual":
        m["fake_answer"] = (not reply.refused) and M.answer_correct(reply.text, q.fake_answers)
        m["conflict_flagged"] = M.flags_conflict(reply.text)

    def supports(claim: str, texts: list[str]) -> bool:
        return judge.supports(claim, texts, q.question)

    if not reply.refused:
        if numbered is not None:
            if reply.cites:
                sentences = [(strip_citations(s), cited_numbers(s)) for s in split_sentences(reply.text)]
                m.update(M.citation_scores([s for s in sentences if s[0]], numbered, supports))
            m["faithfulness"] = M.faithfulness(judge.claims(q.question, reply.text), list(numbered.values()), supports)
        answer_text = strip_citations(reply.text)
        if embed is not None and answer_text:
            question_vector, answer_vector = embed([q.question, answer_text])
            m["answer_relevancy"] = cosine(question_vector, answer_vector)
    claims = reference_claims(q)
    if reply.contexts and claims and not q.unanswerable:
        texts = [t for _, t in reply.contexts]
        m["context_precision"] = M.context_precision([any(supports(c, [t]) for c in claims) for t in texts])
        m["context_recall"] = sum(supports(c, texts) for c in claims) / len(claims)
    if q.evidence and not q.unanswerable and reply.ranked is not None:
        m.update(M.retrieval_scores(reply.ranked, q.evidence))
    return m
