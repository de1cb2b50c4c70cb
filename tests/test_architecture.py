"""The import direction of docs/architecture.md, checked over the code's own imports.

Every module of ``directory`` and ``peersupport`` belongs to one layer; a module imports only
from its own layer or the ones below it, lazily (inside a function) or not. A new module must
be given a layer here (and in docs/architecture.md): the test fails for a module it cannot
place, so the map cannot silently drift from the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A name stands for the module and everything below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "directory.constants",
            "directory.validators",
            "directory.scheduling",
            "peersupport.memory",  # glibc calls, loaded before Django by gunicorn's settings
        ),
    ),
    (
        "models",
        (
            "directory.models",
            "directory.migrations",
            "directory.submissions.models",
            "directory.peer_workers.models",
        ),
    ),
    (
        "domain",
        (
            "directory.search",
            "directory.submissions",  # its services, proposals, review and e-mail
            "directory.peer_workers",  # its search, credentials and verification
            "directory.selectors",
            "directory.services",
            "directory.feeds",
            "directory.meeting_guide",
            "directory.maps",
            "directory.loaders",
            "directory.demo",
            "directory.spreadsheets",
            "directory.tasks",
        ),
    ),
    (
        "web",
        (
            "directory.views",
            "directory.routes",
            "directory.urls",
            "directory.submissions.forms",
            "directory.submissions.report_form",
            "directory.submissions.views",
            "directory.submissions.urls",
            "directory.submissions.admin",
            "directory.peer_workers.views",
            "directory.peer_workers.urls",
            "directory.peer_workers.admin",
            "directory.search.forms",  # the search pages' parameters
            "directory.admin",
            "directory.templatetags",
            "directory.context_processors",
            "directory.sitemaps",
            "directory.edge",
            "directory.failsafe",
            "directory.ratelimit",
            "directory.cache",
            "directory.db",
            "directory.management",
        ),
    ),
    ("wiring", ("peersupport", "directory.apps", "directory")),
]
# Names that stand for that one module only, not for everything below it: the app's package
# itself (every module of the app starts with "directory.", and each must be placed).
EXACT = {"directory"}


def layer_of(module: str) -> int | None:
    """The layer of ``module`` (its longest listed prefix), None when none is listed."""
    best: tuple[int, int] | None = None
    for rank, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix not in EXACT and module.startswith(prefix + ".")):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    return best[0] if best else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def project_imports(path: Path) -> set[str]:
    """The project modules ``path`` imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # "from directory import selectors" imports the module directory.selectors.
            names = [
                f"{node.module}.{alias.name}"
                if is_module(f"{node.module}.{alias.name}")
                else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(n for n in names if n.split(".")[0] in {"directory", "peersupport"})
    return found


def sources() -> list[Path]:
    return sorted(
        p
        for package in ("directory", "peersupport")
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts
    )


def test_every_module_has_a_layer():
    unplaced = [module_name(p) for p in sources() if layer_of(module_name(p)) is None]
    assert not unplaced, f"give these a layer in tests/test_architecture.py: {unplaced}"


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for path in sources():
        module = module_name(path)
        own = layer_of(module)
        for imported in sorted(project_imports(path)):
            target = layer_of(imported)
            if own is not None and target is not None and target > own:
                upward.append(f"{module} ({LAYERS[own][0]}) -> {imported} ({LAYERS[target][0]})")
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("directory.models.listings", "models"),
        ("directory.search.listings", "domain"),
        ("directory.views.search", "web"),
        ("peersupport.settings", "wiring"),
        ("directory.scheduling.wording", "foundation"),
    ],
)
def test_the_map_places_modules_by_their_longest_prefix(module, layer):
    assert LAYERS[layer_of(module)][0] == layer


def test_a_new_module_of_the_app_is_not_placed_by_the_app_s_own_name():
    assert layer_of("directory.somewhere_new") is None
    assert LAYERS[layer_of("directory")][0] == "wiring"


def test_the_check_sees_an_upward_import(tmp_path):
    """The check itself can fail: a model importing a view is found."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from directory.views import search\n")
    imported = project_imports(source)
    assert imported == {"directory.views.search"}
    assert layer_of("directory.views") > layer_of("directory.models.listings")
