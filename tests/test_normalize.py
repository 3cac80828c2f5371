"""Normalisation masks what varies between two pastes and keeps what tells errors apart."""
import random
import time
from bisect import bisect_right
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authdoctor.normalize import Cut, lines_holding, normalize, normalize_lines


def test_request_ids_and_status_boilerplate_are_dropped():
    a = normalize("InvalidClientTokenId: x\n\tstatus code: 403, request id: 1234-abcd")
    b = normalize("InvalidClientTokenId: x\n\tstatus code: 403, request id: 9999-ffff")
    assert a == b == "invalidclienttokenid: x"


def test_arns_and_account_ids_are_masked_but_actions_kept():
    n = normalize("User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: sts:AssumeRole on 210987654321")
    assert "<arn>" in n and "<account>" in n and "sts:assumerole" in n and "123456789012" not in n


def test_box_drawing_and_ansi_are_folded():
    assert normalize("\x1b[31m│ Error:\x1b[0m   bad ╵") == "error: bad"


def test_timestamps_are_masked():
    assert normalize("Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z") == \
        "signature expired: <time> is now earlier than <time>"


def test_s3_host_ids_are_not_kept():
    n = normalize("host id: 6nPFZDrM7iFd9RPfA/xe893D1l9Q70xdwKsZt6iZO+83A7/td1LMX5rGiCvOZBVCmcStpJYCN4w=")
    assert "6npfz" not in n


def test_a_json_protocol_error_body_reads_as_the_sdk_prints_it():
    body = '{"message":"Session token not found or invalid","__type":"com.amazonaws.switchboard.portal#UnauthorizedException"}'
    n = normalize(body)
    assert "session token not found or invalid" in n and "unauthorizedexception" in n
    assert "__type" not in n and "switchboard" not in n and '"message"' not in n


def test_a_boto3_error_dict_loses_its_keys_and_keeps_the_code_and_message():
    n = normalize("{'Error': {'Type': 'Sender', 'Code': 'ExpiredToken', 'Message': 'The security token included in the request is expired'}}")
    assert "'code'" not in n and "'message'" not in n
    assert "expiredtoken" in n and "the security token included in the request is expired" in n


def test_a_cloudtrail_record_keeps_the_operation_and_the_refusal_without_their_keys():
    n = normalize('{"eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithWebIdentity", "errorCode": "AccessDenied"}')
    assert "assumerolewithwebidentity" in n and "accessdenied" in n
    assert "eventname" not in n and "errorcode" not in n


# --- escape sequences, and each line alone ------------------------------------------------


def test_a_hyperlinks_text_stays_and_its_escape_sequences_go():
    link = "\x1b]8;;https://example.com/a\x1b\\the docs\x1b]8;;\x1b\\"
    assert normalize(f"see {link} and {link} again") == "see the docs and the docs again"


def test_escape_sequences_without_an_end_cost_linear_time():
    # every ESC ] used to be read to the paste's end (quadratic: seconds for this one)
    t0 = time.process_time()
    normalize_lines("\x1b]" * 32768)
    assert time.process_time() - t0 < 0.5


_TRICKY = ["\x1b", "]", "[", "0", "1", ";", "m", "\x07", "\\", "\n", "\r", "\r\n", "\x0b", "\x85", "\u2028", " ", "a",
           "Error", "│", "2024-03-01T10:00:00Z ", "request id: 12", "\t", "`"]


@pytest.mark.parametrize("seed", range(200))
def test_a_paste_normalises_as_its_lines_do_one_by_one(seed):
    rnd = random.Random(seed)
    text = "".join(rnd.choice(_TRICKY) for _ in range(rnd.randint(1, 80)))
    assert normalize_lines(text) == [n for line in text.split("\n") for n in normalize_lines(line)]


# --- the lines around the error in a long paste ------------------------------------------

NOISE = "2024-03-01T10:00:{s:02d}.000Z module.net.aws_subnet.private[{i}]: Refreshing state... [id=subnet-0{i:07x}]"
ERROR = ("2024-03-01T10:15:00.000Z \x1b[31m│ Error: reading STS caller identity\n"
         "2024-03-01T10:15:00.000Z │ \n"
         "2024-03-01T10:15:00.000Z │ InvalidClientTokenId: The security token included in the request is invalid.\x1b[0m")


def _noise(n, start=0):
    return "\n".join(NOISE.format(s=i % 60, i=i) for i in range(start, start + n))


def test_a_short_paste_is_not_cut():
    assert Cut(["invalidclienttokenid", "error"], 3, 6000)(ERROR) is None


def test_the_region_and_the_focus_hold_the_error_lines_and_little_else():
    text = _noise(2000) + "\n" + ERROR + "\n" + _noise(2000, 2000)
    focus, region = Cut(["invalidclienttokenid", "error", "token"], 3, 6000)(text)
    assert ERROR in region and ERROR in focus
    assert len(region) < 10_000 and len(focus) < 2_000


