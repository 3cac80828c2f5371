"""Where the bundled data is found: the project's own KB, unless AUTHDOCTOR_KB names another."""
from pathlib import Path

from authdoctor import config
from authdoctor import knowledge as kbmod


def test_the_bundled_kb_is_the_projects_kb(monkeypatch, kb_dir):
    monkeypatch.delenv(config.KB_ENV, raising=False)
    assert Path(kbmod.load().path) == kb_dir.resolve()


def test_authdoctor_kb_names_another_knowledge_base(monkeypatch, kb_copy):
    monkeypatch.setenv(config.KB_ENV, str(kb_copy))
    assert config.kb_path() == str(kb_copy) and Path(kbmod.load().path) == kb_copy.resolve()


def test_the_page_finds_its_templates_and_static_files():
    assert (Path(config.data_path("templates")) / "index.html").is_file()
    assert (Path(config.data_path("static")) / "copy.js").is_file()
