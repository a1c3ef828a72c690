"""Generate: a Prompt → answer text, streamed. Three backends behind one interface, none privileged:

- ``local``: llama-cpp-python running a GGUF (default Qwen2.5-Coder-1.5B-Instruct, assembled from PyPI parts).
- ``openai``: any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp's server) via the ``openai`` package.
- ``extractive``: no LLM; the passage sentences that best match the question, cited. Deterministic and fast.
"""

from __future__ import annotations

import re
from typing import Iterator, Protocol

from .errors import BackendError
from .prompt import Prompt
from .settings import Settings


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
        self._warm: set[str] = set()

    def llm(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise BackendError("llama-cpp-python is not installed; run .ci/install (it builds it portable)") from None
            try:
                self._llm = Llama(model_path=str(self.path), n_ctx=self.settings.n_ctx,
                                  n_threads=self.settings.n_threads, n_batch=512, seed=self.settings.seed,
                                  verbose=False)
            except ValueError as err:
                raise BackendError(f"cannot load {self.path} ({err}); check it is a GGUF model file") from None
        return self._llm

    def warm_prefix(self, system: str) -> None:
        """Restore (or compute once and save) the KV cache of the fixed prompt prefix — the system rules and the
        worked example — so a fresh process only evaluates the passages and the question."""
        if system in self._warm:
            return
        self._warm.add(system)
        import hashlib
        import pickle

        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self.llm()
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            return
        eos, bos = llm.token_eos(), llm.token_bos()
        fmt = Jinja2ChatFormatter(template=template, eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                                  bos_token=llm._model.token_get_text(bos) if bos != -1 else "")

        def tokens(user: str) -> list[int]:
            r = fmt(messages=[{"role": "system", "content": system}, {"role": "user", "content": user}])
            return llm.tokenize(r.prompt.encode("utf-8"), add_bos=not r.added_special, special=True)

        a, b = tokens("Passages:\nA"), tokens("Passages:\nB")
        n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        prefix = a[:n]
        if n < 16:
            return
        key = hashlib.sha256(repr((str(self.path), self.path.stat().st_size, self.settings.n_ctx,
                                   llama_cpp.__version__, prefix)).encode()).hexdigest()[:24]
        cache = self.settings.cache_dir / "kv" / f"{key}.pkl"
        ctx = llm._ctx.ctx
        if cache.is_file():
            try:
                saved = pickle.loads(cache.read_bytes())
                data = (llama_cpp.ctypes.c_uint8 * len(saved["state"])).from_buffer_copy(saved["state"])
                if llama_cpp.llama_state_set_data(ctx, data, len(saved["state"])) == len(saved["state"]):
                    llm.input_ids[:n] = prefix
                    llm.n_tokens = n
                    llm._requires_eval = True
                    return
            except Exception:  # a stale or cut file: recompute below
                pass
        llm.reset()
        llm.eval(prefix)
        size = llama_cpp.llama_state_get_size(ctx)
        buf = (llama_cpp.ctypes.c_uint8 * int(size))()
        written = llama_cpp.llama_state_get_data(ctx, buf, size)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps({"state": bytes(buf)[:written]}))
        tmp.replace(cache)

    def stream(self, prompt: Prompt) -> Iterator[str]:
        if prompt.messages and prompt.messages[0]["role"] == "system" and self._llm is None:
            self.warm_prefix(prompt.messages[0]["content"])
        chunks = self.llm().create_chat_completion(
            messages=prompt.messages, temperature=self.settings.temperature, top_p=1.0, top_k=1 if
            self.settings.temperature == 0 else 40, repeat_penalty=1.0, max_tokens=self.settings.max_tokens,
            stream=True, seed=self.settings.seed)
        for chunk in chunks:
            text = chunk["choices"][0]["delta"].get("content")
            if text:
                yield text


def openai_client(settings: Settings):
    import openai

    return openai.OpenAI(api_key=settings.openai_api_key or "not-needed", base_url=settings.openai_base_url or None,
                         timeout=settings.openai_timeout, max_retries=settings.openai_max_retries)


class OpenAIGenerator:
    def __init__(self, settings: Settings):
        self.settings = settings
        if not settings.openai_base_url and not settings.openai_api_key:
            raise BackendError("the openai backend needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL "
                               "(any OpenAI-compatible server)")
        self.model = settings.llm_model if settings.llm_model not in ("qwen2.5-coder-1.5b", "") else "gpt-4o-mini"
        self.name = f"openai:{self.model}"
        self.client = openai_client(settings)

    def stream(self, prompt: Prompt) -> Iterator[str]:
        import openai

        try:
            chunks = self.client.chat.completions.create(
                model=self.model, messages=prompt.messages, temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens, stream=True, seed=self.settings.seed,
                extra_body=self.settings.openai_extra_body or None)
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.OpenAIError as err:
            where = self.settings.openai_base_url or "api.openai.com"
            raise BackendError(f"the OpenAI-compatible endpoint ({where}) failed: {str(err).splitlines()[0]}") from None


class ExtractiveGenerator:
    """Picks passage sentences by similarity to the question (embedding cosine + stemmed word overlap)."""

    name = "extractive"

    def __init__(self, settings: Settings, embedder):
        self.embedder = embedder
        self.floor = 0.35
        self.max_sentences = 2

    def stream(self, prompt: Prompt) -> Iterator[str]:
        from .verify import content_terms, split_sentences

        candidates = [(p.n, s) for p in prompt.passages for s in split_sentences(p.text) if len(s.split()) >= 4]
        if not candidates:
            yield prompt.refusal
            return
        vectors = self.embedder.embed([prompt.question] + [s for _, s in candidates])
        q, rest = vectors[0], vectors[1:]
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


def make_generator(settings: Settings, embedder) -> Generator:
    if settings.llm == "local":
        return LocalGenerator(settings)
    if settings.llm == "openai":
        return OpenAIGenerator(settings)
    return ExtractiveGenerator(settings, embedder)
