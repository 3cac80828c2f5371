"""The deployment files: the Dockerfile linted (hadolint) and its own install and start commands answering /healthz
from a clean venv; compose.yaml valid against the Compose schema; the Kubernetes manifests valid, offline."""
from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
MANIFESTS = sorted(p for p in (ROOT / "deploy").glob("*.yaml") if p.name != "kustomization.yaml")


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed (requirements-dev.txt pins it; scripts/setup dev installs it)")
    return str(path)


def _instructions(kind: str) -> list[str]:
    """The Dockerfile's instructions of one kind, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line[len(kind) + 1:].strip() for line in joined.splitlines() if line.startswith(kind + " ")]


def test_hadolint_finds_nothing_in_the_dockerfile():
    r = subprocess.run([_tool("hadolint"), "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_image_runs_as_a_non_root_user_with_a_health_check_and_gunicorn():
    assert _instructions("FROM")[0].startswith("python:3.11-slim")
    assert _instructions("USER") and _instructions("USER")[-1] not in ("root", "0")
    assert "/healthz" in _instructions("HEALTHCHECK")[0]
    assert json.loads(_instructions("CMD")[0]) == ["authdoctor", "serve"]  # gunicorn with the package's settings


def test_compose_is_valid_against_the_compose_schema():
    r = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(ROOT / "compose.yaml")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_compose_runs_the_app_with_redis_and_postgres():
    import yaml
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert set(services) == {"app", "redis", "postgres"}
    env = services["app"]["environment"]
    assert env["AUTHDOCTOR_REDIS_URL"].startswith("redis://redis:") and env["AUTHDOCTOR_DATABASE_URL"].startswith("postgresql://")


def test_the_kubernetes_manifests_are_valid_offline():
    r = subprocess.run([_tool("kubernetes-validate"), "--strict", *map(str, MANIFESTS)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_kubernetes_validator_does_refuse_a_broken_manifest(tmp_path):
    broken = tmp_path / "deployment.yaml"
    broken.write_text((ROOT / "deploy" / "deployment.yaml").read_text().replace("readinessProbe:", "readynessProbe:"))
    r = subprocess.run([_tool("kubernetes-validate"), "--strict", str(broken)], capture_output=True, text=True, timeout=300)
    assert r.returncode != 0


def test_kustomization_applies_every_manifest():
    import yaml
    listed = yaml.safe_load((ROOT / "deploy" / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [p.name for p in MANIFESTS]


def test_the_deployment_checks_its_stores_at_start_probes_health_and_mounts_the_kb_overlay():
    import yaml
    deployment = yaml.safe_load((ROOT / "deploy" / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["startupProbe"]["httpGet"]["path"] == "/readyz"  # a wrong store URL stops the rollout
    # once started, a store outage must not take every pod out of the Service: diagnoses go on without it
    assert container["livenessProbe"]["httpGet"]["path"] == container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    config = yaml.safe_load_all((ROOT / "deploy" / "configmap.yaml").read_text())
    overlay_dir = next(c for c in config if c["metadata"]["name"] == "authdoctor-config")["data"]["AUTHDOCTOR_KB_OVERLAY"]
    assert any(m["mountPath"] == overlay_dir for m in container["volumeMounts"])


@pytest.mark.slow
def test_the_dockerfiles_install_and_start_commands_answer_healthz_from_a_clean_venv(tmp_path):
    """What `docker build` would run, run here (no Docker engine): COPY . /src, the RUN that installs, the CMD with the ENV."""
    src = tmp_path / "src"
    ignored = [p.removeprefix("**/") for p in (ROOT / ".dockerignore").read_text().split()]
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*[p for p in ignored if "/" not in p], "results"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    (install,) = [run for run in _instructions("RUN") if "pip install" in run]
    command = install.replace("/src", str(src)).replace("python -m pip", f"{venv}/bin/python -m pip")
    r = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert not src.exists(), "the source is removed after the install"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHDOCTOR_", "PYTHONPATH", "VIRTUAL_ENV"))}
    for assignment in shlex.split(_instructions("ENV")[0]):
        key, value = assignment.split("=", 1)
        env[key] = value
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the image listens on 0.0.0.0:8000; here, loopback and a free port
    env.update(AUTHDOCTOR_BIND=f"127.0.0.1:{port}", AUTHDOCTOR_WORKERS="2", AUTHDOCTOR_METRICS_DIR=str(tmp_path / "metrics"),
               AUTHDOCTOR_CACHE_DIR=str(tmp_path / "cache"),
               PATH=f"{venv}/bin:{env.get('PATH', '')}")
    cmd = json.loads(_instructions("CMD")[0])
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, log.read_text(errors="replace")
        health = json.loads(_instructions("HEALTHCHECK")[0].split("CMD", 1)[1])
        probe = [str(venv / "bin" / "python") if health[0] == "python" else health[0]] + [a.replace("8000", str(port)) for a in health[1:]]
        assert subprocess.run(probe, timeout=30).returncode == 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
