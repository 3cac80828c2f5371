"""One inspection: the environment, the AWS files, where it runs and the Terraform directory, turned into hints and findings."""
from __future__ import annotations

import os
import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .awsfiles import PROCESS, ROLE, SETTINGS, SSO, STATIC, WEB_IDENTITY, AwsFiles, Profile, read_aws_files
from .terraform import Block, Terraform, read_terraform
from .where import Where, where

_ENV_NAME = re.compile(r"AWS_[A-Z0-9_]{1,64}")
_REGION = re.compile(r"(?:us-gov|us-iso[a-z]?|cn|[a-z]{2})-[a-z]+(?:-[a-z]+)?-[0-9]{1,2}")
SHOWN = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
         "AWS_ROLE_ARN", "AWS_SDK_LOAD_CONFIG", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_USE_FIPS_ENDPOINT", "AWS_CA_BUNDLE")
# what Terraform's AWS provider and backend read as credentials from the environment
_KEY_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
_TOKEN_VARS = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@dataclass(frozen=True)
class Finding:
    """A sentence for the report; `signs` names the causes whose telltale sign it is (the `signs` hint)."""
    text: str
    signs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inspection:
    directory: Path
    sections: tuple[tuple[str, tuple[str, ...]], ...]   # (heading, lines) for the report
    findings: tuple[Finding, ...]
    hints: Mapping[str, Any] = field(default_factory=dict)

    @property
    def signs(self) -> tuple[str, ...]:
        out: list[str] = []
        for f in self.findings:
            out += [s for s in f.signs if s not in out]
        return tuple(out)


def _endpoint(value: str) -> str:
    """An endpoint URL without any user:password part (a password may hold / or @: all up to the last @ goes)."""
    value = value.strip()
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "", value
    if "@" in rest:
        rest = rest[rest.rindex("@") + 1:]
    return (f"{scheme}://" if sep else "") + rest[:200]


def _chars(secret: str) -> tuple[bool, bool, bool]:
    """(has + or /, has = or \\, has spaces or quotes around it): the kinds, never the value."""
    stripped = secret.strip()
    return (any(c in stripped for c in "+/"), any(c in stripped for c in "=\\"),
            stripped != secret or stripped[:1] in "\"'" and len(stripped) > 1 or stripped[-1:] in "\"'" and len(stripped) > 1)


@dataclass
class _State:
    lines: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    hints: dict[str, Any] = field(default_factory=dict)

    def line(self, section: str, text: str) -> None:
        self.lines.setdefault(section, []).append(text)

    def find(self, text: str, *signs: str) -> None:
        self.findings.append(Finding(text, tuple(signs)))


