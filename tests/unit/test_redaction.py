"""Unit tests of gitgate.safety.redaction: what must be caught, what must be left alone, invariants.

Fake secrets are generated at import time from a seeded RNG (right prefix, length, alphabet),
so no token-shaped literal lives in this file.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitgate.safety.redaction import SecretFinding, find_secrets, redact, redact_data

_rng = random.Random(1234)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def rnd(alphabet: str, n: int) -> str:
    """Random string with at least one upper, lower and digit when the alphabet has them."""
    while True:
        v = "".join(_rng.choice(alphabet) for _ in range(n))
        classes = [str.isupper, str.islower, str.isdigit]
        if all(any(f(c) for c in v) for f in classes if any(f(c) for c in alphabet)):
            return v


def b64url_json(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


JWT = f"{b64url_json({'alg': 'HS256'})}.{b64url_json({'sub': '42', 'role': 'x'})}.{rnd(B64URL, 43)}"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def github_token(prefix: str = "ghp_") -> str:
    """A token in GitHub's documented format: 30 random chars and their base62 CRC32."""
    body = rnd(ALNUM, 30)
    n, check = zlib.crc32(body.encode()), ""
    while n:
        n, r = divmod(n, 62)
        check = BASE62[r] + check
    return prefix + body + check.rjust(6, "0")


GH = github_token()
PEM_BODY = [rnd(B64, 64) for _ in range(5)] + [rnd(B64, 20) + "=="]
DISCORD = (
    base64.b64encode(b"123456789012345678").decode().rstrip("=")
    + "."
    + rnd(B64URL, 6)
    + "."
    + rnd(B64URL, 38)
)

# (label, text, secret values that must disappear completely)
POSITIVES: list[tuple[str, str, tuple[str, ...]]] = []


def pos(label: str, template: str, *secrets: str) -> None:
    POSITIVES.append((label, template.format(*secrets), secrets))


