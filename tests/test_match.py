"""The matcher recognises the article's variants whatever noise surrounds them, and nothing else."""
import re

import pytest

from authdoctor.match import Matcher

ARTICLE = {
    "bare-provider": ("provider.aws: InvalidClientTokenId: The security token included in the request is invalid.\n"
                      "status code: 403, request id: 6c7a0e1d-1b2c-4d5e-8f90-123456789abc", "provider"),
    "sts-provider": ("Error: error configuring Terraform AWS Provider: error validating provider credentials:\n"
                     "error calling sts:GetCallerIdentity: operation error STS: GetCallerIdentity,\n"
                     "https response error StatusCode: 403, RequestID: 0b5e6c1a-3d2f-4e8a-9b7c-1f2e3d4c5b6a,\n"
                     "api error InvalidClientTokenId: The security token included in the request is invalid", "provider"),
    "s3-backend": ("Error configuring the backend 's3': InvalidClientTokenId: The security token included in the request is invalid",
                   "backend"),
    "state-refresh": ("Error refreshing state: 1 error(s) occurred:\n"
                      "* provider.aws: InvalidClientTokenId: The security token included in the request is invalid", "state-refresh"),
    "v5-provider": ("Error: configuring Terraform AWS Provider: validating provider credentials: retrieving caller identity from STS: "
                    "operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: "
                    "11111111-2222-3333-4444-555555555555, api error InvalidClientTokenId: The security token included in the request is invalid.",
                    "provider"),
}


@pytest.fixture(scope="module")
def matcher(kb):
    return Matcher(kb)


def _diag(doctor, text):
    return doctor.diagnose(text)


@pytest.mark.parametrize("name", ARTICLE)
def test_article_variant_is_recognised_with_code_and_stage(doctor, name):
    text, stage = ARTICLE[name]
    a = _diag(doctor, text)
    assert a.recognized and a.error_code == "InvalidClientTokenId" and a.stage == stage


@pytest.mark.parametrize("name", ARTICLE)
def test_changed_request_ids_do_not_change_the_match(doctor, name):
    text, _ = ARTICLE[name]
    other = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "deadbeef-0000-4000-8000-000000000001", text)
    assert _diag(doctor, other).variant == _diag(doctor, text).variant


@pytest.mark.parametrize("name", ARTICLE)
def test_ansi_colour_codes_are_ignored(doctor, name):
    text, stage = ARTICLE[name]
    coloured = "\x1b[31m\x1b[1mError:\x1b[0m " + text.replace("InvalidClientTokenId", "\x1b[1mInvalidClientTokenId\x1b[0m")
    a = _diag(doctor, coloured)
    assert a.error_code == "InvalidClientTokenId" and a.stage == stage


@pytest.mark.parametrize("name", ARTICLE)
def test_ci_log_prefixes_are_ignored(doctor, name):
    text, stage = ARTICLE[name]
    logged = "\n".join(f"2024-03-01T10:15:{i:02d}.1234567Z {line}" for i, line in enumerate(text.splitlines()))
    logged = "##[group]Run terraform plan\n" + logged + "\n##[error]Process completed with exit code 1."
    a = _diag(doctor, logged)
    assert a.error_code == "InvalidClientTokenId" and a.stage == stage


def test_the_error_is_found_in_a_long_ci_log(doctor):
    noise = "\n".join(f"[2024-03-01T10:{i // 60:02d}:{i % 60:02d}Z] module.vpc.aws_subnet.private[{i}]: Refreshing state... [id=subnet-0{i:07d}]"
                      for i in range(400))
    a = _diag(doctor, noise + "\n" + ARTICLE["v5-provider"][0] + "\n" + noise)
    assert a.error_code == "InvalidClientTokenId"


@pytest.mark.parametrize("text", [
    "Error: Cycle: aws_security_group.a, aws_security_group.b",
    "Error: creating EC2 Instance: InvalidAMIID.NotFound: The image id '[ami-0abc]' does not exist",
    "Error acquiring the state lock: ConditionalCheckFailedException: The conditional request failed",
    "hello world",
    "Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'a'",
])
def test_unrelated_text_is_not_recognised(doctor, text):
    a = _diag(doctor, text)
    assert a.recognized is False and a.causes == () and a.error_code is None


