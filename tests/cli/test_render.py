"""The answer as a terminal shows it: rotate advice first, ranked causes with their reasons, the next question."""
from authdoctor.cli.render import render


def test_a_pasted_secret_puts_the_rotate_advice_first(doctor, icti):
    text = render(doctor.diagnose(icti + "\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"))
    assert text.startswith("!! ") and "rotate it now" in text.splitlines()[0]
    assert "AKIAIOSFODNN7EXAMPLE" not in text


def test_each_cause_is_listed_with_its_probability_and_reasons(doctor, icti):
    answer = doctor.diagnose(icti)
    text = render(answer)
    for i, cause in enumerate(answer.causes, 1):
        assert f"{i}. {cause.probability:6.1%}" in text and f"[{cause.id}]" in text
    assert "      - Before any hint:" in text


def test_only_the_leading_cause_shows_its_fixes_unless_all_are_asked_for(doctor, icti):
    answer = doctor.diagnose(icti)
    assert render(answer).count("Fix: ") == len(answer.causes[0].fix)
    assert render(answer, all_fixes=True).count("Fix: ") == sum(len(c.fix) for c in answer.causes)


def test_the_next_question_says_which_hint_answers_it(doctor, icti):
    answer = doctor.diagnose(icti)
    assert "Next question: " + answer.question.text.split()[0] in render(answer)
    assert f"--hint {answer.question.hint}=" in render(answer)


def test_each_sign_is_numbered_with_its_meaning_and_a_hint_that_can_be_pasted_as_is(doctor, icti):
    import shlex

    from authdoctor.cli.main import _parse_hint
    answer = doctor.diagnose(icti)
    q = answer.question
    assert q.hint == "signs"
    lines = render(answer).splitlines()
    hint_lines = [line.strip() for line in lines if line.strip().startswith("--hint signs=") or line.strip().startswith("--hint 'signs=")]
    assert len(hint_lines) == len(q.options)
    for i, (line, option) in enumerate(zip(hint_lines, q.options), 1):
        assert any(x.startswith(f"  {i}) ") for x in lines)
        flag, value = shlex.split(line)  # what the shell hands the program when the line is pasted
        assert flag == "--hint" and _parse_hint(value) == ("signs", ",".join(option))


def test_no_python_list_is_ever_printed_for_an_answer(doctor, icti):
    text = render(doctor.diagnose(icti))
    assert "['" not in text and "<[" not in text


def test_only_shell_commands_get_a_prompt_and_other_blocks_are_labelled(doctor, icti):
    answer = doctor.diagnose(icti, hints={"key_prefix": "ASIA"})
    text = render(answer, all_fixes=True)
    assert '$ provider "aws" {' not in text and "$ terraform {" not in text
    assert 'Terraform (HCL):\n          provider "aws" {' in text
    assert "$ aws sts get-caller-identity" in text


def test_kb_code_spans_print_without_backticks(doctor, icti):
    answer = doctor.diagnose(icti)
    cause = next(c for c in answer.causes if "`" in c.title)
    text = render(answer)
    assert cause.title.replace("`", "") in text and "`" not in text.split("Next question")[0]


def test_unrecognised_text_names_the_closest_known_errors(doctor):
    answer = doctor.diagnose("Error: something odd happened with the security token")
    text = render(answer)
    assert text.startswith("Not recognised")
    assert all(c.error_code in text for c in answer.closest) and "Closest known errors:" in text


def test_a_declined_paste_says_what_it_is_instead_with_its_commands(doctor, tls_refused):
    text = render(doctor.diagnose(tls_refused))
    assert text.startswith("Not a credential failure: The AWS endpoint's TLS certificate was refused")
    assert "$ export AWS_CA_BUNDLE=" in text


def test_a_declined_paste_in_markdown_fences_its_commands(doctor, tls_refused):
    from authdoctor.cli.render import render_markdown
    text = render_markdown(doctor.diagnose(tls_refused))
    assert text.startswith("### AuthDoctor: not a credential failure.") and "```sh\nopenssl s_client" in text and "\nexport AWS_CA_BUNDLE=" in text


def test_an_unfamiliar_credential_failure_says_so_plainly(doctor):
    from authdoctor.cli.render import render
    text = render(doctor.diagnose("ERROR: request to https://example-platform.test/api failed: 401 Unauthorized"))
    assert "unfamiliar message" in text and "the message itself is unfamiliar" in text
    assert "% match" not in text


def test_an_answer_known_by_its_code_names_the_error_and_the_code(doctor):
    from authdoctor.cli.render import render, render_markdown
    answer = doctor.diagnose("Error: AuthFailure: the relay vector lantern was refused\n\tstatus code: 401, request id: x")
    text = render(answer)
    assert "known by its code" in text and "EC2 could not validate the credentials" in text
    assert "its error code AuthFailure is known" in text
    assert "(known by its code; the message is unfamiliar)" in render_markdown(answer).splitlines()[0]


def test_markdown_leads_with_the_likeliest_cause_and_fences_each_command_with_its_language(doctor, icti):
    from authdoctor.cli.render import render_markdown
    answer = doctor.diagnose(icti, hints={"key_prefix": "ASIA"})
    md = render_markdown(answer)
    top = answer.causes[0]
    assert md.startswith(f"### AuthDoctor: `{answer.error_code}`")
    assert f"**Most likely ({top.probability:.0%}): {top.title}**" in md
    assert '```hcl\nprovider "aws" {' in md and "```sh\n" in md
    assert "$ " not in md


def test_markdown_folds_the_masked_paste_away_and_never_shows_the_secret(doctor, icti):
    from authdoctor.cli.render import render_markdown
    md = render_markdown(doctor.diagnose(icti + "\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"))
    assert "<details><summary>The error as pasted (secrets masked)</summary>" in md
    assert "AKIAIOSFODNN7EXAMPLE" not in md and "**Rotate:**" in md


def test_markdown_keeps_placeholders_in_kb_prose_visible_not_read_as_html(doctor, icti):
    from dataclasses import replace

    from authdoctor.cli.render import render_markdown
    from authdoctor.diagnosis import FixStep
    answer = doctor.diagnose(icti)
    step = FixStep("Use <profile>", "Replace <profile> with yours, as in `--profile <profile>`.", "", ("aws sts get-caller-identity --profile <profile>",),
                   ("shell",))
    md = render_markdown(replace(answer, causes=(replace(answer.causes[0], fix=(step,)),)))
    assert "##### Use &lt;profile>" in md
    assert "Replace &lt;profile> with yours, as in `--profile <profile>`." in md
    assert "```sh\naws sts get-caller-identity --profile <profile>\n```" in md
