"""Secrets are masked first; only their kind and the key-id prefix survive."""
import pytest

from authdoctor.redact import KEY_ID_PREFIXES, redact

SECRET = "kWcrlUX5JEDGM/LtmEENI+aVmYvHNif5zB+d9+ct"
TOKEN = "IQoJb3JpZ2luX2VjEJr" + "A" * 300 + "/+=="


def test_access_key_id_is_masked_and_its_prefix_kept():
    r = redact("key ASIAIOSFODNN7EXAMPLE rejected")
    assert "ASIAIOSFODNN7EXAMPLE" not in r.text and r.key_prefix == "ASIA" and "aws-access-key-id" in r.kinds


@pytest.mark.parametrize("prefix", KEY_ID_PREFIXES[1:])
def test_every_documented_key_id_prefix_is_masked(prefix):
    key = prefix + "Q" * (20 - len(prefix))
    assert key not in redact(f"id={key}").text


def test_labelled_secret_key_is_masked():
    r = redact(f"aws_secret_access_key = {SECRET}")
    assert SECRET not in r.text and "aws-secret-access-key" in r.kinds


def test_bare_secret_key_shape_is_masked():
    assert SECRET not in redact(f"the secret is {SECRET} ok").text


def test_session_token_is_masked_and_noted():
    r = redact(f"export AWS_SESSION_TOKEN={TOKEN}")
    assert TOKEN[:40] not in r.text and r.has_session_token


def test_s3_host_id_is_not_taken_for_a_secret():
    host = "6nPFZDrM7iFd9RPfA/xe893D1l9Q70xdwKsZt6iZO+83A7/td1LMX5rGiCvOZBVCmcStpJYCN4w="
    r = redact(f"host id: {host}")
    assert host in r.text and not r.kinds


def test_git_sha_is_not_taken_for_a_secret():
    sha = "3f2e1d0cb9a847768655443322110000aabbccdd"
    assert redact(f"commit {sha}").text.endswith(sha)


@pytest.mark.parametrize("kind,value", [
    ("terraform-cloud-token", "abcdefghijklmn.atlasv1." + "x" * 64),
    ("github-token", "ghp_" + "a1B2" * 9),
    ("slack-token", "xoxb-123456789012-123456789012-abcdefABCDEF1234"),
    ("private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"),
])
def test_other_tokens_pasted_nearby_are_masked(kind, value):
    r = redact(f"token: {value}\n")
    assert value not in r.text and kind in r.kinds


def test_hcl_token_in_the_aws_provider_is_a_session_token():
    r = redact('provider "aws" {\n  region = "eu-west-1"\n  token = "' + "Zm9vYmFy" * 8 + '"\n}')
    assert "Zm9vYmFy" not in r.text and r.kinds == ("aws-session-token",) and r.has_session_token


def test_hcl_token_in_a_credentials_block_is_a_terraform_cloud_token():
    r = redact('credentials "app.terraform.io" {\n  token = "' + "q1W2e3R4" * 4 + '"\n}')
    assert "q1W2e3R4" not in r.text and r.kinds == ("terraform-cloud-token",) and not r.has_session_token


@pytest.mark.parametrize("name", ["TFE_TOKEN", "ATLAS_TOKEN", "TF_TOKEN_app_terraform_io"])
def test_terraform_cloud_token_variables_are_masked(name):
    r = redact(f"export {name}=s3cr3tT0kenValue42")
    assert "s3cr3tT0kenValue42" not in r.text and r.kinds == ("terraform-cloud-token",)


def test_a_private_key_cut_off_before_its_end_line_is_masked():
    r = redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq\n")
    assert "MIIEowIBAAKCAQEA" not in r.text and "4lgOEePzNm0t" not in r.text and r.kinds == ("private-key",)


def test_a_prefixed_token_glued_to_other_text_is_masked():
    key = "AKIAIOSFODNN7EXAMPLE"
    assert key not in redact(f"invalid{key}status").text


@pytest.mark.parametrize("text", [
    "status code: 403, request id: 5d2c1f6e-8a4b-4c3d-9e2f-0a1b2c3d4e5f",
    "arn:aws:sts::123456789012:assumed-role/TerraformDeploy/botocore-session-1700000000",
    "Error: InvalidToken: The provided token is malformed or otherwise invalid.",
    "Token: ExpiredTokenException",
    "secret_has_special_chars=true",
    'AWS_SECURITY_TOKEN="FQo...vgU="',
    "TFE_TOKEN: ${{ secrets.TFE_TOKEN }}",
])
def test_ids_prose_and_references_are_not_masked(text):
    r = redact(text)
    assert r.text == text and not r.kinds


def test_two_private_keys_glued_end_to_begin_are_both_masked():
    # found by the hypothesis property test: the first END line swallowed the second BEGIN
    second = "Bc3qcW0zdRdtQaaYIXhFzKXhiGJ8+ylRct1dkwi8+j3MCFNKVAUSLybzezDkrEvS"
    r = redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----"
               f"-----BEGIN PRIVATE KEY-----\n{second}\n-----END PRIVATE KEY-----")
    assert "MIIEowIBAAKCAQEA" not in r.text and second not in r.text
