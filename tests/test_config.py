"""Where the bundled data is found: the project's own KB, unless AUTHDOCTOR_KB names another; a company's overlay over it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from authdoctor import config
from authdoctor import knowledge as kbmod

ROOT = Path(__file__).resolve().parent.parent


def test_the_bundled_kb_is_the_projects_kb(monkeypatch, kb_dir):
    monkeypatch.delenv(config.KB_ENV, raising=False)
    assert Path(kbmod.load().path) == kb_dir.resolve()


def test_authdoctor_kb_names_another_knowledge_base(monkeypatch, kb_copy):
    monkeypatch.setenv(config.KB_ENV, str(kb_copy))
    assert config.kb_path() == str(kb_copy) and Path(kbmod.load().path) == kb_copy.resolve()


def test_the_page_finds_its_templates_and_static_files():
    assert (Path(config.data_path("templates")) / "index.html").is_file()
    assert (Path(config.data_path("static")) / "copy.js").is_file()


# --- a company's overlay ----------------------------------------------------------------

def _overlay(tmp_path, kb_dir, title="ExpiredToken, as our wiki names it"):
    """An overlay replacing one bundled error file (its title changed) and adding a cause id."""
    over = tmp_path / "overlay"
    (over / "errors").mkdir(parents=True)
    text = (kb_dir / "errors" / "ExpiredToken.yaml").read_text()
    first, rest = text.split("\n", 2)[1], text.split("\n", 2)[2]
    assert first.startswith("title:")
    (over / "errors" / "ExpiredToken.yaml").write_text(f"id: ExpiredToken\ntitle: {title}\n{rest}")
    return over


def test_an_overlay_file_replaces_the_bundled_one_and_the_rest_stays(monkeypatch, tmp_path, kb_dir, kb):
    monkeypatch.delenv(config.KB_ENV, raising=False)
    monkeypatch.setenv(config.OVERLAY_ENV, str(_overlay(tmp_path, kb_dir)))
    merged = kbmod.load()
    assert merged.errors["ExpiredToken"].title == "ExpiredToken, as our wiki names it"
    assert set(merged.errors) == set(kb.errors) and set(merged.causes) == set(kb.causes)
    assert merged.version != kb.version


def test_an_overlays_cause_ids_join_the_bundled_list_with_their_notes(tmp_path, kb_dir):
    over = tmp_path / "overlay"
    over.mkdir()
    (over / "cause-ids.yaml").write_text("# kb-only: vpn-required: our wiki, page 12\nids:\n  - vpn-required\n  - stale-env-vars\n")
    text = (Path(config.merge_overlay(kb_dir, over)) / "cause-ids.yaml").read_text()
    assert text.startswith((kb_dir / "cause-ids.yaml").read_text())
    assert "# kb-only: vpn-required: our wiki, page 12" in text and text.count("  - vpn-required") == 1
    assert text.count("  - stale-env-vars") == 1


def test_kb_check_lints_the_overlay_and_names_its_broken_file(tmp_path, kb_dir):
    over = _overlay(tmp_path, kb_dir)
    (over / "errors" / "WeirdError.yaml").write_text("id: WeirdError\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), config.OVERLAY_ENV: str(over)}
    env.pop(config.KB_ENV, None)
    r = subprocess.run([sys.executable, "-m", "authdoctor", "kb", "check"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 1 and "WeirdError.yaml" in r.stdout


def test_kb_check_passes_a_sound_overlay(tmp_path, kb_dir):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), config.OVERLAY_ENV: str(_overlay(tmp_path, kb_dir))}
    env.pop(config.KB_ENV, None)
    r = subprocess.run([sys.executable, "-m", "authdoctor", "kb", "check"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("ok:"), r.stdout + r.stderr


def test_an_overlay_that_is_not_a_folder_is_named(tmp_path, kb_dir):
    with pytest.raises(FileNotFoundError, match="AUTHDOCTOR_KB_OVERLAY"):
        config.merge_overlay(kb_dir, tmp_path / "nothing")
