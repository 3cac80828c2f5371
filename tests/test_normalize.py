"""Normalisation masks what varies between two pastes and keeps what tells errors apart."""
from authdoctor.normalize import normalize


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
