"""Evaluated prompt prefixes, kept so llama.cpp does not evaluate the same tokens twice.

Prompt processing is the cost of a local answer (~74 tokens/s on 2 cores). Every prompt starts with the same system
rules, and questions in one conversation, eval or server mostly retrieve the same passages, which the prompt puts in a
stable order before the question: so consecutive prompts share a long prefix. ``PrefixStates`` keeps the llama.cpp
state of two prefixes of each prompt — the system turn, and everything before the question — in RAM (least recently
used first out, up to ``kv_ram_mb``) and on disk (up to ``kv_disk_mb``, shared by processes), keyed by their tokens;
a prompt starts from the longest one it extends and evaluates only the rest.

The state is llama.cpp's own (``llama_state_get_data`` / ``Llama.load_state``), stored as raw bytes plus a small JSON
header written last (the header's presence means the state file is complete) — never pickled. A stale or unreadable
file is recomputed, and the reason is kept in ``last_error`` instead of being lost.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


def common_prefix(a, b) -> int:
    """How many leading tokens two sequences share."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@lru_cache(maxsize=4)
def _formatter(template: str, eos: str, bos: str):
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)  # compiles the template: once


def chat_tokens(llm, messages: list[dict[str, str]]) -> list[int]:
    """The tokens ``create_chat_completion`` evaluates for these messages (the GGUF's chat template)."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return []

    def text_of(token: int) -> str:
        return llm.detokenize([token], special=True).decode("utf-8", "ignore") if token != -1 else ""

    r = _formatter(template, text_of(llm.token_eos()), text_of(llm.token_bos()))(messages=messages)
    return llm.tokenize(r.prompt.encode("utf-8"), add_bos=not r.added_special, special=True)


def chat_prefix_tokens(llm, system: str) -> list[int]:
    """The tokens every prompt with this system message starts with: the chat template applied to two prompts that
    differ only after the system turn, cut where they part."""
    a = chat_tokens(llm, [{"role": "system", "content": system}, {"role": "user", "content": "Passages:\nA"}])
    b = chat_tokens(llm, [{"role": "system", "content": system}, {"role": "user", "content": "Passages:\nB"}])
    return a[: common_prefix(a, b)]


def question_prefix_tokens(llm, messages: list[dict[str, str]], question: str) -> list[int]:
    """The tokens of this prompt before its question (the system turn, earlier turns, the passages): the prompt
    with two different questions, cut where they part. Empty when the last message does not hold the question."""
    last = messages[-1]["content"]
    at = last.rfind(question.strip()) if question.strip() else -1
    if at < 0:
        return []

    def variant(q: str) -> list[int]:
        return chat_tokens(llm, messages[:-1] + [{**messages[-1], "content": last[:at] + q}])

    a, b = variant("A"), variant("B")
    return a[: common_prefix(a, b)]


# ---- llama.cpp state as bytes (Llama.save_state would also copy n_batch × n_vocab logits, ~300 MB, for nothing)


def state_bytes(llm) -> bytes:
    import llama_cpp

    size = llama_cpp.llama_state_get_size(llm.ctx)
    buf = (ctypes.c_uint8 * int(size))()
    n = llama_cpp.llama_state_get_data(llm.ctx, buf, size)
    if int(n) > int(size):
        raise RuntimeError("llama_state_get_data wrote past its buffer")
    return bytes(buf)[: int(n)]


def load_state_bytes(llm, tokens: list[int], data: bytes, seed: int = 0) -> None:
    """Leave ``llm`` holding ``tokens`` evaluated, from a state saved after evaluating exactly them."""
    import numpy as np
    from llama_cpp.llama import LlamaState

    input_ids = np.zeros(llm.n_ctx(), dtype=np.intc)
    input_ids[: len(tokens)] = tokens
    # logits are not kept (logits_all is off): one zero row broadcasts over the rows load_state clears
    llm.load_state(
        LlamaState(
            input_ids=input_ids,
            scores=np.zeros((1, llm.n_vocab()), dtype=np.single),
            n_tokens=len(tokens),
            llama_state=data,
            llama_state_size=len(data),
            seed=seed,
        )
    )


class PrefixCache:
    """Saved prefix states in one folder, keyed by model file, context size, library version and the tokens;
    at most ``max_bytes`` of them (the least recently used go first; 0 = no limit)."""

    def __init__(self, folder: Path, model_path: Path, n_ctx: int, max_bytes: int = 0):
        self.folder = folder
        self.model_id = (str(model_path), model_path.stat().st_size, n_ctx)
        self.max_bytes = max_bytes
        self.last_error = ""

    def key(self, prefix: list[int]) -> str:
        import llama_cpp

        return hashlib.sha256(repr((self.model_id, llama_cpp.__version__, list(prefix))).encode()).hexdigest()[:24]

    def files(self, prefix: list[int]) -> tuple[Path, Path]:
        key = self.key(prefix)
        return self.folder / f"{key}.state", self.folder / f"{key}.json"

    def has(self, prefix: list[int]) -> bool:
        return self.files(prefix)[1].is_file()

    def warm(self, llm, prefix: list[int]) -> bool:
        """Leave ``llm`` holding the evaluated prefix: restored from disk (True) or evaluated and saved (False)."""
        if len(prefix) < 16:
            return False
        if self.restore(llm, prefix):
            return True
        llm.reset()
        llm.eval(prefix)
        self.save(llm, prefix)
        return False

    def restore(self, llm, prefix: list[int]) -> bool:
        state_file, header_file = self.files(prefix)
        if not header_file.is_file():
            return False
        try:
            header = json.loads(header_file.read_text())
            data = state_file.read_bytes()
            if len(data) != header["size"] or header["input_ids"] != list(prefix):
                raise ValueError(f"{state_file} does not match its header")
            load_state_bytes(llm, list(prefix), data, header["seed"])
            os.utime(header_file)  # recently used: evicted last
            return True
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            self.last_error = f"prefix cache {state_file.name} not restored ({err}); recomputed"
            return False

    def save(self, llm, prefix: list[int], data: bytes | None = None) -> None:
        """Save the state ``llm`` holds, which must be exactly ``prefix`` evaluated."""
        state_file, header_file = self.files(prefix)
        try:
            data = state_bytes(llm) if data is None else data
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = state_file.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_bytes(data)
            tmp.replace(state_file)
            header = {"size": len(data), "seed": 0, "input_ids": [int(t) for t in prefix]}
            tmp = header_file.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_text(json.dumps(header))
            tmp.replace(header_file)
            self.evict()
        except OSError as err:  # a read-only cache dir costs speed, not the answer
            self.last_error = f"prefix cache not saved ({err})"

    def evict(self) -> None:
        """Drop the least recently used states while the folder holds more than ``max_bytes``."""
        if not self.max_bytes:
            return
        entries = []
        for header in self.folder.glob("*.json"):
            state = header.with_suffix(".state")
            try:
                entries.append((header.stat().st_mtime, header, state, state.stat().st_size))
            except OSError:
                continue
        total = sum(e[3] for e in entries)
        for _, header, state, size in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            for f in (header, state):  # the header first: a state without one is never read
                f.unlink(missing_ok=True)
            total -= size


@dataclass
class Prepared:
    """What ``PrefixStates.prepare`` did: tokens it found already evaluated (in the model, in RAM or on disk) and
    tokens it evaluated."""

    reused: int = 0
    evaluated: int = 0
    source: str = ""  # "model", "ram", "disk" or "" (nothing reused)


class PrefixStates:
    """Prefix states in RAM (LRU, ``ram_bytes``) and on disk (``disk``, may be None), keyed by token prefix."""

    def __init__(self, disk: PrefixCache | None, ram_bytes: int):
        self.disk = disk
        self.ram_bytes = ram_bytes
        self.ram: OrderedDict[tuple[int, ...], bytes] = OrderedDict()

    @property
    def last_error(self) -> str:
        return self.disk.last_error if self.disk else ""

    def remember(self, llm, prefix: list[int]) -> None:
        """Keep the state ``llm`` holds (exactly ``prefix`` evaluated) in RAM and on disk."""
        if not self.ram_bytes and not self.disk:
            return
        data = state_bytes(llm)
        if self.ram_bytes and len(data) <= self.ram_bytes:
            key = tuple(prefix)
            self.ram.pop(key, None)
            self.ram[key] = data
            while sum(len(v) for v in self.ram.values()) > self.ram_bytes:
                self.ram.popitem(last=False)
        if self.disk:
            self.disk.save(llm, prefix, data)

    def prepare(self, llm, prefix: list[int], stops: Sequence[int] = ()) -> Prepared:
        """Leave ``llm`` holding ``prefix`` evaluated, starting from the longest stored state it extends; each
        length in ``stops`` (e.g. the system turn's) and the whole prefix are remembered on the way."""
        done = Prepared()
        have = common_prefix(llm.input_ids[: llm.n_tokens].tolist(), prefix)
        if have:
            done.source = "model"
        best = max(self.ram, key=lambda k: common_prefix(k, prefix), default=None)
        if best is not None and common_prefix(best, prefix) > have:
            self.ram.move_to_end(best)
            load_state_bytes(llm, list(best), self.ram[best])
            have, done.source = common_prefix(best, prefix), "ram"
        if self.disk:
            for length in sorted({len(prefix), *stops}, reverse=True):
                if have < length <= len(prefix) and self.disk.has(prefix[:length]):
                    if self.disk.restore(llm, prefix[:length]):
                        have, done.source = length, "disk"
                        break
        done.reused = have
        llm.n_tokens = have  # what lies beyond is dropped by eval (kv_cache_seq_rm)
        for length in sorted({s for s in stops if have < s < len(prefix)} | {len(prefix)}):
            if length <= llm.n_tokens:
                continue
            if llm.n_tokens == 0:
                llm.reset()
            llm.eval(prefix[llm.n_tokens : length])
            done.evaluated += length - have
            have = length
            self.remember(llm, prefix[:length])
        return done
