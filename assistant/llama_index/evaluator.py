"""``CitationEvaluator``: this project's verifier as a llama-index evaluator, for any system's ``Response`` (a
``CitationQueryEngine``'s, whose sources read "Source 1: ...", or ours).

- ``mode="citation"`` (ALCE citation recall): each sentence against the passages its [n] markers cite, numbered
  from 1 in the order of the contexts (a sentence citing nothing is not supported);
- ``mode="faithfulness"`` (RAGAS faithfulness): each sentence against all the contexts.

The score is the share of sentences supported; ``passing`` when it reaches ``threshold`` (default: every
sentence); the feedback names each sentence that is not supported and why. A refusal has nothing to check:
``passing`` and ``score`` are None, and the feedback says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from llama_index.core.evaluation import BaseEvaluator, EvaluationResult

SOURCE_LABEL = re.compile(r"^\s*Source \d+:\s*")  # CitationQueryEngine's prefix to each source's text
MODES = ("citation", "faithfulness")


def contexts_of(response: Any) -> list[str]:
    """A Response's sources' texts, each after its date line ("Published 18 November 2023, per Reuters.") when its
    metadata gives the day it was published."""
    from ..answer.dated import dateline
    from ..types import Passage

    out = []
    for node in response.source_nodes:
        text = node.get_content()
        meta = dict(getattr(node, "metadata", None) or getattr(node.node, "metadata", {}) or {})
        line = dateline(Passage(0, "", "", text, 0.0, meta)) if meta.get("published_at") else ""
        out.append(f"{line}\n{text}" if line else text)
    return out


class CitationEvaluator(BaseEvaluator):
    def __init__(self, assistant_or_verifier, mode: str = "citation", threshold: float = 1.0):
        if mode not in MODES:
            raise ValueError(f"unknown mode '{mode}'; use citation or faithfulness")
        self._verifier = getattr(assistant_or_verifier, "verifier", assistant_or_verifier)
        self._mode = mode
        self._threshold = threshold

    def evaluate_response(self, query: str | None = None, response: Any = None, **kwargs: Any) -> EvaluationResult:
        """As llama-index's, with each source's date line before its text when its metadata has one (a dated answer's
        "As of …, per …" sentence is checked against it, as the pipeline checks it)."""
        if response is None:
            return self.evaluate(query=query, response=None, contexts=None, **kwargs)
        return self.evaluate(query=query, response=response.response, contexts=contexts_of(response), **kwargs)

    async def aevaluate_response(
        self, query: str | None = None, response: Any = None, **kwargs: Any
    ) -> EvaluationResult:
        if response is None:
            return await self.aevaluate(query=query, response=None, contexts=None, **kwargs)
        return await self.aevaluate(query=query, response=response.response, contexts=contexts_of(response), **kwargs)

    def _get_prompts(self) -> dict:
        return {}

    def _update_prompts(self, prompts) -> None:
        return None

    async def aevaluate(
        self,
        query: str | None = None,
        response: str | None = None,
        contexts: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        from ..text import is_refusal, split_sentences, strip_citations

        if response is None or contexts is None:
            raise ValueError("CitationEvaluator needs a response and its contexts")
        passages = {i: SOURCE_LABEL.sub("", c) for i, c in enumerate(contexts, 1)}
        given = list(contexts)

        def result(**verdict: Any) -> EvaluationResult:
            return EvaluationResult(query=query, response=response, contexts=given, **verdict)

        if is_refusal(response):
            return result(feedback="a refusal: no claim to check")
        if self._mode == "citation":
            checks = self._verifier.verify(response, passages, repair=False, question=query or "").sentences
            verdicts = [(c.text, c.supported, c.reason) for c in checks]
        else:
            verdicts = []
            for sentence in split_sentences(response):
                claim = strip_citations(sentence)
                if re.search(r"\w", claim):
                    s = self._verifier.supports(claim, list(passages.values()), query or "")
                    verdicts.append((sentence, s.supported, s.reason))
        if not verdicts:
            return result(feedback="no sentence to check")
        score = sum(ok for _, ok, _ in verdicts) / len(verdicts)
        feedback = "\n".join(
            f"supported: {text}" if ok else f"not supported: {text} ({why})" for text, ok, why in verdicts
        )
        return result(score=score, passing=score >= self._threshold, feedback=feedback)