def _environment(env: Mapping[str, str], st: _State) -> None:
    names = sorted(n for n in env if n.startswith("AWS_") and env[n] != "")
    valid = [n for n in names if _ENV_NAME.fullmatch(n)]
    st.hints["env_vars_set"] = valid
    st.line("Environment", "AWS_* variables set: " + (", ".join(valid) if valid else "none"))
    key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    token = any(env.get(n, "").strip() for n in _TOKEN_VARS)
    if key:
        prefix = key.strip()[:4]
        st.line("Environment", f"AWS_ACCESS_KEY_ID: starts {prefix}…, {len(key.strip())} characters")
        if prefix in ("AKIA", "ASIA"):
            st.hints["key_prefix"] = prefix
        st.hints["has_session_token"] = token
        if prefix == "ASIA" and not token:
            st.find("the key id starts ASIA (a temporary key) but no AWS_SESSION_TOKEN is set: a temporary key fails without its token")
        if prefix == "AKIA" and token:
            st.find("a session token is set with a long-term AKIA key: the token is left over from another session and spoils the request")
        if len(key.strip()) == 40 and secret and len(secret.strip()) == 20:
            st.find("AWS_ACCESS_KEY_ID is 40 characters and AWS_SECRET_ACCESS_KEY 20: the two are swapped", "keys-swapped")
    st.line("Environment", f"session token: {'set' if token else 'not set'}")
    if secret:
        plus, eq, around = _chars(secret)
        st.hints["secret_has_special_chars"] = plus
        st.line("Environment", f"AWS_SECRET_ACCESS_KEY: set, {len(secret.strip())} characters; has + or /: {'yes' if plus else 'no'}; "
                               f"has = or \\: {'yes' if eq else 'no'}")
        if eq:
            st.find("the secret key holds = or \\, which no AWS secret has: it was altered on its way (quoted, escaped or base64-encoded)",
                    "secret-key-special-chars")
        if around:
            st.find("the secret key has spaces or quotes around it: they were pasted in with it", "ci-secret-misconfigured")
    elif key:
        st.find("AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY: the pair is incomplete")
    if key.strip() != key:
        st.find("the key id has spaces around it: they were pasted in with it", "ci-secret-misconfigured")
    for name in SHOWN:
        if env.get(name):
            st.line("Environment", f"{name}={_endpoint(env[name]) if 'FILE' in name or 'BUNDLE' in name else env[name].strip()[:200]}")
    endpoints = [n for n in names if n.startswith("AWS_ENDPOINT_URL") or n in ("AWS_S3_ENDPOINT", "AWS_STS_ENDPOINT", "AWS_IAM_ENDPOINT")]
    for name in endpoints:
        st.line("Environment", f"{name}={_endpoint(env[name])}")
    if endpoints:
        st.find(f"endpoint overrides are set ({', '.join(endpoints)}): requests go there, not to AWS")
    if env.get("AWS_DEFAULT_PROFILE") and not env.get("AWS_PROFILE"):
        st.find("AWS_DEFAULT_PROFILE is set but AWS_PROFILE is not: the AWS CLI v1 reads the first, Terraform only AWS_PROFILE")
    if key and env.get("AWS_PROFILE"):
        st.find("AWS_ACCESS_KEY_ID and AWS_PROFILE are both set: the keys in the environment win over the profile", "stale-env-vars")
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        if env.get(name) and not Path(env[name]).expanduser().is_file():
            st.find(f"{name} names a file that does not exist here", "profile-misconfigured")


def _files(files: AwsFiles, st: _State, now: datetime) -> None:
    for label, path, exists in (("credentials", files.credentials_path, files.credentials_exists),
                                ("config", files.config_path, files.config_exists)):
        names = [f"{p.name} ({p.kind})" for p in files.profiles.values() if label in p.files]
        st.line("AWS files", f"{path}: " + (", ".join(names) or "no profiles") if exists else f"{path}: not there")
    for bad in files.unreadable:
        st.find(f"{bad} cannot be parsed as an INI file: the SDKs will refuse it too", "profile-misconfigured")
    for kind, entries in (("SSO", files.sso_cache), ("CLI", files.cli_cache)):
        if not entries:
            continue
        expired = sum(1 for e in entries if e.expired)
        fresh = [e.expires for e in entries if e.expired is False and e.expires]
        later = f"; the freshest ends in {_ago(max(fresh) - now)}" if fresh else ""
        st.line("AWS files", f"{kind} cache: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, {expired} expired{later}")


def _ago(delta: Any) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _effective_profile(block: Block | None, env: Mapping[str, str]) -> tuple[str | None, str]:
    """The profile a block would read, and why: its own `profile`, else AWS_PROFILE, else default."""
    if block is not None and block.profile is not None:
        if block.profile.text is None:
            return None, f"profile from {block.profile.source}"
        return block.profile.text, "its profile argument" if block.profile.literal else f"its profile, {block.profile.source}"
    if env.get("AWS_PROFILE"):
        return env["AWS_PROFILE"].strip(), "AWS_PROFILE"
    return "default", "no profile set: default"


def _describe(block: Block, env: Mapping[str, str]) -> str:
    parts = []
    profile, why = _effective_profile(block, env)
    parts.append(f"profile {profile or '(unknown)'} ({why})")
    if block.role_arn:
        parts.append(f"{'web identity ' if block.web_identity else ''}role {block.role_arn.text or block.role_arn.source}")
    if block.region:
        parts.append(f"region {block.region.text or block.region.source}")
    for key, how in block.keys:
        parts.append(f"{key} {'hard-coded' if how == 'literal' else 'from ' + how}")
    if block.shared_files:
        parts.append("its own shared credentials/config files")
    if block.endpoints:
        parts.append("endpoint overrides: " + ", ".join(block.endpoints))
    return "; ".join(parts)


