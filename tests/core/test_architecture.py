"""The import directions of ARCHITECTURE.md, enforced: data flows one way through the stages."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import clearsight

ROOT = Path(clearsight.__file__).parent

# For each stage package, the clearsight packages it may import.
ALLOWED: dict[str, set[str]] = {
    "types": set(),
    "errors": set(),
    # config assembles the detector and embedder sections from the stages' plugin registries
    # (each plugin's settings live with it); see test_config_reads_only_plugin_settings.
    "config": {"types", "errors", "models", "detect", "embed"},
    "models": {"errors"},
    "crypto": {"errors"},
    "plugins": {"errors"},
    "ingest": {"types", "config", "errors"},
    "detect": {"types", "errors", "models", "plugins"},
    "track": {"types", "config"},
    "motion": {"types", "config"},
    "quality": {"types", "config"},
    "embed": {"types", "errors", "models", "plugins"},
    "match": {"types", "config", "errors"},
    "alert": {"types", "config", "policy", "audit"},
    "enrollment": {"types", "config", "errors", "detect", "embed", "quality"},
    "watchlist": {"types", "errors", "match"},
    "demo": {"types"},
    # The library API (clearsight/_library.py, exported by clearsight/__init__.py): recipes
    # over the stages, used by the CLI; no stage imports it.
    "_library": {
        "types",
        "config",
        "errors",
        "backends",
        "detect",
        "enrollment",
        "ingest",
        "match",
        "pipeline",
        "watchlist",
    },
    "pipeline": {
        "types",
        "config",
        "errors",
        "ingest",
        "detect",
        "motion",
        "track",
        "quality",
        "embed",
        "match",
        "alert",
        "policy",
        "audit",
    },
}
# Whatever else a package may import, these edges are never allowed.
FORBIDDEN: dict[str, set[str]] = {
    # Web is routes and pages over clearsight.service: no models, no cluster, no workers.
    "web": {"detect", "embed", "cli", "cluster", "workers", "backends", "enrollment", "pipeline"},
    "service": {"web", "cli"},
    "cluster": {"store", "web", "cli", "service"},
    "workers": {"web", "cli", "service", "cluster"},
    "notify": {"web", "cli", "service", "cluster", "workers", "pipeline", "detect", "embed"},
    "privacy": {"store", "web", "cli", "service", "cluster", "workers", "notify"},
    "bench": {"store", "web", "cli", "service", "cluster", "workers"},
    "audit": {"store", "web", "cli", "pipeline"},
    "policy": {"store", "web", "cli", "pipeline"},
    "review": {"store", "web", "cli", "pipeline", "detect", "embed"},
    "store": {"web", "cli", "pipeline", "detect", "embed"},
    "fleet": {"store", "web", "pipeline", "detect", "embed", "cli"},
    "evaluation": {"store", "web", "cli"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "clearsight" and node.level == 0:
            # `from clearsight import compare`: the library API, re-exported by the package.
            names = [f"clearsight._library.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "clearsight" and len(parts) > 1:
                found.add(parts[1])
    return found


def _private_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of each import of a private module (``clearsight.<pkg>._<mod>``, also
    written ``from clearsight.<pkg> import _<mod>``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
        found += [
            (node.lineno, name)
            for name in names
            if name.startswith("clearsight.")
            and len(name.split(".")) > 2
            and name.split(".")[2].startswith("_")
        ]
    return found


def _package_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def test_import_directions() -> None:
    violations = []
    for path in ROOT.rglob("*.py"):
        package = _package_of(path)
        if package == "__init__":
            continue
        imported = _imports(path) - {package}
        if package in ALLOWED:
            bad = imported - ALLOWED[package]
        else:
            bad = imported & FORBIDDEN.get(package, set())
        bad |= imported & {"cli"} if package != "cli" else set()
        bad |= imported & {"_library"} if package != "cli" else set()
        violations += [
            f"{path.relative_to(ROOT)} imports clearsight.{name}" for name in sorted(bad)
        ]
    assert violations == []


def test_no_package_imports_another_packages_private_module() -> None:
    """What a package offers is its ``__all__``; its ``_modules`` may change freely."""
    violations = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in ROOT.rglob("*.py")
        for line, name in _private_imports(path)
        if name.split(".")[1] != _package_of(path)
    ]
    assert violations == []


def test_web_routes_open_no_store_transaction() -> None:
    """Web is routes and pages: what a request does to the store is a use case of
    clearsight.service, in one transaction there."""
    opened = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "web").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".db.session(" in line or ".db.read_session(" in line
    ]
    assert opened == []


def test_importing_the_web_loads_no_cluster_or_alert_sink_client() -> None:
    """The NATS and PostgreSQL clients load only in a service that joins a cluster; the MQTT
    and SMTP clients only in a sink that sends."""
    code = (
        "import sys, clearsight.web, clearsight.service\n"
        "print([m for m in ('nats', 'psycopg', 'clearsight.cluster._nats', 'paho', 'smtplib') "
        "if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_config_reads_only_plugin_settings_from_the_stages() -> None:
    """config may import from detect and embed their registries and settings classes only,
    never a detector or embedder itself."""
    stages = {"clearsight.detect", "clearsight.embed"}
    names = {
        alias.name
        for path in (ROOT / "config").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module in stages
        for alias in node.names
    }
    assert names, "config no longer reads the plugin registries: update this test"
    assert (
        sorted(
            name
            for name in names
            if name not in ("DETECTORS", "EMBEDDERS") and not name.endswith(("Config", "Settings"))
        )
        == []
    )


def test_every_public_name_exists() -> None:
    """Each package's __all__ names real attributes (a stale export fails here)."""
    missing = []
    for info in pkgutil.walk_packages([str(ROOT)], prefix="clearsight."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        missing += [
            f"{info.name}.{name}"
            for name in getattr(module, "__all__", [])
            if not hasattr(module, name)
        ]
    assert missing == []


def test_importing_everything_loads_no_model() -> None:
    """Work happens when asked: importing every module loads no dlib model and starts no thread."""
    code = (
        "import importlib, pkgutil, threading, clearsight, clearsight.models as m\n"
        "for info in pkgutil.walk_packages(clearsight.__path__, prefix='clearsight.'):\n"
        "    if '.migrations' not in info.name:\n"
        "        importlib.import_module(info.name)\n"
        "loaded = [f.__name__ for f in (m.load_hog_detector, m.load_cnn_detector, "
        "m.load_shape_predictor_5, m.load_resnet) if f.cache_info().currsize]\n"
        "print(loaded, threading.active_count())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] 1"
