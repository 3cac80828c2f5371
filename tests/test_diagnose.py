"""The pipeline behind every door: deterministic, and a paste is masked exactly once."""
from pathlib import Path

import yaml

from authdoctor.diagnosis import HintUse
from authdoctor.redact import redact


def test_same_input_same_answer(doctor, icti_provider):
    assert doctor.diagnose(icti_provider, hints={"runner": "local"}).to_json() == \
        doctor.diagnose(icti_provider, hints={"runner": "local"}).to_json()


def test_a_masked_paste_is_not_masked_again_and_keeps_its_key_prefix(doctor, icti):
    raw = f"{icti}\nAWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE"
    masked = redact(raw)
    assert redact(masked.text).key_prefix is None  # the masked text alone no longer tells the prefix
    answer = doctor.diagnose(masked)
    assert answer.paste is masked and answer.masked_text == masked.text
    assert answer.redacted == ("aws-access-key-id",) and answer.rotate
    assert answer.hints_used["key_prefix"] == HintUse("ASIA", "text", "ASIA")
    assert answer.answer_id == doctor.diagnose(raw).answer_id


def test_an_unfamiliar_credential_failure_is_recognised_but_not_familiar_and_starts_the_conversation(doctor):
    answer = doctor.diagnose("opsctl: invalid AWS credentials for profile \"ops\"; check ~/.aws/credentials")
    assert answer.recognized and not answer.familiar and answer.error_code == "CredentialFailure"
    assert answer.variant.similarity == 0.0 and answer.causes and answer.question is not None
    assert answer.to_json()["familiar"] is False


def test_an_unfamiliar_message_known_by_its_code_says_how_it_was_known(doctor):
    answer = doctor.diagnose("Error: AuthFailure: the relay vector lantern was refused\n\tstatus code: 401, request id: x")
    assert answer.known_by == "code" and answer.error_code == "AuthFailure" and not answer.familiar
    assert answer.variant.id == "authf-code-only" and answer.to_json()["known_by"] == "code"


def test_each_answer_says_how_its_error_was_known(doctor, icti):
    assert doctor.diagnose(icti).known_by == "message"
    assert doctor.diagnose("opsctl: invalid AWS credentials for profile \"ops\"").known_by == "cue"
    assert doctor.diagnose("Error: Cycle: aws_security_group.a, aws_security_group.b").known_by == "none"


def test_a_known_message_is_familiar(doctor, icti):
    assert doctor.diagnose(icti).familiar


def test_a_paste_that_is_no_credential_failure_stays_not_recognised(doctor):
    answer = doctor.diagnose("Error: Cycle: aws_security_group.a, aws_security_group.b")
    assert not answer.recognized and not answer.familiar and answer.causes == ()


def test_a_conversations_next_step_reads_the_text_once_and_only_re_ranks(kb, icti):
    from authdoctor.diagnose import Doctor
    doctor = Doctor(kb)
    first = doctor.diagnose(icti)
    after = doctor.diagnose(first.paste, hints={"key_prefix": "ASIA"})
    info = doctor._read.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert after.to_json() == Doctor(kb).diagnose(icti, hints={"key_prefix": "ASIA"}).to_json()


def test_a_re_posted_paste_is_masked_once_and_no_unmasked_paste_is_kept(kb):
    from authdoctor.diagnose import Doctor
    doctor = Doctor(kb)
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    paste = f"aws_secret_access_key = {secret}\nInvalidClientTokenId: The security token included in the request is invalid."
    first = doctor.diagnose(paste)
    again = doctor.diagnose(paste, hints={"runner": "local"})
    assert again.paste is first.paste and secret not in first.paste.text
    kept = [(k, v) for k, v in doctor._masked.items()]
    assert kept and all(isinstance(k, bytes) and secret not in v.text for k, v in kept)


def test_a_sign_authdoctor_doctor_found_is_said_to_come_from_the_machine_not_from_you(doctor, icti_provider):
    lead = doctor.diagnose(icti_provider).causes[0].id
    answer = doctor.diagnose(icti_provider, machine={"signs": [lead]})
    why = " ".join(next(c for c in answer.causes if c.id == lead).why)
    assert "authdoctor doctor found on this machine that its sign matches" in why and "You said" not in why
    assert answer.hints_used["signs"].source == "machine"


def test_a_persons_answer_wins_over_what_the_machine_read_for_the_same_hint(doctor, icti_provider):
    answer = doctor.diagnose(icti_provider, hints={"runner": "local"}, machine={"runner": "github-actions"})
    assert answer.hints_used["runner"] == HintUse("local", "user", "local")


def test_a_value_read_off_the_machine_is_not_discounted_as_a_possibly_mistaken_answer(doctor, icti_provider):
    # a person's "AKIA, no session token" may be a misread (hints.yaml's misreport); the machine read the key itself
    facts = {"key_prefix": "AKIA", "has_session_token": False}
    said, read = doctor.diagnose(icti_provider, hints=facts), doctor.diagnose(icti_provider, machine=facts)
    assert said.causes[0].id == read.causes[0].id and read.causes[0].probability > said.causes[0].probability
    assert any("(read from this machine)" in w for w in read.causes[0].why)
    assert not any("(read from this machine)" in w for w in said.causes[0].why)


