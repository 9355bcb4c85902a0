"""Print clearsight's package import graph (who imports whom) and every import of another
package's private module, read from the source's AST (nothing is imported).

    python scripts/import_graph.py [SRC_DIR]     # default: src/clearsight beside this script
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path


def package_of(root: Path, path: Path) -> str:
    return path.relative_to(root).parts[0].removesuffix(".py")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of each absolute clearsight import; ``from clearsight.x import
    _y`` counts as importing ``clearsight.x._y``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [
                (node.lineno, f"{node.module}.{alias.name}")
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return [(line, name) for line, name in found if name.split(".")[0] == "clearsight"]


def scan(root: Path) -> tuple[dict[str, set[str]], list[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    private: list[str] = []
    for path in sorted(root.rglob("*.py")):
        package = package_of(root, path)
        if package == "__init__":
            continue
        graph.setdefault(package, set())
        for line, name in imported_modules(path):
            parts = name.split(".")
            if len(parts) < 2 or parts[1] == package:
                continue
            graph[package].add(parts[1])
            if len(parts) > 2 and parts[2].startswith("_"):
                private.append(f"{path.relative_to(root.parent)}:{line}: {name}")
    return graph, private


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "src" / "clearsight"
    graph, private = scan(root)
    for package in sorted(graph):
        print(f"{package:<11} -> {', '.join(sorted(graph[package])) or '(nothing)'}")
    print(f"\n{sum(len(v) for v in graph.values())} edges between {len(graph)} packages")
    print(f"{len(private)} imports of another package's private module")
    for item in private:
        print(f"  {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
