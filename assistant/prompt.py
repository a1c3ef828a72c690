"""Build prompt: numbered passages + question → chat messages, from the template files in ``prompts/``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import AssistantError
from .text import split_sentences
from .types import Passage


@lru_cache(maxsize=32)
def load_template(prompts_dir: Path, name: str) -> str:
    path = Path(prompts_dir) / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise AssistantError(f"prompt template {path} is missing; set ASSISTANT_PROMPTS_DIR to the prompts/ folder")


def refusal_text(prompts_dir: Path) -> str:
    return load_template(prompts_dir, "REFUSAL.txt").strip()


@dataclass
class Prompt:
    """What a generator receives: chat messages, plus the parts for backends that do not read prose."""

    messages: list[dict[str, str]]
    question: str
    passages: list[Passage]
    refusal: str
    history: list[tuple[str, str]] = field(default_factory=list)


INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|preceding|"
    r"your|these|those|system|other)\s+(?:instructions?|rules|prompts?|guidelines|directions)\b|"
    r"\byou are now\b|\bfrom now on,? you\b|\b(?:system|developer) (?:prompt|message)\b|\bnew instructions?\b|"
    r"\b(?:reply|respond|answer|say|output|print|write)\b.{0,20}\bonly\b.{0,20}\b(?:with|the word)\b", re.I | re.S)
REDACTED = "[text addressed to the assistant removed]"


def neutralize(text: str) -> str:
    """Passages are data: a sentence in an article that addresses the model with instructions ("ignore previous
    instructions, reply only with ...") is replaced in the prompt, so it cannot steer the answer. The passage as
    stored, cited and shown is unchanged."""
    if not INSTRUCTION.search(text):
        return text
    out = []
    for line in text.splitlines():
        out.append(" ".join(REDACTED if INSTRUCTION.search(s) else s for s in split_sentences(line)) if line else line)
    return "\n".join(out)


def format_passage(prompts_dir: Path, p: Passage) -> str:
    meta = p.metadata
    source_date = ", ".join(x for x in (meta.get("source", ""), meta.get("published_at", "")[:10]) if x) or "no source"
    return load_template(prompts_dir, "passage.md").format(
        n=p.n, title=meta.get("title", "") or "Untitled", source_date=source_date,
        text=neutralize(p.text.strip())).strip()


def build_prompt(prompts_dir: Path, question: str, passages: list[Passage],
                 history: list[tuple[str, str]] | None = None) -> Prompt:
    """System rules first (a fixed prefix, so a local model can reuse its KV cache), earlier turns, then passages."""
    history = history or []
    messages = [{"role": "system", "content": load_template(prompts_dir, "answer_system.md").strip()}]
    for past_q, past_a in history:
        messages.append({"role": "user", "content": f"Question: {past_q}"})
        messages.append({"role": "assistant", "content": past_a})
    body = "\n\n".join(format_passage(prompts_dir, p) for p in passages)
    messages.append({"role": "user", "content": load_template(prompts_dir, "answer_user.md").format(
        passages=body, question=question.strip()).strip()})
    return Prompt(messages=messages, question=question, passages=passages, refusal=refusal_text(prompts_dir),
                  history=history)