def _identity(block: Block | None, env: Mapping[str, str]) -> tuple[Any, ...]:
    """What decides the identity a block signs with; two blocks with different tuples authenticate differently."""
    if block is None:
        return (_effective_profile(None, env)[0], None, ())
    keys = tuple(sorted((k, how) for k, how in block.keys if k != "token"))
    role = block.role_arn.text or block.role_arn.source if block.role_arn else None
    # keys in the block decide alone; the profile then does not matter
    return (None if keys else _effective_profile(block, env)[0], role, keys)


def _terraform(tf: Terraform, env: Mapping[str, str], files: AwsFiles, st: _State) -> None:
    if tf.version:
        st.hints["terraform_version"] = tf.version
    st.line("Terraform", f"terraform {tf.version} ({tf.version_because})" if tf.version else f"terraform: unknown ({tf.version_because})")
    if tf.provider_version:
        st.hints["provider_version"] = tf.provider_version
        st.line("Terraform", f"hashicorp/aws {tf.provider_version} (.terraform.lock.hcl)")
    elif tf.tf_files:
        st.line("Terraform", "hashicorp/aws: no version locked (.terraform.lock.hcl missing or without it; run terraform init)")
    for problem in tf.problems:
        st.line("Terraform", problem)
    if not tf.tf_files:
        st.line("Terraform", f"no .tf files in {tf.directory}")
        _check_profile(None, env, files, st)
        return
    if tf.backend:
        st.hints["backend"] = tf.backend
    b = tf.backend_block
    if b is not None:
        st.line("Terraform", f"{b.kind} ({b.file}): {_describe(b, env) if tf.backend == 's3' else 'not an AWS backend'}")
    else:
        st.line("Terraform", f"backend: {tf.backend} (no backend block)")
    for p in tf.providers:
        st.line("Terraform", f"provider \"aws\"{' alias ' + p.alias if p.alias else ''} ({p.file}): {_describe(p, env)}")
    if not tf.providers:
        st.line("Terraform", 'no provider "aws" block: the provider reads only the environment and the AWS files')
    provider = tf.provider
    for block in ([b] if b is not None and tf.backend == "s3" else []) + list(tf.providers):
        hard = [k for k, how in block.keys if how == "literal"]
        if hard:
            st.find(f"{block.kind} in {block.file} has hard-coded {', '.join(hard)}: they override every other credential source "
                    "(and are a secret in the code: rotate them)", "provider-credentials-override")
        if block.endpoints:
            st.find(f"{block.kind} in {block.file} overrides endpoints ({', '.join(block.endpoints)}): its requests go there, not to AWS")
    if tf.backend in ("cloud", "remote"):
        _platform(env, st)
    if b is not None and tf.backend == "s3":
        mine, theirs = _identity(b, env), _identity(provider, env)
        if mine != theirs:
            st.find(f'backend "s3" uses {_short(b, env)}, provider "aws" uses {_short(provider, env)}: '
                    "they authenticate differently, so one can work while the other fails", "backend-provider-auth-mismatch")
        cached = tf.cached_backend
        changed = [k for k in ("bucket", "region", "profile", "role_arn")
                   if k in cached and _attr(b, k) is not None and _attr(b, k) != cached[k]]
        if cached.get("type") and cached["type"] != "s3":
            changed.insert(0, "type")
        if changed:
            st.find(f"the backend settings cached by the last `terraform init` differ from the backend block ({', '.join(changed)}): "
                    "run terraform init -reconfigure", "backend-changed-without-init")
    for block in [x for x in (b if tf.backend == "s3" else None, provider) if x is not None]:
        _check_profile(block, env, files, st)


