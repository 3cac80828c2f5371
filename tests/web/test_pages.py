"""The page: paste, hints as selects, the ranked answer; escaped and inert whatever is pasted, and working without JavaScript."""
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>",
       '</textarea><script>alert(2)</script>', 'javascript:alert(3)', '<a href="javascript:alert(4)">x</a>',
       '{{ 7*7 }}<iframe srcdoc="<script>alert(5)</script>">']


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self):
        super().__init__()
        self.tags, self.script_text, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def executable_bits(html: str) -> list:
    p = Tags()
    p.feed(html)
    found = [f"inline script {t!r}" for t in p.script_text]
    for tag, attrs in p.tags:
        if tag == "script" and attrs.get("src") != "/static/copy.js":
            found.append(f"script tag {attrs}")
        if tag in ("iframe", "svg", "object", "embed", "img"):
            found.append(f"{tag} tag {attrs}")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{tag} {name}={value!r}")
            if name in ("href", "src", "action", "formaction", "srcdoc") and value and (
                    value.strip().lower().startswith("javascript:") or name == "srcdoc"):
                found.append(f"{tag} {name}={value!r}")
    return found


def answered(html: str) -> list[tuple[str, str]]:
    """The answered questions, one line each: (what was asked, the answer)."""
    return [(unescape(q), unescape(a)) for q, a in re.findall(
        r'<li class="step"><span class="step-q">(.+?):</span> <strong class="step-a">(.+?)</strong></li>', html)]


def test_the_empty_page_has_a_textarea_and_hint_selects(client):
    html = client.get("/").get_data(as_text=True)
    assert "<textarea" in html and 'name="runner"' in html and 'name="key_prefix"' in html