_aws_id = "AKIA" + rnd(string.ascii_uppercase + string.digits, 16)
_aws_secret = rnd(B64, 40)
pos("aws-id", "AWS_ACCESS_KEY_ID={}", _aws_id)
pos("aws-id-free", "creds: {} (rotated)", "ASIA" + rnd(string.ascii_uppercase + string.digits, 16))
pos("aws-secret", "aws_secret_access_key = {}", _aws_secret)
pos("aws-secret-cli", "aws configure set aws_secret_access_key {}", rnd(B64, 40))
pos("github", "GITHUB_TOKEN={}", GH)
pos("github-free", "git push https://x-access-token:{}@github.com/o/r.git", "ghs_" + rnd(ALNUM, 36))
pos("github-pat", "token: github_pat_{}", rnd(ALNUM, 22) + "_" + rnd(ALNUM, 59))
pos("gitlab", "gitlab_token = '{}'", "glpat-" + rnd(B64URL, 20))
pos("slack", "bot: {}", f"xoxb-{rnd(string.digits, 12)}-{rnd(string.digits, 13)}-{rnd(ALNUM, 24)}")
pos("slack-app", "SLACK_APP_TOKEN={}", f"xapp-1-A0{rnd(string.digits, 9)}-{rnd(HEX, 64)}")
pos(
    "slack-webhook",
    "url: https://hooks.slack.com/services/{}",
    f"T0{rnd(string.digits, 7)}/B0{rnd(string.digits, 8)}/{rnd(ALNUM, 24)}",
)
pos("stripe", 'stripe.api_key = "{}"', "sk_live_" + rnd(ALNUM, 24))
pos("stripe-restricted", "key {}", "rk_live_" + rnd(ALNUM, 24))
pos("stripe-test", "STRIPE={}", "sk_test_" + rnd(ALNUM, 24))
pos("openai", "OPENAI_API_KEY={}", "sk-" + rnd(ALNUM, 48))
pos("openai-proj", "client = OpenAI(api_key='{}')", "sk-proj-" + rnd(B64URL, 120))
pos("anthropic", "x-api-key: {}", "sk-ant-api03-" + rnd(B64URL, 93) + "AA")
pos("google", "const firebaseKey = '{}';", "AIza" + rnd(B64URL, 35))
pos(
    "azure-storage",
    "DefaultEndpointsProtocol=https;AccountName=a;AccountKey={};EndpointSuffix=core.windows.net",
    rnd(B64, 86) + "==",
)
pos(
    "azure-sb",
    "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={}",
    rnd(B64, 43) + "=",
)
pos("twilio-sk", "TWILIO_KEY={}", "SK" + rnd(HEX, 32))
pos("twilio-pair", 'client = twilio.rest.Client("{}", "{}")', "AC" + rnd(HEX, 32), rnd(HEX, 32))
pos("sendgrid", "sg = SendGridAPIClient('{}')", f"SG.{rnd(B64URL, 22)}.{rnd(B64URL, 43)}")
pos("npm", "//registry.npmjs.org/:_authToken={}", "npm_" + rnd(ALNUM, 36))
pos("pypi", "password = {}", "pypi-AgEIcHlwaS5vcmc" + rnd(B64URL, 80))
pos("supabase", "SUPABASE_ACCESS_TOKEN={}", "sbp_" + rnd(HEX, 40))
pos("supabase-jwt", "SUPABASE_SERVICE_ROLE_KEY={}", JWT)
pos("huggingface", "login('{}')", "hf_" + rnd(string.ascii_letters, 34))
pos("vault-hvs", "export VAULT_TOKEN={}", "hvs." + rnd(B64URL, 90))
pos("vault-legacy", "vault login {}", "s." + rnd(ALNUM, 24))
pos("doppler", "DOPPLER_TOKEN={}", "dp.st.prd." + rnd(ALNUM, 40))
pos("doppler-pt", "token {}", "dp.pt." + rnd(ALNUM, 43))
pos("discord-bot", 'client.run("{}")', DISCORD)
pos("discord-webhook", "https://discord.com/api/webhooks/123456789012345678/{}", rnd(B64URL, 68))
pos("telegram", "bot = Bot('{}')", f"{rnd(string.digits, 9)}:AA{rnd(B64URL, 33)}")
pos("datadog", "DD_API_KEY={}\nDD_APP_KEY={}", rnd(HEX, 32), rnd(HEX, 40))
pos("mailgun", "auth=('api', '{}')", "key-" + rnd(HEX, 32))
pos("heroku", "HEROKU_API_KEY={}", "0f8fad5b-d9cb-469f-a165-70867728950e")
pos("jwt", "session={}", JWT)
pos("bearer", "Authorization: Bearer {}", rnd(B64URL, 40))
pos(
    "basic",
    'curl -H "Authorization: Basic {}" https://x.io',
    base64.b64encode(b"admin:S3cr3t!pw").decode(),
)
pos("url-creds", "DATABASE_URL=postgres://app:{}@db:5432/app", "p4ss-W0rd!x")
pos("url-creds-at", "mongodb://admin:{}@host/db", "p@ss0rd9Z")
pos("env-password", "DB_PASSWORD={}", "hunter2-Zq9!")
pos("yaml-password", "database:\n  password: {}\n  user: app", "Tr0ub4dor&3x")
pos("json-api-key", '{{"api_key": "{}", "debug": false}}', rnd(ALNUM, 32))
pos("toml-secret", 'secret_key = "{}"', rnd(B64, 44))
pos("ini", "[db]\npassword = {}", "c0rrect-h0rse")
pos("py-attr", "        self.password = '{}'", "s3cr3t-Value")
pos("py-annot", 'token: str = "{}"', rnd(ALNUM, 30))
pos("flag-space", "mysqladmin --password {} status", "Zx9-pq8!RT")
pos("flag-eq", "deploy --token={} --env prod", rnd(ALNUM, 24))
pos("docker-env", "docker run -e POSTGRES_PASSWORD={} postgres", "p0stgr3s-Pw")
pos("diff-line", "+API_KEY={}", rnd(ALNUM, 32))
pos("xml", "<password>{}</password>", "X9m!2kLq")
pos("conn-string", "Server=db;Database=app;User Id=sa;Password={};", "Sa-P4ssw0rd")
pos("conninfo", 'psql "host=db user=app password={} dbname=app"', "q7-Zr!x2Pw")
pos("keyish-entropy", 'hmac_key = "{}"', rnd(B64, 44))
pos("curl-user", "curl -u admin:{} https://ci.example.com", "Adm1n-Pw!")


@pytest.mark.parametrize(("label", "text", "secrets"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_positive_is_redacted_completely(label: str, text: str, secrets: tuple[str, ...]) -> None:
    out = redact(text)
    for secret in secrets:
        assert secret not in out, f"{label}: secret survived in {out!r}"
        # No fragment either: no 8-char window of the secret is left behind.
        for i in range(max(1, len(secret) - 7)):
            assert secret[i : i + 8] not in out, f"{label}: fragment left in {out!r}"
    assert "[REDACTED:" in out


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("DB_PASSWORD=hunter2-Zq9!", "DB_PASSWORD="),
        ("Authorization: Bearer abcdefGHIJ123456789xyz", "Authorization: Bearer "),
        ("postgres://app:s3cret-Pw@db/app", "postgres://app:"),
        ('{"api_key": "abcdef0123456789ABCDEF01"}', '{"api_key": "'),
    ],
)
def test_prefix_stays_visible(text: str, visible: str) -> None:
    assert redact(text).startswith(visible)


