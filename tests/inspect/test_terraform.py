"""inspect/terraform.py: what a Terraform directory tells, read again from the cache only while nothing it depends on changed.

Every directory, environment and fake `terraform` here is written by the test itself.
"""
import secrets
from pathlib import Path

import pytest

from authdoctor.inspect import terraform as tf_mod
from authdoctor.inspect.terraform import read_terraform

PROVIDER = 'provider "aws" {{\n  region  = "eu-west-1"\n  profile = {profile}\n}}\n'


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    monkeypatch.setenv("AUTHDOCTOR_CACHE_DIR", str(where))
    monkeypatch.delenv("AUTHDOCTOR_KB_CACHE", raising=False)
    return where


@pytest.fixture()
def folder(tmp_path):
    d = tmp_path / "tf"
    d.mkdir()
    (d / "main.tf").write_text(PROVIDER.format(profile='"prod"'))
    return d


def no_parse(path, problems):
    raise AssertionError(f"{path.name} was parsed again, though nothing changed")


def test_an_unchanged_directory_is_read_from_the_cache_without_parsing(folder, monkeypatch):
    first = read_terraform(folder, {}, run_version=False)
    monkeypatch.setattr(tf_mod, "_parse", no_parse)
    assert read_terraform(folder, {}, run_version=False) == first
    assert first.provider is not None and first.provider.profile.text == "prod"


def test_an_edited_tf_file_is_read_afresh(folder):
    read_terraform(folder, {}, run_version=False)
    (folder / "main.tf").write_text(PROVIDER.format(profile='"staging"'))
    assert read_terraform(folder, {}, run_version=False).provider.profile.text == "staging"


def test_a_new_tfvars_file_is_read_afresh(folder):
    (folder / "main.tf").write_text('variable "p" {\n  default = "dev"\n}\n' + PROVIDER.format(profile="var.p"))
    assert read_terraform(folder, {}, run_version=False).provider.profile.text == "dev"
    (folder / "terraform.tfvars").write_text('p = "ops"\n')
    assert read_terraform(folder, {}, run_version=False).provider.profile.text == "ops"


def test_a_changed_tf_var_in_the_environment_is_read_afresh(folder):
    (folder / "main.tf").write_text('variable "p" {}\n' + PROVIDER.format(profile="var.p"))
    assert read_terraform(folder, {"TF_VAR_p": "one"}, run_version=False).provider.profile.text == "one"
    assert read_terraform(folder, {"TF_VAR_p": "two"}, run_version=False).provider.profile.text == "two"


def test_the_cache_holds_no_credential_value(folder, cache):
    key_id = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = secrets.token_urlsafe(30)[:40]
    (folder / "main.tf").write_text(
        f'variable "sk" {{\n  default = "{secret}"\n}}\n'
        f'provider "aws" {{\n  region = "eu-west-1"\n  access_key = "{key_id}"\n  secret_key = var.sk\n}}\n')
    found = read_terraform(folder, {}, run_version=False)
    assert dict(found.provider.keys) == {"access_key": "literal", "secret_key": "var.sk (default)"}
    stored = b"".join(p.read_bytes() for p in cache.iterdir())
    assert stored and key_id.encode() not in stored and secret.encode() not in stored


def test_the_cache_can_be_turned_off(folder, cache, monkeypatch):
    monkeypatch.setenv("AUTHDOCTOR_KB_CACHE", "0")
    read_terraform(folder, {}, run_version=False)
    assert not cache.exists()


def test_a_damaged_cache_entry_is_read_past(folder, cache):
    first = read_terraform(folder, {}, run_version=False)
    for p in cache.iterdir():
        p.write_bytes(b"not a pickle")
    assert read_terraform(folder, {}, run_version=False) == first


def fake_terraform(bin_dir: Path, version: str) -> None:
    exe = bin_dir / "terraform"
    exe.write_text(f'#!/bin/sh\necho \'{{"terraform_version": "{version}"}}\'\n')
    exe.chmod(0o755)


def test_a_version_manager_shim_is_asked_its_version_every_time(folder, tmp_path):
    # tfenv and asdf put a script on PATH that picks the version per directory
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {"PATH": str(bin_dir)}
    fake_terraform(bin_dir, "1.5.7")
    assert read_terraform(folder, env).version == "1.5.7"
    fake_terraform(bin_dir, "1.9.8")
    assert read_terraform(folder, env).version == "1.9.8"


def test_the_backend_terraform_init_cached_is_read_each_time(folder):
    read_terraform(folder, {}, run_version=False)
    (folder / ".terraform").mkdir()
    (folder / ".terraform" / "terraform.tfstate").write_text('{"backend": {"type": "s3", "config": {"bucket": "b", "profile": "ops"}}}')
    assert read_terraform(folder, {}, run_version=False).cached_backend == {"type": "s3", "bucket": "b", "profile": "ops"}


def test_the_cache_keeps_only_the_directories_last_read(folder, cache, monkeypatch):
    from authdoctor.knowledge import cache as kb_cache
    monkeypatch.setitem(kb_cache.KEEP, "terraform-dir", 2)
    for profile in ("one", "two", "three"):
        (folder / "main.tf").write_text(PROVIDER.format(profile=f'"{profile}"'))
        read_terraform(folder, {}, run_version=False)
    assert len(list(cache.glob("terraform-dir-*.pickle"))) == 2
    # the last one read is one of them: read again without parsing
    monkeypatch.setattr(tf_mod, "_parse", no_parse)
    assert read_terraform(folder, {}, run_version=False).provider.profile.text == "three"
