"""The public Python API: its names import from `assistant` on first use (importing the package stays cheap), and a
keyword that is no setting is refused in one line that names the closest setting and all of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant, AssistantError, Settings
from assistant.errors import UnknownSettingError
from assistant.settings import load_settings

PUBLIC = ["Answer", "Assistant", "AssistantError", "Citation", "Filters", "IngestReport", "Passage", "Settings"]


def test_public_names_import_lazily_from_the_package():
    code = (
        "import sys, json, assistant\n"
        "before = sorted(m for m in sys.modules if m.startswith('assistant.'))\n"
        f"from assistant import {', '.join(PUBLIC)}\n"
        "print(json.dumps({'before': before, 'all': sorted(assistant.__all__), "
        "'modules': {n: getattr(assistant, n).__module__ for n in assistant.__all__}}))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["before"] == []  # `import assistant` imported none of its modules
    assert got["all"] == PUBLIC
    assert got["modules"]["Answer"] == "assistant.types" and got["modules"]["Filters"] == "assistant.index.filters"
    with pytest.raises(AttributeError, match="has no attribute 'Anwser'"):
        import assistant

        assistant.Anwser  # noqa: B018


def known() -> str:
    return ", ".join(Settings.model_fields)


@pytest.mark.parametrize(
    "make, name, close",
    [
        (lambda: Assistant(lmm="extractive"), "lmm", "llm"),
        (lambda: Assistant(Settings(llm="extractive"), k_maxx=3), "k_maxx", "k_max"),
        (lambda: Settings(datadir="/tmp/x"), "datadir", "data_dir"),
        (lambda: load_settings(colection="news"), "colection", "collection"),
        (lambda: Assistant(llm="extractive").derive(chroma="http://127.0.0.1:1"), "chroma", "chroma_url"),
        (lambda: load_settings(zzz=1), "zzz", None),
    ],
)
def test_a_keyword_that_is_no_setting_is_refused(make, name, close):
    with pytest.raises(UnknownSettingError) as err:
        make()
    hint = f" (did you mean '{close}'?)" if close else ""
    assert str(err.value) == f"unknown setting '{name}'{hint}; the settings are: {known()}"
    assert isinstance(err.value, AssistantError) and isinstance(err.value, TypeError)


def test_known_keywords_and_none_still_work(tmp_path):
    a = Assistant(data_dir=tmp_path, llm="extractive", k=None)
    assert a.settings.llm == "extractive" and a.settings.data_dir == tmp_path
    assert a.derive(collection="other").settings.collection == "other"
    assert load_settings(llm=None, k=3).k == 3


def test_every_package_of_the_source_tree_is_in_the_wheel_list():
    """A folder added under assistant/ but missing from pyproject's list installs as nothing (the wheel lacks it)."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "assistant").rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
