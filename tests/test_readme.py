"""The README's Python API examples run as written (in a scratch folder with a copy of seeds/; extractive backend)."""

from __future__ import annotations

import re
import shutil

from conftest import ROOT, SEEDS


def python_examples() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return [b for b in blocks if "from assistant import" in b]


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    example, settings_example = python_examples()
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    added = out[0]
    assert re.fullmatch(r"\['[0-9a-f]{16}'\] \d+ \[\]", added)
    doc_id = added.split("'")[1]
    # the answer cites (passages are numbered in document order: the fact's passage need not be [1]), and its
    # citation is the seed article
    assert doc_id in out[1] and re.search(r"\[\d+\]", out[1])
    # the streamed answer is one line of text (its pieces printed as they came), then its sources
    streamed, sources = out[3], out[4]
    assert "190 miles" in streamed and re.search(r"\[\d+\]", streamed) and len(out) == 6
    assert re.fullmatch(r"\[\d+\] President Joe Biden’s decision to author", sources)
    assert out[-1].startswith(f"['{doc_id}', '{doc_id}'] President Joe Biden")
    assert (tmp_path / "news-index" / "chroma").is_dir()


def test_readme_settings_example_runs(capsys):
    (_, example) = python_examples()
    exec(compile(example, "README.md", "exec"), {"__name__": "readme"})
    from assistant import Settings

    # one line: the closest setting, then all of them
    assert capsys.readouterr().out == (
        f"unknown setting 'lmm' (did you mean 'llm'?); the settings are: {', '.join(Settings.model_fields)}\n"
    )
