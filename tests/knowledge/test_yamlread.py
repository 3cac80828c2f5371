"""Strict YAML: what PyYAML would silently accept is refused, naming file and line."""


def test_invalid_yaml_names_file_and_line(kb_copy, kb_problems):
    (kb_copy / "errors" / "InvalidClientTokenId.yaml").write_text("id: [unclosed\n")
    p = kb_problems(kb_copy)[0]
    assert p.code == "KB001" and p.file.endswith("errors/InvalidClientTokenId.yaml") and p.line >= 1


def test_duplicate_key_is_refused_with_both_lines(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "causes" / "missing-session-token.yaml", "title: ", "title: one\ntitle: ")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB002"][0]
    assert "duplicate key 'title'" in p.message and p.file.endswith("missing-session-token.yaml")


def test_yes_no_booleans_are_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "causes" / "missing-session-token.yaml", "title: ", "extra_flag: yes\ntitle: ")
    codes = {p.code for p in kb_problems(kb_copy)}
    assert "KB003" in codes


# --- anchors, aliases and tags: refused with file, line and column, in bounded time ---

import time  # noqa: E402

from authdoctor.knowledge import yamlread  # noqa: E402

BILLION_LAUGHS = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                  + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)))


def test_an_alias_bomb_is_refused_at_once_naming_file_line_and_column():
    t0 = time.process_time()
    doc, problems = yamlread.load(BILLION_LAUGHS, "kb/hints.yaml")
    assert time.process_time() - t0 < 0.5
    assert doc is None
    first = problems[0]
    assert (first.code, first.file, first.line, first.col) == ("KB037", "kb/hints.yaml", 1, 4)
    assert "anchor '&a'" in first.message
    alias = next(p for p in problems if p.message.startswith("alias"))
    assert (alias.line, alias.col) == (2, 8) and "'*a'" in alias.message
    # a file with thousands of them stops being read after a few; the time stays flat
    many = "a: &a [1]\n" + "".join(f"k{i}: *a\n" for i in range(100_000))
    t0 = time.process_time()
    doc, problems = yamlread.load(many, "kb/x.yaml")
    assert doc is None and time.process_time() - t0 < 0.5 and len(problems) <= 21


def test_an_anchor_alone_and_a_merge_key_are_refused():
    assert [p.code for p in yamlread.load("a: &x 1\nb: 2\n", "kb/x.yaml")[1]] == ["KB037"]
    codes = {p.code for p in yamlread.load("base: &b {k: 1}\nother:\n  <<: *b\n", "kb/x.yaml")[1]}
    assert codes == {"KB037"}


def test_python_and_local_tags_are_refused_naming_the_tag():
    doc, problems = yamlread.load("a: ok\nb: !!python/object/apply:os.system ['true']\nc: !local 1\n", "kb/x.yaml")
    assert doc is None
    assert [(p.code, p.line, p.col) for p in problems] == [("KB038", 2, 4), ("KB038", 3, 4)]
    assert "'!!python/object/apply:os.system'" in problems[0].message and "'!local'" in problems[1].message


def test_standard_tags_are_read_and_a_value_they_cannot_read_is_a_problem():
    doc, problems = yamlread.load("a: !!str 10\nb: !!int '7'\nc: !!float 1\n", "kb/x.yaml")
    assert not problems and doc is not None and doc.data == {"a": "10", "b": 7, "c": 1.0}
    doc, problems = yamlread.load("a: !!int abc\n", "kb/x.yaml")
    assert doc is None and problems[0].code == "KB001" and problems[0].file == "kb/x.yaml"


def test_more_than_one_document_is_refused():
    doc, problems = yamlread.load("a: 1\n---\nb: 2\n", "kb/x.yaml")
    assert doc is None and problems[0].code == "KB001" and "single document" in problems[0].message


def test_the_node_tree_is_yamls_own(kb_dir):
    """The one-pass reader builds what yaml.compose builds: tags, values, styles and positions."""
    import yaml

    def shape(n):
        marks = (n.start_mark.line, n.start_mark.column, n.end_mark.line, n.end_mark.column)
        if isinstance(n, yaml.ScalarNode):
            return (n.tag, n.value, n.style, marks)
        if isinstance(n, yaml.SequenceNode):
            return (n.tag, marks, [shape(c) for c in n.value])
        return (n.tag, marks, [(shape(k), shape(v)) for k, v in n.value])

    files = sorted(kb_dir.rglob("*.yaml"))
    assert len(files) > 20
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert shape(yamlread._compose(text, f.name, [])) == shape(yaml.compose(text, Loader=yamlread._Loader)), f.name