NEGATIVES: dict[str, list[str]] = {
    "git-id": [
        f"commit {rnd(HEX, 40)}",
        f"index {rnd(HEX, 7)}..{rnd(HEX, 7)} 100644",
        f'"sha": "{rnd(HEX, 40)}"',
        f"object {rnd(HEX, 64)}",
        f"    key: {rnd(HEX, 40)}",
    ],
    "uuid": [
        "id: 0f8fad5b-d9cb-469f-a165-70867728950e",
        '"request_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"',
        "X-Request-Id: 7c9e6679-7425-40de-944b-e07fc1f90ae7",
    ],
    "digest": [
        f'"integrity": "sha512-{rnd(B64, 86)}==",',
        f'{{file = "x.whl", hash = "sha256:{rnd(HEX, 64)}"}}',
        f"    --hash=sha256:{rnd(HEX, 64)}",
        f'"digest": "sha256:{rnd(HEX, 64)}"',
    ],
    "data-uri": [f'<img src="data:image/png;base64,{rnd(B64, 200)}=">'],
    "public-key": [
        f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{rnd(B64, 68)} alice@host",
        "-----BEGIN PUBLIC KEY-----\n" + "\n".join(PEM_BODY) + "\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\n" + "\n".join(PEM_BODY) + "\n-----END CERTIFICATE-----",
        f"public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rnd(B64, 43)}",
        f"STRIPE_PUBLISHABLE_KEY=pk_live_{rnd(ALNUM, 24)}",
    ],
    "placeholder": [
        "API_KEY=<your-key>",
        "DB_PASSWORD=${DB_PASSWORD}",
        "password: $DB_PASSWORD",
        "token: {{ secret }}",
        'api_key = "YOUR_API_KEY"',
        'password = "xxx"',
        'secret: "****"',
        "DB_PASSWORD=changeme",
        "api_key: example",
        'token = "dummy"',
        "password: password",
        'secret = "secret"',
        "token: none",
        "password: null",
        "auth: true",
        "PASSWORD=",
        'password = os.environ["DB_PASSWORD"]',
        'token = os.getenv("TOKEN")',
        "api_key = settings.API_KEY",
        "password = get_password(user)",
        "const token = process.env.TOKEN;",
        "secret: ${{ secrets.DEPLOY_KEY }}",
        "def login(user: str, password: str) -> bool:",
        "conn = connect(host=host, password=password)",
        "    aws_secret_access_key=None,",
        "    token=self.token,",
        "SECRET_KEY = 'aws_secret_access_key'",
    ],
    "prose": [
        "Enter your password below",
        "the token expires after 1 hour",
        "Password: must be at least 8 characters long",
        "Use Bearer authentication for every request.",
        "def getpass(prompt='Password: ', stream=None):",
        "Authorization: Bearer <token>",
    ],
    "short-value": [
        "password_min_length = 8",
        'token_type: "bearer"',
        "max_tokens: 1024",
        "token_url = https://oauth2.example.com/token",
        "password_file: /run/secrets/db",
        "secret_name: db-credentials",
        "Token.Number: '#ansigreen',",
        "EMRFS_CSE_KEY = 'fs.s3.cse.enabled'",
    ],
    "base64-ordinary": [
        f'"data": "{base64.b64encode(b"hello world, this is a plain file").decode()}"',
        f"content: {base64.b64encode(b'the quick brown fox jumps').decode()}",
    ],
    "identifier-path": [
        "very_long_function_name_for_processing_user_authentication_requests()",
        "/usr/local/lib/python3.11/site-packages/setuptools/_vendor/packaging/version.py",
        "src/components/authentication/PasswordResetTokenForm.tsx",
        '<div class="sk-fading-circle sk-circle-spinner-wrapper-large">',
        "https://alice@github.com/org/repo.git",
        "Tokens start with ghp_ and AKIA is the AWS key id prefix.",
    ],
}
NEGATIVE_CASES = [(cat, text) for cat, texts in NEGATIVES.items() for text in texts]


@pytest.mark.parametrize(("category", "text"), NEGATIVE_CASES)
def test_negative_is_left_alone(category: str, text: str) -> None:
    assert find_secrets(text) == [], category
    assert redact(text) == text


def test_findings_are_sorted_non_overlapping_with_lines() -> None:
    text = f"a\nTOKEN={GH}\nb\npassword: hunter2-Zq9!\nurl: https://u:pw-Secret9@h/x\n"
    findings = find_secrets(text)
    assert [f.line for f in findings] == [2, 4, 5]
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))
    assert isinstance(findings[0], SecretFinding)
    assert text[findings[0].start : findings[0].end] == GH


