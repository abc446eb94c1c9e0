"""The shape of the code: the apps' import graph has no cycle, and the core imports no app
(apps plug into it by registering: access.py, reminder_rules.py, dashboard_cards.py).
Imports inside functions are refused by ruff (PLC0415, pyproject.toml), so every edge is seen
here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "supervision", "services", "emergency", "foodsafety"]
SKIP = {"migrations", "tests", "management", "__pycache__"}


def modules():
    """{dotted module name: path} of the apps' code (not migrations, commands or tests)."""
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if SKIP.intersection(path.relative_to(ROOT).parts):
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imported(name, source, known, is_package=False):
    """The modules of `known` that module `name` (whose code is `source`) imports,
    relative imports resolved."""
    package = name if is_package else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join(base + [node.module] if node.module else base)
            if not node.level:
                module = node.module or ""
            candidates = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def graph():
    known = modules()
    return {
        name: imported(name, path.read_text(encoding="utf-8"), known, path.name == "__init__.py")
        for name, path in known.items()
    }


def cycles(edges):
    """Every strongly connected group of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle():
    edges = graph()
    assert len(edges) > 40  # the walk found the code
    assert cycles(edges) == []


def test_the_core_imports_no_app():
    leaks = {
        name: sorted(t for t in targets if t.split(".")[0] != "core")
        for name, targets in graph().items()
        if name.split(".")[0] == "core"
    }
    assert {name: targets for name, targets in leaks.items() if targets} == {}


def test_the_checks_see_a_cycle_and_a_leak():
    """The two checks above would fail on a bad graph (they are not vacuous)."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    known = {"core.x", "core.models", "supervision.models", "supervision.views.tasks"}
    leak = "from supervision.models import Task\nfrom .models import Reminder\n"
    assert imported("core.x", leak, known) == {"supervision.models", "core.models"}
    relative = "from ..models import Task\nfrom core import models\n"
    assert imported("supervision.views.tasks", relative, known) == {
        "supervision.models",
        "core.models",
    }