def test_a_literal_split_by_a_colour_code_is_found():
    text = _noise(2000) + "\nInvalid\x1b[1mClientTokenId: x\n" + _noise(2000, 2000)
    _, region = Cut(["invalidclienttokenid"], 3, 6000)(text)
    assert "Invalid\x1b[1mClientTokenId: x" in region


def test_a_literal_only_a_mask_could_write_cuts_nothing():
    assert Cut(["error", "<account>"], 3, 6000).by_key is None


def _one_line_at_a_time(text):
    """normalize_lines as it reads each line alone: the reference the all-lines-at-once reading is held to."""
    from authdoctor import normalize as n
    text = n._ANSI_LEFTOVER.sub("", n._ANSI.sub("", text)).translate(n._QUOTES)
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        line = n._BOX.sub(" ", n._CI_PREFIX.sub("", n._CTRL.sub(" ", line)))
        for pattern, repl in n._MASKS:
            line = pattern.sub(repl, line)
        line = n._SPACE.sub(" ", line).strip().lower()
        if line:
            out.append(line)
    return out


_LINE_BITS = ["request id: ", "RequestId: abc-12\n", "host id:\n", "status code: 403\n", "<RequestId>x\n</RequestId>",
              "2024-03-01T10:00:00Z ", "\n  10:00:00 ", "##[error]", "ERRO[0001] ", "arn:aws:iam::aws:policy/X",
              "arn:aws:sts::123456789012:assumed-role/r/s", "123456789012", "0123456789abcdef0123", "/home/bob/x",
              "C:\\Users\\bob", "A" * 50, "+/" * 30, "\n", "\r\n", "\x0b", " ", "\t", "│", "Error:", "\u3000", "\x1f",
              # at the edges of the runs a mask is looked for by (digits, hex, base64) and of ASCII text
              "0123abcd-ABCD-1234-abcd-0123456789AB", "0123abcd-ABCD-1234-abcd-0123456789A", "20160609T184512Z",
              "2016060T184512Z", "2024-03-01 10:00:00", "12345678901", "0" * 11, "abcdef0123456789", "ABCDEF012345678",
              "b" * 47, "=", "-", ":", "T", "Z", "  ", "\uff11\uff12\uff13\uff14" * 3, "\u0661" * 12, "\u212a", "\u017f"]


@pytest.mark.parametrize("seed", range(300))
def test_all_lines_at_once_read_as_each_line_alone(seed, kb):
    rnd = random.Random(seed)
    text = "".join(rnd.choice(_LINE_BITS) for _ in range(rnd.randint(1, 40)))
    assert normalize_lines(text) == _one_line_at_a_time(text)
    variant = kb.variants[seed % len(kb.variants)].text
    assert normalize_lines(variant) == _one_line_at_a_time(variant)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_LINE_BITS), max_size=30))
def test_all_lines_at_once_read_as_each_line_alone_on_generated_text(bits):
    text = "".join(bits)
    assert normalize_lines(text) == _one_line_at_a_time(text)


def _key_by_listing(literal):
    from authdoctor.normalize import _IN_LOG_WORD, _pieces
    pieces = _pieces(literal)
    return min(pieces, key=lambda p: (p in _IN_LOG_WORD, -len(p), p)) if pieces else None


def test_a_literals_cut_key_is_its_least_common_longest_piece_on_every_kb_literal(doctor):
    from authdoctor.diagnose import _ERRORISH
    from authdoctor.normalize import _key
    for lit in (*doctor.matcher.anchors, *_ERRORISH):
        assert _key(lit) == _key_by_listing(lit), lit


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz <>-_:0123456789refshingtaw", max_size=40))
def test_a_literals_cut_key_is_its_least_common_longest_piece_on_generated_text(literal):
    from authdoctor.normalize import _key
    assert _key(literal) == _key_by_listing(literal)


# --- which lines hold a literal (the engine's one helper for it: the cut, match._focus, redact's windows)

def _holding_by_scan(text, needle, starts):
    """The lines some occurrence of `needle` starts on, by trying every position."""
    return sorted({bisect_right(starts, p) - 1 for p in range(len(text) + 1) if text.startswith(needle, p)})


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab \n", max_size=12), min_size=1, max_size=12), needle=st.text(alphabet="ab \n", max_size=3),
       sep=st.sampled_from(["\n", "\x00"]))
def test_the_lines_holding_a_literal_are_those_an_occurrence_starts_on(lines, needle, sep):
    text = sep.join(lines)
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    assert list(lines_holding(text, needle, starts)) == _holding_by_scan(text, needle, starts)
    raw = [line.encode() for line in lines]
    assert list(lines_holding(sep.encode().join(raw), needle.encode(), starts)) == _holding_by_scan(text, needle, starts)
    if "\n" not in needle and all("\n" not in line for line in lines) and sep == "\n":
        assert list(lines_holding(text, needle, starts)) == [i for i, line in enumerate(lines) if needle in line]
