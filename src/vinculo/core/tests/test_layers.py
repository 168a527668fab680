"""The apps form layers, each importing only from the layers below it:

    core ← org ← accounts ← contacts ← customer360 ← activities ← marketing ← sales ← exchange ← reports ← api, demo and
    the shell

(the shell: urls.py, home.py, settings.py and the other modules at the package's top). An import of a
higher layer — at module level or inside a function, `import x`, `from x import y`, `import_module("x")`
— a model named by string ("sales.Lead" in a ForeignKey, `apps.get_model("sales", "Lead")`), or a cycle
between apps fails this test. A lower app that needs something from a higher one offers a registry the
higher one fills from its `AppConfig.ready()` (docs/architecture.md).

There is no list of tolerated exceptions.

Tests and migrations are left out: tests build data across apps, and a migration's dependencies are its
history, not an import of today's code.
"""

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import vinculo

PACKAGE = Path(vinculo.__file__).parent
LAYERS = (("core",), ("org",), ("accounts",), ("contacts",), ("customer360",), ("plans",), ("activities",),
          ("marketing",), ("sales",), ("work",), ("exchange",), ("reports",),
          ("api", "demo", "shell"))
SKIPPED_DIRS = {"tests", "migrations", "templates", "static", "locale", "__pycache__"}


@dataclass(frozen=True)
class Reference:
    source: str  # the app holding the import
    target: str  # the app it names
    where: str  # file:line
    what: str

    def __str__(self):
        return f"{self.where}: {self.source} → {self.target} ({self.what})"


def layer_of(app: str, layers=LAYERS) -> int:
    return next(index for index, names in enumerate(layers) if app in names)


def app_of(path: Path, root: Path, apps: set[str]) -> str:
    first = path.relative_to(root).parts[0]
    return first if first in apps else "shell"


def _named_app(dotted: str, package: str, apps: set[str]) -> str | None:
    parts = dotted.split(".")
    if len(parts) >= 2 and parts[0] == package and parts[1] in apps:
        return parts[1]
    if len(parts) >= 2 and parts[0] == package:
        return "shell"
    return None


def _model_label_app(text: str, apps: set[str]) -> str | None:
    """The app of a model label ("sales.Lead", "sales.lead"), if `text` is one of ours."""
    parts = text.split(".")
    if len(parts) == 2 and parts[0] in apps and parts[1].isidentifier() and parts[1][:1].isalpha():
        return parts[0]
    return None


