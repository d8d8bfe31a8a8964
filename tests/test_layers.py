"""The import rules of DESIGN.md "Layers": a module imports only from layers below it.

A module's layer is its top-level package's (or module's) under ``fairshare/``.
Layers 0, 2 and 4 are ordered inside: ``_atomic`` (0.05) raises ``errors``' classes;
``_distributed`` (0.1) runs kernels under ``_jit``'s thread limit; features and metrics (2.0), then formulas
and economics (2.1, they consume features), then datasets and presets (2.2,
they use formulas and the cost model); plotting and results_io (4.0), then
report (4.1, it draws and saves through them). Third-party rules too: numba only in
``_jit``, cvxpy only in ``optimization/``, matplotlib only in ``plotting/``; no
engine imports another engine; no import cycle between modules.
"""

import ast
from pathlib import Path

import pytest

from tests.public_api import public_modules

ROOT = Path(__file__).resolve().parents[1] / "fairshare"

# module (dotted, relative to fairshare) -> layer; a package maps all its modules.
LAYERS = {
    "errors": 0, "_checks": 0.01, "_jit": 0, "_version": 0, "_deprecation": 0, "_atomic": 0.05, "_distributed": 0.1,
    "_kernels": 0.9, "data": 1, "ledger": 1,  # L1: data calls kernels (the tasks' one-pass check), not back
    "features": 2.0, "metrics": 2.0, "trend": 2.05, "formulas": 2.1, "economics": 2.1, "datasets": 2.2, "presets": 2.2,
    "attacks": 2.3,
    "evaluation": 3, "optimization": 3, "simulation": 3,
    "plotting": 4.0, "results_io": 4.0, "report": 4.1,
    "cli": 5, "__main__": 5,
}
ENGINES = {"evaluation", "optimization", "simulation"}
THIRD_PARTY_HOMES = {"numba": {"_jit"}, "cvxpy": {"optimization"}, "matplotlib": {"plotting"}}


def modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts
        if parts == ("__init__",):
            continue
        yield path, parts


def layer_of(parts) -> int | None:
    """Layer of a module: its top-level package's."""
    return LAYERS.get(owner(parts[0]))


def owner(head: str) -> str:
    return "cli" if head == "__main__" else head  # python -m fairshare is the cli


def imported_modules(path: Path, parts) -> list[tuple[str, bool]]:
    """(name, is_internal) of every import; internal names are relative to fairshare."""
    tree = ast.parse(path.read_text())
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                if name.startswith("fairshare."):
                    found.append((name.split(".", 1)[1], True))
                elif name != "fairshare":
                    found.append((name.split(".")[0], False))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - (node.level - 1)]) if node.level > 1 else list(package)
                target = base + (node.module.split(".") if node.module else [])
                if not node.module:
                    found.extend((".".join(target + [a.name]), True) for a in node.names)
                else:
                    found.append((".".join(target), True))
            elif node.module and node.module.startswith("fairshare"):
                rest = node.module.split(".", 1)
                if len(rest) == 2:
                    found.append((rest[1], True))
                else:
                    found.extend((a.name, True) for a in node.names)
            elif node.module:
                found.append((node.module.split(".")[0], False))
    return found


def test_every_module_has_a_layer():
    unknown = sorted({parts[0] for _, parts in modules() if layer_of(parts) is None})
    assert not unknown, f"add these to LAYERS (and DESIGN.md's table): {unknown}"


@pytest.mark.parametrize("path,parts", list(modules()), ids=lambda v: "/".join(v) if isinstance(v, tuple) else "")
def test_imports_respect_layers(path, parts):
    mine = layer_of(parts)
    for name, internal in imported_modules(path, parts):
        if internal:
            head = owner(name.split(".")[0])
            if head in ("", "__init__"):
                continue
            theirs = LAYERS.get(head)
            assert theirs is not None, f"{path}: imports unknown fairshare module {name}"
            same_package = head == owner(parts[0])
            assert same_package or theirs < mine, f"{path} (layer {mine}) imports {name} (layer {theirs})"
            if owner(parts[0]) in ENGINES and head in ENGINES:
                assert head == owner(parts[0]), f"engine {parts[0]} imports engine {head}"
        else:
            homes = THIRD_PARTY_HOMES.get(name)
            assert homes is None or owner(parts[0]) in homes, f"{path} imports {name}, allowed only in {homes}"


