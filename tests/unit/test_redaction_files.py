"""Unit tests of the fifth round (issue 10, ``secrets_tune4``): whole configuration files.

Each mechanism gets positives (every character of the secret covered) and the negatives it
must leave alone: secret collections, echoes of a found secret, server directives, .NET
settings, YAML values that look like annotations, generated salts, glued ``user:password``
values, references to a secret store, and names public by design. Values are random at
import time (seeded), so no credential-shaped literal lives here.
"""

from __future__ import annotations

import base64
import random
import string
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.secretutil import covered, secret_makers

# The package-level names: they survive the move of redaction.py into gitgate/safety/.
from gitgate import find_secrets, redact

_rng = random.Random(20261130)
ALNUM = string.ascii_letters + string.digits
WP_CHARS = ALNUM + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|"


rnd, chosen = secret_makers(_rng)


def hidden(text: str, fragment: str) -> bool:
    """Whether some character of ``fragment`` (which occurs once) is inside a finding."""
    at = text.index(fragment)
    return any(f.start < at + len(fragment) and at < f.end for f in find_secrets(text))


# ---------------------------------------------------------------------------------------------
# Collections under a plural secret name
# ---------------------------------------------------------------------------------------------
C1, C2, C3 = chosen(), "tango-rocket-ember-42", rnd(20)
U1, U2 = str(uuid.UUID(int=_rng.getrandbits(128), version=4)), rnd(32)
COLLECTIONS = [
    (f"admin:\n  passwords:\n    - {C1}\n    - {C2}\n  password_min_length: 12\n", [C1, C2]),
    (f"ftp:\n  user_passwords:\n    alice: {C1}\n    bob: '{C3}'\n", [C1, C3]),
    (f'PASSWORDS = {{\n    "alice": "{C1}",\n    "bob": "{C3}",\n}}\n', [C1, C3]),
    (f'PASSWORDS = {{"alice": "{C1}", "bob": "{C2}"}}\n', [C1, C2]),
    (f'{{\n  "apiKeys": {{\n    "billing": "{U2}",\n    "search": "{C3}"\n  }}\n}}\n', [U2, C3]),
    (f'acl {{\n  tokens {{\n    initial_management = "{U1}"\n    agent = "{U1}"\n  }}\n}}', [U1]),
    (f"admin_passwords: ['{C1}', '{C3}']\n", [C1, C3]),
]