def test_not_recognised_names_the_closest_known_codes(doctor):
    a = _diag(doctor, "Error: something odd happened with the security token")
    assert a.recognized is False and len(a.closest) == 3


def test_a_specific_error_wins_over_a_generic_wrapper_around_it(matcher, kb):
    generic = [v for v in kb.variants if v.generic]
    if not generic:
        pytest.skip("no generic wrapper variant in the KB")
    wrapper = generic[0].examples[0]
    inner = next(v for v in kb.variants if not v.generic and v.error_id != generic[0].error_id)
    best = matcher.match(wrapper + "\n" + inner.examples[0]).best
    assert best is not None and not best.variant.generic


def test_an_unfamiliar_credential_failure_is_answered_by_the_fallback(doctor):
    matcher = doctor.matcher
    paste = "ERROR: request to https://example-platform.test/api/v2/runs failed: 401 Unauthorized"
    assert matcher.match(paste).best is None
    assert matcher.unfamiliar(paste).error_id == "CredentialFailure"


def test_the_fallback_is_never_matched_by_its_own_shape(doctor):
    variant = doctor.kb.errors["CredentialFailure"].variants[0]
    assert doctor.matcher.match(variant.text).best is None
    assert doctor.matcher.unfamiliar(variant.text) is None


def test_a_non_credential_error_is_not_taken_for_a_credential_failure(doctor):
    ami = "Error: Error launching source instance: AuthFailure: Not authorized for images: [ami-0abc] status code: 401"
    assert doctor.matcher.unfamiliar(ami) is None


# Each AWS error code the KB names an error by, as the services print it (documented codes).
CODES = {
    "AuthFailure": "AuthFailure", "IncompleteSignature": "IncompleteSignature",
    "InvalidClientTokenId": "InvalidClientTokenId", "SignatureDoesNotMatch": "SignatureDoesNotMatch",
    "InvalidSignatureException": "SignatureDoesNotMatch", "RequestTimeTooSkewed": "SignatureExpired",
    "RequestInTheFuture": "SignatureExpired", "ExpiredToken": "ExpiredToken", "ExpiredTokenException": "ExpiredToken",
    "TokenRefreshRequired": "ExpiredToken", "InvalidAccessKeyId": "InvalidAccessKeyId",
    "UnrecognizedClientException": "UnrecognizedClientException", "InvalidToken": "InvalidToken",
}
# how the SDKs and tools print a service's code beside its message
PRINTED = [
    "An error occurred ({code}) when calling the DescribeThings operation: {msg}",     # botocore, the AWS CLI
    "{code}: {msg}\n\tstatus code: 403, request id: 1b2c3d4e-0000-4000-8000-123456789abc",  # aws-sdk-go v1
    "operation error Svc: DescribeThings, https response error StatusCode: 403, RequestID: x, api error {code}: {msg}",  # go v2
    "<Error><Code>{code}</Code><Message>{msg}</Message></Error>",                       # the REST XML body
    "{msg} (Service: Svc; Status Code: 403; Error Code: {code}; Request ID: x)",        # aws-sdk-java
]


def _unfamiliar_words(seed):
    import random
    rng = random.Random(seed)
    words = ["gateway", "header", "relay", "quota", "window", "ledger", "parcel", "mirror", "lantern", "vector"]
    return "the " + " ".join(rng.choice(words) for _ in range(6)) + " was refused"


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("form", range(len(PRINTED)))
def test_an_unfamiliar_message_with_a_known_code_is_answered_as_that_codes_error(doctor, code, form):
    paste = PRINTED[form].format(code=code, msg=_unfamiliar_words(code + str(form)))
    answer = doctor.diagnose(paste)
    # by the code's cue, or by one of its error's shapes where the code and the frame score enough
    assert answer.recognized and answer.error_code == CODES[code], (paste, answer.error_code)
    assert answer.known_by in ("code", "message")


@pytest.mark.parametrize("code", CODES)
def test_the_code_alone_names_its_error_when_no_shape_matches(doctor, code):
    paste = f"{code}: {_unfamiliar_words(code)}"
    got = doctor.matcher.unfamiliar(paste)
    assert got is not None and got.error_id == CODES[code] and got.by_cue


