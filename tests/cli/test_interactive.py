"""`diagnose --interactive` at a real terminal: a question, an answer, a new ranking, until the end of input."""
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_interactive_asks_at_a_terminal_and_reranks_after_each_answer(tmp_path, icti):
    f = tmp_path / "err.txt"
    f.write_text(icti + "\n")
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TERM": "dumb"}
    proc = subprocess.Popen([sys.executable, "-m", "authdoctor", "diagnose", "--interactive", str(f)],
                            stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env, close_fds=True)
    os.close(slave)
    chunks = []

    def read(until=None, timeout=30):
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                return
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal: all is read
                return
            if not data:
                return
            chunks.append(data)
            if until and until in b"".join(chunks).split(b"\n? ")[-1]:
                return

    read(until=b"\n> ")
    os.write(master, b"0\n")  # "I don't know": the next question comes
    read(until=b"\n> ")
    os.write(master, b"1\n")  # the first option: re-ranked with it
    read(until=b"\n> ", timeout=10)
    os.write(master, b"\x04")  # end of input: the last answer is printed and it exits
    read(timeout=5)  # keep draining, or a full terminal buffer would block the child
    proc.wait(timeout=30)
    text = b"".join(chunks).decode(errors="replace")
    assert text.count("\n? ") >= 2
    assert text.count("InvalidClientTokenId  (stage") == 1  # the whole answer once; after that only changes
    assert text.count("After ") == 2 and "Most likely: " in text


def test_after_an_answer_only_what_changed_is_printed(doctor, icti):
    import io

    from authdoctor.cli.interactive import interact
    out = io.StringIO()
    final = interact(doctor, icti, {}, io.StringIO("0\n0\n2\n1\n"), out)
    text = out.getvalue()
    first, *steps = text.split("\nAfter ")
    assert len(steps) >= 3
    assert text.count("InvalidClientTokenId  (stage") == 1 and "1. " in first
    # reasons and fixes come again only for a cause that has just taken the lead
    assert all("Now most likely: " in s for s in steps if "Fix: " in s or "Before any hint:" in s)
    assert len(text.splitlines()) < 3 * len(first.splitlines())  # reprinting the answer each time was 5x
    assert final.top.title.replace("`", "") in steps[-1]


def test_an_answer_that_changes_the_lead_shows_the_new_leads_fixes(doctor, icti):
    from authdoctor.cli.interactive import changes
    before = doctor.diagnose(icti)
    q = before.question
    other = next(o for o in q.options if o[0] != before.top.id and not o[0].startswith("!"))
    after = doctor.diagnose(icti, hints={q.hint: list(other)})
    assert after.top.id == other[0]
    text = changes(before, after, f"{q.hint}={other[0]}")
    assert text.startswith(f"After {q.hint}={other[0]}:") and "Now most likely: " in text
    assert "Fix: " in text


def test_an_answer_that_moves_nothing_says_so_in_one_line(doctor, icti):
    from authdoctor.cli.interactive import changes
    answer = doctor.diagnose(icti)
    assert changes(answer, answer, "\"I don't know\" to signs") == "After \"I don't know\" to signs:\n  Nothing changed.\n"


def test_interactive_with_markdown_talks_on_stderr_and_prints_only_the_markdown(tmp_path, icti):
    f = tmp_path / "err.txt"
    f.write_text(icti + "\n")
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TERM": "dumb"}
    proc = subprocess.Popen([sys.executable, "-m", "authdoctor", "diagnose", "-i", "--format", "markdown", str(f)],
                            stdin=slave, stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=env, close_fds=True)
    os.close(slave)
    talk = b""
    while b"\n> " not in talk:  # the first question, on the terminal
        ready, _, _ = select.select([master], [], [], 30)
        assert ready, talk[-500:]
        talk += os.read(master, 65536)
    os.write(master, b"\x04")  # end of input
    out, _ = proc.communicate(timeout=30)
    os.close(master)
    assert b"? " in talk and b"InvalidClientTokenId  (stage" in talk
    assert out.decode().startswith("### AuthDoctor: `InvalidClientTokenId`") and b"\n> " not in out