@pytest.mark.parametrize(("text", "secrets"), COLLECTIONS)
def test_every_item_of_a_secret_collection_is_covered(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert covered(text, secret), (text, secret)


@pytest.mark.parametrize(
    "text",
    [
        # docker-compose's secrets: the names of secrets, and their files
        "services:\n  web:\n    secrets:\n      - db_password\n      - api_key_v2\n",
        "secrets:\n  db_password:\n    file: ./db_password.txt\n",
        # Helm: configuration of a secret store, not secrets
        "secrets:\n  backend: vault\n  provider: aws\n  mountPath: /etc/secrets\n",
        "passwords:\n  min_length: 12\n  require_symbols: true\n",
        # a tree of ordinary fields under a secret-ish name (Jenkins configuration as code)
        "credentials:\n  system:\n    domainCredentials:\n      - credentials:\n"
        '          - usernamePassword:\n              scope: GLOBAL\n              id: "deploy"\n',
        # indexing and counts, not literals
        "for i in range(3):\n    check(passwords[i])\n",
        "tokens: 3\nmax_tokens: 4096\n",
        # owner -> reference maps
        'passwords:\n  alice: "{{ vault_pw_alice }}"\n  bob: ${BOB_PASSWORD}\n',
        'API_KEYS = {"billing": os.environ["BILLING_KEY"], "search": env("SEARCH_KEY")}\n',
    ],
)
def test_collections_of_names_references_and_settings_are_left_alone(text: str) -> None:
    assert find_secrets(text) == [], text


# ---------------------------------------------------------------------------------------------
# Echoes: a found secret's other occurrences nearby
# ---------------------------------------------------------------------------------------------
def test_the_same_password_again_in_a_healthcheck_is_covered() -> None:
    root = chosen()
    text = (
        "services:\n  mysql:\n    environment:\n"
        f"      MYSQL_ROOT_PASSWORD: '{root}'\n"
        "    healthcheck:\n"
        f'      test: ["CMD", "mysqladmin", "ping", "-uroot", "-p{root}"]\n'
    )
    assert covered(text, root)
    assert root not in redact(text)


def test_an_echo_is_searched_only_near_the_finding() -> None:
    secret = rnd(24)
    near = f"TOKEN={secret}\n# copy: {secret}\n"
    assert covered(near, secret)
    far = near + "x" * 5000 + f"\nnote {secret} end\n"
    tail = far.rindex(secret)
    assert not any(f.start <= tail < f.end for f in find_secrets(far))


def test_a_passphrase_is_echoed_where_it_recurs() -> None:
    # diceware words, no capital, no symbol: found under its key, then again as "-p..."
    phrase = "-".join(
        _rng.choice(["willow", "copper", "harbor", "saffron", "granite"]) for _ in range(3)
    )
    phrase += f"-{_rng.randint(10, 99)}"
    text = (
        f"    environment:\n      MYSQL_ROOT_PASSWORD: '{phrase}'\n    healthcheck:\n"
        f'      test: ["CMD", "mysqladmin", "ping", "-uroot", "-p{phrase}"]\n'
    )
    assert phrase not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        # a bare word found as a password must not hide every other use of the word
        "PASSWORD=production\nenvironment: production deploy\n",
        # a name found by a weak guess is not spread ("types-pywin32" under win32cred)
        '"win32cred": "types-pywin32",\n"win32api": "types-pywin32",\n',
        # two words are a name, not a passphrase
        "DB_PASSWORD=copper-harbor-42\nimage: copper-harbor-42\n",
    ],
)
def test_words_found_as_secrets_are_not_echoed(text: str) -> None:
    first, *others = [f for f in find_secrets(text)]
    assert others == [], text
    assert first.line == 1


# ---------------------------------------------------------------------------------------------
# Server directives "Name value" and .NET settings
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "value"),
    [
        ("requirepass {v}\nport 6379\n", rnd(32)),
        ("bind 127.0.0.1\nmasterauth {v}\n", rnd(24)),
        ('<Location />\n    AuthLDAPBindPassword "{v}"\n</Location>\n', chosen()),
        ("    command: redis-server --requirepass {v} --appendonly yes\n", rnd(24)),
        (
            '<setting name="SmtpPassword" serializeAs="String">\n  <value>{v}</value>\n</setting>',
            chosen(),
        ),
    ],
)
def test_directives_and_settings_are_covered(template: str, value: str) -> None:
    text = template.format(v=value)
    assert covered(text, value), text


@pytest.mark.parametrize(
    "text",
    [
        "Password reset links expire after an hour.\n",
        "Token refresh happens in the background\n",
        "# requirepass foobared\n",
        '    AuthLDAPBindPassword "exec:/usr/local/bin/ldap-pass"\n',
        "requirepass ${REDIS_PASSWORD}\n",
        '<setting name="SmtpHost" serializeAs="String">\n  <value>smtp.example.com</value>\n',
        '<setting name="SmtpPassword" serializeAs="String">\n  <value>(set at deploy)</value>\n',
    ],
)
def test_prose_references_and_plain_settings_are_not_directives(text: str) -> None:
    assert find_secrets(text) == [], text


# ---------------------------------------------------------------------------------------------
# Values the syntax decides
# ---------------------------------------------------------------------------------------------
def test_a_yaml_value_with_an_equals_sign_is_not_a_type_annotation() -> None:
    value = chosen()[:-1] + "="
    for text in (f"  password: {value}\n", f"POSTGRES_PASSWORD: harbor={rnd(8)}\n"):
        secret = text.split(": ", 1)[1].strip()
        assert covered(text, secret), text


