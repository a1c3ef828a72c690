"""Build prompt: numbered passages + question → chat messages, from the template files in ``prompts/``.

Passages, titles and metadata are untrusted data. The prompt frames them as quoted data: between <passages> and
</passages> (``prompts/answer_user.md``), which the rules (``prompts/answer_system.md``) say is text to answer from,
never instructions, and which no article can close or reopen (those tags are removed from its text). In the prompt's
copy of them (what is stored, cited and shown is
unchanged): Unicode is normalised (legacy stores may hold zero-width tricks), chat-template control tokens
("<|im_start|>") are removed, lines that start like a turn or a prompt line ("SYSTEM: ...", "Answer: ...") are
replaced by a notice, citation-like markers become
"(n)" so no passage can fake another passage's header "[2] ...", sentences that address the model with instructions
are replaced by a notice, and every field is cut to a bound (``max_title_chars``, ``max_passage_chars``) so no article
can overflow the model's context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from ..errors import AssistantError
from ..text import split_sentences
from ..text.sanitize import defuse_citations, fold_confusables, normalize_text
from ..types import Passage

MAX_TITLE_CHARS = 200
MAX_PASSAGE_CHARS = 2000


@lru_cache(maxsize=32)
def load_template(prompts_dir: Path, name: str) -> str:
    path = Path(prompts_dir) / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise AssistantError(
            f"prompt template {path} is missing; set ASSISTANT_PROMPTS_DIR to the prompts/ folder"
        ) from None


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
    # each passage's text as the model saw it (neutralised): what the verifier checks the answer against, so a
    # sentence addressed to the model supports nothing
    seen: dict[int, str] = field(default_factory=dict)


# the same attacks in German, French, Spanish, Italian and Portuguese: "ignore all previous instructions", "answer only
# with", "you are now"
FOREIGN_INSTRUCTION = (
    r"\b(?:ignorier(?:e|en|t)|vergiss|vergessen sie|missachte|ignore[zr]?|oublie[zr]?|ignora(?:r|d)?|olvida|"
    r"dimentica|esque[cç]a)\b[^.]{0,40}\b(?:anweisungen|instruktionen|befehle|vorgaben|regeln|instructions?|consignes|"
    r"instrucciones|[oó]rdenes|istruzioni|regole|instru[cç][oõ]es|regras)\b|"
    r"\b(?:antworte|antworten sie|r[ée]ponds|r[ée]pondez|responde|responda|rispondi|risponda)\b[^.]{0,30}\b(?:nur|"
    r"ausschlie(?:ß|ss)lich|uniquement|seulement|s[oó]lo|solamente|solo|soltanto|apenas|somente)\b|"
    r"\b(?:du bist jetzt|sie sind jetzt|tu es maintenant|vous [eê]tes maintenant|ahora eres|ora sei|"
    r"agora voc[eê] [ée])\b|"
    # Russian ("ignore / forget the previous instructions", "answer only") and Chinese ("ignore ... instructions",
    # "only answer")
    r"(?:игнорируй(?:те)?|забудь(?:те)?|проигнорируй(?:те)?)[^.]{0,40}(?:инструкци|указани|правил|команд)|"
    r"отвечай(?:те)?\s+только|(?:忽略|无视|忘记)[^。]{0,20}(?:指令|指示|说明|规则)|只(?:回答|回复|说)"
)
_MODEL = r"(?:AI|A\.I\.|assistants?|chat ?bots?|language models?|LLMs?|GPTs?|models?)"
INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|of\s+)*(?:previous|prior|above|earlier|"
    r"preceding|your|these|those|system|other|original|initial)\s+(?:instructions?|rules|prompts?|guidelines|"
    r"directions|context|passages?|sources?)\b|"
    r"\byou are now\b|\bfrom now on,? you\b|\b(?:system|developer) (?:prompt|message|override|note|instruction)s?\b|"
    r"\bnew instructions?\b|\bpretend (?:to be|you are|that you)\b|"
    r"\b(?:reply|respond|answer|say|output|print|write)\b.{0,20}\bonly\b.{0,20}\b(?:with|the word)\b|"
    r"\b(?:answer|reply|respond)(?: to)?\s+(?:every|all|each|any)\s+(?:questions?|queries|prompts?)\b|"
    r"\b(?:note|message|instructions?|attention|notice|reminder)\s*(?:to|for)\s*(?:the |any |all )?" + _MODEL + r"\b|"
    r"\b(?:dear|hey|hello|attention|hi)\s*,?\s*(?:the |any |all )?" + _MODEL + r"\b|"
    r"\bif you are (?:an? )?" + _MODEL + r"\b|"
    r"\b" + _MODEL + r"\s+(?:reading|processing|summari[sz]ing|answering|parsing)\b|"
    r"\b(?:when|if) (?:you are |you're )?(?:asked|answering|responding|questioned)\b[^.]{0,120}?"
    r"(?:,\s*|\byou (?:must |should |will |need to )?|\balways |\bjust )(?:say|answer|reply|respond|state|claim|tell|"
    r"write)\b|"
    r"\b(?:you must|you should|you will) (?:answer|reply|respond|say|state|claim|cite|refuse)\b|"
    r"\balways (?:answer|reply|respond|cite)\b|"
    r"\bdo not (?:cite|mention|use|trust|believe|rely on)\b.{0,40}\b(?:passages?|sources?|articles?|other)\b|"
    r"\bthe (?:correct|real|true|only|official) answer (?:is|to|should)\b|"
    # an imperative that opens a sentence: "State that ...", "Say only ...", "Reply with ..."
    r"(?:^|(?<=\n)|(?<=[.!?] ))[ \t]*(?:state|say|claim|report|reply|respond|answer|tell the user)\s+"
    r"(?:that|only|with|the)\b|" + FOREIGN_INSTRUCTION,
    re.I | re.S,
)
REDACTED = "[text addressed to the assistant removed]"
# chat-template tokens, and the tags that frame the passages as quoted data (an article cannot close the frame)
SPECIAL_TOKEN = re.compile(
    r"<\|[^|<>]{0,40}\|>|<\s*/?\s*(?:s|system|user|assistant|im_start|im_end|passages?|article|document)\s*>", re.I
)
# a line that starts like a turn of the conversation or a line of the prompt ("SYSTEM: ...", "[1] Answer: ...")
ROLE_LINE = re.compile(
    r"^[ \t]*(?:[\[(]\d+[\])][ \t]*)?(?:#+[ \t]*)?(?:system|assistant|user|developer|human|question|"
    r"answer|instructions?)[ \t]*:.*$|"
    # a markdown heading that opens a prompt section ("### Instructions", "## System prompt")
    r"^[ \t]*#+[ \t]*(?:system|assistant|developer|instructions?|prompt|rules)"
    r"(?:[ \t]+(?:prompt|message|note))?[ \t]*$",
    re.I | re.M,
)


def neutralize(text: str) -> str:
    """Passages are data: a sentence in an article that addresses the model with instructions ("ignore previous
    instructions, reply only with ...", "Note to AI assistants: ...") is replaced in the prompt, so it cannot steer
    the answer. The passage as stored, cited and shown is unchanged."""
    text = SPECIAL_TOKEN.sub(" ", defuse_citations(normalize_text(text)))
    # the filters read a copy with look-alike letters folded ("Ѕуѕtеm:" is "System:"); the copy has the same offsets
    folded = fold_confusables(text)
    if folded is not text:
        spans = [m.span() for m in ROLE_LINE.finditer(folded)]
        for start, end in reversed(spans):
            text = text[:start] + REDACTED + text[end:]
        folded = fold_confusables(text)
    else:
        text = folded = ROLE_LINE.sub(REDACTED, text)
    if not (INSTRUCTION.search(text) or INSTRUCTION.search(folded)):
        return text
    out = []
    for line in text.splitlines():
        out.append(" ".join(REDACTED if _addressed(s) else s for s in split_sentences(line)) if line else line)
    return "\n".join(out)


def _addressed(sentence: str) -> bool:
    """Does the sentence address the model, as written or with its look-alike letters folded?"""
    return bool(INSTRUCTION.search(sentence) or INSTRUCTION.search(fold_confusables(sentence)))


def bounded(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary, marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else text[:limit]) + " …"


def neutralize_field(value: str, limit: int) -> str:
    """A title or a metadata value: one line, neutralised, bounded."""
    return bounded(" ".join(neutralize(str(value)).split()), limit)


def format_passage(
    prompts_dir: Path,
    p: Passage,
    max_title_chars: int = MAX_TITLE_CHARS,
    max_passage_chars: int = MAX_PASSAGE_CHARS,
    text: str | None = None,
) -> str:
    """One passage as the prompt shows it; ``text`` is its neutralised text when the caller has it already."""
    meta = p.metadata
    source = neutralize_field(meta.get("source", ""), max_title_chars // 2)
    day = neutralize_field(str(meta.get("published_at", ""))[:10], 10)
    source_date = ", ".join(x for x in (source, day) if x) or "no source"
    return (
        load_template(prompts_dir, "passage.md")
        .format(
            n=p.n,
            title=neutralize_field(meta.get("title", ""), max_title_chars) or "Untitled",
            source_date=source_date,
            text=bounded(text if text is not None else neutralize(p.text.strip()), max_passage_chars),
        )
        .strip()
    )


def build_prompt(
    prompts_dir: Path,
    question: str,
    passages: list[Passage],
    history: list[tuple[str, str]] | None = None,
    max_title_chars: int = MAX_TITLE_CHARS,
    max_passage_chars: int = MAX_PASSAGE_CHARS,
) -> Prompt:
    """System rules first (a fixed prefix, so a local model can reuse its KV cache), earlier turns, then passages.

    ``Prompt.passages`` are copies whose citation-like markers are defused, for backends that quote passage text
    (the extractive one): a "[3]" inside an article must never read as a citation of passage 3."""
    history = history or []
    messages = [{"role": "system", "content": load_template(prompts_dir, "answer_system.md").strip()}]
    for past_q, past_a in history:
        messages.append({"role": "user", "content": f"Question: {past_q}"})
        messages.append({"role": "assistant", "content": past_a})
    seen = {p.n: neutralize(p.text.strip()) for p in passages}
    body = "\n\n".join(format_passage(prompts_dir, p, max_title_chars, max_passage_chars, seen[p.n]) for p in passages)
    messages.append(
        {
            "role": "user",
            "content": load_template(prompts_dir, "answer_user.md")
            .format(passages=body, question=question.strip())
            .strip(),
        }
    )
    quoted = [replace(p, text=defuse_citations(normalize_text(p.text))) for p in passages]
    return Prompt(
        messages=messages,
        question=question,
        passages=quoted,
        refusal=refusal_text(prompts_dir),
        history=history,
        seen=seen,
    )
