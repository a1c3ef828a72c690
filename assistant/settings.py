"""All settings in one place: defaults < config file (TOML) < ASSISTANT_* env vars < explicit arguments (CLI flags).

The config file is ``$ASSISTANT_CONFIG`` or ``<user config dir>/assistant/config.toml``; keys are the field names below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_cache_dir, user_config_dir, user_data_dir
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def datasets_dir() -> Path:
    """The shared benchmark data (read there, never copied into the project): $ASSISTANT_DATASETS_DIR, else the
    ``shared/datasets`` folder beside the project checkout."""
    if os.environ.get("ASSISTANT_DATASETS_DIR"):
        return Path(os.environ["ASSISTANT_DATASETS_DIR"])
    return PROJECT_ROOT.parent / "shared" / "datasets"


def _resources():
    from . import resources

    return resources


def config_file() -> Path:
    return Path(os.environ.get("ASSISTANT_CONFIG") or Path(user_config_dir("assistant")) / "config.toml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", populate_by_name=True)

    # where things live
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("assistant")))
    cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("assistant")))
    prompts_dir: Path = Field(default_factory=lambda: _resources().prompts_dir())  # the packaged templates

    # store
    chroma_url: str = ""  # e.g. http://127.0.0.1:8000 → chromadb.HttpClient instead of the on-disk store
    chroma_timeout: float = Field(default=30.0, gt=0)  # seconds a Chroma server request may take
    collection: str = "news"

    # input limits (untrusted files)
    max_file_mb: float = Field(default=100.0, ge=0)  # a bigger file is refused with one line; 0 = no limit
    follow_external_links: bool = False  # `ingest DIR` follows file links that point outside DIR
    max_unzipped_mb: float = Field(default=100.0, ge=0)  # a .docx that unzips to more is refused (zip bomb); 0 = none
    # fetching feeds and pages (`ingest URL`, `watch`): per attempt, the whole response within fetch_timeout seconds
    # and fetch_max_mb (decoded); fetch_retries more attempts after a timeout, a lost connection, 408/429/5xx,
    # waiting fetch_backoff seconds, doubled each time; at most fetch_max_redirects redirects
    fetch_timeout: float = Field(default=20.0, gt=0)
    fetch_max_mb: float = Field(default=10.0, gt=0)
    fetch_retries: int = Field(default=2, ge=0, le=10)
    fetch_backoff: float = Field(default=1.0, ge=0)
    fetch_max_redirects: int = Field(default=5, ge=0, le=30)

    # embeddings
    embed_backend: Literal["local", "openai"] = "local"
    embed_model: str = ""  # "" = all-MiniLM-L6-v2 (local) / text-embedding-3-small (openai)
    embed_batch_size: int = 32

    # chunking (counted in the embedding model's own word pieces; MiniLM reads at most 256)
    chunk_tokens: int = 180
    chunk_overlap: int = 32

    # retrieval
    k: int = Field(default=4, ge=1, le=50)  # passages in the prompt, at least
    # short passages are added beyond k while they fit in context_tokens, up to k_max (below k: k is the most)
    k_max: int = Field(default=8, ge=1, le=50)
    context_tokens: int = Field(default=720, ge=0)  # MiniLM word pieces of passage text; 0 = exactly k passages
    candidates: int = Field(default=20, ge=1, le=1000)  # per retriever, before fusion
    # the prompt's passages in document order (date, document, position; numbered in that order), so prompts over
    # the same passages share their prefix and its KV state is reused; "rank": best first
    passage_order: Literal["document", "rank"] = "document"
    rrf_k: int = Field(default=60, ge=1)

    # generation
    llm: Literal["local", "openai", "extractive"] = "local"
    llm_model: str = "qwen2.5-coder-1.5b"  # local: a name from models.KNOWN_MODELS; openai: the served model id
    llm_model_path: Path | None = None  # any GGUF; overrides llm_model for the local backend
    n_ctx: int = 4096
    n_threads: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    max_tokens: int = 300
    n_batch: int = Field(default=512, ge=1)  # prompt tokens per llama.cpp decode call
    flash_attn: bool = False
    prompt_lookup: int = Field(default=0, ge=0)  # prompt-lookup decoding: tokens drafted from the prompt; 0 = off
    # evaluated prompt prefixes (system turn; everything before the question) kept for reuse (see kvcache.py)
    kv_ram_mb: int = Field(default=128, ge=0)  # in the process; 0 = only what the model holds
    kv_disk_mb: int = Field(default=1024, ge=0)  # in <cache_dir>/kv, shared by processes; 0 = none saved
    temperature: float = 0.0
    seed: int = 0
    # bounds on what goes into the prompt, so untrusted text cannot overflow the model's context (n_ctx)
    max_question_chars: int = Field(default=2000, ge=10)  # a longer question is refused, saying so
    max_title_chars: int = Field(default=200, ge=10)  # titles and metadata are cut to this in the prompt
    max_passage_chars: int = Field(default=2000, ge=100)  # passage text is cut to this in the prompt

    # OpenAI-compatible endpoints (also read from the usual OPENAI_* variables)
    openai_api_key: str = Field(default="", validation_alias=AliasChoices("ASSISTANT_OPENAI_API_KEY", "OPENAI_API_KEY"))
    openai_base_url: str = Field(
        default="", validation_alias=AliasChoices("ASSISTANT_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    openai_timeout: float = Field(default=30.0, gt=0)  # seconds per request
    openai_max_retries: int = Field(default=1, ge=0)  # so the longest wait is timeout × (1 + retries)
    # extra JSON fields sent with each chat request, e.g. {"repeat_penalty": 1.0} for llama.cpp's server, whose
    # default 1.1 penalty garbles repeated digits ("10, 000"); none by default (OpenAI refuses unknown fields)
    openai_extra_body: dict[str, Any] = Field(default_factory=dict)

    # verification
    verify_similarity_floor: float = 0.45
    refuse_unsupported: bool = True  # an answer none of whose sentences the passages support becomes a refusal
    # an answer that does not answer what was asked (answer/checks/: a distance for "how many", another year, the
    # loser for "who won") is answered again from the passages that could answer, else refused
    check_answers: bool = True
    # an answer says when its evidence was published, per source ("As of 18 November 2023, per Reuters [2].")
    date_answers: bool = True
    # a question about the newest state of things ("latest", "currently", "still") ranks newer passages higher among
    # the relevant ones: a fused score is scaled by 1 + recency_weight × its recency (1 newest day .. 0 oldest; 0 = off)
    recency_weight: float = 1.0

    def __init__(self, **values: Any) -> None:
        # a keyword that is no setting is refused, not ignored (the file and ASSISTANT_* variables stay lenient:
        # unknown_config_keys warns about the file's)
        check_setting_names(k for k in values if not k.startswith("_"))
        super().__init__(**values)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file()))

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def embed_model_name(self) -> str:
        if self.embed_model:
            return self.embed_model
        return "all-MiniLM-L6-v2" if self.embed_backend == "local" else "text-embedding-3-small"


def unknown_config_keys() -> list[tuple[str, str | None]]:
    """Keys in the config file that are no setting (pydantic ignores them): (key, the closest setting or None)."""
    import difflib
    import tomllib

    path = config_file()
    try:
        keys = tomllib.loads(path.read_text(encoding="utf-8")).keys() if path.is_file() else []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # load_settings reports a broken file
    known = list(Settings.model_fields)
    return [(k, next(iter(difflib.get_close_matches(k, known, n=1)), None)) for k in keys if k not in known]


def check_setting_names(names) -> None:
    """Refuse a keyword that is no setting (pydantic would ignore it), naming the closest one and all of them."""
    import difflib

    from .errors import UnknownSettingError

    known = list(Settings.model_fields)
    for name in names:
        if name not in Settings.model_fields:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UnknownSettingError(f"unknown setting '{name}'{hint}; the settings are: {', '.join(known)}")


def load_settings(**overrides) -> Settings:
    """Settings with explicit overrides; ``None`` values mean 'not given' and fall through. A keyword that is no
    setting is refused (UnknownSettingError, one line naming the settings)."""
    import tomllib

    from pydantic import ValidationError

    from .errors import AssistantError

    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as err:  # a bad flag, ASSISTANT_* variable or config value: one line, not a traceback
        first = err.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        raise AssistantError(
            f"setting '{name}' = {first.get('input')!r} is invalid: {first['msg']}; "
            f"fix the flag, the ASSISTANT_{name.upper()} variable or {config_file()}"
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise AssistantError(f"config file {config_file()} is not valid TOML ({err}); fix or remove it") from None
