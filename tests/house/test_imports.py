"""The house: `bot/`'s import graph has no circles.

Why a test: a circle (a ↔ b) means neither module can be understood, tested or
moved without the other, and the data flow (files → ingest → store → index →
retrieve → answer → render) stops being one-way. The graph is read from the
source with `ast`, so it sees every import: module level, inside functions
(a "lazy" import is still a dependency) and inside `try`. Imports under
`if TYPE_CHECKING:` are left out: they never run, they only name types for the
checker (a Protocol or a string annotation keeps even those one-way where we
could; see `test_type_checking_imports_are_listed`).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bot"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, modules: set[str], *, type_checking: bool = False, root: Path = ROOT) -> set[str]:
    """The `bot` modules `path` imports (an `from a import b` of a submodule counts as a.b)."""
    module = module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            if not type_checking:
                for child in node.orelse:
                    visit(child)
                return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node)
            found.add(target)
            for alias in node.names:
                found.add(f"{target}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    out = set()
    for name in found:
        # `import bot.a.b` also runs bot/__init__ and bot/a/__init__; those are not
        # edges worth drawing (package markers), the module itself is.
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module and name != "bot":
            out.add(name)
    return out


def import_graph(*, type_checking: bool = False) -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, modules, type_checking=type_checking) for f in files}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each
    as a sorted list, plus self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return cycles


def test_the_walker_sees_function_level_imports_and_finds_a_cycle(tmp_path: Path) -> None:
    """The checker itself: a circle made only by an import inside a function is found;
    a TYPE_CHECKING import is left out."""
    pkg = tmp_path / "bot"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from bot.b import g\n    return g\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.c import x\nfrom . import a\n")
    (pkg / "c.py").write_text("import bot.b\n")
    modules = {"bot", "bot.a", "bot.b", "bot.c"}
    graph = {m: imports_of(pkg / f"{m[4:]}.py", modules, root=tmp_path) for m in ("bot.a", "bot.b", "bot.c")}
    assert graph == {"bot.a": {"bot.b"}, "bot.b": {"bot.a"}, "bot.c": {"bot.b"}}
    assert find_cycles(graph) == [["bot.a", "bot.b"]]
    with_types = {m: imports_of(pkg / f"{m[4:]}.py", modules, root=tmp_path, type_checking=True) for m in graph}
    assert find_cycles(with_types) == [["bot.a", "bot.b", "bot.c"]]
    assert find_cycles({"bot.a": {"bot.b"}, "bot.b": set()}) == []


def test_bot_has_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 30 and graph["bot.engine"], "the walker read the package"
    cycles = find_cycles(graph)
    assert cycles == [], "import circles in bot/: " + "; ".join(" ↔ ".join(c) for c in cycles)


def test_type_checking_imports_are_listed() -> None:
    """Even counting `if TYPE_CHECKING:` imports, no circle: type names flow one way too."""
    cycles = find_cycles(import_graph(type_checking=True))
    assert cycles == [], "; ".join(" ↔ ".join(c) for c in cycles)


def test_nothing_below_the_chat_layer_imports_discord() -> None:
    """bot/chat is the only layer that knows discord.py (README: "How it works")."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "chat" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if any(n == "discord" or n.startswith("discord.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
