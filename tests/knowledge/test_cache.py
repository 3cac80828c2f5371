"""The validated KB kept between starts: used while nothing changed, never once something did."""
import os
import time
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


# --- the folder stays bounded -------------------------------------------------------

def _entry(where, kind, n, age):
    """A fake entry of `kind`, last used `age` seconds ago."""
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{kind}-{n:064x}.pickle"
    path.write_bytes(b"an older entry")
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_a_write_keeps_the_most_recently_used_entries_of_its_kind_and_removes_the_rest(kb_copy, cache_dir):
    keep = cache.KEEP["kb"]
    old = [_entry(cache_dir, "kb", n, age=60 * (n + 1)) for n in range(keep + 3)]  # newest first
    tables = [_entry(cache_dir, "derived", n, age=86400) for n in range(3)]
    other = [_entry(cache_dir, "terraform-dir", n, age=86400) for n in range(3)]
    dead = cache_dir / ".kb-dead.tmp"
    dead.write_bytes(b"a writer that died")
    os.utime(dead, (time.time() - 2 * 3600, time.time() - 2 * 3600))
    busy = cache_dir / ".kb-busy.tmp"
    busy.write_bytes(b"a writer still writing")
    cache.load(kb_copy)
    written = cache_dir / f"kb-{cache.key(kb_copy.resolve())}.pickle"
    assert written.is_file()
    assert sorted(cache_dir.glob("kb-*.pickle")) == sorted([written] + old[:keep - 1])
    assert all(p.is_file() for p in tables + other)  # another kind is pruned by its own writes
    assert not dead.exists() and busy.exists()


def test_an_entry_used_lately_outlives_entries_written_after_its_own_write(kb_copy, cache_dir, edit_kb_file):
    cache.load(kb_copy)
    (mine,) = cache_dir.glob("kb-*.pickle")
    os.utime(mine, (0, 0))  # written long ago ...
    newer = [_entry(cache_dir, "kb", n, age=60 + n) for n in range(cache.KEEP["kb"])]
    cache.load(kb_copy)  # ... and used now
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "title: ", "title: Changed just now - ")
    cache.load(kb_copy)  # a write: one of the others goes, not the one just used
    assert mine.is_file()
    assert len(list(cache_dir.glob("kb-*.pickle"))) == cache.KEEP["kb"]
    assert not newer[-1].exists()


def test_a_kb_entry_removed_before_it_is_read_is_built_again(kb_copy, cache_dir, monkeypatch):
    cache.load(kb_copy)
    (kept,) = cache_dir.glob("kb-*.pickle")
    taken = cache.key

    def key_then_pruned(root):
        # another process prunes the entry between this one's key and its read
        k = taken(root)
        kept.unlink(missing_ok=True)
        return k
    monkeypatch.setattr(cache, "key", key_then_pruned)
    assert cache.load(kb_copy) == loader.load(kb_copy)
    assert kept.is_file()  # written again


def test_a_derived_table_removed_after_its_kb_was_read_is_built_again(kb_copy, cache_dir, code_file):
    first = cache.derived(cache.load(kb_copy), _titles, [code_file])
    kb = cache.load(kb_copy)
    for p in cache_dir.glob("derived-*.pickle"):
        p.unlink()
    assert cache.derived(kb, _titles, [code_file]) == first


def test_writes_of_many_kbs_leave_a_bounded_folder(kb_copy, cache_dir, code_file, edit_kb_file, monkeypatch):
    monkeypatch.setitem(cache.KEEP, "kb", 2)
    monkeypatch.setitem(cache.KEEP, "derived", 2)
    for n in range(4):
        edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "title: ", f"title: Edit {n} - ")
        cache.derived(cache.load(kb_copy), _titles, [code_file])
    assert len(list(cache_dir.glob("kb-*.pickle"))) == 2
    assert len(list(cache_dir.glob("derived-*.pickle"))) == 2
    assert len(list(cache_dir.iterdir())) == 4


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
