import pytest

from authdoctor import knowledge as kbmod


@pytest.fixture(scope="session")
def kb_problems():
    """The problems the loader refuses a KB folder with (it must refuse it)."""
    def problems(kb_dir):
        with pytest.raises(kbmod.KBError) as exc:
            kbmod.load(kb_dir)
        return exc.value.problems
    return problems