def test_import_has_no_heavy_side_effects():
    import subprocess
    import sys

    code = "import sys, fairshare; print(int('cvxpy' in sys.modules), int('matplotlib' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "0"], "importing fairshare must not import cvxpy or matplotlib"


# ------------------------------------------------------------------------------------------ the tree's shape
#: The only modules allowed at the top level of fairshare/ besides packages.
TOP_LEVEL_MODULES = {"__init__", "__main__", "cli", "errors", "features", "_jit", "_version", "_distributed",
                     "_deprecation", "_atomic", "_checks"}


def test_top_level_holds_packages_and_a_handful_of_modules():
    modules_here = {p.stem for p in ROOT.glob("*.py")}
    assert modules_here <= TOP_LEVEL_MODULES, f"move into a package: {sorted(modules_here - TOP_LEVEL_MODULES)}"
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert {"metrics", "formulas", "evaluation", "optimization", "simulation", "_kernels"} <= packages


def _module_level_imports(path: Path, parts) -> set[str]:
    """Dotted fairshare modules (relative to fairshare) imported when ``path`` is imported."""
    tree = ast.parse(path.read_text())
    is_init = parts[-1] == "__init__"
    package = list(parts[:-1])
    found = set()
    for node in tree.body:  # module level only: imports inside functions run later
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = base + (node.module.split(".") if node.module else [])
            names = [a.name for a in node.names]
            for name in names:
                sub = ".".join(target + [name])
                found.add(sub if _exists(sub) else ".".join(target))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fairshare."):
            found.add(node.module.split(".", 1)[1])
    own = ".".join(package if is_init else parts)
    ancestors = {".".join(package[:i]) for i in range(len(package) + 1)}
    return {m for m in found if m and m != own and m not in ancestors}


def _exists(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_no_import_cycle():
    graph = {}
    for path, parts in modules():
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = _module_level_imports(path, parts)
    # Tarjan's strongly connected components; any component of size > 1 is a cycle
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert len(graph) > 50
    assert not cycles, f"import cycles: {cycles}"


def test_every_public_object_lives_in_a_public_module():
    checked, private = 0, []
    for module in public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            home = getattr(obj, "__module__", None)
            if not (callable(obj) and isinstance(home, str) and home.startswith("fairshare")):
                continue
            checked += 1
            if any(part.startswith("_") for part in home.split(".")[1:]):
                private.append(f"{module.__name__}.{name} ({home})")
    assert checked > 100
    assert not private, f"public objects defined in private modules: {private}"


def test_no_attribute_shadows_a_submodule():
    import importlib
    import pkgutil

    shadowed = []
    for module in public_modules():
        if not hasattr(module, "__path__"):
            continue
        for info in pkgutil.iter_modules(module.__path__):
            if info.name == "__main__":
                continue
            sub = importlib.import_module(f"{module.__name__}.{info.name}")
            if getattr(module, info.name, sub) is not sub:
                shadowed.append(f"{module.__name__}.{info.name}")
    assert not shadowed, f"names that hide a submodule of the same name: {shadowed}"


def test_kernels_import_only_jit_numpy_and_sibling_kernels():
    import sys

    allowed_outside = {"numpy"} | set(sys.stdlib_module_names)
    wrong, seen = [], 0
    for path, parts in modules():
        if parts[0] != "_kernels":
            continue
        seen += 1
        for name, internal in imported_modules(path, parts):
            if internal:
                ok = name == "_jit" or name.startswith("_jit.") or name.split(".")[0] == "_kernels"
            else:
                ok = name in allowed_outside
            if not ok:
                wrong.append(f"{'/'.join(parts)} imports {name}")
    assert seen > 10
    assert not wrong, f"kernels import only fairshare._jit, sibling kernels, numpy and the standard library: {wrong}"
