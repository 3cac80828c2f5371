"""The validated KB kept between starts: used while nothing changed, never once something did."""
from pathlib import Path

import pytest

from authdoctor.knowledge import cache, loader


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(where))
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    return where


def test_a_second_load_comes_from_the_cache_and_equals_a_fresh_build(kb_copy, cache_dir):
    first = cache.load(kb_copy)
    kept = list(cache_dir.glob("kb-*.pickle"))
    assert len(kept) == 1
    again = cache.load(kb_copy)
    assert again is not first and again == first == loader.load(kb_copy)
    assert list(cache_dir.glob("kb-*.pickle")) == kept


def test_a_changed_kb_file_is_read_again_not_served_stale(kb_copy, cache_dir, edit_kb_file):
    cache.load(kb_copy)
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "title: ", "title: Changed just now - ")
    changed = cache.load(kb_copy)
    assert changed.causes["clock-skew"].title.startswith("Changed just now - ")
    assert changed == loader.load(kb_copy)
    assert len(list(cache_dir.glob("kb-*.pickle"))) == 2


def test_a_new_file_in_the_kb_folder_changes_the_key(kb_copy, cache_dir):
    before = cache.key(kb_copy.resolve())
    (kb_copy / "NOTES.md").write_text("anything\n")
    assert cache.key(kb_copy.resolve()) != before


def test_a_damaged_cache_file_is_ignored_and_the_kb_built(kb_copy, cache_dir):
    cache.load(kb_copy)
    (kept,) = cache_dir.glob("kb-*.pickle")
    kept.write_bytes(b"not a pickle")
    assert cache.load(kb_copy) == loader.load(kb_copy)


def test_a_broken_kb_is_refused_with_the_cache_on_as_without_it(kb_copy, cache_dir, edit_kb_file):
    from authdoctor.knowledge import KBError
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "title: ", "title: [unclosed ")
    with pytest.raises(KBError):
        cache.load(kb_copy)
    assert not list(cache_dir.glob("kb-*.pickle"))


def test_the_cache_can_be_turned_off(kb_copy, cache_dir, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, "0")
    cache.load(kb_copy)
    assert not cache_dir.exists()


def _titles(kb):
    """What the derived-table tests keep: plain data made from the KB, counting its builds."""
    _titles.builds += 1
    return {cid: c.title for cid, c in kb.causes.items()}


_titles.builds = 0


@pytest.fixture()
def code_file(tmp_path):
    f = tmp_path / "builder.py"
    f.write_text("# the code that derives the table\n")
    return f


def test_a_derived_table_is_kept_beside_the_kb_and_equals_a_fresh_build(kb_copy, cache_dir, code_file):
    kb = cache.load(kb_copy)
    before = _titles.builds
    first = cache.derived(kb, _titles, [code_file])
    assert _titles.builds == before + 1
    assert len(list(cache_dir.glob("derived-*.pickle"))) == 1
    # another start: the KB and the table both come from the cache
    again = cache.derived(cache.load(kb_copy), _titles, [code_file])
    assert _titles.builds == before + 1
    assert again == first == _titles(loader.load(kb_copy))


def test_a_derived_table_is_built_again_when_the_kb_changed(kb_copy, cache_dir, code_file, edit_kb_file):
    cache.derived(cache.load(kb_copy), _titles, [code_file])
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "title: ", "title: Changed just now - ")
    changed = cache.derived(cache.load(kb_copy), _titles, [code_file])
    assert changed["clock-skew"].startswith("Changed just now - ")
    assert len(list(cache_dir.glob("derived-*.pickle"))) == 2


def test_a_derived_table_is_built_again_when_its_code_changed(kb_copy, cache_dir, code_file):
    kb = cache.load(kb_copy)
    cache.derived(kb, _titles, [code_file])
    before = _titles.builds
    code_file.write_text("# the code that derives the table, changed\n")
    cache.derived(kb, _titles, [code_file])
    assert _titles.builds == before + 1
    assert len(list(cache_dir.glob("derived-*.pickle"))) == 2


