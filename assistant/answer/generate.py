"""Generate: a Prompt → answer text, streamed. Three backends behind one interface, none privileged:

- ``local``: llama-cpp-python running a GGUF (default Qwen2.5-Coder-1.5B-Instruct, assembled from PyPI parts).
- ``openai``: any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp's server) via the ``openai`` package.
- ``extractive``: no LLM; the passage sentences that best match the question, cited. Deterministic and fast.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol
from collections.abc import Callable, Iterator, Sequence

from ..errors import BackendError
from .prompt import Prompt
from ..settings import Settings

if TYPE_CHECKING:
    from .kvcache import Prepared


class Generator(Protocol):
    name: str  # shown as "model" in answers

    def stream(self, prompt: Prompt) -> Iterator[str]: ...


class LocalGenerator:
    def __init__(self, settings: Settings):
        from .models import model_path

        self.settings = settings
        if settings.llm_model_path:
            self.path = settings.llm_model_path
            if not self.path.is_file():
                raise BackendError(f"ASSISTANT_LLM_MODEL_PATH={self.path} is not a file; point it at a .gguf model")
        else:
            self.path = model_path(settings.llm_model, settings.cache_dir)
        self.name = f"local:{self.path.stem}"
        self._llm = None
        self._states = None
        self.prefix_restored = False  # the last prompt's prefix state came from the cache dir (see kvcache.py)
        self.prefix_error = ""
        self.last_prepared: Prepared | None = None  # of the last prompt: tokens reused and evaluated (kvcache.py)

    def llm(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise BackendError(
                    "the local model needs the [local] extra: pip install 'newsqa-assistant[local]' "
                    "(or run .ci/install); or use --llm openai / extractive"
                ) from None
            extra: dict[str, Any] = {}
            if self.settings.prompt_lookup:  # drafts copied from the prompt (answers quote the passages)
                from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

                extra["draft_model"] = LlamaPromptLookupDecoding(num_pred_tokens=self.settings.prompt_lookup)
            try:
                self._llm = Llama(
                    model_path=str(self.path),
                    n_ctx=self.settings.n_ctx,
                    n_threads=self.settings.n_threads,
                    n_batch=self.settings.n_batch,
                    flash_attn=self.settings.flash_attn,
                    seed=self.settings.seed,
                    verbose=False,
                    **extra,
                )
            except ValueError as err:
                raise BackendError(f"cannot load {self.path} ({err}); check it is a GGUF model file") from None
        return self._llm

    def states(self):
        from .kvcache import PrefixCache, PrefixStates

        if self._states is None:
            s = self.settings
            disk = PrefixCache(s.cache_dir / "kv", self.path, s.n_ctx, s.kv_disk_mb * 2**20) if s.kv_disk_mb else None
            self._states = PrefixStates(disk, s.kv_ram_mb * 2**20)
        return self._states

    def prepare(self, prompt: Prompt) -> None:
        """Evaluate (or find evaluated) the prompt's prefix before its question — the system turn, earlier turns
        and the passages — so generation evaluates only the question; the prefix is kept for the next prompts."""
        from .kvcache import chat_prefix_tokens, question_prefix_tokens

        llm = self.llm()
        prefix = question_prefix_tokens(llm, prompt.messages, prompt.question)
        system = prompt.messages[0]["content"] if prompt.messages[0]["role"] == "system" else ""
        stops = [len(chat_prefix_tokens(llm, system))] if system else []
        if not prefix:
            return
        states = self.states()
        prepared = states.prepare(llm, prefix, [s for s in stops if s >= 16])
        self.last_prepared = prepared
        self.prefix_restored = prepared.source == "disk"
        self.prefix_error = states.last_error

    def stream(self, prompt: Prompt) -> Iterator[str]:
        if prompt.messages:
            self.prepare(prompt)
        chunks = self.llm().create_chat_completion(
            messages=prompt.messages,
            temperature=self.settings.temperature,
            top_p=1.0,
            top_k=1 if self.settings.temperature == 0 else 40,
            repeat_penalty=1.0,
            max_tokens=self.settings.max_tokens,
            stream=True,
            seed=self.settings.seed,
        )
        for chunk in chunks:
            text = chunk["choices"][0]["delta"].get("content")
            if text:
                yield text

    def score(self, prompt: Prompt, options: Sequence[str]) -> dict[str, float]:
        """The log-probability the model gives each option as the first token of its reply to the prompt (its prefix
        reused from the KV cache, as for generation): what a decision reads instead of sampled text."""
        import numpy as np
        import llama_cpp

        from .kvcache import chat_tokens, common_prefix

        if prompt.messages:
            self.prepare(prompt)
        llm = self.llm()
        tokens = chat_tokens(llm, prompt.messages)
        have = min(common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens), len(tokens) - 1)
        llm.n_tokens = have  # at least the last token is evaluated again, for its logits
        llm.eval(tokens[have:])
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
        logits = logits.astype(np.float64)
        logprobs = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
        return {o: float(logprobs[llm.tokenize(o.encode("utf-8"), add_bos=False, special=False)[0]]) for o in options}


class OpenAIGenerator:
    def __init__(self, settings: Settings):
        self.settings = settings
        if not settings.openai_base_url and not settings.openai_api_key:
            raise BackendError(
                "the openai backend needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (any OpenAI-compatible server)"
            )
        self.model = settings.llm_model if settings.llm_model not in ("qwen2.5-coder-1.5b", "") else "gpt-4o-mini"
        self.name = f"openai:{self.model}"
        from ..openai_client import openai_client

        self.client = openai_client(settings)

    def stream(self, prompt: Prompt) -> Iterator[str]:
        import openai

        try:
            chunks = self.client.chat.completions.create(
                model=self.model,
                messages=prompt.messages,
                temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens,
                stream=True,
                seed=self.settings.seed,
                extra_body=self.settings.openai_extra_body or None,
            )
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.OpenAIError as err:
            where = self.settings.openai_base_url or "api.openai.com"
            raise BackendError(f"the OpenAI-compatible endpoint ({where}) failed: {str(err).splitlines()[0]}") from None


class ExtractiveGenerator:
    """Picks passage sentences by similarity to the question (embedding cosine + stemmed word overlap)."""

    name = "extractive"

    def __init__(self, embedder, sentences=None):
        self.embedder = embedder  # the question
        self.sentences = sentences or embedder  # passage sentences: a cached embedder (the verifier embeds the same)
        self.floor = 0.35
        self.max_sentences = 2

    def stream(self, prompt: Prompt) -> Iterator[str]:
        from ..text import content_terms, split_sentences

        candidates = [(p.n, s) for p in prompt.passages for s in split_sentences(p.text) if len(s.split()) >= 4]
        if not candidates:
            yield prompt.refusal
            return
        q = self.embedder.embed([prompt.question])[0]
        rest = self.sentences.embed([s for _, s in candidates])
        q_terms = content_terms(prompt.question)
        scored = []
        for (n, sentence), vec in zip(candidates, rest):
            cosine = sum(a * b for a, b in zip(q, vec))
            overlap = len(q_terms & content_terms(sentence)) / max(len(q_terms), 1)
            scored.append((0.7 * cosine + 0.3 * overlap, n, sentence))
        scored.sort(key=lambda t: -t[0])
        best = scored[0][0]
        if best < self.floor:
            yield prompt.refusal
            return
        picked, seen = [], set()
        for score, n, sentence in scored:
            key = re.sub(r"\W+", " ", sentence.lower()).strip()
            if key in seen or score < max(self.floor, best - 0.08):
                continue
            seen.add(key)
            picked.append(f"{sentence.strip().rstrip('.')} [{n}].")
            if len(picked) == self.max_sentences:
                break
        yield " ".join(picked)


# The registry: a backend name → a factory of (settings, backends). The built-in backends have no special place: an
# added one registers here the same way.
GENERATORS: dict[str, Callable[[Settings, Any], Generator]] = {
    "local": lambda settings, backends: LocalGenerator(settings),
    "openai": lambda settings, backends: OpenAIGenerator(settings),
    "extractive": lambda settings, backends: ExtractiveGenerator(backends.embedder, backends.sentence_embedder),
}


def make_generator(settings: Settings, backends) -> Generator:
    try:
        factory = GENERATORS[settings.llm]
    except KeyError:
        raise BackendError(f"unknown generator '{settings.llm}'; use one of {', '.join(GENERATORS)}") from None
    return factory(settings, backends)