def test_posting_an_error_shows_code_stage_causes_and_commands(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    assert "InvalidClientTokenId" in html and "Failed while Terraform set up the AWS provider." in html
    assert "<meter" in html and 'class="cmd"' in html


def test_selected_hints_move_the_ranking(client, icti):
    html = client.post("/", data={"error": icti, "key_prefix": "ASIA", "has_session_token": "false"}).get_data(as_text=True)
    first = re.search(r'id="cause-([a-z-]+)"', html).group(1)
    assert first == "missing-session-token"


def test_pasted_markup_is_escaped(client, icti):
    html = client.post("/", data={"error": icti + "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_unrecognised_text_says_so_plainly(client):
    html = client.post("/", data={"error": "Error: Cycle: a, b"}).get_data(as_text=True)
    assert "Not recognised" in html and "will not guess" in html


def test_a_declined_paste_says_what_it_is_instead_with_its_commands(client, tls_refused):
    html = client.post("/", data={"error": tls_refused}).get_data(as_text=True)
    assert "Not a credential failure" in html and 'data-decline="tls-certificate-refused"' in html
    assert "AWS_CA_BUNDLE" in html and "Not recognised" not in html


def test_the_question_is_offered_as_buttons_that_put_the_hint_in_the_url(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    actions = re.findall(r'formaction="([^"]+)"', html)
    assert actions and all(a.startswith("/?") and "steps=" in a for a in actions)


def test_an_answered_question_collapses_to_one_line_and_one_ranking_is_shown(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    action = re.findall(r'formaction="([^"]+)"', html)[0].replace("&amp;", "&")
    html2 = client.post(action, data={"error": icti}).get_data(as_text=True)
    assert answered(html2) == [("Telltale sign", "The key id starts with ASIA, and AWS_SESSION_TOKEN is empty where Terraform runs.")]
    assert html2.count('<ol class="causes">') == 1


def test_a_pasted_secret_is_masked_on_the_page_and_rotation_advised(client, icti):
    html = client.post("/", data={"error": icti + "\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"}).get_data(as_text=True)
    assert "AKIAIOSFODNN7EXAMPLE" not in html and "rotate" in html


def test_a_too_large_paste_is_refused_inline(client):
    r = client.post("/", data={"error": "x" * (70 * 1024)})
    assert r.status_code == 413 and "64 KiB" in r.get_data(as_text=True)


def test_an_invalid_hint_is_shown_inline_with_the_text_kept(client, icti):
    r = client.post("/?region=nowhere", data={"error": icti})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "region" in html and "InvalidClientTokenId" in html


def test_the_page_has_no_inline_script(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_two_rounds_of_the_sign_question_show_as_two_steps_with_their_own_answers(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    none_first = re.findall(r'formaction="([^"]+)"', html)[-2].replace("&amp;", "&")  # "None of these"
    html2 = client.post(none_first, data={"error": icti}).get_data(as_text=True)
    assert answered(html2) == [("Telltale sign", "None of these")] and 'id="question"' in html2  # asked again
    second = [a.replace("&amp;", "&") for a in re.findall(r'formaction="([^"]+)"', html2)]
    sign_round = [a for a in second if "signs=" in a][0]
    html3 = client.post(sign_round, data={"error": icti}).get_data(as_text=True)
    answers = [a for _, a in answered(html3)]
    assert len(answers) == 2 and answers[0] == "None of these" and answers[1] != "None of these"


def test_a_sign_said_not_to_match_comes_back_as_a_second_look_after_the_other_leads(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    for _ in range(8):
        if "look again" in html:
            break
        none = re.search(r'formaction="([^"]+)">None of these</button>', html)
        assert none, "the sign question stopped before any sign came back"
        html = client.post(none.group(1).replace("&amp;", "&"), data={"error": icti}).get_data(as_text=True)
    assert re.search(r'formaction="[^"]+">\(Checked once before; look again\.\) ', html)


# --- whatever is pasted comes back inert --------------------------------------------------

@pytest.mark.parametrize("payload", XSS)
def test_xss_pasted_into_the_page_comes_back_inert(client, icti_provider, payload):
    r = client.post("/", data={"error": f"{icti_provider}\n{payload}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "InvalidClientTokenId" in html
    assert executable_bits(html) == []
    assert "Content-Security-Policy" in r.headers


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_a_shared_link_comes_back_inert(client, icti_provider, payload):
    r = client.get("/?" + urlencode({"error": f"{icti_provider} {payload}", "runner": "github-actions"}))
    assert r.status_code == 200 and executable_bits(r.get_data(as_text=True)) == []


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_a_hint_field_comes_back_inert(client, icti_provider, payload):
    r = client.post("/", data={"error": icti_provider, "region": payload, "terraform_version": payload})
    assert r.status_code == 400 and executable_bits(r.get_data(as_text=True)) == []


def test_an_invalid_hint_does_not_echo_the_unmasked_paste(client, icti_provider):
    secret = "kWcrlUX5JEDGM/LtmEENI+aVmYvHNif5zB+d9+ct"
    r = client.post("/", data={"error": f"{icti_provider}\naws_secret_access_key = {secret}", "region": "nowhere"})
    assert r.status_code == 400 and secret not in r.get_data(as_text=True)


# --- what an attacker's test found (issue 17) -----------------------------------------

@pytest.fixture()
def engine_runs(make_app, monkeypatch):
    """A fresh app's client, and the list of its engine runs (the real engine, counted)."""
    app = make_app()
    doctor = app.extensions["authdoctor"]
    runs, real = [], doctor.diagnose

    def counted(*args, **kwargs):
        runs.append(kwargs)
        return real(*args, **kwargs)
    monkeypatch.setattr(doctor, "diagnose", counted)
    return app.test_client(), runs


def thread_length(html: str) -> int:
    return html.count('<li class="step">')


def answer_id(html: str) -> str:
    return re.search(r'<code id="answer-id">([0-9a-f]+)</code>', html).group(1)


def test_a_hundred_duplicate_steps_run_the_engine_once_per_distinct_step(engine_runs, icti):
    client, runs = engine_runs
    steps = ",".join(["runner"] * 100 + ["AKIAJ7Q2ZK4XW3N5PLMD", "no_such_hint"])
    r = client.post("/?" + urlencode({"runner": "local", "steps": steps}), data={"error": icti})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and len(runs) == 2 and thread_length(html) == 1
    assert "AKIAJ7Q2ZK4XW3N5PLMD" not in html and "no_such_hint" not in html


def test_steps_are_capped_at_a_dozen_and_the_answer_is_unchanged(engine_runs, kb, icti):
    from authdoctor.web.pages import MAX_STEPS
    client, runs = engine_runs
    names = [k for k, h in kb.hints.items() if h.type != "signs"]
    assert len(names) > MAX_STEPS
    plain = client.post("/?" + urlencode({"unknown": ",".join(names)}), data={"error": icti}).get_data(as_text=True)
    runs.clear()
    r = client.post("/?" + urlencode({"unknown": ",".join(names), "steps": ",".join(names * 5)}), data={"error": icti})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and thread_length(html) == MAX_STEPS and len(runs) <= MAX_STEPS + 1
    assert answer_id(html) == answer_id(plain)  # answers before the last dozen still count, as hints given up front
    # the latest steps are the ones shown, and the next links carry no more than the cap plus the new question
    assert len(answered(html)) == MAX_STEPS
    for link in re.findall(r'(?:formaction|href)="(/\?[^"]+)"', html):
        steps = parse_qs(urlsplit(link.replace("&amp;", "&")).query).get("steps", [""])[0]
        assert len(steps.split(",")) <= MAX_STEPS + 1


def test_a_chunked_page_post_over_64_kib_is_413_not_cut(client, icti):
    import io

    def chunked(body: bytes):
        # as gunicorn hands it over: no Content-Length, the stream de-chunked and ended by the server
        return client.post("/", input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    head = urlencode({"error": icti}).encode()
    ok = chunked(head + b"+" * (64 * 1024 - len(head)))
    assert ok.status_code == 200 and "InvalidClientTokenId" in ok.get_data(as_text=True)
    r = chunked(head + b"+" * (64 * 1024 - len(head) + 1))
    assert r.status_code == 413 and "64 KiB" in r.get_data(as_text=True)


def test_a_refused_hint_on_the_page_never_echoes_a_secret(client, icti, key_pairs, leaks):
    for key_id, secret in key_pairs(3):
        refused = [("/?" + urlencode({"region": secret}), {"error": icti}),
                   ("/", {"error": icti, "key_prefix": key_id}),
                   ("/?" + urlencode({"terraform_version": key_id + secret}), {"error": icti}),
                   ("/?" + urlencode({"env_vars_set": f"{key_id},{secret}", secret: "x"}), {"error": icti})]
        for url, form in refused:
            r = client.post(url, data=form)
            html = r.get_data(as_text=True)
            assert r.status_code == 400 and 'class="form-error"' in html, (url, form)
            assert not leaks(html, key_id, secret), (key_pairs.seed, url, form)
        # names that are not hints are dropped from unknown and steps, never quoted back
        for url in ("/?" + urlencode({"unknown": f"{key_id},runner", "steps": f"{secret},runner"}),
                    "/?" + urlencode({key_id: secret, "error": icti})):
            r = client.post(url, data={"error": icti}) if "error=" not in url else client.get(url)
            assert r.status_code == 200 and not leaks(r.get_data(as_text=True), key_id, secret), url


def test_the_page_says_what_it_masked_and_carries_only_the_masked_text(client, icti, key_pairs, leaks):
    key_id, secret = key_pairs(1)[0]
    r = client.post("/", data={"error": f"{icti}\naws_access_key_id = {key_id}\n{secret}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and not leaks(html, key_id, secret), key_pairs.seed
    note = re.search(r'<p class="[^"]*masked-note[^"]*" id="masked">([^<]+)</p>', html)
    assert note and note.group(1) == ("We masked an AWS access key id and an AWS secret access key "
                                      "in your paste; rotate them.")
    assert html.index('id="masked"') > html.index("</textarea>")  # right under the text box
    hidden = re.search(r'<input type="hidden" name="error" value="([^"]*)">', html)
    assert hidden and "REDACTED" in unescape(hidden.group(1))
    link = unescape(re.search(r'<a href="([^"]+)" id="share">', html).group(1))
    shared = parse_qs(urlsplit(link).query)["error"][0]
    assert "AKIA****REDACTED****" in shared and not leaks(link, key_id, secret)
    # an answer button's URL carries hints only, never the text
    assert all("error=" not in a for a in re.findall(r'formaction="([^"]+)"', html))


def test_no_masked_line_when_nothing_was_masked(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    assert 'id="masked"' not in html


def test_a_refused_hint_still_says_what_was_masked(client, icti, key_pairs):
    key_id, _ = key_pairs(1)[0]
    html = client.post("/?region=nowhere", data={"error": f"{icti}\n{key_id}"}).get_data(as_text=True)
    assert "We masked an AWS access key id in your paste; rotate it." in html and key_id not in html


def test_an_unfamiliar_credential_failure_says_so_plainly_on_the_page(client):
    page = client.post("/", data={"error": "ERROR: request to https://example-platform.test/api failed: 401 Unauthorized"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="unfamiliar"' in html and "the message itself is unfamiliar" in html
    assert "% match" not in html


def test_an_answer_known_by_its_code_says_the_code_is_known_on_the_page(client):
    paste = "Error: AuthFailure: the relay vector lantern was refused\n\tstatus code: 401, request id: x"
    html = client.post("/", data={"error": paste}).get_data(as_text=True)
    assert 'id="unfamiliar"' in html and "is known</strong>" in html
    assert "EC2 could not validate the credentials" in html
    assert "the causes start from how often each is confirmed" not in html


# --- answer first, in plain words (issue 18) ------------------------------------------

def test_head_of_the_page_answers_200_like_get(client):
    r = client.head("/")
    assert r.status_code == 200 and r.get_data() == b""


def test_the_title_names_the_error_and_the_likeliest_cause(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    title = unescape(re.search(r"<title>(.*?)</title>", html).group(1))
    assert title.startswith("InvalidClientTokenId: ") and title.endswith(" · AuthDoctor")
    assert "`" not in title  # Markdown code spans lose their backticks in a tab title


def test_the_empty_page_has_its_own_title_and_one_h1(client):
    html = client.get("/").get_data(as_text=True)
    assert "<title>AuthDoctor: why Terraform cannot log in to AWS</title>" in html and html.count("<h1") == 1


def test_the_headline_names_cause_probability_and_first_command_before_anything_else(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    headline = re.search(r'<p class="headline" id="headline">Most likely <span class="pct">\((\d+)%\)</span>: '
                         r'<a href="#cause-([a-z-]+)">', html)
    first = re.search(r'id="cause-([a-z-]+)"', html[html.index('<section class="causes"'):]).group(1)
    assert headline and headline.group(2) == first
    first_command = html.index('<pre class="cmd"')
    assert html.index('id="headline"') < first_command < html.index('id="question"') < html.index('<section class="causes"')


def test_after_diagnose_the_paste_and_hints_fold_into_one_summary_that_reopens(client, icti):
    html = client.post("/", data={"error": icti, "runner": "github-actions"}).get_data(as_text=True)
    summary = re.search(r'<details class="yours" id="yours">\s*<summary>(.*?)</summary>', html, re.S).group(1)
    assert "Your paste" in summary and "provider.aws: InvalidClientTokenId" in summary
    assert "Where Terraform runs: GitHub Actions" in summary
    assert html.index('id="yours"') < html.index('<textarea') < html.index('id="answer"')  # the form is inside it


def test_the_answer_takes_focus_as_the_page_loads_without_a_script(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    assert re.search(r'<section id="answer" class="answer" tabindex="-1" autofocus', html)
    assert html.count("autofocus") == 1


def test_the_share_link_carries_the_hints_and_the_answers(client, icti):
    html = client.post("/", data={"error": icti, "runner": "github-actions", "key_prefix": "ASIA"}).get_data(as_text=True)
    link = unescape(re.search(r'<a href="([^"]+)" id="share">', html).group(1))
    assert link.startswith("/?") and "?&" not in link
    query = parse_qs(urlsplit(link).query)
    assert query["runner"] == ["github-actions"] and query["key_prefix"] == ["ASIA"] and query["error"] == [icti]
    shared = client.get(link).get_data(as_text=True)
    assert answer_id(shared) == answer_id(html)


def test_the_report_link_goes_where_configured_and_is_absent_otherwise(make_app):
    unfamiliar = {"error": "ERROR: request to https://example-platform.test/api failed: 401 Unauthorized"}
    plain = make_app().test_client().post("/", data=unfamiliar).get_data(as_text=True)
    assert 'id="unfamiliar"' in plain and 'id="report"' not in plain
    url = "https://github.com/example/authdoctor-kb/issues/new"
    client = make_app(REPORT_URL=url).test_client()
    link = rf'<a href="{re.escape(url)}" rel="noopener noreferrer" id="report">'
    assert re.search(link, client.post("/", data=unfamiliar).get_data(as_text=True))
    known = {"error": "provider.aws: InvalidClientTokenId: The security token included in the request is invalid."}
    assert re.search(r"Wrong answer\? " + link + "Report it</a>", client.post("/", data=known).get_data(as_text=True))


def test_the_form_shows_a_few_hints_in_plain_words_and_the_rest_behind_more(client, kb):
    html = client.get("/").get_data(as_text=True)
    up_front, more = html.split('<details class="more">')
    up = re.findall(r'<label for="hint-([a-z0-9_]+)">', up_front)
    assert 4 <= len(up) <= 5 and set(up) == {k for k, h in kb.hints.items() if h.up_front}
    assert len(re.findall(r'<label for="hint-', more)) == len([h for h in kb.hints.values() if h.type != "signs"]) - len(up)
    for key, h in kb.hints.items():
        if h.type != "signs":
            assert f'aria-describedby="help-{key}"' in html and f'<p class="help" id="help-{key}">' in html
    labels = dict(re.findall(r'<label for="hint-([a-z0-9_]+)">([^<]*)', html))
    assert labels == {k: h.label for k, h in kb.hints.items() if h.type != "signs"}  # the KB's words, never key names
    assert not [k for k, lb in labels.items() if "_" in k and k in lb]


def test_a_hint_given_from_the_more_group_keeps_that_group_open(client):
    html = client.get("/?os=linux").get_data(as_text=True)
    assert '<details class="more" open>' in html


def test_the_empty_page_offers_an_example_that_diagnoses_and_says_secrets_are_masked(client):
    html = client.get("/").get_data(as_text=True)
    assert "masked before it is read, logged or shown" in html
    example = unescape(re.search(r'<a href="([^"]+)" id="example">', html).group(1))
    answered_page = client.get(example).get_data(as_text=True)
    assert 'id="headline"' in answered_page


def test_markdown_code_spans_render_in_titles_buttons_and_labels(client, icti):
    html = client.post("/?" + urlencode({"signs": "!missing-session-token", "steps": "signs"}), data={"error": icti}).get_data(as_text=True)
    buttons = re.findall(r'<button type="submit" formaction="[^"]+">(.*?)</button>', html)
    assert any("<code>" in b for b in buttons) and not any("`" in b for b in buttons)
    titles = re.findall(r'<h3 class="title">(.*?)</h3>', html)
    assert titles and not any("`" in t for t in titles)
    assert "<code>AWS_ACCESS_KEY_ID</code>" in html  # a hint's help


def test_the_main_answer_has_no_workings_and_the_how_section_has_them_all(client, icti_provider):
    html = client.post("/", data={"error": icti_provider, "runner": "github-actions"}).get_data(as_text=True)
    main, how = html.split('<details class="how" id="how">')
    for jargon in ("% match", "similar", "×", "answer id", "Answer id", "shape"):
        assert jargon not in main, jargon
    whys = " ".join(re.findall(r'<ul class="why">(.*?)</ul>', main, re.S))
    assert whys and "estimate:" not in whys and "article" not in whys  # sources are for the workings
    assert re.search(r'<code>[a-z0-9-]+</code> \([^)]*\), \d+% similar', how)  # the message's shape
    assert "×" in how and "Answer id" in how and "Where Terraform runs: GitHub Actions" in how
    assert re.findall(r'<li><code>([a-z-]+)</code> ', how)  # cause ids only here


def test_a_reason_read_from_the_paste_is_said_once_and_starts_with_a_capital(client, kb):
    text = ("Error: error configuring S3 Backend: error validating provider credentials: error calling "
            "sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.")
    html = client.post("/", data={"error": text}).get_data(as_text=True)
    main = html.split('<details class="how"')[0]
    for block in re.findall(r'<ul class="why">(.*?)</ul>', main, re.S):
        items = [unescape(re.sub("<[^>]+>", "", li)) for li in re.findall(r"<li>(.*?)</li>", block)]
        said = [i.removeprefix("From your paste: ") for i in items]
        assert len(said) == len({x.lower() for x in said}) and all(x[0].isupper() for x in said), items
    assert "From your paste:" in main


def test_a_block_that_is_not_a_shell_command_says_what_it_is(client, icti):
    html = client.post("/", data={"error": icti}).get_data(as_text=True)
    hcl = re.search(r'<p class="cmd-kind">Terraform \(HCL\), not a shell command:</p>\s*'
                    r'<div class="cmd-row"><pre class="cmd" data-kind="hcl"><code>provider', html)
    assert hcl and not re.search(r'cmd-kind">[^<]*</p>\s*<div class="cmd-row"><pre class="cmd" data-kind="shell"', html)