@pytest.mark.parametrize(
    "text",
    [
        "    offendingToken:Token=None, deadEndConfigs:ATNConfigSet=None):\n",
        "def f(tok:Token=None, key:Key=None): pass\n",
    ],
)
def test_python_annotations_without_spaces_stay_annotations(text: str) -> None:
    assert find_secrets(text) == [], text


def test_a_quoted_password_ending_in_a_bracket_is_whole() -> None:
    value = chosen()[:-1] + "("
    text = f"DATABASES = {{'default': {{'PASSWORD': '{value}'}}}}\n"
    assert covered(text, value)
    assert find_secrets("password = getenv(\n") == []


def test_old_and_new_passwords_of_a_rotation_are_both_secrets() -> None:
    old, new = chosen(), chosen()
    text = f"old_admin_password: {old}\nnew_admin_password: {new}\n"
    assert covered(text, old) and covered(text, new)


def test_a_base64_secret_starting_with_a_slash_is_not_a_path() -> None:
    secret = "/" + rnd(39, ALNUM + "+/")
    text = f"aws:\n  secret_access_key: {secret}\n"
    assert covered(text, secret)
    assert find_secrets("aws:\n  secret_access_key_file: /var/run/secrets/aws/key\n") == []
    assert find_secrets("secret_path: /var/lib/app/secrets/2024/key.pem\n") == []


def test_a_pwgen_password_in_an_ini_file_counts_from_twelve_characters() -> None:
    value = rnd(15)
    text = f"[pypi]\nusername = acme\npassword = {value}\n"
    assert covered(text, value)
    assert find_secrets("    password = user_password_input\n") == []


# ---------------------------------------------------------------------------------------------
# Generated salts, glued user:password, gossip keys
# ---------------------------------------------------------------------------------------------
def test_wordpress_salts_with_spaces_and_punctuation_are_covered() -> None:
    salts = [rnd(64, WP_CHARS.replace(" ", "")) for _ in range(2)]
    salts.append(salts[0][:20] + "< Kp>" + salts[0][25:])  # not an embedded <placeholder>
    text = "".join(
        f"define( '{name}', '{v}' );\n"
        for name, v in zip(("NONCE_KEY", "AUTH_SALT", "LOGGED_IN_KEY"), salts, strict=True)
    )
    for v in salts:
        assert covered(text, v), v


@pytest.mark.parametrize(
    "text",
    [
        "define( 'NONCE_KEY', 'put your unique phrase here' );\n",
        '            key = r"{}\\{:0.1f}\\VC\\VC_OBJECTS_PLATFORM_INFO\\Win32\\Directories"\n',
        "        sign=True, key='param:secp384r1.pem'\n",
    ],
)
def test_phrases_paths_and_file_names_under_key_names_are_not_salts(text: str) -> None:
    assert find_secrets(text) == [], text


def test_a_glued_user_and_password_under_an_auth_name_is_covered() -> None:
    secret = f"ci:{chosen()}"
    text = f'npmRegistries:\n  "https://registry.example.com":\n    npmAuthIdent: "{secret}"\n'
    assert covered(text, secret)


def test_a_gossip_encryption_key_is_covered_and_a_flag_is_not() -> None:
    key = base64.b64encode(_rng.randbytes(32)).decode()
    assert covered(f'datacenter = "dc1"\nencrypt = "{key}"\n', key)
    assert find_secrets("encrypt = true\nencrypt_at_rest: true\n") == []


# ---------------------------------------------------------------------------------------------
# References and names public by design
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "MAILER_DSN=smtp://mailer%40example.com:%env(SMTP_PASSWORD)%@smtp.example.com:587\n",
        "bind_password = file:/run/secrets/ldap\n",
        "-passin env:KEY_PASS\n",
        f"PUSHER_APP_KEY={rnd(20, '0123456789abcdef')}\n",
        '"DkimTokens": [\n  "' + rnd(40).lower() + '",\n  "' + rnd(40).lower() + '"\n]\n',
    ],
)
def test_references_and_public_names_are_not_secrets(text: str) -> None:
    assert find_secrets(text) == [], text