# --- a long paste is read where its error is ----------------------------------------------


CASES = sorted(Path(__file__).parent.joinpath("cases").glob("*.yaml"))
NOISE = "2024-03-01T10:00:{s:02d}.{ms:03d}Z module.net.aws_subnet.private[{i}]: Refreshing state... [id=subnet-0{i:07x}a1b2c3]"


def _pastes():
    out = []
    for f in CASES:
        out += [c["error"] for c in (yaml.safe_load(f.read_text()) or {}).get("cases") or [] if isinstance(c.get("error"), str)]
    return out


def _log(paste: str, size: int) -> str:
    """`paste` in the middle of `size` characters of a CI log's refresh lines."""
    lines, total = [], 0
    while total < size // 2:
        lines.append(NOISE.format(s=len(lines) % 60, ms=len(lines) % 1000, i=len(lines)))
        total += len(lines[-1]) + 1
    pad = "\n".join(lines)
    return pad + "\n" + paste + "\n" + pad


def test_the_matcher_reads_the_cut_of_a_long_log_as_it_reads_the_whole_log(doctor):
    m = doctor.matcher
    for paste in _pastes()[::7]:
        log = _log(paste, 64 * 1024)
        focus, region = doctor._cut(log)
        assert paste in region
        whole, cut = m.match(log), m.match(focus)
        assert (cut.text, cut.best) == (whole.text, whole.best)
        assert m.closest(focus) == m.closest(log)


def test_a_long_log_tells_what_its_error_alone_tells(doctor):
    for paste in _pastes()[::6]:
        alone = doctor.diagnose(paste)
        if not alone.recognized:
            continue
        long = doctor.diagnose(_log(paste, 1024 * 1024))
        assert (long.error_code, long.hints_used, long.markers, long.redacted) == \
            (alone.error_code, alone.hints_used, alone.markers, alone.redacted), paste[:80]


def test_a_doctor_with_its_tables_from_the_cache_answers_as_one_built_afresh(kb_copy, tmp_path, monkeypatch):
    from authdoctor.diagnose import Doctor
    from authdoctor.knowledge import cache, loader
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    fresh = Doctor(loader.load(kb_copy))  # a KB the cache did not give: its tables are built
    Doctor(cache.load(kb_copy))  # keeps the KB, then its tables
    kept = Doctor(cache.load(kb_copy))  # reads both
    assert list((tmp_path / "cache").glob("derived-*.pickle"))
    for paste in _pastes()[::9]:
        for text in (paste, _log(paste, 64 * 1024)):
            assert kept.diagnose(text).to_json() == fresh.diagnose(text).to_json(), text[:80]


def test_answers_naming_one_cause_share_its_fix_steps_and_keep_their_own_figures(doctor, icti):
    a = doctor.diagnose(icti)
    b = doctor.diagnose(icti, hints={"key_prefix": "ASIA"})
    shared = [(x, y) for x in a.causes for y in b.causes if x.id == y.id]
    assert shared
    for x, y in shared:
        assert x.fix is y.fix and x.docs is y.docs  # made once per Doctor, from the KB alone
    assert any(x.probability != y.probability for x, y in shared)


def test_a_declined_paste_is_not_recognised_and_says_what_it_is_instead(doctor):
    a = doctor.diagnose('aws-vault: error: exec: Failed to get credentials for dev: RequestError: send request failed\n'
                        'caused by: Post "https://sts.amazonaws.com/": x509: certificate signed by unknown authority')
    assert not a.recognized and a.known_by == "none" and a.causes == () and a.question is None
    assert a.declined is not None and a.declined.id == "tls-certificate-refused"
    assert a.declined.fix and all(f.commands for f in a.declined.fix)


def test_a_declined_paste_still_masks_and_says_to_rotate_a_secret(doctor):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    a = doctor.diagnose(f"Could not connect to the endpoint URL: \"https://sts.us-east-1.amazonaws.com/\"\naws_secret_access_key={secret}")
    assert a.declined is not None and a.declined.id == "aws-endpoint-unreachable"
    assert secret not in a.masked_text and a.rotate


def test_a_recognised_answer_declines_nothing(doctor, icti):
    assert doctor.diagnose(icti).declined is None


_CHECKSUM_REFUSED = "api error InvalidArgument: Unsupported header 'x-amz-checksum-mode' received for this API call."


def test_a_marker_every_shape_of_the_error_shows_is_reported_but_not_weighed_again(doctor):
    answer = doctor.diagnose(_CHECKSUM_REFUSED)
    assert answer.error_code == "S3ChecksumUnsupported" and "checksum_header" in answer.markers
    assert not any(r.kind == "marker" for c in answer.causes for r in c.reasons)


def test_a_marker_that_tells_an_errors_causes_apart_is_still_weighed(doctor):
    answer = doctor.diagnose("Error: failed to refresh cached credentials, no EC2 IMDS role found, "
                             "operation error ec2imds: GetMetadata, request canceled, context deadline exceeded")
    assert answer.error_code == "NoValidCredentialSources" and "imds_lookup" in answer.markers
    assert any(r.kind == "marker" and r.factor != 1 for c in answer.causes for r in c.reasons)