def test_multiline_pem_is_redacted_whole() -> None:
    pem = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(PEM_BODY)
        + "\n-----END RSA PRIVATE KEY-----"
    )
    out = redact(f"before\n{pem}\nafter\n")
    assert out == "before\n[REDACTED:private-key]\nafter\n"


def test_pem_in_diff_and_truncated() -> None:
    diff = "\n".join("+" + ln for ln in ["-----BEGIN OPENSSH PRIVATE KEY-----", *PEM_BODY])
    out = redact(diff + "\n context line")
    assert all(line not in out for line in PEM_BODY)
    assert out.endswith("context line")


def test_json_escaped_pem_service_account() -> None:
    pem = (
        "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(PEM_BODY) + "\\n-----END PRIVATE KEY-----\\n"
    )
    doc = json.dumps({"type": "service_account", "client_email": "a@b.c"})[:-1]
    text = doc + f', "private_key": "{pem}"}}'
    out = redact(text)
    assert all(line not in out for line in PEM_BODY)
    assert '"private_key": "[REDACTED:private-key]' in out
    assert '"client_email": "a@b.c"' in out


@pytest.mark.parametrize(("label", "text", "secrets"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_idempotent_and_clean(label: str, text: str, secrets: tuple[str, ...]) -> None:
    once = redact(text)
    assert redact(once) == once
    assert find_secrets(once) == []


def test_marker_is_not_rematched() -> None:
    text = "token: [REDACTED:github-token] and [REDACTED:secret-assignment]"
    assert find_secrets(text) == []


def test_redact_data_nested() -> None:
    data = {
        "password": "hunter2",
        "token_type": "bearer",
        "api_key": "${API_KEY}",
        "count": 3,
        "nested": [{"secret": "s3cr3t!"}, ("plain", f"GITHUB_TOKEN={GH}")],
        "note": "nothing here",
        "flag": None,
    }
    out = redact_data(data)
    assert out == {
        "password": "[REDACTED:secret-value]",
        "token_type": "bearer",
        "api_key": "${API_KEY}",
        "count": 3,
        "nested": [
            {"secret": "[REDACTED:secret-value]"},
            ("plain", "GITHUB_TOKEN=[REDACTED:github-token]"),
        ],
        "note": "nothing here",
        "flag": None,
    }
    assert data["password"] == "hunter2"  # a new structure, the input is untouched
    assert redact_data(out) == out


@pytest.mark.parametrize("scalar", [None, 1, 2.5, True, b"bytes"])
def test_redact_data_scalars_unchanged(scalar: object) -> None:
    assert redact_data(scalar) == scalar


# Fragments that make random text hit the detectors' trickier paths.
_FRAGMENTS = [
    "password", "token", "=", ": ", '"', "'", "\n", " ", "\\n", "://", "@", "-----BEGIN ",
    "PRIVATE KEY-----", "-----END ", "[REDACTED:", "]", "ghp_", "AKIA", "eyJ", ".", "Bearer ",
    "--password ", "${", "}", "sk-", "xoxb-", "key-", "<", ">", "</password>", GH, JWT, "a1B2",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_redact_never_raises_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(ALNUM, max_size=12)), max_size=25))
def test_idempotent_on_secret_like_text(parts: list[str]) -> None:
    text = "".join(parts)
    once = redact(text)
    assert redact(once) == once
    findings = find_secrets(text)
    assert findings == sorted(findings, key=lambda f: f.start)
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))


def test_corpus_recall_and_false_positive_rate() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from secrets_corpus import generate

    corpus = generate()
    positives = [s for s in corpus if s.positive]
    negatives = [s for s in corpus if not s.positive]
    assert len(positives) >= 300 and len(negatives) >= 200
    missed = [s for s in positives if any(secret in redact(s.text) for secret in s.secrets)]
    flagged = [s for s in negatives if find_secrets(s.text)]
    assert len(missed) / len(positives) <= 0.01, [s.text for s in missed]
    assert len(flagged) / len(negatives) <= 0.01, [s.text for s in flagged]
    for s in corpus:
        once = redact(s.text)
        assert redact(once) == once
        assert find_secrets(once) == []


def test_secret_glued_to_another_is_redacted_in_one_call() -> None:
    # Found by the property above: the flag's value only showed once the token was a marker.
    text = GH + "--password passwordpassword"
    once = redact(text)
    assert once == "[REDACTED:github-token]--password [REDACTED:password-assignment]"
    assert redact(once) == once