def _platform(env: Mapping[str, str], st: _State) -> None:
    """Terraform Cloud/HCP or Enterprise keeps the state, and may run the plan on its own workers."""
    st.find("the state is on Terraform Cloud/HCP or Enterprise: in remote execution mode the plan runs on its workers, "
            "which see the workspace's variables, not this machine's AWS credentials")
    home = Path(env.get("HOME") or Path.home())
    tokens = sorted(n for n in env if n.startswith("TF_TOKEN_") or n in ("TFE_TOKEN", "ATLAS_TOKEN"))
    rc = Path(env["TF_CLI_CONFIG_FILE"]) if env.get("TF_CLI_CONFIG_FILE") else home / ".terraformrc"
    files = [p for p in (home / ".terraform.d" / "credentials.tfrc.json", rc) if p.is_file()]
    st.line("Terraform", "platform token: " + (", ".join(tokens + [str(p) for p in files]) or "none found"))
    if not tokens and not files:
        st.find("no Terraform Cloud/HCP token here: no TF_TOKEN_<host> variable, no credentials.tfrc.json, no .terraformrc "
                "(terraform login writes one)")


def _attr(block: Block, key: str) -> str | None:
    value = {"profile": block.profile, "role_arn": block.role_arn, "region": block.region}.get(key)
    if key == "bucket":
        return None
    return value.text if value is not None else None


def _short(block: Block | None, env: Mapping[str, str]) -> str:
    if block is None:
        return f"profile {_effective_profile(None, env)[0]} (no provider block)"
    bits = []
    keys = [k for k, _ in block.keys if k != "token"]
    if keys:
        bits.append("keys set in the block")
    else:
        profile, why = _effective_profile(block, env)
        bits.append(f"profile {profile or '(unknown)'}" + (f" ({why})" if not why.startswith("its profile argument") else ""))
    if block.role_arn:
        bits.append(f"role {block.role_arn.text or block.role_arn.source}")
    return " with ".join(bits)


def _check_profile(block: Block | None, env: Mapping[str, str], files: AwsFiles, st: _State) -> None:
    """The profile a block (None: Terraform's AWS provider without a block) reads: there, and with working credentials."""
    explicit = block is not None and block.profile is not None
    if block is not None and any(k != "token" for k, _ in block.keys) or (env.get("AWS_ACCESS_KEY_ID") and not explicit):
        return  # keys decide; no profile is read
    name, why = _effective_profile(block, env)
    if name is None:
        return
    prof = files.profiles.get(name)
    kind = block.kind if block is not None else 'provider "aws"'
    where = f"{kind} ({why})"
    if prof is None:
        if name != "default" or explicit:
            st.find(f"{where} uses profile {name}, which is in neither {files.credentials_path} nor {files.config_path}",
                    "profile-misconfigured")
        return
    st.line("AWS files", f"{kind} reads profile {name}: {prof.kind}")
    if prof.kind == SSO:
        token = files.sso_token(prof)
        if token is None:
            st.find(f"profile {name} uses SSO and no SSO login is cached for it: run aws sso login --profile {name}", "sso-session-expired")
        elif token.expired:
            st.find(f"profile {name} uses SSO and its cached login has expired: run aws sso login --profile {name}", "sso-session-expired")
    if prof.kind == ROLE and prof.source_profile and prof.source_profile not in files.profiles:
        st.find(f"profile {name} assumes a role from source_profile {prof.source_profile}, which does not exist", "profile-misconfigured")
    if prof.kind == SETTINGS:
        st.find(f"profile {name} holds no credentials (no keys, role, SSO or credential_process)", "profile-misconfigured")


def _auth_method(tf: Terraform | None, env: Mapping[str, str], files: AwsFiles, place: Where) -> str | None:
    """How the default provider gets its credentials, by the provider's own order: block, environment, profile, container, instance."""
    p = tf.provider if tf else None
    if p is not None and p.role_arn is not None:
        return "web-identity" if p.web_identity else "assume-role"
    if p is not None and any(k != "token" for k, _ in p.keys):
        return "static-keys"
    if env.get("AWS_ACCESS_KEY_ID"):
        return "env-vars"
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE") and env.get("AWS_ROLE_ARN"):
        return "web-identity"
    name, _ = _effective_profile(p, env)
    prof = files.profiles.get(name or "")
    if prof is not None and prof.kind != SETTINGS:
        return {SSO: "sso", ROLE: "assume-role", WEB_IDENTITY: "web-identity", STATIC: "profile", PROCESS: "profile"}[prof.kind]
    if place.on_ec2:
        return "instance-role"
    return None


