"""Files that ship with the package: the prompt templates (with the refusal text) and the judge's hand-labelled pairs.

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
