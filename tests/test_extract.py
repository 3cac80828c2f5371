"""What the paste itself tells: hints and markers read from the (masked) text."""
from authdoctor.diagnosis import HintUse


def test_asia_key_read_from_the_text_counts_as_a_hint(doctor, icti_provider):
    a = doctor.diagnose(icti_provider + "\nAWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE", hints={"has_session_token": False})
    assert a.hints_used["key_prefix"] == HintUse("ASIA", "text", "ASIA")
    assert a.causes[0].id == "missing-session-token"


def test_a_ci_role_name_in_an_arn_reads_as_the_runner(doctor):
    a = doctor.diagnose("User: arn:aws:sts::123456789012:assumed-role/github-runner-dev/i-0abc is not authorized to perform: "
                        "sts:AssumeRole on resource: arn:aws:iam::210987654321:role/deploy")
    assert a.hints_used["runner"] == HintUse("github-actions", "text", "github-actions")


def test_a_paste_naming_the_s3_backend_fills_the_backend_hint(doctor):
    a = doctor.diagnose("Error: error configuring S3 Backend: no valid credential sources for S3 Backend found.")
    assert a.hints_used["backend"].value == "s3" and a.hints_used["backend"].source == "text"
    assert a.question is None or a.question.hint != "backend"


def test_both_token_names_set_is_not_the_legacy_name_mistake(doctor, icti_provider):
    a = doctor.diagnose(icti_provider + "\nSetting subprocess env: AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN")
    assert "legacy_token_name" not in a.markers


def test_aws_vault_is_not_hashicorp_vault(doctor, icti_provider):
    a = doctor.diagnose("$ aws-vault exec dev -- terraform plan\n" + icti_provider)
    assert "vault_aws" not in a.markers
