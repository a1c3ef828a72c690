"""Present: an Answer as text for a person, or as one JSON object for a program."""

from __future__ import annotations

import json
import textwrap

from ..text.dates import source_and_day
from ..types import Answer

DOCUMENT_URI = "assistant://documents/{doc_id}"  # an indexed document (an MCP resource; a citation with no url)


def url_citations(answer: Answer) -> list[dict]:
    """Each citation in the answer's text in OpenAI's ``url_citation`` shape: ``start_index``/``end_index`` are the
    span of its marker ("[2]") in the text (character offsets), with the article's url (or its document URI) and
    title; beside it our fields: ``n``, ``doc_id``, ``source``, ``published_at``, and ``sentence``, the span of the
    sentence that cites it, with ``supported`` (did the check find it in that passage)."""
    import re

    if answer.refused:
        return []
    by_n = {c.n: c for c in answer.citations}
    out: list[dict] = []
    text, at = answer.answer, 0
    for s in answer.sentences:
        start = text.find(s.text, at)
        if start < 0:
            continue
        at = start + len(s.text)
        for marker in re.finditer(r"\[(\d+)\]", s.text):
            c = by_n.get(int(marker.group(1)))
            if c is None:
                continue
            out.append(
                {
                    "type": "url_citation",
                    "url_citation": {
                        "start_index": start + marker.start(),
                        "end_index": start + marker.end(),
                        "url": c.url or DOCUMENT_URI.format(doc_id=c.doc_id),
                        "title": c.title or "Untitled",
                    },
                    "n": c.n,
                    "doc_id": c.doc_id,
                    "source": c.source,
                    "published_at": c.published_at,
                    "sentence": {"start_index": start, "end_index": at},
                    "supported": s.supported,
                }
            )
    return out


def quote(text: str, width: int = 100, limit: int = 400) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return textwrap.fill(f"“{text}”", width=width, initial_indent="    ", subsequent_indent="     ")


def source_line(n: int, title: str, source: str, published_at: str, url: str) -> str:
    where = source_and_day(source, published_at)
    line = f"[{n}] {title or 'Untitled'}" + (f" — {where}" if where else "")
    return line + (f"\n    {url}" if url else "")


def evidence(answer: Answer, n: int, passage: str) -> str:
    """The sentence of passage [n] that the verifier matched to the answer sentence citing it, marked as an
    excerpt when it is not the whole passage."""
    best = next((s.evidence[n] for s in answer.sentences if n in s.evidence), passage)
    prefix = "… " if not passage.startswith(best) else ""
    suffix = " …" if not passage.rstrip().endswith(best.rstrip()) else ""
    return f"{prefix}{best}{suffix}"


def withheld_why(answer: Answer) -> str:
    """Why a refused answer was withheld, in one clause."""
    if answer.answer_check.check:
        return f"it does not answer the question ({answer.answer_check.reason})"
    return "the passages do not support it"


def sources_text(answer: Answer) -> str:
    if answer.refused and answer.unsupported:
        return "\n".join(
            ["", f"The model's answer was withheld: {withheld_why(answer)}:"] + [f"  - {s}" for s in answer.unsupported]
        )
    if answer.refused or not answer.citations:
        return ""
    lines = ["", "Sources:"]
    for c in answer.citations:
        lines.append(source_line(c.n, c.title, c.source, c.published_at, c.url))
        lines.append(quote(evidence(answer, c.n, c.text)))
    if answer.unsupported:
        lines += ["", "Not supported by the cited passages (check before relying on it):"]
        lines += [f"  - {s}" for s in answer.unsupported]
    return "\n".join(lines)


