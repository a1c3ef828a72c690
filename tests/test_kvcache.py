"""kvcache.PrefixStates: a prompt starts from the longest evaluated prefix it extends — what the model holds, a state
kept in RAM, or one saved on disk by another process — and evaluates only the rest. A fake model stands in for
llama.cpp: it records what it is asked to evaluate, and its "state" is the list of tokens it holds."""

from __future__ import annotations

import json
import time

import pytest

from assistant.answer import kvcache
from assistant.answer.kvcache import PrefixCache, PrefixStates, common_prefix

from fakes import FakeLlm


@pytest.fixture(autouse=True)
def fake_states(monkeypatch):
    """The state of a fake model is the JSON of the tokens it holds (padded, so sizes can bound the caches)."""
    monkeypatch.setattr(kvcache, "state_bytes", lambda llm: json.dumps(llm.holds()).encode().ljust(1000))

    def load(llm, tokens, data, seed=0):
        held = json.loads(data.decode().strip())
        assert held == list(tokens)
        llm.input_ids[: len(held)] = held
        llm.n_tokens = len(held)

    monkeypatch.setattr(kvcache, "load_state_bytes", load)


SYSTEM = list(range(100, 120))  # the system turn
DOCS_A = SYSTEM + list(range(500, 540))  # system + one set of passages
DOCS_B = SYSTEM + list(range(700, 730))  # system + another


def test_common_prefix():
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2]) == 2


def test_first_prompt_evaluates_its_prefix_once_and_keeps_the_system_turn_and_the_whole_prefix():
    states = PrefixStates(None, ram_bytes=10_000)
    llm = FakeLlm()
    done = states.prepare(llm, DOCS_A, stops=[len(SYSTEM)])
    assert llm.holds() == DOCS_A
    assert llm.evaluated == [SYSTEM, DOCS_A[len(SYSTEM) :]]  # in two steps, each remembered
    assert (done.reused, done.evaluated, done.source) == (0, len(DOCS_A), "")
    assert set(states.ram) == {tuple(SYSTEM), tuple(DOCS_A)}


def test_the_same_passages_again_evaluate_nothing():
    states = PrefixStates(None, ram_bytes=10_000)
    llm = FakeLlm()
    states.prepare(llm, DOCS_A, stops=[len(SYSTEM)])
    llm.eval([9, 9, 9])  # the question and the answer follow the prefix in the model
    llm.evaluated.clear()
    done = states.prepare(llm, DOCS_A, stops=[len(SYSTEM)])
    assert llm.evaluated == [] and llm.holds() == DOCS_A
    assert (done.reused, done.evaluated, done.source) == (len(DOCS_A), 0, "model")


def test_prompts_alternating_between_passage_sets_start_from_the_state_kept_in_ram():
    states = PrefixStates(None, ram_bytes=10_000)
    llm = FakeLlm()
    states.prepare(llm, DOCS_A, stops=[len(SYSTEM)])
    llm.evaluated.clear()
    b = states.prepare(llm, DOCS_B, stops=[len(SYSTEM)])
    assert llm.evaluated == [DOCS_B[len(SYSTEM) :]]  # the system turn is reused from the model itself
    assert (b.reused, b.evaluated) == (len(SYSTEM), len(DOCS_B) - len(SYSTEM))
    llm.evaluated.clear()
    a = states.prepare(llm, DOCS_A, stops=[len(SYSTEM)])
    assert llm.evaluated == [] and llm.holds() == DOCS_A
    assert (a.reused, a.evaluated, a.source) == (len(DOCS_A), 0, "ram")


def test_ram_keeps_the_most_recently_used_states_within_its_bound():
    states = PrefixStates(None, ram_bytes=2_500)  # each fake state is 1000 bytes: two fit
    llm = FakeLlm()
    states.prepare(llm, DOCS_A, stops=[len(SYSTEM)])  # SYSTEM, DOCS_A
    states.prepare(llm, DOCS_B, stops=[len(SYSTEM)])  # DOCS_B pushes out SYSTEM (least recently used)
    assert list(states.ram) == [tuple(DOCS_A), tuple(DOCS_B)]


def disk_cache(tmp_path, max_bytes=0) -> PrefixCache:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"gguf")
    return PrefixCache(tmp_path / "kv", model, n_ctx=256, max_bytes=max_bytes)


def test_a_fresh_process_restores_the_prefix_another_one_saved(tmp_path):
    PrefixStates(disk_cache(tmp_path), ram_bytes=0).prepare(FakeLlm(), DOCS_A, stops=[len(SYSTEM)])
    assert len(list((tmp_path / "kv").glob("*.state"))) == 2  # the system turn and the whole prefix

    fresh, llm = PrefixStates(disk_cache(tmp_path), ram_bytes=0), FakeLlm()
    done = fresh.prepare(llm, DOCS_A, stops=[len(SYSTEM)])
    assert llm.evaluated == [] and llm.holds() == DOCS_A
    assert (done.reused, done.source) == (len(DOCS_A), "disk")

    other, llm = PrefixStates(disk_cache(tmp_path), ram_bytes=0), FakeLlm()
    done = other.prepare(llm, DOCS_B, stops=[len(SYSTEM)])  # other passages: only the system turn is on disk
    assert llm.evaluated == [DOCS_B[len(SYSTEM) :]] and done.source == "disk"


def test_a_damaged_state_file_is_recomputed_and_the_reason_kept(tmp_path):
    PrefixStates(disk_cache(tmp_path), ram_bytes=0).prepare(FakeLlm(), DOCS_A)
    (state,) = (tmp_path / "kv").glob("*.state")
    state.write_bytes(b"short")
    states, llm = PrefixStates(disk_cache(tmp_path), ram_bytes=0), FakeLlm()
    done = states.prepare(llm, DOCS_A)
    assert llm.evaluated == [DOCS_A] and done.source == ""
    assert "does not match its header" in states.last_error


def test_the_disk_cache_drops_the_least_recently_used_states_beyond_its_bound(tmp_path):
    states = PrefixStates(disk_cache(tmp_path, max_bytes=2_500), ram_bytes=0)
    llm = FakeLlm()
    for k in range(4):
        states.prepare(llm, SYSTEM + [900 + k] * 5)
        time.sleep(0.02)  # distinct modification times: the order of use
    assert len(list((tmp_path / "kv").glob("*.json"))) == 2
    assert states.disk.has(SYSTEM + [903] * 5) and not states.disk.has(SYSTEM + [900] * 5)
