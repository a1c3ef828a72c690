"""Settings: defaults < config file < ASSISTANT_* variables < arguments; a bad value is one line naming where to fix
it; a config key that is no setting is found, with the setting it was probably meant to be."""

from __future__ import annotations

import pytest

from assistant.errors import AssistantError
from assistant.settings import config_file, datasets_dir, load_settings, unknown_config_keys


def test_each_source_overrides_the_one_before(tmp_path, monkeypatch):
    assert load_settings().k == 4  # the default
    config_file().write_text("k = 6\nk_max = 9\n")
    assert (load_settings().k, load_settings().k_max) == (6, 9)
    monkeypatch.setenv("ASSISTANT_K", "7")
    assert (load_settings().k, load_settings().k_max) == (7, 9)
    assert load_settings(k=2, k_max=None).k == 2  # None means "not given": the variable still counts
    assert load_settings(k=None).k == 7


def test_the_config_file_is_named_by_a_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert config_file() == tmp_path / "elsewhere.toml"


def test_the_openai_variables_are_read_too(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    s = load_settings()
    assert (s.openai_api_key, s.openai_base_url) == ("sk-test", "http://127.0.0.1:9/v1")


def test_a_bad_variable_is_one_line_naming_it(monkeypatch):
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "-1")
    with pytest.raises(AssistantError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith("setting 'max_file_mb' = '-1' is invalid") and "ASSISTANT_MAX_FILE_MB" in message
    assert "\n" not in message


def test_a_broken_config_file_is_one_line_naming_it():
    config_file().write_text("k = = 3\n")
    with pytest.raises(AssistantError, match=r"is not valid TOML .*; fix or remove it$"):
        load_settings()


def test_keys_that_are_no_setting_are_listed_with_the_closest_setting():
    assert unknown_config_keys() == []  # no file
    config_file().write_text('k = 4\nchunk_token = 100\ncolour = "blue"\n')
    assert unknown_config_keys() == [("chunk_token", "chunk_tokens"), ("colour", None)]
    config_file().write_text("k = = 3\n")
    assert unknown_config_keys() == []  # a broken file is load_settings' to report


def test_the_embedding_model_follows_the_backend():
    assert load_settings().embed_model_name == "all-MiniLM-L6-v2"
    assert load_settings(embed_backend="openai").embed_model_name == "text-embedding-3-small"
    assert load_settings(embed_backend="openai", embed_model="mine").embed_model_name == "mine"


def test_the_chroma_store_is_in_the_data_dir(tmp_path):
    assert load_settings(data_dir=tmp_path).chroma_path == tmp_path / "chroma"


def test_the_datasets_folder_is_named_by_a_variable_or_sits_beside_the_checkout(tmp_path, monkeypatch):
    from assistant.settings import PROJECT_ROOT

    assert datasets_dir() == PROJECT_ROOT.parent / "shared" / "datasets"
    monkeypatch.setenv("ASSISTANT_DATASETS_DIR", str(tmp_path))
    assert datasets_dir() == tmp_path
