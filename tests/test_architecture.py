"""The shape of the package, read from its source (nothing is imported): no import cycles, and
Qt only under ``ui/``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "intulse_desktop"
ROOT = PACKAGE.name
QT_PACKAGES = {"PySide6", "shiboken6", "qasync"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def imported(module: str) -> Iterator[tuple[str, int]]:
    """Every module ``module`` imports, anywhere in it (top level, TYPE_CHECKING, functions), with
    the line: ``from pkg import name`` is the submodule ``pkg.name`` if there is one, else ``pkg``."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    package = module if is_package(module) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield (submodule if submodule in MODULES else base), node.lineno


def internal_edges() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (itself left out)."""
    edges: dict[str, set[str]] = {}
    for module in MODULES:
        targets = {target for target, _ in imported(module) if target in MODULES and target != module}
        edges[module] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def a_cycle_through(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """One concrete loop inside ``component``, as ``a -> b -> ... -> a``, for the failure message."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    while True:
        following = sorted(edges[path[-1]] & members)
        back = [t for t in following if t in seen]
        if back:
            return path[path.index(back[0]) :] + [back[0]]
        path.append(following[0])
        seen.add(following[0])


def test_the_package_modules_are_found():
    assert f"{ROOT}.events" in MODULES
    assert f"{ROOT}.ui" in MODULES


def test_the_import_graph_finds_a_loop_it_is_given():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    [component] = cycles(edges)
    assert component == ["a", "b", "c"]
    assert a_cycle_through(component, edges) == ["a", "b", "c", "a"]


def test_no_module_imports_itself_back_through_others():
    edges = internal_edges()
    loops = [
        f"{' -> '.join(a_cycle_through(component, edges))}  (the cycle's modules: {', '.join(component)})"
        for component in cycles(edges)
    ]
    assert not loops, "import cycles (break each, e.g. by moving the shared part down):\n" + "\n".join(loops)


def test_only_the_ui_imports_qt():
    ui = f"{ROOT}.ui"
    offenders = sorted(
        {
            f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {target}"
            for module in MODULES
            if module != ui and not module.startswith(f"{ui}.")
            for target, line in imported(module)
            if target.split(".")[0] in QT_PACKAGES
        }
    )
    assert not offenders, "Qt outside intulse_desktop/ui/:\n" + "\n".join(offenders)


def test_no_test_module_imports_another():
    """Shared test code lives in tests/helpers/ (and fixtures in conftest.py): a test file that
    imports another drags its tests and fixtures along and hides what is shared."""
    tests = Path(__file__).parent
    offenders = []
    for path in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level:
                name = (node.module or "").split(".")[0]
                if name.startswith("test_") or name == "conftest":
                    offenders.append(f"{path.name}:{node.lineno} imports .{node.module}")
    assert not offenders, "tests importing other test modules:\n" + "\n".join(offenders)


MAX_MODULE_LINES = 420  # "no module over ~400 lines": small enough to read in one sitting


def test_no_module_is_too_long_to_read_in_one_sitting():
    long = sorted(
        f"{path.relative_to(PACKAGE.parent)}: {lines} lines"
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    )
    assert not long, "modules to split:\n" + "\n".join(long)
