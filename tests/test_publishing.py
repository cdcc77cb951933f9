"""Publishing: the Pages workflow, the deploy command, site_url, mkdocs.yml settings."""

import pytest
import yaml

from generator.cli import main
from tests.conftest import REPO


class _Loader(yaml.SafeLoader):
    pass


# mkdocs.yml uses MkDocs' !ENV tag; read it as a plain list here.
_Loader.add_constructor("!ENV", lambda loader, node: loader.construct_sequence(node))


def load_yaml(path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def test_pages_workflow_builds_and_deploys():
    wf = load_yaml(REPO / ".github" / "workflows" / "pages.yml")
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    uses = [s.get("uses", "") for s in build["steps"]]
    runs = " ".join(s.get("run", "") for s in build["steps"])
    assert "python -m generator build" in runs and "--dataset mnist" in runs
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/cache") for u in uses)
    cache = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert "~/.keras/datasets" in cache["with"]["path"] and ".cache" in cache["with"]["path"]
    assert deploy["needs"] == "build"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages")
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"


def test_mkdocs_config_is_bilingual_material_with_pins():
    cfg = load_yaml(REPO / "mkdocs.yml")
    assert cfg["theme"]["name"] == "material"
    assert cfg["site_url"] == ["SITE_URL", ""]
    plugins = {next(iter(p)) if isinstance(p, dict) else p: p for p in cfg["plugins"]}
    i18n = plugins["i18n"]["i18n"]
    assert [l["locale"] for l in i18n["languages"]] == ["en", "zh-TW"]
    assert "zh" in plugins["search"]["search"]["lang"]
    assert "glightbox" in plugins
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"mkdocs>=1.6,<2"' in pyproject and '"mkdocs-material>=9.7,<10"' in pyproject


def test_deploy_before_build_is_one_line(tmp_path, capsys):
    assert main(["deploy", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "generator build" in err and err.count("\n") == 1


def test_bad_site_url(tmp_path, capsys):
    assert main(["build", "--site-url", "example.org", "--root", str(tmp_path)]) == 2
    assert "Received: site_url='example.org'" in capsys.readouterr().err


def test_deploy_runs_gh_deploy(tmp_path, monkeypatch, capsys):
    import subprocess

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "report.json").write_text("{}")
    seen = {}

    def fake_run(cmd, **kw):
        seen.update(cmd=cmd, env=kw["env"])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert main(["deploy", "--site-url", "https://u.github.io/r/", "--root", str(tmp_path)]) == 0
    assert seen["cmd"][1:4] == ["-m", "mkdocs", "gh-deploy"]
    assert seen["env"]["SITE_URL"] == "https://u.github.io/r/"


def test_nav_mirrors_the_page_registry():
    from generator.pages import PAGES

    cfg = load_yaml(REPO / "mkdocs.yml")
    assert cfg["nav"] == [{p.title["en"]: f"{p.slug}.md"} for p in PAGES]
    plugins = {next(iter(p)): p[next(iter(p))] for p in cfg["plugins"] if isinstance(p, dict)}
    zh = next(l for l in plugins["i18n"]["languages"] if l["locale"] == "zh-TW")
    assert zh["nav_translations"] == {p.title["en"]: p.title["zh-TW"] for p in PAGES}
