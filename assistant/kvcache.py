"""The KV cache of the fixed prompt prefix (system rules + worked example), kept on disk across processes.

Evaluating that prefix costs a fresh process several seconds on a small CPU; its llama.cpp state is saved once and
restored after. Only llama-cpp-python's public API is used: ``Llama.save_state()`` / ``Llama.load_state()``,
``tokenize``, ``detokenize`` and ``metadata``. The state is stored as raw bytes plus a small JSON header written last
(the header's presence means the state file is complete) — never pickled. A stale or unreadable file is recomputed,
and the reason is kept in ``PrefixCache.last_error`` instead of being lost.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def chat_prefix_tokens(llm, system: str) -> list[int]:
    """The tokens every prompt with this system message starts with: the chat template applied to two prompts that
    differ only after the system turn, cut where they part."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return []

    def text_of(token: int) -> str:
        return llm.detokenize([token], special=True).decode("utf-8", "ignore") if token != -1 else ""

    fmt = Jinja2ChatFormatter(template=template, eos_token=text_of(llm.token_eos()), bos_token=text_of(llm.token_bos()))

    def tokens(user: str) -> list[int]:
        r = fmt(messages=[{"role": "system", "content": system}, {"role": "user", "content": user}])
        return llm.tokenize(r.prompt.encode("utf-8"), add_bos=not r.added_special, special=True)

    a, b = tokens("Passages:\nA"), tokens("Passages:\nB")
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return a[:n]


class PrefixCache:
    """Saved prefix states in one folder, keyed by model file, context size, library version and the tokens."""

    def __init__(self, folder: Path, model_path: Path, n_ctx: int):
        self.folder = folder
        self.model_id = (str(model_path), model_path.stat().st_size, n_ctx)
        self.last_error = ""

    def key(self, prefix: list[int]) -> str:
        import llama_cpp

        return hashlib.sha256(repr((self.model_id, llama_cpp.__version__, prefix)).encode()).hexdigest()[:24]

    def warm(self, llm, prefix: list[int]) -> bool:
        """Leave ``llm`` holding the evaluated prefix: restored from disk (True) or evaluated and saved (False)."""
        if len(prefix) < 16:
            return False
        key = self.key(prefix)
        state_file, header_file = self.folder / f"{key}.state", self.folder / f"{key}.json"
        if header_file.is_file() and self._restore(llm, prefix, state_file, header_file):
            return True
        llm.reset()
        llm.eval(prefix)
        self._save(llm, state_file, header_file)
        return False

    def _restore(self, llm, prefix: list[int], state_file: Path, header_file: Path) -> bool:
        import numpy as np
        from llama_cpp.llama import LlamaState

        try:
            header = json.loads(header_file.read_text())
            data = state_file.read_bytes()
            if len(data) != header["size"] or header["input_ids"] != prefix:
                raise ValueError(f"{state_file} does not match its header")
            input_ids = np.zeros(llm.n_ctx(), dtype=np.intc)
            input_ids[: len(prefix)] = prefix
            # logits are not kept (logits_all is off): one zero row broadcasts over the rows load_state clears
            llm.load_state(
                LlamaState(
                    input_ids=input_ids,
                    scores=np.zeros((1, llm.n_vocab()), dtype=np.single),
                    n_tokens=len(prefix),
                    llama_state=data,
                    llama_state_size=len(data),
                    seed=header["seed"],
                )
            )
            return True
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            self.last_error = f"prefix cache {state_file.name} not restored ({err}); recomputed"
            return False

    def _save(self, llm, state_file: Path, header_file: Path) -> None:
        state = llm.save_state()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = state_file.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_bytes(state.llama_state)
            tmp.replace(state_file)
            header = {
                "size": state.llama_state_size,
                "seed": state.seed,
                "input_ids": [int(t) for t in state.input_ids[: state.n_tokens]],
            }
            tmp = header_file.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_text(json.dumps(header))
            tmp.replace(header_file)
        except OSError as err:  # a read-only cache dir costs speed, not the answer
            self.last_error = f"prefix cache not saved ({err})"
