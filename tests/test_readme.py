"""The README's promises: a two-command Quick start, and CI runs the README's own test command."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("(quick start)", 1)[1].split("```", 2)[1]
    return [line for line in block.splitlines()[1:] if line.strip() and not line.lstrip().startswith("#")]


def test_quick_start_is_two_commands():
    commands = _quick_start()
    assert len(commands) == 2
    assert commands[0].endswith("symconv homework")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _quick_start()[1] in ci.splitlines()


def _blocks(lang: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    parts = text.split("```")
    return [p.split("\n", 1)[1] for p in parts[1::2] if p.split("\n", 1)[0].strip() == lang]


def test_readme_python_examples_run(tmp_path, monkeypatch):
    """Every ```python block of the README runs as written (Jupyter's ``In [n]:`` prompts stripped), from a
    folder that is not the repository: the packaged homework must be reachable from anywhere."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_homework.toml").write_bytes((ROOT / "derivations" / "homework11.toml").read_bytes())
    blocks = _blocks("python")
    assert len(blocks) >= 2
    for block in blocks:
        code = "\n".join(line.split(":", 1)[1].lstrip() if line.startswith("In [") else line
                         for line in block.splitlines())
        namespace: dict = {}
        exec(compile(code, "README.md", "exec"), namespace)       # noqa: S102 (our own README)


def test_readme_command_outputs_are_what_the_commands_print(tmp_path, capsys, monkeypatch):
    """Every ``$ symconv ...`` block shows what the command prints: its first lines, and after a ``...``
    line its last lines."""
    import shlex

    from symconv.cli import main
    monkeypatch.chdir(ROOT)
    shown = [b for b in _blocks("") if b.startswith("$ symconv ")]
    assert len(shown) >= 3
    for block in shown:
        command, *expected = block.rstrip("\n").splitlines()
        args = shlex.split(command.split("#")[0])[2:]
        main(args + ["--out", str(tmp_path)] if args[0] == "derive" else args)
        printed = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("wrote ")]
        head, _, tail = "\n".join(expected).partition("...")
        head_lines, tail_lines = head.split("\n")[:-1] if tail or "..." in expected else head.splitlines(), \
            [line for line in tail.splitlines() if line.strip()]
        head_lines = [line for line in head_lines if line.strip()]
        assert printed[:len(head_lines)] == head_lines, command
        assert not tail_lines or printed[-len(tail_lines):] == tail_lines, command


def test_readme_states_the_homework_checks_as_they_are():
    """The homework section's relative bounds and --json CHECK fields are what the code uses (issue 18)."""
    import re

    from symconv.cli import solution_json
    from symconv.homework import solve
    from symconv.homework.solution import TOLERANCES
    from symconv.inputs import load
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "max |Δ| ≤ 10⁻¹² · M and ≤ 10⁻⁶ · M" in text
    assert TOLERANCES == {"float64": 1e-12, "finite-difference": 1e-6}
    fields = re.search(r'CHECK = `\{([^}]*)\}`', text).group(1)
    doc = solution_json(solve(load(ROOT / "derivations" / "homework11.toml")))
    assert [f.strip(' "') for f in fields.split(",")] == list(doc["checks"]["dL_dx"]["float64"])
    assert doc["checks"]["conv1"]["finite_difference"] is None