def test_an_answer_from_a_code_says_so_and_names_that_errors_causes(doctor, kb):
    answer = doctor.diagnose("Error: AuthFailure: the relay vector lantern was refused\n\tstatus code: 401, request id: x")
    assert answer.recognized and not answer.familiar and answer.known_by == "code"
    assert answer.error_code == "AuthFailure"
    assert {c.id for c in answer.causes} <= set(kb.errors["AuthFailure"].priors)


def test_the_code_only_variant_is_never_matched_by_its_shape(doctor, kb):
    for error in kb.errors.values():
        variant = error.cue_variant
        if variant is not None and not error.fallback:
            best = doctor.matcher.match(variant.text).best
            assert best is None or not best.variant.by_cue, variant.id


# look-alikes that carry a credential error's code, each stopped by its error's veto
LOOK_ALIKES = {
    "ec2-vm-export-bucket-permission": "An error occurred (AuthFailure) when calling the CreateInstanceExportTask operation: "
                                       "vm-import-export@amazon.com must have WRITE and READ_ACL permission on the S3 bucket.",
    "ec2-dotted-authfailure": "AuthFailure.ServiceLinkedRoleCreationNotPermitted: the relay vector was refused",
    "s3-region-redirect": "An error occurred (AuthorizationHeaderMalformed) when calling the ListObjects operation: The authorization "
                          "header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
}


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_a_look_alike_carrying_a_credential_code_is_not_claimed(doctor, name):
    paste = LOOK_ALIKES[name]
    assert doctor.matcher.match(paste).best is None
    assert doctor.matcher.unfamiliar(paste) is None


def test_the_code_printed_last_names_the_error(doctor):
    first = "InvalidSignatureException: the relay vector was refused, then RequestTimeTooSkewed: the ledger window"
    second = "RequestTimeTooSkewed: the ledger window, then InvalidSignatureException: the relay vector was refused"
    assert doctor.matcher.unfamiliar(first).error_id == "SignatureExpired"
    assert doctor.matcher.unfamiliar(second).error_id == "SignatureDoesNotMatch"


def test_a_known_code_wins_over_the_fallbacks_broad_cues(doctor):
    paste = "deploy failed: invalid credentials. InvalidAccessKeyId: the relay vector lantern was refused"
    assert doctor.matcher.unfamiliar(paste).error_id == "InvalidAccessKeyId"


def test_an_s3_credential_code_no_error_names_gets_the_fallback(doctor):
    paste = "An error occurred (AuthorizationHeaderMalformed) when calling the PutObject operation: the relay vector was refused"
    assert doctor.matcher.match(paste).best is None
    assert doctor.matcher.unfamiliar(paste).error_id == "CredentialFailure"


def test_a_json_error_body_is_matched_as_the_sdk_would_print_it(doctor):
    body = '{"message":"Session token not found or invalid","__type":"com.amazonaws.switchboard.portal#UnauthorizedException"}'
    assert doctor.matcher.match(body).best.variant.error_id == "SSOTokenExpired"


# --- look-alikes declined (kb/declines) -----------------------------------------------------

# how the SDKs' chains wrap a request that failed before AWS answered (aws-sdk-go v1, v2, botocore, aws-vault)
_WRAPPERS = (
    "aws-vault: error: exec: Failed to get credentials for {p}: RequestError: send request failed\ncaused by: {req}",
    "Error: NoCredentialProviders: no valid providers in chain\ncaused by: WebIdentityErr: failed to retrieve credentials\n"
    "caused by: RequestError: send request failed\ncaused by: {req}",
    "Error: configuring Terraform AWS Provider: validating provider credentials: retrieving caller identity from STS: "
    "operation error STS: GetCallerIdentity, https response error StatusCode: 0, RequestID: , request send failed, {req}",
)
_TLS = ("x509: certificate signed by unknown authority", "tls: failed to verify certificate: x509: certificate has expired or is not yet valid",
        "x509: certificate is valid for proxy.corp.example, not sts.amazonaws.com")
_NET = ("dial tcp: lookup {host}: no such host", "dial tcp 52.94.0.8:443: i/o timeout",
        "read tcp 10.0.0.5:51234->52.94.0.8:443: read: connection reset by peer", "proxyconnect tcp: dial tcp 10.1.2.3:3128: connect: connection refused")
