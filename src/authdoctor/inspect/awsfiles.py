"""The shared AWS files (~/.aws/credentials, ~/.aws/config) and the SSO and CLI caches: names, kinds, expiry; never a value."""
from __future__ import annotations

import configparser
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

STATIC, ROLE, SSO, PROCESS, WEB_IDENTITY, SETTINGS = "static keys", "role", "SSO", "credential_process", "web identity", "settings only"
# a cache file larger than this is not a CLI cache entry; it is not read
_CACHE_MAX = 256 * 1024


@dataclass(frozen=True)
class Profile:
    name: str
    kind: str
    files: tuple[str, ...]          # "credentials", "config"
    region: str | None = None
    role_arn: str | None = None
    source_profile: str | None = None
    sso_key: str | None = None       # what the SSO token cache is named after: the sso-session name or the start URL
    has_session_token: bool = False  # aws_session_token in the profile (set, never read out)
    key_prefix: str | None = None    # the first four characters of aws_access_key_id


@dataclass(frozen=True)
class CacheEntry:
    kind: str                # "sso" or "cli"
    name: str                # the file name (a hash of the SSO session name or start URL)
    start_url: str | None    # an SSO login's portal
    expires: datetime | None
    expired: bool | None     # None: no readable expiry


@dataclass(frozen=True)
class AwsFiles:
    credentials_path: Path
    config_path: Path
    credentials_exists: bool
    config_exists: bool
    profiles: Mapping[str, Profile]
    unreadable: tuple[str, ...]      # files that exist but could not be parsed
    sso_cache: tuple[CacheEntry, ...]
    cli_cache: tuple[CacheEntry, ...]

    def sso_token(self, profile: Profile) -> CacheEntry | None:
        """The cached SSO token this profile would use, if any."""
        if profile.sso_key is None:
            return None
        digest = hashlib.sha1(profile.sso_key.encode("utf-8")).hexdigest()
        for entry in self.sso_cache:
            if entry.name == digest or entry.start_url == profile.sso_key:
                return entry
        return None


def _parser(path: Path) -> configparser.RawConfigParser | None:
    # interpolation off: a secret with % in it must not break the parse (or be expanded)
    parser = configparser.RawConfigParser(default_section="\x00none", strict=False)
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            parser.read_file(f)
    except (OSError, configparser.Error):
        return None
    return parser


def _kind(section: Mapping[str, str]) -> str:
    if "web_identity_token_file" in section and "role_arn" in section:
        return WEB_IDENTITY
    if "role_arn" in section:
        return ROLE
    if "sso_session" in section or "sso_start_url" in section or "sso_account_id" in section:
        return SSO
    if "credential_process" in section:
        return PROCESS
    if "aws_access_key_id" in section or "aws_secret_access_key" in section:
        return STATIC
    return SETTINGS


def _merge(old: Profile | None, new: Profile) -> Profile:
    if old is None:
        return new
    # credentials wins for keys (the CLI and the SDKs read it first); config adds what it lacks
    kind = old.kind if old.kind != SETTINGS else new.kind
    return Profile(new.name, kind, old.files + new.files, old.region or new.region, old.role_arn or new.role_arn,
                   old.source_profile or new.source_profile, old.sso_key or new.sso_key,
                   old.has_session_token or new.has_session_token, old.key_prefix or new.key_prefix)


def _profile(name: str, section: Mapping[str, str], file: str, sessions: Mapping[str, Mapping[str, str]]) -> Profile:
    sso_key = None
    if "sso_session" in section:
        sso_key = section["sso_session"].strip()  # the token cache is named after the session (CLI v2)
    elif "sso_start_url" in section:
        sso_key = section["sso_start_url"].strip()
    region = (section.get("region") or "").strip() or None
    key = (section.get("aws_access_key_id") or "").strip().strip("'\"")
    return Profile(name, _kind(section), (file,), region, (section.get("role_arn") or "").strip() or None,
                   (section.get("source_profile") or "").strip() or None, sso_key,
                   bool((section.get("aws_session_token") or section.get("aws_security_token") or "").strip()),
                   key[:4] or None)


def _parse_time(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    text = raw.strip().replace("UTC", "+00:00").replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _cache(folder: Path, kind: str, now: datetime) -> tuple[CacheEntry, ...]:
    out = []
    try:
        files = sorted(p for p in folder.glob("*.json") if p.is_file())
    except OSError:
        return ()
    for path in files[:200]:
        try:
            if path.stat().st_size > _CACHE_MAX:
                continue
            data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if kind == "sso":
            if "accessToken" not in data:
                continue  # a client registration (botocore-client-id-*), not a login
            expires = _parse_time(data.get("expiresAt"))
            name = path.stem
        else:
            creds = data.get("Credentials")
            expires = _parse_time(creds.get("Expiration")) if isinstance(creds, dict) else None
            name = path.stem
        url = data.get("startUrl") if kind == "sso" and isinstance(data.get("startUrl"), str) else None
        out.append(CacheEntry(kind, name, url, expires, None if expires is None else expires <= now))
    return tuple(out)


def read_aws_files(env: Mapping[str, str], home: Path, *, now: datetime) -> AwsFiles:
    credentials = Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials").expanduser()
    config = Path(env.get("AWS_CONFIG_FILE") or home / ".aws" / "config").expanduser()
    profiles: dict[str, Profile] = {}
    unreadable = []
    cred_exists, conf_exists = credentials.is_file(), config.is_file()
    if cred_exists:
        parser = _parser(credentials)
        if parser is None:
            unreadable.append(str(credentials))
        else:
            for name in parser.sections():
                profiles[name] = _merge(profiles.get(name), _profile(name, parser[name], "credentials", {}))
    if conf_exists:
        parser = _parser(config)
        if parser is None:
            unreadable.append(str(config))
        else:
            sessions = {s.split(None, 1)[1].strip(): parser[s] for s in parser.sections() if s.startswith("sso-session ")}
            for section in parser.sections():
                if section == "default":
                    name = "default"
                elif section.startswith("profile "):
                    name = section.split(None, 1)[1].strip()
                else:
                    continue  # sso-session, services, plugins: not profiles
                profiles[name] = _merge(profiles.get(name), _profile(name, parser[section], "config", sessions))
    aws = home / ".aws"
    return AwsFiles(credentials, config, cred_exists, conf_exists, profiles, tuple(unreadable),
                    _cache(aws / "sso" / "cache", "sso", now), _cache(aws / "cli" / "cache", "cli", now))
