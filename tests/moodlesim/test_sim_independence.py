"""The simulator shares no code with jonction: a bug in one must not hide a bug in the other."""

from __future__ import annotations

import ast
from pathlib import Path

import moodlesim


def test_moodlesim_imports_nothing_from_jonction() -> None:
    package = Path(moodlesim.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "jonction"]
    assert offenders == []
    assert len(list(package.rglob("*.py"))) > 20
