"""Every setting of the service, read once from AUTHDOCTOR_* environment variables, typed and checked.

One table (SETTINGS) names each variable, its type, its default and what it
does; the README's configuration table is that table (a test keeps them the
same). `load()` reads and checks them all at start: a bad value stops the
start with a message naming the variable, instead of a 500 at the first
request or a worker crash loop. The names the README documented before
(SLACK_SIGNING_SECRET, RATELIMIT_*, GUNICORN_*) still work, with a
deprecation note in the start-up log.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

DOORS = ("page", "api", "slack")
# flask-limiter's notation, checked here so a typo stops the start rather than every request
_LIMIT = re.compile(r"\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day|month|year)s?\s*", re.IGNORECASE)


class SettingsError(ValueError):
    """A setting's value is not one it can take; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    effect: str
    old: tuple[str, ...] = ()
    # what the default means, for the README when it is not a literal value
    default_text: str | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("AUTHDOCTOR_KB", None, "another knowledge base folder", default_text="the bundled KB"),
    Setting("AUTHDOCTOR_KB_OVERLAY", None, "a folder of extra `errors/`, `causes/`, `reports/` files (and `cause-ids.yaml`) "
            "merged over the knowledge base; a file of the same name replaces the bundled one"),
    Setting("AUTHDOCTOR_KB_CACHE", "1", "`0` builds the knowledge base from its files at every start instead of reusing the checked copy"),
    Setting("AUTHDOCTOR_CACHE_DIR", None, "folder of that copy; it keeps only the entries last used (8 knowledge bases, "
            "with or without an overlay, and what is derived from them; 16 Terraform folders' readings), about 13 MB at most "
            "with the bundled knowledge base", default_text="`$XDG_CACHE_HOME/authdoctor`, else `~/.cache/authdoctor`"),
    Setting("AUTHDOCTOR_DOORS", "page,api,slack", "which doors are served, comma-separated (`/healthz`, `/readyz`, `/metrics` always are)"),
    Setting("AUTHDOCTOR_REDIS_URL", None, "`redis://host:6379/0`: rate-limit counts and Slack's long pastes shared by every worker "
            "and instance; unset, each worker keeps its own in memory", old=("RATELIMIT_STORAGE_URI",), default_text="unset: memory"),
    Setting("AUTHDOCTOR_DATABASE_URL", None, "`postgresql://...`: the feedback store; `/readyz` checks it is reachable"),
    Setting("AUTHDOCTOR_DATA_DIR", None, "folder of the feedback store's SQLite file (`authdoctor.db`), created on the first feedback; "
            "not used when `AUTHDOCTOR_DATABASE_URL` is set", default_text="`~/.local/share/authdoctor` (the platform's data folder)"),
    Setting("AUTHDOCTOR_SLACK_SIGNING_SECRET", None, "the Slack app's signing secret; every Slack request is checked against it",
            old=("SLACK_SIGNING_SECRET",), default_text="unset: Slack routes answer 503"),
    Setting("AUTHDOCTOR_SLACK_APP_TOKEN", None, "an `xapp-` token: `authdoctor slack-socket` answers over Socket Mode instead of a public URL"),
    Setting("AUTHDOCTOR_RATELIMIT_ENABLED", "1", "`0` turns rate limiting off", old=("RATELIMIT_ENABLED",)),
    Setting("AUTHDOCTOR_RATELIMIT_DEFAULT", "600 per minute", "limit per client address and route (page, API)", old=("RATELIMIT_DEFAULT",)),
    Setting("AUTHDOCTOR_RATELIMIT_SLACK_TEAM", "60 per minute", "limit per Slack team; past it the user is told to slow down",
            old=("RATELIMIT_SLACK",)),
    Setting("AUTHDOCTOR_RATELIMIT_SLACK_USER", "10 per minute", "limit per Slack user; past it the user is told to slow down"),
    Setting("AUTHDOCTOR_TRUSTED_PROXIES", "0", "reverse proxies in front that set X-Forwarded-For/-Proto/-Host; the client's "
            "address is read that many hops back (0: the connection's own address)"),
    Setting("AUTHDOCTOR_REPORT_URL", None, "where the page's \"report a wrong answer\" link points"),
    Setting("AUTHDOCTOR_LOG_LEVEL", "info", "level of the app's and gunicorn's JSON log lines", old=("GUNICORN_LOGLEVEL",)),
    Setting("AUTHDOCTOR_METRICS_DIR", None, "folder for prometheus-client's multiprocess files", default_text="a fresh temporary folder"),
    Setting("AUTHDOCTOR_BIND", "127.0.0.1:8000", "address the server listens on", old=("GUNICORN_BIND",)),
    Setting("AUTHDOCTOR_WORKERS", None, "worker processes", old=("GUNICORN_WORKERS",), default_text="cores + 1"),
    Setting("AUTHDOCTOR_WORKER_CLASS", "gevent", "`gevent` (a slow client holds no thread); `gthread` goes back to threads",
            old=("GUNICORN_WORKER_CLASS",)),
    Setting("AUTHDOCTOR_THREADS", "4", "threads per worker, with `gthread` only", old=("GUNICORN_THREADS",)),
    Setting("AUTHDOCTOR_HEADER_TIMEOUT", None, "seconds for a request line and headers to arrive, else the connection is closed",
            old=("GUNICORN_HEADER_TIMEOUT",), default_text="the keep-alive"),
    Setting("AUTHDOCTOR_BODY_TIMEOUT", "10", "seconds for a body to arrive, else 408", old=("GUNICORN_BODY_TIMEOUT",)),
    Setting("AUTHDOCTOR_TIMEOUT", "30", "seconds before a silent worker is replaced", old=("GUNICORN_TIMEOUT",)),
    Setting("AUTHDOCTOR_KEEPALIVE", "5", "keep-alive seconds", old=("GUNICORN_KEEPALIVE",)),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    kb: str | None = None
    kb_overlay: str | None = None
    kb_cache: bool = True
    cache_dir: str | None = None
    doors: frozenset[str] = frozenset(DOORS)
    redis_url: str | None = None
    database_url: str | None = None
    data_dir: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    ratelimit_enabled: bool = True
    ratelimit_default: str = "600 per minute"
    ratelimit_slack_team: str = "60 per minute"
    ratelimit_slack_user: str = "10 per minute"
    trusted_proxies: int = 0
    report_url: str | None = None
    log_level: str = "info"
    metrics_dir: str | None = None
    bind: str = "127.0.0.1:8000"
    workers: int | None = None
    worker_class: str = "gevent"
    threads: int = 4
    header_timeout: float | None = None
    body_timeout: float = 10.0
    timeout: int = 30
    keepalive: int = 5
    # "RATELIMIT_SLACK is deprecated: use AUTHDOCTOR_RATELIMIT_SLACK_TEAM", one per old name in use
    deprecated: tuple[str, ...] = field(default=(), compare=False)


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _folder(name: str, raw: str) -> str:
    value = raw.strip()
    if not os.path.isdir(value):
        raise SettingsError(f"{name}={raw!r}: no such folder")
    return value


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: must be 1 or 0 (true/false, yes/no, on/off)")


