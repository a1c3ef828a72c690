"""The README's "Score another system" and "Use from llama-index" examples run as written (offline, extractive)."""

from __future__ import annotations

import json
import re
import shlex

from typer.testing import CliRunner

from assistant.interfaces.cli import app

from conftest import ROOT


def section(title: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"## {title}\n")
    return readme[start : readme.index("\n## ", start + 1)]


def test_score_another_system_example_runs(tmp_path, monkeypatch):
    text = section("Score another system")
    (records,) = re.findall(r"```jsonl\n(.*?)```", text, re.S)
    commands = [line.strip() for line in text.splitlines() if line.startswith("    assistant eval")]
    assert len(commands) == 3
    monkeypatch.chdir(tmp_path)
    (tmp_path / "theirs.jsonl").write_text(records, encoding="utf-8")
    result = CliRunner().invoke(app, shlex.split(commands[0])[1:])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    s = json.loads((tmp_path / "runs" / "theirs" / "summary.json").read_text())
    assert s["n"] == 2 and s["answer_accuracy"] == 1.0 and s["rejection_rate"] == 1.0  # "I don't know." refuses
    assert s["citation_recall"] == 1.0 and s["correct_and_cited"] == 1.0
    assert s["left_out"] == {
        "latency_ms_p50": "no 'latency_ms' in the file",
        "latency_ms_p95": "no 'latency_ms' in the file",
    }
    # the other two name a real set and a real factory
    for command in commands[1:]:
        args = shlex.split(command)
        assert (ROOT / args[2]).is_file()
        if "--query-engine" in args:
            path, name = args[args.index("--query-engine") + 1].split(":")
            assert re.search(rf"^def {name}\(documents", (ROOT / path).read_text(encoding="utf-8"), re.M)


def test_use_from_llama_index_example_runs(tmp_path, monkeypatch, capsys):
    (example,) = re.findall(r"```python\n(.*?)```", section("Use from llama-index"), re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {"__name__": "readme"})
    added, nodes, answered, checked = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"\['[0-9a-f]{16}'\]", added)
    assert nodes == "[('Valley Herald', '2024-09-30')]"
    assert answered == "Insufficient information. True"
    assert checked == "0.5 False"
    assert (tmp_path / "li-index" / "chroma").is_dir()
