"""Where it runs: the CI runner from the runners' own variables, a container, EC2/ECS from local facts (IMDS only when asked)."""
from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# (label, the runner hint's value, variables any one of which the runner sets in every job)
# Remote platforms first: some run their workers inside another CI or set CI=true themselves.
RUNNERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Terraform Cloud / HCP", "terraform-cloud", ("TFC_RUN_ID", "TFC_WORKSPACE_NAME", "TFC_CONFIGURATION_VERSION_GIT_BRANCH")),
    ("Scalr", "scalr", ("SCALR_RUN_ID", "SCALR_WORKSPACE_NAME")),
    # the KB's runner hint has no value of its own for these two: they count as another CI
    ("Spacelift", "other-ci", ("TF_VAR_spacelift_run_id", "TF_VAR_spacelift_stack_id", "SPACELIFT_RUN_ID")),
    ("env0", "other-ci", ("ENV0_ENVIRONMENT_ID", "ENV0_DEPLOYMENT_LOG_ID", "ENV0_PROJECT_ID")),
    ("Atlantis", "atlantis", ("ATLANTIS_TERRAFORM_VERSION",)),
    ("GitHub Actions", "github-actions", ("GITHUB_ACTIONS",)),
    ("GitLab CI", "gitlab-ci", ("GITLAB_CI",)),
    ("Jenkins", "jenkins", ("JENKINS_URL", "JENKINS_HOME")),
    ("CircleCI", "circleci", ("CIRCLECI",)),
    ("Azure DevOps", "azure-devops", ("TF_BUILD", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI")),
    ("Bitbucket Pipelines", "bitbucket", ("BITBUCKET_BUILD_NUMBER", "BITBUCKET_PIPELINE_UUID")),
)
_FALSE = ("", "0", "false", "no")
IMDS = "http://169.254.169.254"


@dataclass(frozen=True)
class Where:
    runner: str              # the runner hint's value
    runner_label: str
    runner_because: str      # the variable that told
    in_docker: bool
    docker_because: str
    on_ec2: bool | None      # None: local facts do not tell
    ec2_because: str
    instance_role: str | None = None  # the role name IMDS lists (with --probe-imds only)


def _runner(env: Mapping[str, str]) -> tuple[str, str, str]:
    for label, value, names in RUNNERS:
        for name in names:
            if env.get(name, "").strip().lower() not in _FALSE:
                return value, label, name
    if env.get("CI", "").strip().lower() not in _FALSE:
        return "other-ci", "a CI system AuthDoctor does not name", "CI"
    return "local", "this machine (no CI runner's variables set)", ""


def _read(root: Path, rel: str, limit: int = 65536) -> str:
    try:
        with (root / rel).open("rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def _docker(root: Path) -> tuple[bool, str]:
    if (root / ".dockerenv").exists():
        return True, "/.dockerenv exists"
    if (root / "run/.containerenv").exists():
        return True, "/run/.containerenv exists (Podman)"
    cgroup = _read(root, "proc/1/cgroup")
    for word in ("docker", "kubepods", "containerd", "libpod", "lxc"):
        if word in cgroup:
            return True, f"/proc/1/cgroup names {word}"
    return False, "no /.dockerenv, and /proc/1/cgroup names no container runtime"


def _ec2(env: Mapping[str, str], root: Path) -> tuple[bool | None, str]:
    for name, what in (("ECS_CONTAINER_METADATA_URI_V4", "an ECS task"), ("ECS_CONTAINER_METADATA_URI", "an ECS task"),
                       ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "an ECS task or CodeBuild"),
                       ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "a container credentials endpoint"),
                       ("CODEBUILD_BUILD_ID", "CodeBuild"), ("AWS_LAMBDA_FUNCTION_NAME", "Lambda")):
        if env.get(name):
            return True, f"{name} is set ({what})"
    vendor = _read(root, "sys/devices/virtual/dmi/id/sys_vendor").strip()
    board = _read(root, "sys/devices/virtual/dmi/id/board_vendor").strip()
    hyper = _read(root, "sys/hypervisor/uuid").strip().lower()
    if "amazon" in vendor.lower() or "amazon" in board.lower():
        return True, f"the machine's vendor is {vendor or board!r} (DMI)"
    if hyper.startswith("ec2"):
        return True, "/sys/hypervisor/uuid starts with ec2 (Xen EC2)"
    if vendor:
        return False, f"the machine's vendor is {vendor!r} (DMI), not Amazon"
    return None, "local facts do not tell (no DMI vendor readable); --probe-imds asks the metadata service"


def probe_imds(timeout: float = 1.0) -> tuple[bool, str | None]:
    """Ask the instance metadata service (IMDSv2) whether this is EC2 and which role it lists.
    Only the role's name is read, never its credentials."""
    try:
        req = urllib.request.Request(f"{IMDS}/latest/api/token", method="PUT",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the fixed link-local address
            token = resp.read(256).decode("ascii", "replace")
    except (OSError, urllib.error.URLError, ValueError):
        return False, None
    try:
        req = urllib.request.Request(f"{IMDS}/latest/meta-data/iam/security-credentials/", headers={"X-aws-ec2-metadata-token": token})
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            role = resp.read(256).decode("ascii", "replace").strip().splitlines()
    except (OSError, urllib.error.URLError, ValueError):
        return True, None
    return True, (role[0] if role else None)


def where(env: Mapping[str, str], root: Path, *, imds: bool = False) -> Where:
    runner, label, because = _runner(env)
    docker, docker_because = _docker(root)
    ec2, ec2_because = _ec2(env, root)
    role = None
    if imds and not ec2:
        answered, role = probe_imds()
        if answered:
            ec2, ec2_because = True, "the instance metadata service answered (--probe-imds)"
            if role is None:
                ec2_because += "; it lists no instance role"
        else:
            ec2, ec2_because = False, "the instance metadata service did not answer (--probe-imds)"
    return Where(runner, label, because, docker, docker_because, ec2, ec2_because, role)