_HOSTS = ("sts.amazonaws.com", "sts.eu-west-1.amazonaws.com", "sts.cn-north-1.amazonaws.com.cn", "oidc.us-east-1.amazonaws.com",
          "portal.sso.us-east-1.amazonaws.com")


@pytest.mark.parametrize("wrapper", _WRAPPERS)
@pytest.mark.parametrize("failure", _TLS)
def test_a_credential_request_refused_by_tls_is_declined(matcher, wrapper, failure):
    for host in _HOSTS:
        text = wrapper.format(p="dev", req=f'Post "https://{host}/": {failure}')
        assert (d := matcher.declined(text)) is not None and d.id == "tls-certificate-refused", text


@pytest.mark.parametrize("wrapper", _WRAPPERS)
@pytest.mark.parametrize("failure", _NET)
def test_a_credential_request_that_never_reached_aws_is_declined(matcher, wrapper, failure):
    for host in _HOSTS:
        text = wrapper.format(p="dev", req=f'Post "https://{host}/": ' + failure.format(host=host))
        assert (d := matcher.declined(text)) is not None and d.id == "aws-endpoint-unreachable", text


@pytest.mark.parametrize("endpoint", ("169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.170.2/v2/credentials/0f1e2d3c",
                                      "[fd00:ec2::254]/latest/api/token"))
def test_the_credential_chains_own_endpoints_timing_out_are_not_declined(matcher, endpoint):
    # the instance metadata and container endpoints failing is a credential cause (imds-throttled, docker ...)
    text = (f"Error: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, "
            f'request send failed, Get "http://{endpoint}": dial tcp 169.254.169.254:80: i/o timeout')
    assert matcher.declined(text) is None


def test_a_known_aws_code_keeps_a_paste_with_a_tls_line_claimed(matcher):
    # AWS answered with InvalidClientTokenId: an x509 warning elsewhere in the log is not what failed
    text = ("WARN helm: x509: certificate signed by unknown authority\n" + ARTICLE["v5-provider"][0])
    assert matcher.declined(text) is None


def test_s3s_no_such_bucket_is_declined_whatever_wraps_it(matcher):
    text = ("Error: Failed to get existing workspaces: S3 bucket \"tf-state\" does not exist or you don't have permissions to access it\n"
            "api error NoSuchBucket: The specified bucket does not exist")
    assert (d := matcher.declined(text)) is not None and d.id == "s3-bucket-missing"


def test_a_kb_without_declines_declines_nothing(kb):
    from dataclasses import replace
    from types import MappingProxyType
    bare = Matcher(replace(kb, declines=MappingProxyType({})))
    assert bare.declined('Post "https://sts.amazonaws.com/": x509: certificate signed by unknown authority') is None


@pytest.mark.parametrize("printed", (
    "Error: open /root/.aws/credentials: no such file or directory",                      # Go
    "FileNotFoundError: [Errno 2] No such file or directory: '/home/app/.aws/config'",      # Python
    "Error: ENOENT: no such file or directory, open '/home/node/.aws/credentials'",        # Node.js
))
def test_a_missing_shared_credentials_file_gets_the_fallback(doctor, printed):
    a = doctor.diagnose(printed)
    assert a.recognized and a.known_by == "cue" and a.error_code == "CredentialFailure"


def test_another_missing_file_is_not_taken_for_a_credential_failure(doctor):
    assert not doctor.diagnose("FileNotFoundError: [Errno 2] No such file or directory: '/home/app/terraform.tfvars'").recognized


# botocore's and Ruby's credential exception classes, as a traceback's last line or a report's title gives them
CREDENTIAL_CLASSES = {
    "botocore.exceptions.NoCredentialsError": "NoValidCredentialSources",
    "botocore.exceptions.PartialCredentialsError": "NoValidCredentialSources",
    "botocore.exceptions.CredentialRetrievalError": "NoValidCredentialSources",
    "botocore.exceptions.ProfileNotFound": "SharedConfigProfileNotFound",
    "Aws::Errors::MissingCredentialsError": "NoValidCredentialSources",
    "Aws::Sigv4::Errors::MissingCredentialsError": "NoValidCredentialSources",
}


