"""The Terraform directory: `terraform version`, the lock file, and the `provider "aws"` and `backend` blocks (python-hcl2)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..knowledge.cache import cache_dir, prune, used

_VAR = re.compile(r"\$\{\s*var\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}")
_VERSION = re.compile(r"v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)")
# a .tf file larger than this is not read (a generated file, not where credentials are configured)
_TF_MAX = 2 * 1024 * 1024
CREDENTIAL_KEYS = ("access_key", "secret_key", "token")


@dataclass(frozen=True)
class Value:
    """One argument's value: a literal, or an expression (resolved from variables when it can be)."""
    text: str | None          # the literal, or what the variable resolved to; None: unknown
    source: str               # "literal", "var.x (default)", "var.x (terraform.tfvars)", "var.x (TF_VAR_x)", "an expression"

    @property
    def literal(self) -> bool:
        return self.source == "literal"


@dataclass(frozen=True)
class Block:
    """A provider "aws" or backend block: what it authenticates with. Credential values are never kept, only how they are set."""
    kind: str                         # 'provider "aws"', 'backend "s3"', ...
    file: str
    alias: str | None = None
    profile: Value | None = None
    region: Value | None = None
    role_arn: Value | None = None
    web_identity: bool = False
    keys: tuple[tuple[str, str], ...] = ()   # (argument, how it is set): ("access_key", "literal")
    shared_files: bool = False
    endpoints: tuple[str, ...] = ()          # endpoint arguments set


@dataclass(frozen=True)
class Terraform:
    directory: Path
    tf_files: tuple[str, ...]
    version: str | None
    version_because: str
    provider_version: str | None
    backend: str | None               # the backend hint's value; None without .tf files
    backend_block: Block | None
    providers: tuple[Block, ...]
    cached_backend: Mapping[str, str] = field(default_factory=dict)  # .terraform/terraform.tfstate, non-secret keys only
    problems: tuple[str, ...] = ()

    @property
    def provider(self) -> Block | None:
        """The default provider "aws" (the one without an alias)."""
        for p in self.providers:
            if p.alias is None:
                return p
        return None


def _unquote(raw: str) -> str:
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw


def _labels(block: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [(_unquote(k), v) for k, v in block.items() if not k.startswith("__")]


def _blocks(node: Any) -> list[Mapping[str, Any]]:
    if isinstance(node, list):
        return [b for b in node if isinstance(b, Mapping)]
    return [node] if isinstance(node, Mapping) else []


class _Vars:
    """Input variables as Terraform would see them here, lowest precedence first: default, TF_VAR_, terraform.tfvars, *.auto.tfvars."""

    def __init__(self, defaults: Mapping[str, Any], directory: Path, env: Mapping[str, str], problems: list[str]):
        self.values: dict[str, tuple[Any, str]] = {k: (v, "default") for k, v in defaults.items()}
        for k, v in env.items():
            if k.startswith("TF_VAR_"):
                self.values[k[7:]] = (f'"{v}"', f"TF_VAR_{k[7:]}")
        files = [directory / "terraform.tfvars"] + sorted(directory.glob("*.auto.tfvars"))
        for path in files:
            if not path.is_file():
                continue
            data = _parse(path, problems)
            for k, v in (data or {}).items():
                if not k.startswith("__"):
                    self.values[k] = (v, path.name)

    def value(self, raw: Any) -> Value:
        if not isinstance(raw, str):
            return Value(None, "an expression")
        if raw.startswith('"') and raw.endswith('"') and "${" not in raw:
            return Value(_unquote(raw), "literal")
        m = _VAR.fullmatch(raw)
        if m and m.group(1) in self.values:
            v, where = self.values[m.group(1)]
            if isinstance(v, str) and v.startswith('"') and v.endswith('"') and "${" not in v:
                return Value(_unquote(v), f"var.{m.group(1)} ({where})")
            return Value(None, f"var.{m.group(1)} ({where}, not a plain string)")
        if m:
            return Value(None, f"var.{m.group(1)} (no value found here: set with -var or a -var-file?)")
        return Value(None, "an expression")


def _parse(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > _TF_MAX:
            problems.append(f"{path.name}: larger than 2 MiB, not read")
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
        # imported here: python-hcl2 and its grammar take a few hundred ms to load, which only a directory with .tf files pays
        import hcl2
        from hcl2.utils import SerializationOptions
        data: dict[str, Any] = hcl2.loads(text, serialization_options=SerializationOptions(with_comments=False, explicit_blocks=True))
        return data
    except OSError as exc:
        problems.append(f"{path.name}: cannot be read ({exc.strerror})")
    except Exception as exc:  # python-hcl2 raises lark's many errors; the file's text is never quoted
        line = getattr(exc, "line", None)
        problems.append(f"{path.name}: not valid HCL{f' (line {line})' if isinstance(line, int) else ''}; its blocks are not read")
    return None


def _block(kind: str, file: str, body: Mapping[str, Any], vars_: _Vars) -> Block:
    def val(key: str, node: Mapping[str, Any] = body) -> Value | None:
        return vars_.value(node[key]) if key in node else None

    role = val("role_arn")
    web = False
    for key in ("assume_role", "assume_role_with_web_identity"):
        for sub in _blocks(body.get(key)):
            if "role_arn" in sub:
                role = vars_.value(sub["role_arn"])
                web = web or key == "assume_role_with_web_identity"
    keys = tuple((k, vars_.value(body[k]).source) for k in CREDENTIAL_KEYS if k in body)
    shared = any(k in body for k in ("shared_credentials_file", "shared_credentials_files", "shared_config_files"))
    endpoints = tuple(k for k in ("endpoint", "endpoints", "sts_endpoint", "iam_endpoint", "dynamodb_endpoint") if k in body)
    alias = val("alias")
    return Block(kind, file, alias.text if alias else None, val("profile"), val("region"), role, web, keys, shared, endpoints)


# What a run reads again and again is kept between runs in the KB's cache folder, keyed by
# everything it depends on, so a cached result is never stale, only unused. python-hcl2 costs
# about half a second to import and warm up, more than the rest of `authdoctor run`; the
# version of a terraform binary is known from its path, size and modification time. Only what
# the inspection keeps is stored: how credentials are set, never their values.
_CACHE_FORMAT = b"authdoctor-terraform-cache-1"


def _cache_read(name: str) -> Any:
    where = cache_dir()
    if where is None:
        return None
    try:
        with open(where / name, "rb") as f:
            value = pickle.load(f)
    except Exception:  # missing, unreadable, or from another build: read the directory instead
        return None
    used(where / name)  # kept by the folder's pruning (knowledge.cache) as recently used
    return value


def _cache_write(name: str, value: Any) -> None:
    where = cache_dir()
    if where is None:
        return
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tf-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, where / name)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, pickle.PicklingError):
        return  # a read-only home or a full disk: the next run reads the directory again
    prune(where / name)


