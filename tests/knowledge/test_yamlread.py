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