def _region(tf: Terraform | None, env: Mapping[str, str], files: AwsFiles) -> str | None:
    p = tf.provider if tf else None
    candidates = [p.region.text if p and p.region else None, env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION")]
    name, _ = _effective_profile(p, env)
    prof = files.profiles.get(name or "")
    candidates.append(prof.region if prof else None)
    for c in candidates:
        if c and _REGION.fullmatch(c.strip().lower()):
            return c.strip().lower()
    return None


def _any_credentials(env: Mapping[str, str], files: AwsFiles, tf: Terraform | None) -> bool:
    if any(env.get(n) for n in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                "AWS_CONTAINER_CREDENTIALS_FULL_URI")):
        return True
    if any(p.kind != SETTINGS for p in files.profiles.values()):
        return True
    blocks = ([tf.backend_block] if tf and tf.backend_block else []) + (list(tf.providers) if tf else [])
    return any(b.keys or b.profile or b.role_arn or b.shared_files for b in blocks)


def inspect_machine(directory: str | os.PathLike[str] = ".", *, env: Mapping[str, str] | None = None, home: Path | None = None,
                    root: Path = Path("/"), probe_imds: bool = False, run_terraform: bool = True,
                    now: datetime | None = None, system: str | None = None) -> Inspection:
    """Read what this machine and the Terraform directory tell, locally. `root` and `home` are where / and ~ are (tests move them)."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("HOME") or Path.home()) if home is None else home
    now = now or datetime.now(UTC)
    folder = Path(directory)
    st = _State()
    _environment(env, st)
    files = read_aws_files(env, home, now=now)
    _files(files, st, now)
    place = where(env, root, imds=probe_imds)
    st.hints["runner"] = place.runner
    st.line("Where it runs", f"runner: {place.runner_label}" + (f" ({place.runner_because} is set)" if place.runner_because else "")
            + (f"; runner hint {place.runner}" if place.runner not in ("local",) else ""))
    st.hints["in_docker"] = place.in_docker
    st.line("Where it runs", f"container: {'yes' if place.in_docker else 'no'} ({place.docker_because})")
    if place.on_ec2 is not None:
        st.hints["on_ec2"] = place.on_ec2
    st.line("Where it runs", f"EC2/ECS: {'unknown' if place.on_ec2 is None else 'yes' if place.on_ec2 else 'no'} ({place.ec2_because})"
            + (f"; instance role {place.instance_role}" if place.instance_role else ""))
    osname = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(system or platform.system())
    if osname:
        st.hints["os"] = osname
    tf = read_terraform(folder, env, run_version=run_terraform)
    _terraform(tf, env, files, st)
    method = _auth_method(tf, env, files, place)
    if method:
        st.hints["auth_method"] = method
    region = _region(tf, env, files)
    if region:
        st.hints["region"] = region
    if "key_prefix" not in st.hints:
        # keys from the profile Terraform reads count as much as keys in the environment
        name, _ = _effective_profile(tf.provider, env)
        prof: Profile | None = files.profiles.get(name or "")
        if method == "profile" and prof is not None and prof.kind == STATIC:
            if prof.key_prefix in ("AKIA", "ASIA"):
                st.hints["key_prefix"] = prof.key_prefix
            st.hints["has_session_token"] = prof.has_session_token
    if not _any_credentials(env, files, tf) and not place.on_ec2:
        if place.in_docker:
            st.find("no credentials reach this container: no AWS_* keys or profile, no ~/.aws files with credentials, no instance role",
                    "docker-credentials-not-passed")
        else:
            st.find("no credentials here at all: no AWS_* keys or profile, no ~/.aws files with credentials, no instance role",
                    "no-credentials-found")
    signs = [s for f in st.findings for s in f.signs]
    if signs:
        st.hints["signs"] = list(dict.fromkeys(signs))
    order = ("Environment", "AWS files", "Where it runs", "Terraform")
    return Inspection(folder, tuple((h, tuple(st.lines.get(h, ()))) for h in order if st.lines.get(h)), tuple(st.findings), dict(st.hints))
