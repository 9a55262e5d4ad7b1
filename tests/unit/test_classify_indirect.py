"""Classes a blind probe of the classifier found (tenth session): indirect commands that name a
secret, abbreviated long options that run programs, database clients' shell escapes, SELinux
switched off, kubectl output that prints whole objects."""

from __future__ import annotations

import pytest

from gitgate import classify_command


def decision(command: str) -> str:
    return classify_command(command).decision


@pytest.mark.parametrize(
    "command",
    [
        "c=cat; f=~/.aws/credentials; $c $f",
        "cat${IFS}$HOME/.netrc",
        "echo ~/.ssh/id_rsa | xargs cat",
        "echo .env | xargs cat",
        "printf '%s\\n' ./.env | xargs -n1 head",
        'eval "$(echo cat) ~/.pgpass"',
    ],
)
def test_indirect_commands_naming_a_secret_are_denied(command: str) -> None:
    assert decision(command) == "deny"


@pytest.mark.parametrize(
    "command",
    [
        "echo .env >> .gitignore",  # names .env, runs nothing indirect: a write to approve
        "git ls-files | xargs wc -l",
        "echo id_rsa.pub | xargs cat",
        "x=README.md; cat $x",
    ],
)
def test_indirect_commands_without_secrets_are_not_denied(command: str) -> None:
    assert decision(command) != "deny"


@pytest.mark.parametrize(
    "command",
    [
        "git fetch --upl='sh -c id' origin",
        "git ls-remote --upload=x origin",
        "git push --rec=x origin",
        "git archive --remote=origin --exe=x HEAD",
        "tar --to-com=sh -xf a.tar",
        "sort --comp=sh data.txt",
    ],
)
def test_abbreviated_exec_options_are_denied(command: str) -> None:
    assert decision(command) == "deny"


@pytest.mark.parametrize(
    "command", ["git log --oneline", "git diff --ext-diff", "git log --exit-code"]
)
def test_options_that_merely_share_letters_are_not(command: str) -> None:
    assert decision(command) != "deny"


@pytest.mark.parametrize(
    "command",
    [
        'psql -c "\\! id"',
        "psql -c '\\! id'",
        "mysql -e 'select 1; system id'",
        "sqlite3 app.db '.shell id'",
        "setenforce 0",
        "setenforce Permissive",
    ],
)
def test_shell_escapes_and_security_switches_are_denied(command: str) -> None:
    assert decision(command) == "deny"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("kubectl get pods -n prod", "allow"),
        ("kubectl get pods -o wide", "allow"),
        ("kubectl get cm", "allow"),
        ("kubectl get pod web-1 -o yaml", "approve"),
        ("kubectl get pods -o=json", "approve"),
        ("kubectl get cm app -o yaml", "approve"),
        ("kubectl describe configmap/app", "approve"),
        ("kubectl get deploy,cm -o yaml", "approve"),
    ],
)
def test_kubectl_whole_object_output_needs_a_human(command: str, expected: str) -> None:
    assert decision(command) == expected
