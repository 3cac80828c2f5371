"""The package as a team installs it: the wheel built from this checkout, installed in a fresh venv
outside it, holds its knowledge base, templates and static files, and its CLI and server work."""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASTE = "api error InvalidClientTokenId: The security token included in the request is invalid.\n"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # the sdist first and the wheel from it, as `pip install authdoctor-*.tar.gz` or a release would
    r = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (found,) = out.glob("authdoctor-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A venv in a temporary folder, the wheel installed with its dependencies (the pinned versions, from
    the same package mirrors scripts/setup uses); its bin folder."""
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True, timeout=120)
    pip = [str(home / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    r = subprocess.run(pip + ["-c", str(ROOT / "requirements.txt"), str(wheel)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return home / "venv" / "bin"


def _outside(tmp_path: Path) -> dict:
    """An environment that cannot see the checkout: no PYTHONPATH, no AUTHDOCTOR_KB."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTHDOCTOR_KB", "VIRTUAL_ENV")}
    env["HOME"] = str(tmp_path)
    return env


def test_the_wheel_holds_the_kb_templates_and_static_files_as_files(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        links = [i.filename for i in z.infolist() if (i.external_attr >> 16) & 0o170000 == 0o120000]
    assert {"authdoctor/data/kb/hints.yaml", "authdoctor/data/templates/index.html", "authdoctor/data/static/copy.js"} <= names
    kb_files = {p.relative_to(ROOT / "kb").as_posix() for p in (ROOT / "kb").rglob("*.yaml")}
    assert {n.removeprefix("authdoctor/data/kb/") for n in names if n.startswith("authdoctor/data/kb/")} >= kb_files
    assert links == []


def test_the_wheel_declares_its_dependencies(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requires = {line.split(":", 1)[1].strip().split("<")[0].split(">")[0].split(";")[0].lower()
                for line in meta.splitlines() if line.startswith("Requires-Dist:")}
    assert {"flask", "markdown", "pyyaml", "gunicorn", "gevent", "slack-sdk"} <= requires
    assert "Provides-Extra: redis" in meta and "Provides-Extra: postgres" in meta


def test_installed_cli_diagnoses_checks_its_kb_and_tells_its_version(installed, tmp_path):
    env = _outside(tmp_path)
    cli = str(installed / "authdoctor")
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("authdoctor ")
    diag = subprocess.run([cli, "diagnose"], input=PASTE, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert diag.returncode == 0 and "InvalidClientTokenId" in diag.stdout, diag.stderr
    check = subprocess.run([cli, "kb", "check"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert check.returncode == 0 and check.stdout.startswith("ok:"), check.stdout + check.stderr


def test_installed_serve_answers_the_page_and_healthz(installed, tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(installed / "authdoctor"), "serve", "--port", str(port), "--workers", "2"],
                                cwd=tmp_path, env=_outside(tmp_path), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, statuses = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                statuses = (_get(port, "/"), _get(port, "/healthz"))
                break
            except OSError:
                time.sleep(0.2)
        assert statuses == (200, 200), log.read_text(errors="replace")
        assert "gunicorn" in log.read_text(errors="replace").lower()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-") and "==" in line:
            name, version = line.split("==", 1)
            pins[_canonical(name.split("[")[0])] = version.strip()
    return pins


def _canonical(name: str) -> str:
    import re
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_declared_dependency_is_pinned_in_the_lock_within_its_range():
    import tomllib

    from packaging.requirements import Requirement
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins(ROOT / "requirements.txt") | _pins(ROOT / "requirements-dev.txt")
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["redis"]]
    outside = {str(r): pins.get(_canonical(r.name)) for r in declared if pins.get(_canonical(r.name)) not in r.specifier}
    assert outside == {}


def test_every_runtime_pin_is_a_declared_dependency_or_one_of_theirs():
    """requirements.txt locks what pyproject.toml declares and what that pulls in, nothing else."""
    import tomllib
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    todo = [Requirement(r) for r in project["dependencies"] + extras["redis"] + extras["postgres"]]
    reached: set[str] = set()
    while todo:
        req = todo.pop()
        name = _canonical(req.name)
        if name in reached:
            continue
        reached.add(name)
        try:
            deps = [Requirement(r) for r in requires(req.name) or []]
        except PackageNotFoundError:
            continue
        # a dependency counts when its marker holds here, for the extras asked for (psycopg[binary])
        todo += [d for d in deps if d.marker is None or any(d.marker.evaluate({"extra": e}) for e in req.extras | {""})]
    assert set(_pins(ROOT / "requirements.txt")) - reached == set()


def test_the_lock_serves_as_pip_constraints():
    # the Dockerfile and the install test pass requirements.txt to pip as -c: no extras, no options
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert [line for line in lines if line and ("[" in line or line.startswith("-") or "==" not in line)] == []
