"""Hints move the ranking the way the article and real reports reason."""
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from authdoctor.hints import NOTEWORTHY, Reason, kind
from authdoctor.rank import STAYS_BELOW, TEMPERATURE, Ranked, answer_weight, log_posterior, priors_for, probabilities, rank, softmax, why_it_stays


def _ranks(doctor, text, hints=None):
    a = doctor.diagnose(text, hints=hints)
    return {c.id: (i, c.probability) for i, c in enumerate(a.causes)}, a


def _p(ranks, cid):
    return ranks.get(cid, (99, 0.0))[1]


def test_probabilities_are_a_distribution_best_first(doctor, icti_provider):
    _, a = _ranks(doctor, icti_provider)
    ps = [c.probability for c in a.causes]
    assert ps == sorted(ps, reverse=True) and 0 < sum(ps) <= 1.0001 and all(0 <= p <= 1 for p in ps)


def test_asia_key_without_session_token_puts_missing_session_token_first(doctor, icti_provider):
    ranks, a = _ranks(doctor, icti_provider, {"key_prefix": "ASIA", "has_session_token": False})
    assert a.causes[0].id == "missing-session-token"


def test_akia_key_rules_out_missing_session_token(doctor, icti_provider):
    base, _ = _ranks(doctor, icti_provider)
    akia, _ = _ranks(doctor, icti_provider, {"key_prefix": "AKIA"})
    assert _p(akia, "missing-session-token") < _p(base, "missing-session-token") / 5