def references(root: Path, package: str, apps: set[str]) -> list[Reference]:
    """Every reference from one app to another under `root` (the package's directory)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if SKIPPED_DIRS & set(relative.parts[:-1]):
            continue
        source = app_of(path, root, apps)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[tuple[str, str]] = []
            if isinstance(node, ast.Import):
                targets = [(alias.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [(node.module, node.module)]
                if node.module == package:  # from vinculo import sales
                    targets = [(f"{package}.{alias.name}", node.module) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level:
                # A relative import climbing out of its app: from ..sales import models.
                depth = len(relative.parts) - node.level
                if depth <= 0 and node.module:
                    targets = [(f"{package}.{node.module}", f"{'.' * node.level}{node.module}")]
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                first = node.args[0].value
                if name == "import_module" and isinstance(first, str):
                    targets = [(first, f'import_module("{first}")')]
                elif name in ("get_model", "get_app_config") and isinstance(first, str):
                    app = first.split(".")[0]
                    if app in apps:
                        targets = [(f"{package}.{app}", f'{name}("{first}")')]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                app = _model_label_app(node.value, apps)
                if app is not None:
                    targets = [(f"{package}.{app}", f'"{node.value}"')]
            for dotted, what in targets:
                target = _named_app(dotted, package, apps)
                if target is not None and target != source:
                    found.append(Reference(source, target, f"{relative}:{node.lineno}", what))
    return found


def wrong_way(found: list[Reference], layers=LAYERS) -> list[Reference]:
    return [ref for ref in found if layer_of(ref.target, layers) > layer_of(ref.source, layers)]


def cycles(found: list[Reference]) -> list[list[str]]:
    """The cycles of the app graph (each once, as the list of apps along it)."""
    graph: dict[str, set[str]] = {}
    for ref in found:
        graph.setdefault(ref.source, set()).add(ref.target)
    seen, result = set(), []

    def walk(app, path):
        for target in sorted(graph.get(app, ())):
            if target in path:
                cycle = path[path.index(target):]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    result.append([*cycle, target])
            else:
                walk(target, [*path, target])

    for app in sorted(graph):
        walk(app, [app])
    return result


def our_apps() -> set[str]:
    return {name for names in LAYERS for name in names} - {"shell"}


def test_every_app_is_in_a_layer():
    apps = {path.parent.name for path in PACKAGE.glob("*/apps.py")}
    assert apps == our_apps()


def test_no_app_imports_a_higher_layer():
    found = wrong_way(references(PACKAGE, "vinculo", our_apps()))
    assert not found, "Imports against the layers:\n" + "\n".join(map(str, found))


def test_no_cycle_between_apps():
    assert not cycles(references(PACKAGE, "vinculo", our_apps()))


# The checker itself, on a synthetic package: it must catch each way of reaching up.

def _package(tmp_path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


SYNTHETIC_LAYERS = (("low",), ("high",), ("shell",))


def _violations(tmp_path, text: str) -> list[str]:
    root = _package(tmp_path, {"low/__init__.py": "", "low/bad.py": text, "high/__init__.py": "",
                               "high/models.py": "import pkg.low\n"})
    found = references(root, "pkg", {"low", "high"})
    return [f"{ref.where} {ref.what}" for ref in wrong_way(found, SYNTHETIC_LAYERS)]


def test_a_module_level_import_of_a_higher_layer_fails(tmp_path):
    assert _violations(tmp_path, "from pkg.high.models import Thing\n") == ["low/bad.py:1 pkg.high.models"]


def test_an_import_inside_a_function_fails(tmp_path):
    text = """
    def helper():
        import pkg.high.models
        return pkg.high.models
    """
    assert _violations(tmp_path, text) == ["low/bad.py:3 pkg.high.models"]


def test_importing_the_app_from_the_package_fails(tmp_path):
    assert _violations(tmp_path, "from pkg import high\n") == ["low/bad.py:1 pkg"]


def test_import_module_and_model_labels_fail(tmp_path):
    text = """
    from importlib import import_module
    from django.apps import apps

    models = import_module("pkg.high.models")
    Thing = apps.get_model("high", "Thing")
    link = ForeignKey("high.Thing", on_delete=CASCADE)
    """
    assert _violations(tmp_path, text) == [
        'low/bad.py:5 import_module("pkg.high.models")',
        'low/bad.py:6 get_model("high")',
        'low/bad.py:7 "high.Thing"',
    ]


def test_a_relative_import_out_of_the_app_fails(tmp_path):
    assert _violations(tmp_path, "from ..high import models\n") == ["low/bad.py:1 ..high"]


def test_downward_imports_and_the_shell_pass(tmp_path):
    root = _package(tmp_path, {"low/__init__.py": "", "high/__init__.py": "",
                               "high/views.py": "from pkg.low import models\nfrom . import forms\n",
                               "urls.py": "from pkg.high import views\n"})
    found = references(root, "pkg", {"low", "high"})
    assert [(ref.source, ref.target) for ref in found] == [("high", "low"), ("shell", "high")]
    assert wrong_way(found, SYNTHETIC_LAYERS) == []


def test_a_cycle_between_apps_fails(tmp_path):
    root = _package(tmp_path, {"low/__init__.py": "", "low/a.py": "import pkg.high\n",
                               "high/__init__.py": "", "high/b.py": "import pkg.low\n"})
    assert cycles(references(root, "pkg", {"low", "high"})) == [["high", "low", "high"]]


def test_tests_and_migrations_are_left_out(tmp_path):
    root = _package(tmp_path, {"low/tests/test_x.py": "import pkg.high\n",
                               "low/migrations/0001_initial.py": "import pkg.high\n"})
    assert references(root, "pkg", {"low", "high"}) == []
