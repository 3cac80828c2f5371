"""How the page words an answer: the engine's why-lines read plainly, labels short, KB Markdown inline and sanitised."""
from authdoctor.web.present import inline_md, plain_text, reason, reasons, short, summary_line


def test_a_starting_share_reads_as_a_plain_sentence_and_keeps_its_source_for_the_workings():
    line = 'Before any hint: 18% of InvalidClientTokenId reports (article: "25% involve missing session tokens").'
    r = reason(line)
    assert r.text == "About 18% of InvalidClientTokenId errors have this cause, before anything else is known."
    assert "article" not in r.text and r.detail == line and r.origin == ""


def test_an_answer_that_moved_a_cause_gives_the_reason_and_whose_answer_it_was():
    r = reason("GitHub Actions: more likely ×1.6. CI systems get AWS credentials through OIDC")
    assert r.text == "CI systems get AWS credentials through OIDC." and r.origin == "your answer: GitHub Actions" and r.up is True


def test_a_reason_read_from_the_paste_is_said_once_with_a_capital():
    r = reason("The text shows the failure came while saving state: more likely ×3. the failure came at the end of a long run")
    assert r.text == "The failure came at the end of a long run." and r.origin == "your paste"
    r = reason("Assume a role (read from the pasted text): more likely ×3.8. Terraform has to assume a role first")
    assert r.origin == "your paste" and "×" not in r.text


def test_two_lines_that_read_the_same_show_once():
    lines = ["The text shows x: more likely ×3. the same reason", "Runner: more likely ×2. The same reason"]
    assert len(reasons(lines)) == 1


def test_a_line_of_another_shape_is_shown_as_it_is():
    line = 'You said its sign matches: "The key id starts with ASIA."'
    assert reason(line).text == line


def test_short_drops_asides_but_keeps_a_leading_note():
    assert short("Is a session token set (AWS_SESSION_TOKEN, aws_session_token or the provider's token)?") == ("Is a session token set?", True)
    assert short("(Checked once before; look again.) In CI, the secrets are missing (forks, Dependabot).") == (
        "(Checked once before; look again.) In CI, the secrets are missing.", True)
    assert short("No token") == ("No token", False)


def test_inline_markdown_renders_code_spans_and_nothing_executable():
    assert inline_md("The `+` or `/` lost") == "The <code>+</code> or <code>/</code> lost"
    out = inline_md('<script>alert(1)</script><img src=x onerror=alert(1)> `a`')
    assert "<script" not in out and "<img" not in out and "onerror" not in out and out.endswith("<code>a</code>")
    assert inline_md("[x](javascript:alert(1))") == "x"
    assert plain_text("Lost `+` or `/`") == "Lost + or /"


def test_the_paste_summary_is_its_first_line_cut():
    assert summary_line("\n\n  Error: one\nsecond") == "Error: one"
    assert summary_line("x" * 200, limit=10) == "xxxxxxxxx…"
