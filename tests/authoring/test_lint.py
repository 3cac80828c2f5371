"""Every example in the KB is recognised as its own error; no not_example is claimed (inline tests)."""
import pytest

from authdoctor import knowledge as kbmod
from authdoctor.match import Matcher
from authdoctor.redact import redact

KB = kbmod.load()
MATCHER = Matcher(KB)
EXAMPLES = [(v.error_id, v.id, i, text) for v in KB.variants for i, text in enumerate(v.examples)]
NOT_EXAMPLES = [(e.id, i, text) for e in KB.errors.values() for i, text in enumerate(e.not_examples)]


@pytest.mark.parametrize("error_id,variant_id,i,text", EXAMPLES, ids=[f"{v}-{i}" for _, v, i, _ in EXAMPLES])
def test_example_is_recognised_as_its_error(error_id, variant_id, i, text):
    best = MATCHER.match(redact(text).text).best
    assert best is not None, "not recognised"
    assert best.variant.error_id == error_id


@pytest.mark.parametrize("error_id,i,text", NOT_EXAMPLES, ids=[f"{e}-not-{i}" for e, i, _ in NOT_EXAMPLES])
def test_not_example_is_not_claimed_by_its_error(error_id, i, text):
    best = MATCHER.match(redact(text).text).best
    assert best is None or best.variant.error_id != error_id