def plan_text(answer: Answer) -> list[str]:
    """A question across articles: its sub-questions (one per named source, with its date), the passages each
    brought, and how the answer was made."""
    plan = answer.plan
    if plan is None:
        return []
    lines = ["", f"How the question was read: {plan.kind}" + (f" ({' / '.join(plan.options)})" if plan.options else "")]
    if plan.subqueries:
        lines.append("  Sub-questions (retrieved from that source only):")
        for sq in plan.subqueries:
            brought = ", ".join(f"[{n}]" for n in sq.brought) or "nothing in the prompt"
            lines.append(f"  - {quote_line(sq.describe())}\n      brought {brought}")
    if plan.unknown:
        lines.append("  Named as sources, but no indexed article is from them: " + ", ".join(plan.unknown))
    if answer.method:
        lines.append(f"  How the answer was made: {answer.method}")
    return lines


def quote_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def explain_text(answer: Answer) -> str:
    """How the question was read (sub-questions per named source), and how each sentence of the answer was checked
    (``ask --explain``)."""
    lines = plan_text(answer) + ["", "How the answer was checked:"]
    if not answer.sentences:
        lines.append("  the model refused: nothing to check" if answer.refused else "  no sentence to check")
    for s in answer.sentences:
        mark = "supported" if s.supported else f"NOT supported ({s.check}: {s.reason})"
        lines.append(f"  - {s.text}\n      {mark}")
        if s.repaired_from is not None:
            was = ", ".join(f"[{n}]" for n in s.repaired_from) or "no citation"
            lines.append(f"      citation moved: {was} → {', '.join(f'[{n}]' for n in s.cited)}")
    if answer.dropped:
        lines.append("  citations dropped (no such passage): " + ", ".join(f"[{n}]" for n in answer.dropped))
    verdict = answer.answer_check
    if verdict.check:
        lines.append(f"  does it answer the question? no ({verdict.check}: {verdict.reason})")
        if verdict.retried_with and not answer.refused:
            again = ", ".join(f"[{n}]" for n in verdict.retried_with)
            lines.append(
                f"  answered again from the passages that could answer ({again}); the first answer was: "
                + verdict.first_answer
            )
        else:
            lines.append(f"  so the answer was withheld: {verdict.first_answer}")
    elif answer.withheld:
        lines.append("  no sentence was supported, so the answer was withheld")
    return "\n".join(lines)


def answer_text(answer: Answer) -> str:
    return answer.answer + "\n" + sources_text(answer)


def answer_json(answer: Answer) -> str:
    return json.dumps(answer.to_json(), ensure_ascii=False)


def sources_table(rows: list[dict]) -> str:
    if not rows:
        return "No documents indexed."
    lines = []
    for r in rows:
        where = source_and_day(r.get("source", ""), r.get("published_at") or "")
        lines.append(
            f"{r['doc_id']}  {r['chunks']:>3} chunks  {r.get('title') or 'Untitled'}"
            + (f"  ({where})" if where else "")
        )
    return "\n".join(lines)


def passages_text(passages: list) -> str:
    """`assistant search`: each passage with its rank, score, title, source and date, doc id, and its text."""
    if not passages:
        return "No passages."
    lines = []
    for p in passages:
        m = p.metadata
        lines.append(
            f"{source_line(p.n, p.title, m.get('source', ''), m.get('published_at', ''), '')}"
            f"  (score {p.score:.4f}, {p.doc_id})"
        )
        lines.append(quote(p.text, limit=600))
    return "\n".join(lines)


def log_text(rows: list[dict]) -> str:
    """`assistant logs`: each logged question, its checked answer and the sources it cites."""
    if not rows:
        return "No answers logged yet."
    out = []
    for r in rows:
        out.append(f"# {r['datetime_utc'].replace('T', ' ')}  #{r['id']}  {r['model']}")
        out.append(f"Q: {r['asked']}")
        if r["question"] != r["asked"]:
            out.append(f"   (asked as: {r['question']})")
        out.append(f"A: {r['answer']}")
        for c in r["citations"]:
            out.append(
                "   "
                + source_line(c["n"], c["title"], c["source"], c["published_at"], c["url"]).replace(
                    "\n    ", "\n       "
                )
            )
        out.append("")
    return "\n".join(out).rstrip()
