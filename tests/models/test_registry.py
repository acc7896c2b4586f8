"""The registry of architectures: names by kind, builders in their family modules, the CLI's
``--arch`` choices, and model modules that import without cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from torch import nn

from screener_gui.core.models import registry
from screener_gui.core.models.registry import CLASSIFIER_KIND, DENSE_KIND, build, entry, names

PACKAGE = "screener_gui.core.models"
FOLDER = Path(registry.__file__).parent
MODULES = sorted(f"{PACKAGE}.{p.stem}" for p in FOLDER.glob("*.py") if p.stem != "__init__")
FAMILIES = {"resnet", "squeezenet", "vgg", "bcnn", "macnn", "dfl", "dense"}


def test_names_by_kind():
    classifiers = names(CLASSIFIER_KIND)
    assert classifiers[:2] == ("resnet18", "resnet50") and "dfl_lite0" in classifiers
    assert set(classifiers) >= {"squeezenet", "vgg16", "bcnn", "macnn", "dfl", "dfl_resnet18"}
    assert names(DENSE_KIND) == ("dense_lite0",)
    assert names() == (*classifiers, "dense_lite0")


def test_every_entry_has_its_builder_in_its_own_family_module():
    assert {entry(name).family for name in names()} == FAMILIES
    for name in names():
        found = entry(name)
        assert (FOLDER / f"{found.family}.py").is_file(), name
        module = __import__(f"{PACKAGE}.{found.family}", fromlist=[found.builder])
        assert callable(getattr(module, found.builder)), name


def test_built_models_carry_their_name():
    assert build("squeezenet").arch == "squeezenet"
    assert build("dense_lite0", kind=DENSE_KIND, pretrained=False).arch == "dense_lite0"


def test_an_architecture_of_another_kind_or_unknown_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown dense_detector 'resnet18'; known: dense_lite0"):
        build("resnet18", kind=DENSE_KIND)
    with pytest.raises(ValueError, match=r"Unknown classifier 'alexnet'; known: resnet18, .*dfl_lite0"):
        entry("alexnet", CLASSIFIER_KIND)


def test_a_new_architecture_registers_once(monkeypatch):
    monkeypatch.setattr(registry, "_ENTRIES", dict(registry._ENTRIES))
    registry.register("tiny", lambda: nn.Linear(1, 1), family="tests", kind=CLASSIFIER_KIND)
    assert "tiny" in names(CLASSIFIER_KIND) and isinstance(build("tiny"), nn.Linear)
    with pytest.raises(ValueError, match="registered already"):
        registry.register("tiny", "Other", family="tests", kind=CLASSIFIER_KIND)


def test_the_train_command_offers_the_registered_classifiers():
    from screener_gui.cli import build_parser

    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    arch = next(a for a in subcommands["train"]._actions if a.dest == "arch")
    assert tuple(arch.choices) == names(CLASSIFIER_KIND)
    from screener_gui.core.training.settings import ClassifierSettings, PooledSettings

    assert {ClassifierSettings().arch, PooledSettings().arch} <= set(arch.choices)  # the defaults


def _imported(module: str) -> set[str]:
    """The modules of the package that ``module`` imports anywhere (functions and type checks too)."""
    tree = ast.parse((FOLDER / f"{module.rsplit('.', 1)[1]}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found & set(MODULES)


def test_no_module_imports_one_that_imports_it_back():
    """Static imports plus the registry's own (it imports a family when building its model)."""
    graph = {module: _imported(module) for module in MODULES}
    graph[f"{PACKAGE}.registry"] |= {f"{PACKAGE}.{entry(name).family}" for name in names()}
    assert not graph[f"{PACKAGE}.base"], "the base module imports no family"

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph[start])

    cyclic = [module for module in MODULES if reaches(module, module, set())]
    assert not cyclic


def test_every_model_module_imports_on_its_own():
    """In a fresh interpreter; the package's modules are forgotten before each import."""
    script = (
        "import importlib, sys, torch, torchvision\n"
        f"for name in {MODULES!r}:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('screener_gui')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
