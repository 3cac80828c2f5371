"""The service's settings: AUTHDOCTOR_* variables, typed and checked at start, the old names still read."""
import subprocess
import sys
from pathlib import Path

import pytest

from authdoctor import settings
from authdoctor.settings import SettingsError, load

ROOT = Path(__file__).resolve().parent.parent


def test_nothing_set_gives_the_documented_defaults():
    s = load({})
    assert s.doors == {"page", "api", "slack"} and s.redis_url is None and s.ratelimit_enabled is True
    assert (s.ratelimit_default, s.ratelimit_slack_team, s.bind, s.workers, s.trusted_proxies) == ("600 per minute", "60 per minute", "127.0.0.1:8000", None, 0)
    assert s.deprecated == ()


def test_values_are_typed():
    s = load({"AUTHDOCTOR_WORKERS": "3", "AUTHDOCTOR_RATELIMIT_ENABLED": "off", "AUTHDOCTOR_BODY_TIMEOUT": "2.5",
              "AUTHDOCTOR_DOORS": "slack, api", "AUTHDOCTOR_REDIS_URL": "redis://cache:6379/0"})
    assert (s.workers, s.ratelimit_enabled, s.body_timeout, s.doors, s.redis_url) == (3, False, 2.5, {"slack", "api"}, "redis://cache:6379/0")


@pytest.mark.parametrize("name, value", [
    ("AUTHDOCTOR_WORKERS", "three"), ("AUTHDOCTOR_WORKERS", "0"), ("AUTHDOCTOR_RATELIMIT_ENABLED", "maybe"),
    ("AUTHDOCTOR_RATELIMIT_DEFAULT", "lots"), ("AUTHDOCTOR_DOORS", "page,admin"), ("AUTHDOCTOR_BIND", "8000"),
    ("AUTHDOCTOR_BODY_TIMEOUT", "-1"), ("AUTHDOCTOR_TRUSTED_PROXIES", "-1"), ("AUTHDOCTOR_LOG_LEVEL", "loud"),
    ("AUTHDOCTOR_WORKER_CLASS", "eventlet"), ("AUTHDOCTOR_KB_OVERLAY", "/no/such/folder"), ("AUTHDOCTOR_SLACK_APP_TOKEN", "xoxb-123"), ("AUTHDOCTOR_REDIS_URL", "http://cache"),
])
def test_a_bad_value_is_refused_naming_the_variable(name, value):
    with pytest.raises(SettingsError, match=f"^{name}"):
        load({name: value})


def test_a_refused_url_is_not_echoed_as_it_may_hold_a_password():
    with pytest.raises(SettingsError) as exc:
        load({"AUTHDOCTOR_REDIS_URL": "http://user:hunter2@cache"})
    assert "hunter2" not in str(exc.value)


def test_the_old_documented_names_still_work_with_a_deprecation_note():
    s = load({"SLACK_SIGNING_SECRET": "abc", "RATELIMIT_SLACK": "5 per minute", "GUNICORN_WORKERS": "2",
              "RATELIMIT_STORAGE_URI": "redis://cache:6379/0"})
    assert (s.slack_signing_secret, s.ratelimit_slack_team, s.workers, s.redis_url) == ("abc", "5 per minute", 2, "redis://cache:6379/0")
    assert "SLACK_SIGNING_SECRET is deprecated: set AUTHDOCTOR_SLACK_SIGNING_SECRET instead" in s.deprecated


def test_an_old_name_is_refused_under_its_own_name():
    with pytest.raises(SettingsError, match="^GUNICORN_WORKERS"):
        load({"GUNICORN_WORKERS": "many"})


def test_the_new_name_wins_over_the_old():
    s = load({"AUTHDOCTOR_RATELIMIT_DEFAULT": "5 per second", "RATELIMIT_DEFAULT": "1 per day"})
    assert s.ratelimit_default == "5 per second" and s.deprecated == ()


def test_the_old_memory_storage_uri_means_no_redis():
    assert load({"RATELIMIT_STORAGE_URI": "memory://"}).redis_url is None


def test_the_readme_table_lists_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text()
    missing = [row for row in settings.readme_rows() if row not in readme]
    assert missing == []


def test_the_app_refuses_to_start_on_a_bad_setting(monkeypatch):
    from authdoctor.web import create_app
    monkeypatch.setenv("AUTHDOCTOR_DOORS", "everything")
    with pytest.raises(SettingsError, match="AUTHDOCTOR_DOORS"):
        create_app()


def test_gunicorn_refuses_to_start_on_a_bad_setting_with_one_line_naming_it():
    env = {"PATH": "/usr/bin:/bin", "AUTHDOCTOR_WORKERS": "many", "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--check-config", "app:app"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == "authdoctor: AUTHDOCTOR_WORKERS='many': must be a whole number"


def test_serve_refuses_to_start_on_a_bad_setting_with_one_line_naming_it(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "AUTHDOCTOR_WORKERS": "many", "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-m", "authdoctor", "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.strip() == "error: AUTHDOCTOR_WORKERS='many': must be a whole number"


def test_every_authdoctor_variable_the_code_reads_is_a_setting():
    import re
    named = set()
    for path in (ROOT / "src" / "authdoctor").rglob("*.py"):
        named |= set(re.findall(r"[\"'](AUTHDOCTOR_[A-Z_]+)[\"']", path.read_text(encoding="utf-8")))
    assert named - set(settings.BY_NAME) == set()
