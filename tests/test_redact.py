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