def test_a_damaged_derived_table_is_built_again(kb_copy, cache_dir, code_file):
    kb = cache.load(kb_copy)
    first = cache.derived(kb, _titles, [code_file])
    (kept,) = cache_dir.glob("derived-*.pickle")
    kept.write_bytes(b"not a pickle")
    assert cache.derived(kb, _titles, [code_file]) == first


def test_a_kb_the_cache_did_not_give_has_its_tables_built_not_kept(kb_copy, cache_dir, code_file, monkeypatch):
    built = loader.load(kb_copy)
    before = _titles.builds
    cache.derived(built, _titles, [code_file])
    assert _titles.builds == before + 1
    monkeypatch.setenv(cache.CACHE_ENV, "0")
    cache.derived(cache.load(kb_copy), _titles, [code_file])
    assert _titles.builds == before + 2
    assert not cache_dir.exists()


def test_the_kb_patterns_come_back_from_the_cache_compiling_to_what_was_checked(kb_copy, cache_dir):
    cache.load(kb_copy)
    kept, built = cache.load(kb_copy), loader.load(kb_copy)
    pairs = [(k, b) for name in built.markers for k, b in zip(kept.markers[name].patterns, built.markers[name].patterns)]
    pairs += [(k, b) for eid in built.errors for k, b in zip(kept.errors[eid].cues, built.errors[eid].cues)]
    assert pairs and len(pairs) == sum(len(m.patterns) for m in built.markers.values()) + sum(len(e.cues) for e in built.errors.values())
    for k, b in pairs:
        assert k.compiled() == b.compiled()


def test_a_file_added_or_moved_below_the_kb_folder_changes_the_key(kb_copy):
    root = kb_copy.resolve()
    before = cache.key(root)
    (root / "causes" / "notes").mkdir()
    (root / "causes" / "notes" / "a.md").write_text("anything\n")
    added = cache.key(root)
    (root / "causes" / "notes" / "a.md").rename(root / "causes" / "a.md")
    assert len({before, added, cache.key(root)}) == 3


def test_another_install_of_a_library_that_renders_the_kb_changes_the_key(kb_copy, tmp_path, monkeypatch):
    import sys
    root = kb_copy.resolve()
    monkeypatch.setattr(cache, "_CODE", None)
    before = cache.key(root)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "nh3.py").write_text("# another nh3, found first on the path\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.delitem(sys.modules, "nh3", raising=False)
    monkeypatch.setattr(cache, "_CODE", None)
    assert cache.key(root) != before


# --- a KB with an overlay -----------------------------------------------------------

@pytest.fixture()
def overlay(tmp_path, kb_copy, monkeypatch):
    """A company's folder laid over the KB: one cause's file replaced."""
    from authdoctor import config
    folder = tmp_path / "overlay"
    (folder / "causes").mkdir(parents=True)
    text = (kb_copy / "causes" / "clock-skew.yaml").read_text()
    (folder / "causes" / "clock-skew.yaml").write_text(text.replace("title: ", "title: Ours - ", 1))
    monkeypatch.setenv(config.KB_ENV, str(kb_copy))
    monkeypatch.setenv(config.OVERLAY_ENV, str(folder))
    return folder


def test_two_starts_with_the_same_overlay_reuse_one_entry(overlay, cache_dir):
    from authdoctor import config
    first = cache.load()
    again = cache.load()  # each start merges into a new temporary folder
    assert first.path != again.path
    assert len(list(cache_dir.glob("kb-*.pickle"))) == 1
    assert again.causes["clock-skew"].title.startswith("Ours - ")
    assert again == loader.load(again.path)  # its path is the folder it was asked for
    assert cache.key(Path(config.kb_path())) == cache.key(Path(again.path))


def test_a_changed_overlay_file_changes_the_key(overlay, cache_dir, edit_kb_file):
    cache.load()
    edit_kb_file(overlay / "causes" / "clock-skew.yaml", "title: Ours - ", "title: Ours, changed - ")
    changed = cache.load()
    assert changed.causes["clock-skew"].title.startswith("Ours, changed - ")
    assert len(list(cache_dir.glob("kb-*.pickle"))) == 2