@pytest.mark.parametrize("cls", CREDENTIAL_CLASSES)
@pytest.mark.parametrize("printed", ("{cls}", "{cls}: {msg}", "raised {cls} while {msg}"))
def test_a_credential_exception_class_alone_names_its_error(doctor, cls, printed):
    a = doctor.diagnose(printed.format(cls=cls, msg=_unfamiliar_words(cls)))
    assert a.recognized and a.error_code == CREDENTIAL_CLASSES[cls]


@pytest.mark.parametrize("wording, variant", (
    ("Unsupported host '169.254.170.23'.  Can only retrieve metadata from these hosts: 169.254.170.2, localhost, 127.0.0.1",
     "nvcs-container-host-botocore-legacy"),                                    # botocore up to 1.32
    ("Unsupported host '192.168.7.9'.  Can only retrieve metadata from a loopback address or one of these hosts: "
     "169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost", "nvcs-container-host-botocore"),  # 1.33 and later
))
def test_a_refused_container_endpoint_is_read_as_its_botocore_releases_shape(doctor, wording, variant):
    a = doctor.diagnose(wording)
    assert a.recognized and a.variant is not None and a.variant.id == variant


@pytest.mark.parametrize("printed", (
    "CredentialsProviderError: Token is expired for the nightly job",                          # aws-sdk-js v3's class
    "Error: configuring Terraform AWS Provider: validating provider credentials: tfUserAgentAppender already exists",
    "ingest.py: AWS credentials not found, skipping upload",
    "open /var/run/secrets/eks.amazonaws.com/serviceaccount/token: permission denied",          # the IRSA token file
))
def test_a_credential_failure_named_only_by_its_class_wrapper_or_token_file_gets_the_fallback(doctor, printed):
    a = doctor.diagnose(printed)
    assert a.recognized and a.error_code == "CredentialFailure", (printed, a.error_code)


@pytest.mark.parametrize("code", ("AuthorizationHeaderMalformed", "AuthorizationQueryParametersError", "InvalidArgument"))
def test_s3_refusing_an_empty_key_id_is_read_as_credentials_never_found(doctor, code):
    a = doctor.diagnose(f"<Error><Code>{code}</Code><Message>a non-empty Access Key (AKID) must be provided in the "
                        "credential.</Message></Error>")
    assert a.error_code == "NoValidCredentialSources" and a.causes[0].id == "no-credentials-found"


TERRAGRUNT_PROMPT = ("Remote state S3 bucket acme-tf-state does not exist or you don't have permissions to access it. "
                     "Would you like Terragrunt to create it? (y/n)\n")


def test_an_error_printed_after_terragrunts_bucket_prompt_names_the_failure(doctor):
    # Terragrunt asks whenever its HeadBucket check fails, then prints what failed it
    a = doctor.diagnose(TERRAGRUNT_PROMPT + "n\nExpiredToken: The provided token has expired.\n\tstatus code: 400, request id: 1A2B")
    assert a.error_code == "ExpiredToken"


def test_terragrunts_bucket_prompt_alone_is_still_a_state_access_failure(doctor):
    assert doctor.diagnose(TERRAGRUNT_PROMPT).error_code == "StateAccessDenied"


def test_a_request_go_printed_before_quoting_urls_that_never_reached_aws_is_declined(matcher):
    # Go before 1.14 printed url.Error as "Post https://...: dial tcp ...", the URL unquoted
    paste = ("WebIdentityErr: failed to retrieve credentials\ncaused by: RequestError: send request failed\n"
             "caused by: Post https://sts.amazonaws.com/: dial tcp: i/o timeout")
    decline = matcher.declined(paste)
    assert decline is not None and decline.id == "aws-endpoint-unreachable"


@pytest.mark.parametrize("paste", (
    "Error: creating S3 Bucket (logs): AuthorizationHeaderMalformed: The authorization header is malformed; "
    "the region 'us-east-1' is wrong; expecting 'ap-southeast-2'\n\tstatus code: 400",
    "Error loading state: BucketRegionError: incorrect region, the bucket is not in 'eu-west-1' region at endpoint ''",
))
def test_a_bucket_in_another_region_is_declined_whatever_wraps_it(matcher, paste):
    decline = matcher.declined(TERRAGRUNT_PROMPT + paste)
    assert decline is not None and decline.id == "s3-bucket-other-region"
    assert matcher.declined(paste) is decline
