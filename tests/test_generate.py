"""Generators (answer/generate.py): the registry and the extractive backend, on hand-written passages."""

from __future__ import annotations

import pytest

from assistant.answer.generate import GENERATORS, ExtractiveGenerator, make_generator
from assistant.answer.prompt import build_prompt
from assistant.errors import BackendError
from assistant.resources import prompts_dir
from assistant.settings import load_settings
from assistant.types import Passage


def test_an_unknown_generator_is_refused_naming_the_known_ones(tmp_path):
    settings = load_settings(data_dir=tmp_path).model_copy(update={"llm": "gpt-nine"})
    with pytest.raises(BackendError, match="unknown generator 'gpt-nine'; use one of local, openai, extractive"):
        make_generator(settings, None)


def test_an_added_generator_registers_like_the_built_in_ones(tmp_path, monkeypatch):
    class Echo:
        name = "echo"

        def stream(self, prompt):
            yield prompt.question

    monkeypatch.setitem(GENERATORS, "echo", lambda settings, backends: Echo())
    settings = load_settings(data_dir=tmp_path).model_copy(update={"llm": "echo"})
    assert list(make_generator(settings, None).stream(build_prompt(prompts_dir(), "hello?", []))) == ["hello?"]


def test_the_openai_backend_without_an_endpoint_or_key_says_what_it_needs(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    settings = load_settings(data_dir=tmp_path, llm="openai", openai_api_key="", openai_base_url="")
    with pytest.raises(BackendError, match="needs OPENAI_API_KEY"):
        make_generator(settings, None)


def test_the_extractive_backend_cites_the_sentence_that_answers_and_refuses_off_topic(shared_embedder):
    gen = ExtractiveGenerator(shared_embedder)
    ps = [
        Passage(1, "c1", "d1", "The museum opens at ten. It has a new ferry exhibit on the first floor.", 1.0, {}),
        Passage(2, "c2", "d2", "The Brill ferry leaves the harbour at 7:40 every morning.", 1.0, {}),
    ]
    text = "".join(gen.stream(build_prompt(prompts_dir(), "What time does the Brill ferry leave the harbour?", ps)))
    assert text.startswith("The Brill ferry leaves the harbour at 7:40 every morning [2].")
    off = "".join(gen.stream(build_prompt(prompts_dir(), "Who won the chess final in Oslo?", ps)))
    assert off == "Insufficient information."
