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
    assert text.count("InvalidClientTokenId  (stage") >= 3  # before each question and after the last answer