def test_stale_aws_variables_lift_stale_env_vars(doctor, icti_provider):
    base, _ = _ranks(doctor, icti_provider)
    env, _ = _ranks(doctor, icti_provider, {"env_vars_set": ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"], "auth_method": "profile"})
    assert _p(env, "stale-env-vars") > _p(base, "stale-env-vars") * 1.5


def test_opt_in_region_lifts_region_not_enabled(doctor, icti_provider):
    base, _ = _ranks(doctor, icti_provider)
    opt, a = _ranks(doctor, icti_provider, {"region": "me-south-1"})
    assert _p(opt, "region-not-enabled") > 3 * _p(base, "region-not-enabled")
    assert opt["region-not-enabled"][0] <= 1


def test_govcloud_region_lifts_wrong_partition(doctor, icti_provider):
    base, _ = _ranks(doctor, icti_provider)
    gov, _ = _ranks(doctor, icti_provider, {"region": "us-gov-west-1"})
    assert _p(gov, "wrong-partition") > 3 * _p(base, "wrong-partition")


@pytest.mark.parametrize("runner", ["github-actions", "gitlab-ci", "jenkins"])
def test_a_ci_runner_lifts_the_ci_causes(doctor, icti_provider, runner):
    base, _ = _ranks(doctor, icti_provider, {"runner": "local"})
    ci, _ = _ranks(doctor, icti_provider, {"runner": runner})
    assert _p(ci, "ci-secret-misconfigured") > 2 * _p(base, "ci-secret-misconfigured")


def test_docker_lifts_docker_credentials_not_passed(doctor, icti_provider):
    base, _ = _ranks(doctor, icti_provider, {"in_docker": False})
    dock, _ = _ranks(doctor, icti_provider, {"in_docker": True})
    assert _p(dock, "docker-credentials-not-passed") > 3 * _p(base, "docker-credentials-not-passed")


def test_each_cause_says_why_it_is_ranked_there(doctor, icti_provider):
    _, a = _ranks(doctor, icti_provider, {"key_prefix": "ASIA", "has_session_token": False})
    top = a.causes[0]
    assert top.why[0].startswith("Before any hint") and any("ASIA" in w for w in top.why)


def test_missing_sts_permission_stays_near_zero(doctor, icti_provider):
    ranks, _ = _ranks(doctor, icti_provider)
    assert _p(ranks, "missing-sts-permission") < 0.01


def test_a_token_kept_only_under_the_legacy_name_lifts_missing_session_token(doctor):
    text = "AWS was not able to validate the provided access credentials"
    plain, _ = _ranks(doctor, text)
    legacy, _ = _ranks(doctor, 'AWS_SECURITY_TOKEN="FQoDYXdzEXAMPLE"\n' + text)
    assert _p(legacy, "missing-session-token") > 2 * _p(plain, "missing-session-token")


def test_signature_expired_links_only_causes_that_can_produce_it(kb):
    # the time check comes before the key or the secret is looked at
    assert set(kb.errors["SignatureExpired"].priors) == {"clock-skew", "provider-version-incompatible"}


def test_an_asia_key_keeps_missing_session_token_ahead_when_the_token_is_said_to_be_set(doctor, icti_provider):
    # real reports: the token is "set" in the shell or the wrong file and never reaches the SDK
    ranks, a = _ranks(doctor, icti_provider, {"key_prefix": "ASIA", "has_session_token": True})
    second = a.causes[1].probability
    assert a.causes[0].id == "missing-session-token" and _p(ranks, "missing-session-token") > 2 * second


IAM_ONLY = ("Error: creating IAM Role (deploy): operation error IAM: CreateRole, https response error StatusCode: 403, "
            "RequestID: x, api error InvalidClientTokenId: The security token included in the request is invalid")


def test_an_iam_only_failure_in_ci_leads_clearly_with_mfa_required(doctor):
    # a CI `get-session-token` without MFA is as real a route as a laptop session
    ci, a = _ranks(doctor, IAM_ONLY, {"runner": "gitlab-ci", "has_session_token": True})
    assert ci["mfa-required"][0] == 0 and _p(ci, "mfa-required") > 1.5 * a.causes[1].probability


def test_keys_handed_out_by_vault_lift_new_key_not_propagated(doctor, icti_provider):
    # Vault's AWS secrets engine docs: new IAM keys need 5-10 s before every service accepts them
    plain, _ = _ranks(doctor, icti_provider)
    vault, _ = _ranks(doctor, "hvac.exceptions.InvalidRequest: Error creating IAM user: " + icti_provider)
    assert _p(vault, "new-key-not-propagated") > 3 * _p(plain, "new-key-not-propagated")


def test_a_vault_paste_puts_new_key_not_propagated_in_the_top_three(doctor, icti_provider):
    # keys Vault creates reach Terraform through its API: no shell quoting, no AWS_* variables
    a = doctor.diagnose("vault_aws_secret_backend_role.deploy: error reading credentials: " + icti_provider)
    assert "new-key-not-propagated" in [c.id for c in a.causes[:3]]


def test_no_single_answer_makes_a_cause_certain(doctor, kb, icti_provider):
    # an answer weighs no more than its own chance of being right (kb/hints.yaml misreport)
    for key, hint in kb.hints.items():
        if hint.type == "signs":
            continue
        for option in hint.options:
            a = doctor.diagnose(icti_provider, hints={key: option})
            assert a.causes[0].probability < 0.99, f"{key}={option!r} gives {a.causes[0].id} {a.causes[0].probability:.3f}"


def test_no_single_sign_makes_a_cause_certain_on_any_error(kb):
    # a sign is read wrongly about once in a hundred (kb/hints.yaml false_hit): it may say 100 to 1,
    # and from the error's priors alone one sign must leave the other causes a visible share
    for error in kb.errors.values():
        before = probabilities(kb, error.priors, {}, [])
        for cid in error.priors:
            if before[cid] >= 0.5:  # already the leader before anyone answers: not the sign's doing
                continue
            after = probabilities(kb, error.priors, {"signs": (cid,)}, [], {"signs": "user"})
            assert after[cid] < 0.99, f"{error.id}: one sign takes {cid} from {before[cid]:.2f} to {after[cid]:.3f}"


def _odds_moved(before, after, a, b):
    return (after[a] / after[b]) / (before[a] / before[b])


def test_an_answer_moves_the_odds_no_more_than_its_error_rate_allows(kb):
    for error in kb.errors.values():
        before = probabilities(kb, error.priors, {}, [])
        for key, hint in kb.hints.items():
            values = [(c,) for c in error.priors] if hint.type == "signs" else hint.values
            bound = 1 / kind(hint).error_rate(hint)
            for value in values:
                after = probabilities(kb, error.priors, {key: value}, [], {key: "user"})
                own = {c: kind(hint).answered(hint, kb.causes[c], value) for c in error.priors}
                for a in error.priors:
                    for b in error.priors:
                        allowed = max(own[a] / own[b], bound)
                        assert _odds_moved(before, after, a, b) <= allowed * (1 + 1e-9), (error.id, key, value, a, b)


def test_an_answer_within_its_bound_is_sharpened_like_the_paste(kb):
    assert answer_weight(-0.5, 0.05) == pytest.approx(TEMPERATURE * -0.5)


def test_an_answer_past_its_bound_weighs_its_bound(kb):
    assert answer_weight(math.log(1 / 90), 0.01) == pytest.approx(math.log(0.01))


def test_an_answer_already_past_its_bound_keeps_its_own_weight(kb):
    assert answer_weight(math.log(1 / 500), 0.01) == pytest.approx(math.log(1 / 500))


def test_the_same_reading_from_the_paste_is_sharpened_in_full(kb):
    error = kb.errors["InvalidClientTokenId"]
    said = probabilities(kb, error.priors, {"key_prefix": "AKIA"}, [], {"key_prefix": "user"})
    read = probabilities(kb, error.priors, {"key_prefix": "AKIA"}, [], {"key_prefix": "text"})
    assert read["missing-session-token"] < said["missing-session-token"]


def test_a_cause_an_answer_rules_out_says_why_it_is_still_listed(doctor, icti_provider):
    a = doctor.diagnose(icti_provider, hints={"key_prefix": "AKIA"})
    mst = next(c for c in a.causes if c.id == "missing-session-token") if any(
        c.id == "missing-session-token" for c in a.causes) else None
    if mst is not None:  # it may drop out of the list altogether; if listed, it says why
        assert any("rules it out" in w and "mistaken" in w for w in mst.why), mst.why


def test_a_why_line_reads_for_the_answer_given(doctor, icti_provider):
    yes = doctor.diagnose(icti_provider, hints={"cli_works": True})
    no = doctor.diagnose(icti_provider, hints={"cli_works": False})
    said_no = [w for c in no.causes for w in c.why if w.startswith("No, the CLI fails too")]
    assert said_no and not any("the credentials themselves work" in w for w in said_no)
    assert any("the credentials themselves work" in w for c in yes.causes for w in c.why)


EXPIRED = ("An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: "
           "The security token included in the request is expired")


def test_answers_that_together_all_but_rule_a_cause_out_say_why_it_stays(doctor):
    # AKIA and no session token: neither alone rules out an expired session, both together count heavily
    a = doctor.diagnose(EXPIRED, hints={"key_prefix": "AKIA", "has_session_token": False})
    expired = next(c for c in a.causes if c.id == "temporary-credentials-expired")
    last = expired.reasons[-1]
    assert last.kind == "stays" and last.factor <= STAYS_BELOW
    assert "of ExpiredToken reports" in last.text and "mistaken" in last.text


def test_one_answer_against_a_cause_adds_no_line_on_why_it_stays(doctor):
    a = doctor.diagnose(EXPIRED, hints={"key_prefix": "AKIA"})
    assert not any(r.kind == "stays" for c in a.causes for r in c.reasons)


def test_answers_that_leave_a_cause_standing_add_no_line_on_why_it_stays(doctor):
    a = doctor.diagnose(EXPIRED, hints={"key_prefix": "ASIA", "has_session_token": True})
    expired = next(c for c in a.causes if c.id == "temporary-credentials-expired")
    assert not any(r.kind == "stays" for r in expired.reasons)


def test_an_answer_that_lowers_a_cause_never_reads_the_sentence_written_for_those_that_raise_it(kb):
    # a cause's one sentence for a hint it has answers on both sides of explains the raising ones
    checked = 0
    for cause in kb.causes.values():
        for key, table in cause.likelihood.items():
            hint, general = kb.hints.get(key), cause.why.get(key)
            if hint is None or not general or not kind(hint).raising(hint, cause):
                continue
            for value in table:
                if f"{key}={value}" in cause.why:
                    continue
                for _, step in kind(hint).reasons(hint, cause, value, source="user"):
                    if step.factor < 1:
                        checked += 1
                        assert step.text != general, (cause.id, key, value)
                        assert "mostly comes with" in step.text or step.text == hint.why.get(value), (cause.id, key, value)
    assert checked > 50


def test_an_answer_that_raises_a_cause_reads_the_causes_own_sentence(kb):
    cause, hint = kb.causes["temporary-credentials-expired"], kb.hints["key_prefix"]
    [(_, step)] = kind(hint).reasons(hint, cause, "ASIA", source="user")
    assert step.text == cause.why["key_prefix"]


def test_an_sdk_refusing_the_pod_identity_agents_address_puts_its_age_first(doctor):
    a = doctor.diagnose('Error: loading configuration: invalid endpoint host, "169.254.170.23", only loopback hosts are allowed')
    assert a.causes[0].id == "provider-version-incompatible"


def test_a_reason_read_from_the_text_is_not_weighed_as_a_possibly_mistaken_answer(doctor):
    # the region in the paste is evidence, not an answer: its factor keeps its full strength
    text = ("$ aws ec2 describe-instances --region ap-east-1\n\nAn error occurred (AuthFailure) when calling the "
            "DescribeInstances operation: AWS was not able to validate the provided access credentials")
    from_text = doctor.diagnose(text)
    told = doctor.diagnose(text.replace(" --region ap-east-1", ""), hints={"region": "ap-east-1"})
    p = {c.id: c.probability for c in from_text.causes}
    q = {c.id: c.probability for c in told.causes}
    assert p["region-not-enabled"] > q["region-not-enabled"]


# --- the same answers as working every factor and line out on every call ------------------------

def _reference_log_posterior(kb, priors, features, markers, feature_sources=None):
    """log_posterior as it was before each feature's and marker's log factors were kept per KB."""
    scores = {}
    sources = feature_sources or {}
    for cid, prior in priors.items():
        cause = kb.causes[cid]
        s = math.log(prior)
        for key, fv in features.items():
            hint = kb.hints[key]
            k = kind(hint)
            s += math.log(k.answered(hint, cause, fv) if sources.get(key) == "user" else k.likelihood(hint, cause, fv))
        for m in markers:
            s += math.log(cause.markers.get(m, 1.0))
        scores[cid] = s
    return scores


def _reference_shown(kb, priors, features, markers, feature_sources):
    """The shown probabilities worked out per cause: the paste's evidence sharpened in full, each
    answer a person gave sharpened but held to the larger of its own odds and 1 / its error rate."""
    user = {k for k, src in (feature_sources or {}).items() if src == "user"}
    paste = _reference_log_posterior(kb, priors, {k: v for k, v in features.items() if k not in user}, markers)
    scores = {cid: TEMPERATURE * s for cid, s in paste.items()}
    for key in user:
        hint = kb.hints[key]
        own = {cid: math.log(kind(hint).answered(hint, kb.causes[cid], features[key])) for cid in priors}
        bound = math.log(1 / kind(hint).error_rate(hint))
        for cid in priors:
            d = max(own.values()) - own[cid]
            scores[cid] -= min(TEMPERATURE * d, max(d, bound))
    return softmax(scores, 1.0)


def _reference_rank(kb, error, variant, features, markers, feature_sources=None):
    """rank as it was before the why-lines were kept per KB: every line written again on every call."""
    markers = list(markers)
    priors, sources = priors_for(error, variant)
    probs = _reference_shown(kb, priors, features, markers, feature_sources)
    total_prior = sum(priors.values())
    out = []
    for cid, p in sorted(probs.items(), key=lambda kv: (-kv[1], kv[0])):
        cause = kb.causes[cid]
        share = priors[cid] / total_prior
        src = f" ({sources[cid]})" if sources.get(cid) else ""
        why = [Reason("prior", error.id, "kb", None, round(share, 4), False, sources.get(cid, ""),
                      f"Before any hint: {share:.0%} of {error.id} reports{src}.")]
        moves = []
        for key, fv in features.items():
            hint = kb.hints[key]
            moves += kind(hint).reasons(hint, cause, fv, source=(feature_sources or {}).get(key, "user"))
        for m in markers:
            factor = cause.markers.get(m, 1.0)
            if factor >= NOTEWORTHY or factor <= 1 / NOTEWORTHY:
                reason = cause.why.get(m) or kb.markers[m].description
                direction = "more" if factor > 1 else "less"
                seen = kb.markers[m].description
                moves.append((abs(math.log(factor)), Reason("marker", seen, "text", round(factor, 4), None, False, reason,
                                                            f"The text shows {seen}: {direction} likely ×{factor:.2g}. {reason}")))
        why.extend(step for _, step in sorted(moves, key=lambda x: -x[0]))
        stays = why_it_stays(error, why[0], why[1:])
        out.append(Ranked(cid, p, tuple(why) + ((stays,) if stays else ())))
    return out


def _same_as_the_reference(kb, error, variant, features, markers, sources):
    priors, _ = priors_for(error, variant)
    scores = log_posterior(kb, priors, features, markers, sources)
    assert scores == _reference_log_posterior(kb, priors, features, markers, sources)
    ours, theirs = rank(kb, error, variant, features, markers, sources), _reference_rank(kb, error, variant, features, markers, sources)
    assert [(r.id, r.why) for r in ours] == [(r.id, r.why) for r in theirs]
    assert [r.probability for r in ours] == pytest.approx([r.probability for r in theirs], abs=1e-12)


def test_the_ranking_is_the_reference_implementations_on_every_case(doctor):
    kb = doctor.kb
    cases = Path(__file__).resolve().parent / "cases"
    compared = 0
    for f in sorted(cases.glob("*.yaml")) + sorted((cases / "variants").glob("*.yaml")):
        for case in (yaml.safe_load(f.read_text()) or {}).get("cases") or []:
            for hints in ({k: v for k, v in (case.get("hints") or {}).items() if k in kb.hints}, None):
                a = doctor.diagnose(case["error"], hints=hints)
                if not a.recognized:
                    continue
                error = kb.errors[a.error_code]
                variant = next(v for v in error.variants if v.id == a.variant.id)
                features = {k: u.feature for k, u in a.hints_used.items()}
                _same_as_the_reference(kb, error, variant, features, a.markers, {k: u.source for k, u in a.hints_used.items()})
                compared += 1
    assert compared > 100


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_ranking_is_the_reference_implementations_on_generated_evidence(kb, data):
    error = data.draw(st.sampled_from(sorted(kb.errors.values(), key=lambda e: e.id)))
    variant = data.draw(st.sampled_from((None, *error.variants)))
    features, sources = {}, {}
    for key in data.draw(st.lists(st.sampled_from(sorted(kb.hints)), unique=True, max_size=8)):
        hint = kb.hints[key]
        if hint.type == "signs":
            ids = list(error.priors)
            features[key] = tuple(data.draw(st.lists(st.sampled_from(ids + ["!" + c for c in ids]), max_size=5)))
        else:
            features[key] = data.draw(st.sampled_from(hint.values))
        source = data.draw(st.sampled_from(("user", "machine", "text", "variant", None)))
        if source is not None:
            sources[key] = source
    markers = data.draw(st.lists(st.sampled_from(sorted(kb.markers)), unique=True, max_size=4))
    _same_as_the_reference(kb, error, variant, features, markers, sources or None)
    _same_as_the_reference(kb, error, variant, features, markers, sources)  # a second time: from what was kept


def test_a_list_of_signs_ranks_as_its_tuple_does(kb):
    error = kb.errors["InvalidClientTokenId"]
    a, b = list(error.priors)[:2]
    as_list = {"signs": [a, "!" + b], "key_prefix": "ASIA"}
    as_tuple = {"signs": (a, "!" + b), "key_prefix": "ASIA"}
    sources = {"signs": "user", "key_prefix": "text"}
    assert rank(kb, error, None, as_list, [], sources) == rank(kb, error, None, as_tuple, [], sources)
    _same_as_the_reference(kb, error, None, as_list, [], sources)


def test_every_why_line_comes_with_its_parts(doctor, icti_provider):
    answer = doctor.diagnose(icti_provider, hints={"key_prefix": "AKIA", "runner": "github-actions"})
    for c in answer.causes:
        assert tuple(r.line for r in c.reasons) == c.why
        assert c.reasons[0].kind == "prior" and c.reasons[0].share is not None and c.reasons[0].factor is None


def test_a_steps_parts_say_where_the_value_came_from_and_which_way_it_moved(doctor, icti_provider):
    answer = doctor.diagnose(icti_provider, hints={"key_prefix": "AKIA"}, machine={"runner": "github-actions"})
    steps = [r for c in answer.causes for r in c.reasons if r.kind == "hint"]
    assert {r.source for r in steps} <= {"user", "machine"} and {"user", "machine"} & {r.source for r in steps}
    for r in steps:
        assert r.up == (r.factor > 1) and r.label in r.line


def test_the_api_gives_each_step_in_parts_without_repeating_its_line(doctor, icti_provider):
    cause = doctor.diagnose(icti_provider, hints={"key_prefix": "AKIA"}).to_json()["causes"][0]
    assert len(cause["reasons"]) == len(cause["why"])
    assert set(cause["reasons"][0]) == {"kind", "label", "source", "factor", "share", "rules_out", "text"}
