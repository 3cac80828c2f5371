"""The app factory: a broken KB stops the start."""
import pytest

from authdoctor import knowledge as kbmod


def test_a_broken_kb_stops_the_app_start(kb_copy, edit_kb_file):
    from authdoctor.web import create_app
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "id: clock-skew", "id: [")
    with pytest.raises(kbmod.KBError) as exc:
        create_app(str(kb_copy))
    assert "causes/clock-skew.yaml" in str(exc.value)
