"""A fix command's kind: shell unless fenced with a language; fences checked; non-shell text without a fence refused."""
import pytest

from authdoctor.knowledge.commands import looks_like, split_fence, unlabelled_fences


def test_an_unfenced_command_is_shell():
    assert split_fence("aws sts get-caller-identity") == ("shell", "aws sts get-caller-identity", None)


def test_a_fenced_command_takes_its_kind_from_the_language_and_loses_the_fence():
    kind, text, problem = split_fence('```hcl\nprovider "aws" {\n  region = "us-east-1"\n}\n```\n')
    assert (kind, problem) == ("hcl", None)
    assert text == 'provider "aws" {\n  region = "us-east-1"\n}'


@pytest.mark.parametrize("tag, kind", [("ini", "ini"), ("json", "json"), ("yml", "yaml"), ("powershell", "powershell"),
                                       ("bash", "shell"), ("terraform", "hcl")])
def test_each_fence_language_names_one_kind(tag, kind):
    assert split_fence(f"```{tag}\nx\n```")[0] == kind


@pytest.mark.parametrize("command, says", [("```\nx = 1\n```", "names no language"),
                                           ("```toml\nx = 1\n```", "unknown fence language"),
                                           ("```hcl\nprovider \"aws\" {}\n", "not closed")])
def test_a_fence_without_language_unknown_or_open_is_a_problem(command, says):
    assert says in split_fence(command)[2]


def test_markdown_fences_without_a_language_are_counted_once_per_block():
    assert unlabelled_fences("Put this in main.tf:\n```\nprovider \"aws\" {}\n```\nthen\n```sh\nterraform init\n```\n") == 1


@pytest.mark.parametrize("text, kind", [
    ('provider "aws" {\n  region = "us-east-1"\n}', "hcl"),
    ("# ~/.aws/config\n[profile dev]\nregion = us-east-1", "ini"),
    ('{\n  "Version": "2012-10-17"\n}', "json"),
    ("env:\n  AWS_REGION: us-east-1", "yaml"),
    ("$env:AWS_PROFILE = 'dev'", "powershell"),
])
def test_text_of_another_kind_is_recognised_without_its_fence(text, kind):
    assert looks_like(text) == kind


@pytest.mark.parametrize("text", ["aws sts get-caller-identity --profile <profile>", "export AWS_PROFILE=<profile>",
                                  "TF_LOG=DEBUG terraform plan 2>&1 | grep -E 'tf_aws\\.(profile|credentials_source)'",
                                  "curl -s http://169.254.169.254/latest/meta-data/"])
def test_shell_lines_read_as_shell(text):
    assert looks_like(text) is None
