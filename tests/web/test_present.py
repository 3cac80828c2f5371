"""How the page words an answer: the engine's why-steps read plainly, labels short, KB Markdown inline and sanitised."""
from authdoctor.hints import Reason as Step
from authdoctor.web.present import inline_md, plain_text, reason, reasons, short, summary_line


def step(kind="hint", label="GitHub Actions", source="user", factor=1.6, share=None, rules_out=False,
         text="CI systems get AWS credentials through OIDC", line="the engine's whole line"):
    return Step(kind, label, source, factor, share, rules_out, text, line)


def test_a_starting_share_reads_as_a_plain_sentence_and_keeps_its_source_for_the_workings():
    line = 'Before any hint: 18% of InvalidClientTokenId reports (article: "25% involve missing session tokens").'
    r = reason(step("prior", "InvalidClientTokenId", "kb", None, 0.18, text='article: "25% involve missing session tokens"', line=line))
    assert r.text == "About 18% of InvalidClientTokenId errors have this cause, before anything else is known."
    assert "article" not in r.text and r.detail == line and r.origin == "" and r.up is None


def test_an_answer_that_moved_a_cause_gives_the_reason_and_whose_answer_it_was():
    r = reason(step())
    assert r.text == "CI systems get AWS credentials through OIDC." and r.origin == "your answer: GitHub Actions" and r.up is True


def test_a_value_read_off_the_machine_is_said_to_come_from_the_machine():
    r = reason(step(source="machine", factor=0.2))
    assert r.origin == "this machine: GitHub Actions" and r.up is False


def test_a_reason_read_from_the_paste_is_said_once_with_a_capital():
    r = reason(step("marker", "the failure came while saving state", "text", 3.0, text="the failure came at the end of a long run"))
    assert r.text == "The failure came at the end of a long run." and r.origin == "your paste"
    r = reason(step(label="Assume a role", source="text", factor=3.8, text="Terraform has to assume a role first"))
    assert r.origin == "your paste" and "×" not in r.text


def test_an_answer_that_would_rule_a_cause_out_says_why_it_is_still_listed():
    r = reason(step(label="AKIA… (long-term key)", factor=0.05, rules_out=True, text="temporary keys start with ASIA"))
    assert r.text.startswith("This answer rules it out; it stays listed only in case the answer is mistaken.")
    assert r.text.endswith("Temporary keys start with ASIA.") and r.up is False


def test_answers_that_together_count_against_a_cause_say_why_it_stays_as_the_answers_own():
    r = reason(step("stays", "Your answers together", factor=0.11, text="together these answers make it 9 times less likely"))
    assert r.text == "Together these answers make it 9 times less likely." and r.origin == "your answers" and r.up is False


def test_a_step_without_a_reason_of_its_own_says_which_way_it_moved():
    assert reason(step(text="", factor=0.3)).text == "GitHub Actions makes this less likely."


def test_two_steps_that_read_the_same_show_once():
    same = [step("marker", "x", "text", 3.0, text="the same reason"), step(label="Runner", factor=2.0, text="The same reason")]
    assert len(reasons(same)) == 1


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
