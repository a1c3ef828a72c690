"""Token counts of an answer, in OpenAI's ``usage`` shape: the prompt the generator read and the text it wrote.

Counted with the generator's own tokenizer when it has one here (the local model: the chat template applied to the
prompt's messages, as llama.cpp evaluates it); otherwise estimated with MiniLM's word-piece tokenizer (the openai
backend's server does not say, the extractive backend has none). ``counted`` says which. A second generation (an
answer made again after a failed check) or a narrow yes/no question is not counted: the main prompt and the text of
the answer are.
"""

from __future__ import annotations

from typing import Any

ESTIMATE = "estimate (MiniLM word pieces)"


def usage(generator: Any, messages: list[dict[str, str]], completion: str) -> dict[str, Any]:
    """``{"prompt_tokens", "completion_tokens", "total_tokens", "counted"}``; nothing generated: all zero."""
    if not messages and not completion:
        return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "counted": "nothing generated"}
    counted = ESTIMATE
    llm = getattr(generator, "_llm", None)  # the local backend's llama.cpp model, once loaded
    if llm is not None and callable(getattr(llm, "tokenize", None)):
        from .kvcache import chat_tokens

        prompt = len(chat_tokens(llm, messages)) if messages else 0
        done = len(llm.tokenize(completion.encode("utf-8"), add_bos=False, special=False)) if completion else 0
        counted = f"{getattr(generator, 'name', 'generator')} tokenizer"
    else:
        from ..ingest.chunk import count_tokens

        prompt = sum(count_tokens(m.get("content") or "") + 4 for m in messages)  # ~4 for each turn's framing
        done = count_tokens(completion) if completion else 0
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done, "counted": counted}