def _digest() -> Any:
    digest = hashlib.sha256(_CACHE_FORMAT)
    digest.update(Path(__file__).read_bytes())
    try:
        from importlib import metadata
        digest.update(metadata.version("python-hcl2").encode())
    except Exception:
        digest.update(b"python-hcl2=-")
    return digest


def terraform_version(directory: Path, env: Mapping[str, str]) -> tuple[str | None, str]:
    exe = shutil.which("terraform", path=env.get("PATH", os.defpath))
    if exe is None:
        return None, "terraform is not on PATH"
    try:
        st = os.stat(exe)
    except OSError:
        st = None
    name = None
    # a version manager's shim (tfenv, asdf) is a script that picks the version per directory: asked every time
    if st is not None and not _is_script(exe):
        digest = _digest()
        digest.update(f"{os.path.realpath(exe)}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        name = f"terraform-version-{digest.hexdigest()}.pickle"
        cached = _cache_read(name)
        if isinstance(cached, tuple) and len(cached) == 2 and all(isinstance(x, str) for x in cached):
            return cached[0], f"`terraform version` ({exe})"
    found = _run_version(exe, directory, env)
    if name is not None and found[0] is not None:
        _cache_write(name, (found[0], exe))
    return found


def _is_script(exe: str) -> bool:
    try:
        with open(exe, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return True


def _run_version(exe: str, directory: Path, env: Mapping[str, str]) -> tuple[str | None, str]:
    try:
        done = subprocess.run([exe, "version", "-json"], cwd=directory if directory.is_dir() else None, capture_output=True,
                              timeout=20, env={**env, "CHECKPOINT_DISABLE": "1"}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"`terraform version` did not answer ({type(exc).__name__})"
    out = done.stdout.decode("utf-8", "replace")
    try:
        version = json.loads(out).get("terraform_version")
    except (ValueError, AttributeError):
        version = None
    if not isinstance(version, str):  # before 0.13 there is no -json: read the first line
        m = _VERSION.search(out.splitlines()[0] if out else "")
        version = m.group(1) if m else None
    return (version, f"`terraform version` ({exe})") if version else (None, "`terraform version` printed no version")


def _lock_version(directory: Path, problems: list[str]) -> str | None:
    path = directory / ".terraform.lock.hcl"
    if not path.is_file():
        return None
    data = _parse(path, problems) or {}
    for block in _blocks(data.get("provider")):
        for name, body in _labels(block):
            if name.endswith("/hashicorp/aws") and isinstance(body, Mapping) and isinstance(body.get("version"), str):
                return _unquote(body["version"])
    return None


def _cached_backend(directory: Path) -> dict[str, str]:
    """The backend settings `terraform init` cached; only names and places are kept, never keys or tokens."""
    path = directory / ".terraform" / "terraform.tfstate"
    try:
        if not path.is_file() or path.stat().st_size > _TF_MAX:
            return {}
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return {}
    backend = data.get("backend") if isinstance(data, dict) else None
    if not isinstance(backend, dict) or not isinstance(backend.get("config"), dict):
        return {}
    out = {"type": str(backend.get("type") or "")}
    for key in ("bucket", "key", "region", "profile", "role_arn"):
        value = backend["config"].get(key)
        if isinstance(value, str) and value:
            out[key] = value
    role = backend["config"].get("assume_role")
    if isinstance(role, dict) and isinstance(role.get("role_arn"), str):
        out["role_arn"] = role["role_arn"]
    return out


def _directory_key(directory: Path, files: list[Path], env: Mapping[str, str]) -> str | None:
    """Everything the blocks read from: the .tf, .tfvars and lock files' names and bytes, and the TF_VAR_ variables."""
    digest = _digest()
    digest.update(str(directory.resolve()).encode())
    inputs = files + [directory / "terraform.tfvars", directory / ".terraform.lock.hcl"] + sorted(directory.glob("*.auto.tfvars"))
    try:
        for p in inputs:
            if not p.is_file():
                digest.update(b"\0-" + p.name.encode())
                continue
            digest.update(b"\0+" + p.name.encode() + b"\0")
            size = p.stat().st_size
            digest.update(p.read_bytes() if size <= _TF_MAX else f"size {size}".encode())
    except OSError:
        return None  # a file that cannot be read is read (and reported) afresh
    for k in sorted(k for k in env if k.startswith("TF_VAR_")):
        digest.update(b"\0" + k.encode() + b"=" + env[k].encode("utf-8", "surrogatepass"))
    return f"terraform-dir-{digest.hexdigest()}.pickle"


def read_terraform(directory: Path, env: Mapping[str, str], *, run_version: bool = True) -> Terraform:
    files = sorted(p for p in directory.glob("*.tf") if p.is_file()) if directory.is_dir() else []
    name = _directory_key(directory, files, env) if files else None
    cached = _cache_read(name) if name else None
    if isinstance(cached, Terraform) and cached.directory == directory:
        blocks = cached
    else:
        blocks = _read_blocks(directory, files, env)
        if name:
            _cache_write(name, blocks)
    version, because = terraform_version(directory, env) if run_version else (None, "not asked")
    return dataclasses.replace(blocks, version=version, version_because=because, cached_backend=_cached_backend(directory))


def _read_blocks(directory: Path, files: list[Path], env: Mapping[str, str]) -> Terraform:
    """The directory's blocks, without `terraform version` and the backend `terraform init` cached (read each time)."""
    problems: list[str] = []
    parsed = [(p.name, _parse(p, problems)) for p in files]
    defaults: dict[str, Any] = {}
    for _, data in parsed:
        for block in _blocks((data or {}).get("variable")):
            for name, body in _labels(block):
                if isinstance(body, Mapping) and "default" in body:
                    defaults[name] = body["default"]
    vars_ = _Vars(defaults, directory, env, problems)
    providers: list[Block] = []
    backend: str | None = "local" if files else None
    backend_block = None
    for name, data in parsed:
        for block in _blocks((data or {}).get("provider")):
            for label, body in _labels(block):
                if label == "aws" and isinstance(body, Mapping):
                    providers.append(_block('provider "aws"', name, body, vars_))
        for tf in _blocks((data or {}).get("terraform")):
            if tf.get("cloud") is not None:
                backend = "cloud"
            for block in _blocks(tf.get("backend")):
                for label, body in _labels(block):
                    backend = label if label in ("s3", "remote", "local") else "other"
                    if isinstance(body, Mapping):
                        backend_block = _block(f'backend "{label}"', name, body, vars_)
    return Terraform(directory, tuple(p.name for p in files), None, "not asked", _lock_version(directory, problems),
                     backend, backend_block, tuple(providers), {}, tuple(problems))