def test_pusher_app_secret_is_still_a_secret() -> None:
    secret = rnd(20, "0123456789abcdef")
    text = f"PUSHER_APP_KEY={rnd(20, '0123456789abcdef')}\nPUSHER_APP_SECRET={secret}\n"
    assert covered(text, secret)


# ---------------------------------------------------------------------------------------------
# Robustness of the collection reader on hostile structure
# ---------------------------------------------------------------------------------------------
_PIECES = st.sampled_from(
    [
        "passwords:", "apiKeys = ", "tokens {", "PASSWORDS = {", "\n", "\n  ", "\n    - ", "- ",
        "{", "}", "[", "]", "(", ")", ",", ":", " = ", '"', "'", "\\", "#", "alice: ",
        "bob = ", "Winter2024!", "x9Kq2LmZ8vR4tY7w", "${X}", " ",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_PIECES, max_size=40))
def test_collections_of_any_shape_redact_to_a_fixpoint(pieces: list[str]) -> None:
    text = "".join(pieces)
    findings = find_secrets(text)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))
    once = redact(text)
    assert redact(once) == once
    assert find_secrets(once) == []


def test_a_collection_longer_than_its_span_still_yields_its_first_entries() -> None:
    first = chosen()
    text = f'passwords = {{"alice": "{first}", ' + ('"a": "b", ' * 20000) + "}"
    assert covered(text, first)


_ACL_PW, _ACL_PW2, _ACL_PW3 = rnd(24, ALNUM + "-_"), chosen(), rnd(12)
_URL_PW = rnd(6) + "?" + rnd(6) + "%" + rnd(4)
_AMQP_PW = chosen()[:-1] + "?"  # a chosen password whose symbol is the "?"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"user app on >{_ACL_PW} ~app:* +@all -@dangerous\n", _ACL_PW),
        (f"  user backup on >{_ACL_PW2} ~backup:* +@read\n", _ACL_PW2),
        (f"redis-cli ACL SETUSER alice on >{_ACL_PW3} ~cached:* +get\n", _ACL_PW3),
        (f"DATABASE_URL: postgres://postgres:{_URL_PW}@localhost:5432/test\n", _URL_PW),
        (f"url = https://user:{_URL_PW}!@db.example.com/x\n", _URL_PW),
        # a "?" right before the "@" ends a password (a query there would be empty)
        ("MAILER_DSN=smtp://mailer%40example.com:Autumn2025?@smtp.example.com:587", "Autumn2025?"),
        (f"amqp://app:{_AMQP_PW}@rabbit:5672/vhost", _AMQP_PW),
    ],
)
def test_redis_acl_passwords_and_a_question_mark_in_a_url_password(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "  user default on nopass ~* +@all\n",
        f"user app on #{uuid.UUID(int=_rng.getrandbits(128)).hex * 2} ~*\n",  # a SHA-256: a hash
        "user app on >${REDIS_APP_PASSWORD} ~app:*\n",
        "echo turn on >/dev/null\n",
        "if [ $x ]; then set on > out.log; fi\n",
        "see http://host:8080?next=mailto:alice@example.org\n",
        "redirect http://localhost:3000?redirect_uri=https://a.b/c@d.e\n",
        "x https://github.com:Org/Repo-9.git@v1.2 y\n",  # scp-like host:path of a repository
        "pip install git+https://github.com:psf/black.git@24.1.0\n",
        "see http://host:8080?@x\n",  # a port, then "?@"
        "ok http://a:short?@b.c\n",  # too short to be told from a typo
    ],
)
def test_what_only_looks_like_those_is_left_alone(text: str) -> None:
    assert redact(text) == text
