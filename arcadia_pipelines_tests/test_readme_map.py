"""The README's "Where things are" names every folder and root module of the package, so the map
stays true when the house changes."""

from __future__ import annotations

from arcadia_pipelines_tests.test_cli import ROOT


def where_things_are() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Where things are\n")
    return readme[start:readme.find("\n## ", start + 1)]


def test_the_map_names_every_folder_and_root_module_of_the_package():
    package, text = ROOT / "arcadia_pipelines", where_things_are()
    folders = [p.name for p in package.iterdir() if (p / "__init__.py").exists()]
    modules = [p.name for p in package.glob("*.py") if p.name != "__init__.py"]
    missing = [f"{name}/" for name in folders if f"`arcadia_pipelines/{name}/`" not in text]
    missing += [name for name in modules if f"{name}`" not in text]
    assert missing == []