def _whole(low: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingsError(f"{name}={raw!r}: must be a whole number") from None
        if value < low:
            raise SettingsError(f"{name}={raw!r}: must be at least {low}")
        return value
    return parse


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: must be a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{name}={raw!r}: must be more than 0 seconds")
    return value


def _limit(name: str, raw: str) -> str:
    if not all(_LIMIT.fullmatch(part) for part in re.split(r"[;,]", raw)):
        raise SettingsError(f"{name}={raw!r}: must read like '600 per minute' or '10/second' (several joined by ';')")
    return raw.strip()


def _doors(name: str, raw: str) -> frozenset[str]:
    chosen = [d.strip().lower() for d in raw.split(",") if d.strip()]
    wrong = [d for d in chosen if d not in DOORS]
    if wrong or not chosen:
        raise SettingsError(f"{name}={raw!r}: must name one or more of {', '.join(DOORS)}, comma-separated")
    return frozenset(chosen)


def _url(*schemes: str) -> Callable[[str, str], str | None]:
    def parse(name: str, raw: str) -> str | None:
        value = raw.strip()
        if value in ("", "memory://"):  # the old RATELIMIT_STORAGE_URI default: memory
            return None
        if not value.startswith(tuple(f"{s}://" for s in schemes)):
            raise SettingsError(f"{name}: must start with {' or '.join(s + '://' for s in schemes)}")  # never echo a URL: it may hold a password
        return value
    return parse


def _level(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("debug", "info", "warning", "error", "critical"):
        raise SettingsError(f"{name}={raw!r}: must be one of debug, info, warning, error, critical")
    return value


def _bind(name: str, raw: str) -> str:
    value = raw.strip()
    if not (value.startswith("unix:") or re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[\w.-]*):\d{1,5}", value, re.ASCII)):
        raise SettingsError(f"{name}={raw!r}: must be HOST:PORT (0.0.0.0:8000) or unix:PATH")
    return value


def _worker_class(name: str, raw: str) -> str:
    value = raw.strip()
    if value not in ("gevent", "gthread", "sync"):
        raise SettingsError(f"{name}={raw!r}: must be gevent, gthread or sync")
    return value


def _secret(prefix: str) -> Callable[[str, str], str | None]:
    def parse(name: str, raw: str) -> str | None:
        value = raw.strip()
        if prefix and value and not value.startswith(prefix):
            raise SettingsError(f"{name}: must start with {prefix!r} (Slack app settings, Basic Information, App-Level Tokens)")
        return value or None
    return parse


_PARSERS: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "AUTHDOCTOR_KB": ("kb", _folder),
    "AUTHDOCTOR_KB_OVERLAY": ("kb_overlay", _folder),
    "AUTHDOCTOR_KB_CACHE": ("kb_cache", _flag),
    "AUTHDOCTOR_CACHE_DIR": ("cache_dir", _text),
    "AUTHDOCTOR_DOORS": ("doors", _doors),
    "AUTHDOCTOR_REDIS_URL": ("redis_url", _url("redis", "rediss", "unix")),
    "AUTHDOCTOR_DATABASE_URL": ("database_url", _url("postgresql", "postgres")),
    "AUTHDOCTOR_DATA_DIR": ("data_dir", _text),
    "AUTHDOCTOR_SLACK_SIGNING_SECRET": ("slack_signing_secret", _secret("")),
    "AUTHDOCTOR_SLACK_APP_TOKEN": ("slack_app_token", _secret("xapp-")),
    "AUTHDOCTOR_RATELIMIT_ENABLED": ("ratelimit_enabled", _flag),
    "AUTHDOCTOR_RATELIMIT_DEFAULT": ("ratelimit_default", _limit),
    "AUTHDOCTOR_RATELIMIT_SLACK_TEAM": ("ratelimit_slack_team", _limit),
    "AUTHDOCTOR_RATELIMIT_SLACK_USER": ("ratelimit_slack_user", _limit),
    "AUTHDOCTOR_TRUSTED_PROXIES": ("trusted_proxies", _whole(0)),
    "AUTHDOCTOR_REPORT_URL": ("report_url", _text),
    "AUTHDOCTOR_LOG_LEVEL": ("log_level", _level),
    "AUTHDOCTOR_METRICS_DIR": ("metrics_dir", _text),
    "AUTHDOCTOR_BIND": ("bind", _bind),
    "AUTHDOCTOR_WORKERS": ("workers", _whole(1)),
    "AUTHDOCTOR_WORKER_CLASS": ("worker_class", _worker_class),
    "AUTHDOCTOR_THREADS": ("threads", _whole(1)),
    "AUTHDOCTOR_HEADER_TIMEOUT": ("header_timeout", _seconds),
    "AUTHDOCTOR_BODY_TIMEOUT": ("body_timeout", _seconds),
    "AUTHDOCTOR_TIMEOUT": ("timeout", _whole(1)),
    "AUTHDOCTOR_KEEPALIVE": ("keepalive", _whole(0)),
}


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from `environ` (default: the process's), or SettingsError naming the first bad variable."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    deprecated: list[str] = []
    for setting in SETTINGS:
        attr, parse = _PARSERS[setting.name]
        name, raw = setting.name, env.get(setting.name)
        if raw is None:
            for old in setting.old:
                if old in env:
                    name, raw = old, env[old]
                    deprecated.append(f"{old} is deprecated: set {setting.name} instead")
                    break
        if raw is None or (raw.strip() == "" and setting.default is None):
            continue
        values[attr] = parse(name, raw)
    return Settings(**values, deprecated=tuple(deprecated))  # type: ignore[arg-type]


def readme_rows() -> list[str]:
    """The README's configuration table, one Markdown row per setting."""
    rows = []
    for s in SETTINGS:
        default = s.default_text or (f"`{s.default}`" if s.default is not None else "unset")
        old = f" (was `{'`, `'.join(s.old)}`)" if s.old else ""
        rows.append(f"| `{s.name}`{old} | {default} | {s.effect} |")
    return rows
