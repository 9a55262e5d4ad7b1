"""Unit tests of where a value ends per syntax (issue 10, seventh round, ``secrets_tune6``).

Each mechanism added in that round gets positives (every character of the secret is covered,
not a prefix of it) and the negatives it must leave alone. Values are random at import time
(seeded), so no credential-shaped literal lives here.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.secretutil import covered, secret_makers

from gitgate.safety.redaction import find_secrets, redact

rnd, _chosen = secret_makers(random.Random(20261207))


def pw(inner: str) -> str:
    """A chosen-looking password with ``inner`` inside it."""
    return rnd(6) + inner + rnd(6)


K1, K2 = rnd(14), rnd(14)
H1, H2 = pw("#!"), pw("&#")
FLOW, QPW, DASH, FIELD = pw(">)"), pw("&;"), "-" + pw("~."), pw("#%")
ANSI_A, ANSI_B = rnd(6), rnd(6)
CSV_A, CSV_B, TSV_A, TSV_B = rnd(5), rnd(5), rnd(5), rnd(6)
PHRASE = "glacier ember willow rocket 48"
YANDEX_OAUTH = "y0_AgAAAAA" + rnd(48, "abcdefABCDEF0123456789_-")
YANDEX_IAM = f"t1.{rnd(50)}.{rnd(86)}"
FB_EXPLORER = "EAACEdEose0cBA" + rnd(48)
LOWER, UPPER = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
WORDY = rnd(6, LOWER).capitalize() + "&" + rnd(2, UPPER) + "%4" + rnd(3, LOWER)
TEAMS = (
    "2785b3dc-3526-4808-83b0-10e507bca540@3228b906-c66c-4de6-b2fc-f73b46055f00/IncomingWebhook/"
    f"{rnd(32, '0123456789abcdef')}/a9fbd3fc-870c-4494-9ec0-eab5ec0cc69f"
)

POSITIVES: list[tuple[str, list[str]]] = [
    # a backslash-newline continues any finding over the next line's first word
    (f'curl -H "Authorization: Bearer {K1}\\\n{K2}" https://api.example.org\n', [K1, K2]),
    (f"app.jwt.secret: {K1}\\\n    {K2}\napp.port=8080\n", [K1, K2]),
    # YAML double-quoted scalar over two lines (a line break folds to a space)
    (f'svc:\n  api_secret: "{H1}\n    {H2}"\n  retries: 3\n', [H1, H2]),
    # YAML plain scalar continued on a more indented line
    (f"auth:\n  client_secret: {K1}\n    {K2}\n  scope: openid\n", [K1, K2]),
    # INI (configparser) multi-line value: more indented lines go on
    (f"[db]\npassword = {K1}!\n    {K2}\nhost = db\n", [K1, K2]),
    # YAML flow mapping: the plain value ends at "," or "}", ">" and ")" are in it
    (f"brokers:\n  - {{host: mq, user: app, password: {FLOW}, vhost: /}}\n", [FLOW]),
    # block scalar holding a passphrase; an unquoted passphrase in INI
    (f"backup:\n  gpg_passphrase: |-\n    {PHRASE}\n", [PHRASE]),
    (f"[gpg]\npassphrase = {PHRASE}\n", [PHRASE]),
    # shell: ANSI-C quoting, glued quoted pieces
    (f"export API_SECRET=$'{ANSI_A}\\'{ANSI_B}'\n", [ANSI_A, ANSI_B]),
    (f"export ADMIN_PASSWORD='{H1}'\"{H2}\"\n", [H1, H2]),
    # a backslash-escaped space is part of a shell word
    (f"export PGPASSWORD={K1}\\ {K2}\npsql -h db\n", [K1, K2]),
    (f"./sync --password={K1}\\ {K2} --dry-run\n", [K1, K2]),
    (f"export DB_PASSWORD='{K1}'\\''{K2}'\nnext\n", [K1, K2]),
    # systemd: one assignment in a quoted string keeps its spaces
    (f'Environment="DB_PASSWORD={K1} {K2}"\n', [K1, K2]),
    # server directives that set a variable
    (f'SetEnv DB_PASSWORD "{H1} {K2}"\n', [H1, K2]),
    (f'fastcgi_param DB_PASSWORD "{H1};{K2}";\n', [H1, K2]),
    # Ansible's !unsafe tag before a quoted value
    (f"ansible_password: !unsafe '{K1}{{{{{K2}'\n", [K1, K2]),
    # PowerShell here-string, Rust raw string
    (f'$password = @"\n{H1}\n"@\n', [H1]),
    (f'let password = r#"{K1}"{K2}"#;\n', [K1, K2]),
    # docker-compose list item: the rest of the line; Lua long brackets
    (f"    environment:\n      - DB_PASSWORD={K1} {K2} # prod\n", [K1, K2]),
    (f'local password = [[{K1}"{K2}]]\n', [K1, K2]),
    (f"local token = [==[{K1}]]{K2}]==]\n", [K1, K2]),
    # adjacent literals: Python, C across a backslash-newline
    (f'SECRET_KEY = "{K1}" "{K2}"\n', [K1, K2]),
    (f'#define API_KEY "{K1}" \\\n    "{K2}"\n', [K1, K2]),
    # heredoc values (HCL, Ruby squiggly)
    (f"  password = <<-EOT\n    {H1}\n    EOT\n", [H1]),
    (f"TOKEN = <<~EOS\n  {K1}\nEOS\n", [K1]),
    # -p after -u in any tool, quoted; -p values that start with "-"
    (f'influx --username admin -p "{QPW}" --host db\n', [QPW]),
    (f"az login -u ops@example.org -p {DASH} --tenant x\n", [DASH]),
    # Markdown: a table cell, a code span after the name, prose "is now"
    (f"| what | value |\n|---|---|\n| DB password | `{H1}` |\n| API token | {H2} |\n", [H1, H2]),
    (f"Log in as `admin` with password `{H1}` and change it.\n", [H1]),
    (f"the admin password is now {H1}\n", [H1]),
    # a chosen password whose letter runs look like words, but with every kind and "&" "%"
    (f"FYI the new wifi password is {WORDY}, the old one stops Monday.\n", [WORDY]),
    # a "password: X," field in prose: no expression has "#" between two letters
    (f"demo box -> password: {FIELD}, user: bob\n", [FIELD]),
    # CSV and TSV columns, RFC 4180 quoting
    (
        f'service,username,password,notes\nbilling,svc,"{CSV_A}"",{CSV_B}",prod\n',
        [f'{CSV_A}"",{CSV_B}'],
    ),
    (
        f"host\tuser\tpassword\nsftp.example.org\tuploader\t{TSV_A} ,{TSV_B}\n",
        [f"{TSV_A} ,{TSV_B}"],
    ),
    # a ">" inside a URL password (Redis ACL passwords start with one)
    (f"CACHE_URL=redis://:{H1[:6]}>{H2}@cache.internal:6379/0\n", [f"{H1[:6]}>{H2}"]),
    # vendor formats
    (f"yc config set token {YANDEX_OAUTH}\n", [YANDEX_OAUTH]),
    (f"curl -H 'Authorization: Bearer {YANDEX_IAM}' https://iam.example\n", [YANDEX_IAM]),
    (f"IAM_TOKEN={YANDEX_IAM}\n", [YANDEX_IAM]),
    (f"url: https://outlook.office.com/webhook/{TEAMS}\n", [TEAMS]),
    (f"graph = facebook.GraphAPI('{FB_EXPLORER}')\n", [FB_EXPLORER]),
]


@pytest.mark.parametrize("text, secrets", POSITIVES)
def test_whole_value_is_covered(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert covered(text, secret), (text, secret, find_secrets(text))
        assert secret not in redact(text)


NEGATIVES = [
    # continuation: a "name=" line after a backslash starts a new entry
    "app.description=billing service \\\napp.port=8080\n",
    # multi-line quotes: prose, a stray quote, a description over two lines
    'svc:\n  api_secret: "${BILLING_API_SECRET}"\n  description: "talks to\n    the ledger"\n',
    'password: "see below\n\nother: text"\n',
    # plain scalar continuation never starts a secret
    "auth:\n  client_secret: ${OIDC_SECRET}\n  description: the frontend client\n    by ops\n",
    "[db]\npassword = ${DB_PASSWORD}\n    ; rotated monthly\nhost = db\n",
    # flow mappings with references
    "brokers:\n  - {host: mq, user: app, password: ${MQ_PASSWORD}, vhost: /prod}\n",
    # passphrase-like notes, prose and code
    "password = not found in config\n",
    "password: see ops team wiki\n",
    "passphrase = ask the admin team\n",
    "password: |\n  Enter your password here\n",
    # shell: references in every quoting
    "export API_SECRET=$'$API_SECRET'\n",
    'export ADMIN_PASSWORD="$(vault kv get -field=pw secret/admin)"\n',
    'mysql --password "changeme" "mydb"\n',
    "export PGPASSWORD=${DB_PW}\\ \npsql\n",
    "cp my\\ password\\ file.txt /tmp\n",
    'Environment="PGHOST=db PGPASSWORD=${PGPASSWORD} PGUSER=app"\n',
    'SetEnv DB_PASSWORD "${DB_PASSWORD}"\n',
    "fastcgi_param DB_PASSWORD $db_password;\n",
    "ansible_password: !unsafe '{{ vault_password }}'\n",
    '$password = @"\n$env:DB_PASSWORD\n"@\n',
    'let password = r#"<your password>"#;\n',
    "echo 'it'\\''s fine' > note.txt\n",
    "    environment:\n      - DB_PASSWORD=${DB_PASSWORD}\n      - DB_HOST=db # host\n",
    "      - DB_PASSWORD=see the vault entry\n",
    "local password = [[${PW}]]\n",
    # heredocs holding references
    "  password = <<EOT\n    ${var.db_password}\n    EOT\n",
    # -p after -u: a port, a reference, the next flag
    "psql -u app -p 5432 -h db\n",
    'rabbitmqadmin -u admin -p "$RMQ_PW" list\n',
    "docker login -u x -p --password-stdin\n",
    "sshpass -p -h host\n",
    # Markdown: a schema table, a note in a code span
    "| field | type | description |\n|---|---|---|\n| password | string | the password |\n",
    "| DB password | stored in Vault at `kv/ops/db` |\n",
    "Log in as `admin`; the password is in 1Password.\n",
    "the password is now required\n",
    "# the password is Release-2024.1 (see the changelog)\n",
    "# the token is Build_Step_42/Final for this job\n",
    "To get the log, pass `-\\log(f)` as f; or pass `check_0d=True`.\n",
    # code: a field holding an expression, comparisons
    "f(password: user!.password, x)\n",
    "if (password != null && !check(password)) {\n",
    "password: see vault, user: bob\n",
    # CSV: not a header, a tab-separated INI line, an NLP token column
    "password\t=\t${DB_PASSWORD}\nuser\t=\tapp\n",
    "token,pos,lemma\nrunning,VERB,run\nthe,DET,the\n",
    "service,username,password\nbilling,svc,(in vault)\nledger,svc2,-\n",
    # URL: a percent-encoded reference
    'DATABASE_URL = "postgresql://app:%24%7BDB_PASSWORD%7D@db.internal:5432/app"\n',
    "<http://example.org:8080> or mail @alice\n",
    "see <https://x.org:443>, @alice\n",
    # vendor look-alikes
    "y0_label = 'y0_axis'\n",
    "version: t1.2.3\nhost: t1.example.org\n",
    "TEAMS_WEBHOOK=https://outlook.office.com/webhook/<id>\n",
    "// app id EAACEdEose0cBA is the Graph API Explorer\n",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negative_is_left_alone(text: str) -> None:
    assert find_secrets(text) == [], (text, find_secrets(text))


@settings(max_examples=200, deadline=None)
@given(
    value=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    tail=st.text(alphabet=" \\\n\t\"'`,;#|abc", max_size=12),
)
def test_extent_rules_stay_a_fixpoint_and_never_hide_the_name(value: str, tail: str) -> None:
    # Whatever follows a value (continuations, quotes, cells), redaction is a fixpoint and no
    # finding starts before the value: the name a reviewer reads stays visible.
    for head, body in (("password: ", "{v}{t}\n"), ("| password | ", "{v}{t} |\n")):
        text = head + body.format(v=value, t=tail)
        once = redact(text)
        assert redact(once) == once
        assert all(f.start >= len(head) for f in find_secrets(text))


def test_extent_rules_stay_bounded_on_hostile_input() -> None:
    # Texts built to make each hit read far: many CSV header lines (each of them a "header"
    # with a row of the same width below), heredoc heads without a body, unclosed quotes.
    # They finish (no timing here: benchmarks measure speed) and hold no secret.
    header = ",".join(["password", "token", "secret", "api_key"] * 8) + "\n"
    assert find_secrets(header * 500) == []
    assert find_secrets(("user,password,host\n" + "x,token,y\n") * 2000) == []
    assert find_secrets("TOKEN = <<EOT\n" * 2000) == []
    assert find_secrets(('password: "' + "a b" * 300 + "\n") * 500) == []
    # and a real table after all that is still read
    text = header * 50 + "\nservice,username,password\nbilling,svc," + H1 + "\n"
    assert covered(text, H1)


def _echoes_reference(text: str, cands: list[tuple[int, int, str, int]]) -> set[tuple[int, int]]:
    """The echo search as it was: each finding searches its own window."""
    from gitgate.safety import redaction as r

    out: set[tuple[int, int]] = set()
    for start, end, _kind, prio in cands:
        if end - start < r._ECHO_MIN or end - start > 1024 or prio <= r._PRIO_CONTEXT:
            continue
        value = text[start:end]
        lo, hi = max(0, start - r._ECHO_WINDOW), min(len(text), end + r._ECHO_WINDOW)
        at = text.find(value, lo, start)
        if at < 0:
            at = text.find(value, end, hi)
        if at < 0 or not r._echo_worthy(value):
            continue
        while at >= 0:
            if at != start:
                out.add((at, at + len(value)))
            at = text.find(value, at + len(value), hi)
    return out


@settings(max_examples=150, deadline=None)
@given(
    layout=st.lists(
        st.tuples(st.sampled_from(["A", "B", "a", "filler"]), st.integers(0, 3000)),
        min_size=1,
        max_size=24,
    )
)
def test_echo_search_once_per_value_matches_the_per_finding_search(
    layout: list[tuple[str, int]],
) -> None:
    # The echo search walks the union of a value's windows once; it must find the same
    # occurrences as searching each finding's window (minus the findings themselves).
    from gitgate.safety import redaction as r

    values = {"A": H1, "B": H2, "a": K1}
    parts, cands = [], []
    at = 0
    for what, gap in layout:
        parts.append("x" * gap)
        at += gap
        if what == "filler":
            continue
        value = values[what]
        parts.append(value)
        if gap % 2:  # about half of the occurrences were found by a detector
            cands.append((at, at + len(value), "password-assignment", r._PRIO_GENERIC))
        at += len(value)
        parts.append(" ")
        at += 1
    text = "".join(parts)
    found = {(s, e) for s, e, _, _ in r._echoes(text, cands)}
    known = {(s, e) for s, e, _, _ in cands}
    assert found == _echoes_reference(text, cands) - known
