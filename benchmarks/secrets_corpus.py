"""A deterministic, labeled corpus of secret and look-alike snippets.

Every fake secret is generated at run time from a seeded RNG with the right prefix, length and
alphabet of its provider, so no real credential (nor a literal that push protection would flag)
lives in the source. Positive samples carry the exact secret values, so a checker can verify
that no character of a secret survives redaction; negative samples are the look-alikes that a
redactor must leave alone (git ids, digests, UUIDs, public keys, placeholders, prose...).

Usage::

    from secrets_corpus import generate
    for sample in generate():
        ...
"""

from __future__ import annotations

import base64
import json
import random
import string
import zlib
from collections.abc import Callable
from dataclasses import dataclass

SEED = 20240611

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
PW_CHARS = ALNUM + "!%^*-_.~+"


@dataclass(frozen=True)
class Sample:
    """One labeled snippet.

    Attributes:
        text: the snippet, as it would appear in a file, diff or command.
        positive: True if it contains at least one secret.
        category: the provider/format (positives) or look-alike category (negatives).
        secrets: the exact secret values (positives only).
    """

    text: str
    positive: bool
    category: str
    secrets: tuple[str, ...] = ()


class _Gen:
    """Fake-secret factory over one seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def mixed(self, alphabet: str, n: int) -> str:
        """Random string guaranteed to contain an upper, a lower and a digit (like real keys)."""
        while True:
            v = self.s(alphabet, n)
            needs_digit = any(c.isdigit() for c in alphabet)
            if any(c.isupper() for c in v) and any(c.islower() for c in v):
                if any(c.isdigit() for c in v) or not needs_digit:
                    return v

    def digits(self, n: int) -> str:
        return str(self.rng.randint(1, 9)) + self.s(string.digits, n - 1)

    def choice(self, seq: list[str] | tuple[str, ...]) -> str:
        return self.rng.choice(seq)

    def password(self) -> str:
        return self.mixed(PW_CHARS, self.rng.randint(10, 22))

    def uuid(self) -> str:
        h = self.s(HEX, 32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def b64_of(self, raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    def b64url_json(self, obj: object) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def jwt(self, payload: dict[str, object] | None = None) -> str:
        header = self.b64url_json({"alg": "HS256", "typ": "JWT"})
        body = payload or {
            "sub": self.digits(8),
            "name": self.choice(["alice", "bob", "ci-bot"]),
            "iat": self.rng.randint(1_600_000_000, 1_800_000_000),
        }
        return f"{header}.{self.b64url_json(body)}.{self.s(B64URL, 43)}"

    def pem_body(self, lines: int = 6) -> list[str]:
        body = [self.mixed(B64, 64) for _ in range(lines)]
        body.append(self.mixed(B64, self.rng.randint(8, 60)) + "==")
        return body


# ---------------------------------------------------------------------------------------------
# Contexts a secret value appears in. Each takes (name, value) and returns the snippet.
# ---------------------------------------------------------------------------------------------
def _snake(name: str) -> str:
    return name.lower()


def _camel(name: str) -> str:
    parts = name.lower().split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


ASSIGN_CONTEXTS: list[Callable[[str, str], str]] = [
    lambda n, v: f"{n}={v}",
    lambda n, v: f'export {n}="{v}"',
    lambda n, v: f"+{n}={v}",
    lambda n, v: f"{_snake(n)}: {v}",
    lambda n, v: f'  {_snake(n)}: "{v}"',
    lambda n, v: f'{{\n  "{_snake(n)}": "{v}",\n  "debug": false\n}}',
    lambda n, v: f'{_snake(n)} = "{v}"',
    lambda n, v: f"[default]\n{_snake(n)} = {v}",
    lambda n, v: f"const {_camel(n)} = '{v}';",
    lambda n, v: f'    self.{_snake(n)} = "{v}"',
    lambda n, v: f'{_snake(n)}: str = "{v}"',
    lambda n, v: f'+    "{_camel(n)}": "{v}",',
    lambda n, v: f"docker run -e {n}={v} myimage:latest",
    lambda n, v: f'{_camel(n)} := "{v}"',
    lambda n, v: f"<{_camel(n)}>{v}</{_camel(n)}>",
    lambda n, v: f'cfg = {{"{_snake(n)}": "{v}", "retries": 3}}',
]

FREE_CONTEXTS: list[Callable[[str], str]] = [
    lambda v: f"client = Client('{v}')",
    lambda v: f"# temporary: {v}",
    lambda v: f'curl -H "X-Api-Key: {v}" https://api.example.com/v1/items',
    lambda v: f"+    token = '{v}'",
    lambda v: f"  - run: deploy --key {v}",
    lambda v: f'{{"value": "{v}"}}',
    lambda v: f"Use {v} for the staging account.",
    lambda v: f"echo {v} | login --stdin",
]


def _in_context(g: _Gen, names: tuple[str, ...], value: str, free: bool = True) -> str:
    if free and g.rng.random() < 0.4:
        return g.choice(FREE_CONTEXTS)(value)  # type: ignore[arg-type]
    return g.choice(ASSIGN_CONTEXTS)(g.choice(names), value)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Positive generators: each returns (text, secrets).
# ---------------------------------------------------------------------------------------------
Pos = tuple[str, tuple[str, ...]]


def _provider(names: tuple[str, ...], make: Callable[[_Gen], str]) -> Callable[[_Gen], Pos]:
    def gen(g: _Gen) -> Pos:
        v = make(g)
        return _in_context(g, names, v), (v,)

    return gen


def _aws_secret(g: _Gen) -> Pos:
    v = g.mixed(B64, 40)
    ctx = g.choice(
        [
            "aws_secret_access_key = {v}",
            "AWS_SECRET_ACCESS_KEY={v}",
            '"SecretAccessKey": "{v}",',
            "aws configure set aws_secret_access_key {v}",
            "  secret_access_key: {v}",
            "+export AWS_SECRET_ACCESS_KEY='{v}'",
        ]
    )
    return ctx.format(v=v), (v,)


def _aws_pair(g: _Gen) -> Pos:
    kid = g.choice(["AKIA", "ASIA"]) + g.s(UPPER_DIGITS, 16)
    sec = g.mixed(B64, 40)
    text = (
        f"[default]\naws_access_key_id = {kid}\naws_secret_access_key = {sec}\nregion = eu-west-1"
    )
    return text, (kid, sec)


def _github_token(g: _Gen, prefix: str) -> str:
    """GitHub's documented format: 30 random base62 characters and their base62 CRC32."""
    body = g.mixed(ALNUM, 30)
    n, check = zlib.crc32(body.encode()), ""
    while n:
        n, r = divmod(n, 62)
        check = BASE62[r] + check
    return prefix + body + check.rjust(6, "0")


def _github_pat(g: _Gen) -> str:
    return f"github_pat_{g.mixed(ALNUM, 22)}_{g.mixed(ALNUM, 59)}"


def _slack_token(g: _Gen) -> str:
    kind = g.choice(["xoxb", "xoxp", "xoxa", "xoxs"])
    if kind == "xoxp":
        return f"xoxp-{g.digits(12)}-{g.digits(12)}-{g.digits(13)}-{g.s(HEX, 32)}"
    return f"{kind}-{g.digits(12)}-{g.digits(13)}-{g.mixed(ALNUM, 24)}"


def _slack_app(g: _Gen) -> str:
    return f"xapp-1-A0{g.s(UPPER_DIGITS, 9)}-{g.digits(13)}-{g.s(HEX, 64)}"


def _slack_webhook(g: _Gen) -> Pos:
    path = f"T{g.s(UPPER_DIGITS, 8)}/B{g.s(UPPER_DIGITS, 10)}/{g.mixed(ALNUM, 24)}"
    url = f"https://hooks.slack.com/services/{path}"
    ctx = g.choice(
        [
            "SLACK_WEBHOOK_URL={u}",
            'webhook: "{u}"',
            'curl -X POST -d \'{{"text":"deployed"}}\' {u}',
            "notify(url='{u}')",
        ]
    )
    return ctx.format(u=url), (path,)


def _openai(g: _Gen) -> str:
    style = g.rng.randint(0, 2)
    if style == 0:
        return "sk-proj-" + g.mixed(B64URL, 156)
    if style == 1:
        return "sk-" + g.mixed(ALNUM, 48)
    return "sk-svcacct-" + g.mixed(B64URL, 120)


def _gcp_service_account(g: _Gen) -> Pos:
    body = g.pem_body(8)
    pem = "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(body) + "\\n-----END PRIVATE KEY-----\\n"
    doc = (
        "{\n"
        '  "type": "service_account",\n'
        f'  "project_id": "demo-{g.s(string.ascii_lowercase, 6)}",\n'
        f'  "private_key_id": "{g.s(HEX, 40)}",\n'
        f'  "private_key": "{pem}",\n'
        f'  "client_email": "ci@demo.iam.gserviceaccount.com",\n'
        f'  "client_id": "{g.digits(21)}"\n'
        "}"
    )
    return doc, tuple(body)


def _azure_storage(g: _Gen) -> Pos:
    key = g.mixed(B64, 86) + "=="
    conn = (
        f"DefaultEndpointsProtocol=https;AccountName=acct{g.s(string.ascii_lowercase, 6)};"
        f"AccountKey={key};EndpointSuffix=core.windows.net"
    )
    ctx = g.choice(['AZURE_STORAGE_CONNECTION_STRING="{c}"', '"ConnectionString": "{c}"', "{c}"])
    return ctx.format(c=conn), (key,)


def _azure_sb(g: _Gen) -> Pos:
    key = g.mixed(B64, 43) + "="
    conn = (
        f"Endpoint=sb://ns{g.s(string.ascii_lowercase, 5)}.servicebus.windows.net/;"
        f"SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={key}"
    )
    return g.choice(['SERVICEBUS_CONN="{c}"', "{c}", "  connection: {c}"]).format(c=conn), (key,)


def _twilio(g: _Gen) -> Pos:
    style = g.rng.randint(0, 3)
    if style == 0:
        v = "SK" + g.s(HEX, 32)
        return _in_context(g, ("TWILIO_API_KEY",), v), (v,)
    sid, tok = "AC" + g.s(HEX, 32), g.s(HEX, 32)
    if style == 1:
        return f"TWILIO_ACCOUNT_SID={sid}\nTWILIO_AUTH_TOKEN={tok}", (sid, tok)
    if style == 2:
        return f'client = twilio.rest.Client("{sid}", "{tok}")', (sid, tok)
    return f"twilio:\n  account_sid: {sid}\n  auth_token: {tok}", (sid, tok)


def _sendgrid(g: _Gen) -> str:
    return f"SG.{g.mixed(B64URL, 22)}.{g.mixed(B64URL, 43)}"


def _npm(g: _Gen) -> Pos:
    v = "npm_" + g.mixed(ALNUM, 36)
    if g.rng.random() < 0.5:
        return f"//registry.npmjs.org/:_authToken={v}", (v,)
    return _in_context(g, ("NPM_TOKEN", "NODE_AUTH_TOKEN"), v), (v,)


def _pypi(g: _Gen) -> Pos:
    v = "pypi-AgEIcHlwaS5vcmc" + g.mixed(B64URL, g.rng.randint(60, 150))
    if g.rng.random() < 0.4:
        return f"[pypi]\n  username = __token__\n  password = {v}", (v,)
    return _in_context(g, ("PYPI_TOKEN", "TWINE_PASSWORD"), v), (v,)


def _supabase(g: _Gen) -> Pos:
    if g.rng.random() < 0.5:
        v = "sbp_" + g.s(HEX, 40)
        return _in_context(g, ("SUPABASE_ACCESS_TOKEN",), v), (v,)
    v = g.jwt({"iss": "supabase", "ref": g.s(string.ascii_lowercase, 20), "role": "service_role"})
    return _in_context(g, ("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_KEY"), v), (v,)


def _vault(g: _Gen) -> Pos:
    style = g.rng.randint(0, 3)
    if style == 0:
        v = "hvs." + g.mixed(B64URL, 90)
        return _in_context(g, ("VAULT_TOKEN",), v), (v,)
    if style == 1:
        v = "hvb." + g.mixed(B64URL, 130)
        return _in_context(g, ("VAULT_BATCH_TOKEN",), v), (v,)
    v = "s." + g.mixed(ALNUM, 24)
    ctx = g.choice(
        ["VAULT_TOKEN={v}", "vault login {v}", 'curl -H "X-Vault-Token: {v}" $VAULT_ADDR']
    )
    return ctx.format(v=v), (v,)


def _doppler(g: _Gen) -> str:
    if g.rng.random() < 0.5:
        return f"dp.st.{g.choice(['dev', 'prd', 'stg'])}.{g.mixed(ALNUM, 40)}"
    return f"dp.pt.{g.mixed(ALNUM, 43)}"


def _discord_bot(g: _Gen) -> Pos:
    uid = base64.b64encode(g.digits(18).encode()).decode().rstrip("=")
    v = f"{uid}.{g.s(B64URL, 6)}.{g.mixed(B64URL, g.rng.choice([27, 38]))}"
    ctx = g.choice(
        ["DISCORD_TOKEN={v}", 'client.run("{v}")', "Authorization: Bot {v}", 'bot_token: "{v}"']
    )
    return ctx.format(v=v), (v,)


def _discord_webhook(g: _Gen) -> Pos:
    tok = g.mixed(B64URL, 68)
    url = f"https://discord.com/api/webhooks/{g.digits(18)}/{tok}"
    return g.choice(["DISCORD_WEBHOOK={u}", "requests.post('{u}', json=msg)"]).format(u=url), (tok,)


def _telegram(g: _Gen) -> str:
    return f"{g.digits(g.rng.randint(8, 10))}:AA{g.mixed(B64URL, 33)}"


def _datadog(g: _Gen) -> Pos:
    api, app = g.s(HEX, 32), g.s(HEX, 40)
    style = g.rng.randint(0, 3)
    if style == 0:
        return f"DD_API_KEY={api}\nDD_APP_KEY={app}", (api, app)
    if style == 1:
        return f'datadog:\n  api_key: "{api}"\n  app_key: "{app}"', (api, app)
    if style == 2:
        return (
            f'curl -H "DD-API-KEY: {api}" -H "DD-APPLICATION-KEY: {app}" https://api.datadoghq.com',
            (
                api,
                app,
            ),
        )
    return f'datadog_api_key = "{api}"', (api,)


def _heroku(g: _Gen) -> Pos:
    v = g.uuid()
    ctx = g.choice(
        [
            "HEROKU_API_KEY={v}",
            'heroku_api_key: "{v}"',
            "  HEROKU_API_KEY: {v}",
            "heroku login --token {v}",
        ]
    )
    return ctx.format(v=v), (v,)


def _jwt_pos(g: _Gen) -> Pos:
    v = g.jwt()
    ctx = g.choice(
        [
            "Authorization: Bearer {v}",
            "JWT={v}",
            '{{"id_token": "{v}"}}',
            "+  session_jwt: {v}",
            "curl -H 'Authorization: Bearer {v}' https://api.example.com/me",
            "cookie: session={v}; Path=/",
        ]
    )
    return ctx.format(v=v), (v,)


def _bearer(g: _Gen) -> Pos:
    v = g.mixed(B64URL + ".~", g.rng.randint(24, 64))
    ctx = g.choice(
        [
            "Authorization: Bearer {v}",
            'headers = {{"Authorization": "Bearer {v}"}}',
            "curl -H 'Authorization: Bearer {v}' https://api.example.com",
            "> Authorization: Bearer {v}",
        ]
    )
    return ctx.format(v=v), (v,)


def _basic(g: _Gen) -> Pos:
    raw = f"{g.choice(['admin', 'deploy', 'ci'])}:{g.password()}".encode()
    v = g.b64_of(raw)
    ctx = g.choice(["Authorization: Basic {v}", 'curl -H "Authorization: Basic {v}" https://x.io'])
    return ctx.format(v=v), (v,)


def _pem(g: _Gen) -> Pos:
    label = g.choice(
        [
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
        ]
    )
    body = g.pem_body(g.rng.randint(3, 12))
    lines = [f"-----BEGIN {label}-----", *body, f"-----END {label}-----"]
    style = g.rng.randint(0, 3)
    if style == 0:
        return "\n".join(lines) + "\n", tuple(body)
    if style == 1:
        return "\n".join("+" + ln for ln in lines), tuple(body)
    if style == 2:
        esc = "\\n".join(lines) + "\\n"
        return f'{{"key": "{esc}"}}', tuple(body)
    return "ssh_key: |\n" + "\n".join("  " + ln for ln in lines), tuple(body)


def _url_creds(g: _Gen) -> Pos:
    pw = g.password().replace("%", "")
    user = g.choice(["admin", "app", "deploy", "postgres", "root", ""])
    url = g.choice(
        [
            f"postgres://{user}:{pw}@db.internal:5432/app",
            f"mongodb+srv://{user}:{pw}@cluster0.ab1cd.mongodb.net/prod?retryWrites=true",
            f"https://{user}:{pw}@git.example.com/team/repo.git",
            f"redis://:{pw}@cache:6379/0",
            f"amqp://{user}:{pw}@rabbitmq:5672/vhost",
            f"mysql://{user}:{pw}@10.0.0.5/shop",
        ]
    )
    ctx = g.choice(
        ["DATABASE_URL={u}", 'url: "{u}"', "git clone {u}", "engine = create_engine('{u}')"]
    )
    return ctx.format(u=url), (pw,)


_PW_NAMES = (
    "DB_PASSWORD",
    "PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "POSTGRES_PASSWORD",
    "SMTP_PASSWORD",
    "REDIS_PASS",
    "ADMIN_PWD",
    "LDAP_BIND_PASSWORD",
)
_SECRET_NAMES = (
    "API_KEY",
    "SECRET_KEY",
    "CLIENT_SECRET",
    "AUTH_TOKEN",
    "ACCESS_TOKEN",
    "SESSION_SECRET",
    "JWT_SECRET",
    "ENCRYPTION_KEY",
    "WEBHOOK_SECRET",
    "APP_SECRET",
    "SIGNING_KEY",
    "REFRESH_TOKEN",
)


def _password_assign(g: _Gen) -> Pos:
    v = g.password()
    return g.choice(ASSIGN_CONTEXTS)(g.choice(_PW_NAMES), v), (v,)  # type: ignore[operator]


def _secret_assign(g: _Gen) -> Pos:
    v = g.choice([g.mixed(ALNUM, 32), g.s(HEX, 64), g.mixed(B64, 44), g.mixed(B64URL, 40)])
    return g.choice(ASSIGN_CONTEXTS)(g.choice(_SECRET_NAMES), v), (v,)  # type: ignore[operator]


def _cli_flag(g: _Gen) -> Pos:
    v = g.password()
    ctx = g.choice(
        [
            "mysqladmin --password {v} status",
            "deploy --token={v} --env prod",
            "tool login --api-key {v}",
            'psql "host=db user=app password={v} dbname=app"',
            "helm install app ./chart --set db.password={v}",
            "java -Dspring.datasource.password={v} -jar app.jar",
            "curl -u admin:{v} https://jenkins.example.com/api/json",
        ]
    )
    return ctx.format(v=v), (v,)


def _conn_string(g: _Gen) -> Pos:
    v = g.password().replace(";", "")
    return f"Server=tcp:sql.example.net,1433;Database=app;User Id=app;Password={v};", (v,)


def _keyish_entropy(g: _Gen) -> Pos:
    v = g.mixed(B64, g.rng.randint(32, 48))
    ctx = g.choice(
        ['hmac_key = "{v}"', "COOKIE_SIGNING_KEY={v}", '"signing_secret": "{v}"', "master_key: {v}"]
    )
    return ctx.format(v=v), (v,)


POSITIVES: dict[str, tuple[int, Callable[[_Gen], Pos]]] = {
    "aws-access-key-id": (
        8,
        _provider(
            ("AWS_ACCESS_KEY_ID",), lambda g: g.choice(["AKIA", "ASIA"]) + g.s(UPPER_DIGITS, 16)
        ),
    ),
    "aws-secret-access-key": (8, _aws_secret),
    "aws-credentials-file": (4, _aws_pair),
    "github-token": (
        10,
        _provider(
            ("GITHUB_TOKEN", "GH_TOKEN"),
            lambda g: _github_token(g, g.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])),
        ),
    ),
    "github-pat": (5, _provider(("GITHUB_TOKEN",), _github_pat)),
    "gitlab-token": (
        6,
        _provider(("GITLAB_TOKEN", "CI_JOB_TOKEN"), lambda g: "glpat-" + g.mixed(B64URL, 20)),
    ),
    "slack-token": (8, _provider(("SLACK_BOT_TOKEN", "SLACK_TOKEN"), _slack_token)),
    "slack-app-token": (4, _provider(("SLACK_APP_TOKEN",), _slack_app)),
    "slack-webhook": (6, _slack_webhook),
    "stripe-key": (
        8,
        _provider(
            ("STRIPE_SECRET_KEY", "STRIPE_API_KEY"),
            lambda g: (
                g.choice(["sk_live_", "rk_live_", "sk_test_"]) + g.mixed(ALNUM, g.choice([24, 99]))
            ),
        ),
    ),
    "openai-api-key": (8, _provider(("OPENAI_API_KEY",), _openai)),
    "anthropic-api-key": (
        6,
        _provider(("ANTHROPIC_API_KEY",), lambda g: "sk-ant-api03-" + g.mixed(B64URL, 93) + "AA"),
    ),
    "google-api-key": (
        6,
        _provider(("GOOGLE_API_KEY", "FIREBASE_API_KEY"), lambda g: "AIza" + g.mixed(B64URL, 35)),
    ),
    "gcp-service-account": (4, _gcp_service_account),
    "azure-storage": (5, _azure_storage),
    "azure-service-bus": (4, _azure_sb),
    "twilio": (8, _twilio),
    "sendgrid": (6, _provider(("SENDGRID_API_KEY",), _sendgrid)),
    "npm-token": (6, _npm),
    "pypi-token": (5, _pypi),
    "supabase": (6, _supabase),
    "huggingface-token": (
        6,
        _provider(
            ("HF_TOKEN", "HUGGINGFACE_TOKEN"), lambda g: "hf_" + g.mixed(string.ascii_letters, 34)
        ),
    ),
    "vault": (8, _vault),
    "doppler": (6, _provider(("DOPPLER_TOKEN",), _doppler)),
    "discord-bot-token": (6, _discord_bot),
    "discord-webhook": (4, _discord_webhook),
    "telegram-bot-token": (6, _provider(("TELEGRAM_BOT_TOKEN", "TG_TOKEN"), _telegram)),
    "datadog": (6, _datadog),
    "mailgun": (
        5,
        _provider(("MAILGUN_API_KEY",), lambda g: "key-" + g.s(HEX, 32)),
    ),
    "heroku": (6, _heroku),
    "jwt": (10, _jwt_pos),
    "bearer-header": (8, _bearer),
    "basic-header": (5, _basic),
    "private-key": (14, _pem),
    "url-credentials": (14, _url_creds),
    "password-assignment": (32, _password_assign),
    "secret-assignment": (32, _secret_assign),
    "cli-flag": (14, _cli_flag),
    "connection-string": (4, _conn_string),
    "high-entropy-keyish": (8, _keyish_entropy),
}


# ---------------------------------------------------------------------------------------------
# Negative generators: look-alikes that must survive untouched.
# ---------------------------------------------------------------------------------------------
def _neg_git(g: _Gen) -> str:
    sha = g.s(HEX, 40)
    return g.choice(
        [
            f"commit {sha}",
            f"index {sha[:7]}..{g.s(HEX, 7)} 100644",
            f'"sha": "{sha}",',
            f"  rev: {sha}",
            f"git checkout {sha}",
            f"object {g.s(HEX, 64)}",
            f'"resolved": "https://codeload.github.com/org/lib/tar.gz/{sha}",',
            f"Reverts commit {sha[:12]} (fix race in worker)",
            f"aws s3 cp s3://artifacts/{sha}/build.zip .",
            f"+    key: {sha}  # cache key",
        ]
    )


def _neg_uuid(g: _Gen) -> str:
    u = g.uuid()
    return g.choice(
        [
            f"id: {u}",
            f'"request_id": "{u}",',
            f"X-Request-Id: {u}",
            f'uuid = "{u}"',
            f"correlation_id={u}",
            f"user {u} logged in from 10.0.0.7",
            f'<Guid Include="{u}" />',
            f"tenant_id: {u}",
        ]
    )


def _neg_digest(g: _Gen) -> str:
    return g.choice(
        [
            f'"integrity": "sha512-{g.s(B64, 86)}==",',
            f'{{file = "pkg-1.0-py3-none-any.whl", hash = "sha256:{g.s(HEX, 64)}"}},',
            f"    --hash=sha256:{g.s(HEX, 64)}",
            f"checksum: sha256:{g.s(HEX, 64)}",
            f'"digest": "sha256:{g.s(HEX, 64)}"',
            f"{g.s(HEX, 64)}  dist/gitgate-0.1.0.tar.gz",
            f"  integrity sha1-{g.s(B64, 27)}=",
            f'md5sum = "{g.s(HEX, 32)}"',
        ]
    )


def _neg_data_uri(g: _Gen) -> str:
    b = g.s(B64, g.rng.randint(80, 300))
    return g.choice(
        [
            f'<img src="data:image/png;base64,{b}=" alt="logo">',
            f"  background: url(data:image/svg+xml;base64,{b});",
            f'"icon": "data:image/gif;base64,{b}"',
        ]
    )


def _neg_public_key(g: _Gen) -> str:
    body = g.s(B64, 68)
    style = g.rng.randint(0, 6)
    if style == 0:
        return f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{body} alice@laptop"
    if style == 1:
        return f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{g.s(B64, 43)} ci@runner"
    if style == 2:
        lines = [g.s(B64, 64) for _ in range(4)]
        return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----"
    if style == 3:
        lines = [g.s(B64, 64) for _ in range(6)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----"
    if style == 4:
        return f"public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{g.s(B64, 43)}"
    if style == 5:
        return f"STRIPE_PUBLISHABLE_KEY=pk_live_{g.mixed(ALNUM, 24)}"
    return f'"publicKey": "{g.s(B64, 44)}"'


_PLACEHOLDERS = [
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
    'token = os.getenv("GITHUB_TOKEN")',
    "api_key = settings.API_KEY",
    "password = get_password(user)",
    "const token = process.env.API_TOKEN;",
    "  secret: ${{ secrets.DEPLOY_KEY }}",
    "password = None",
    "token: str",
    "def login(username: str, password: str) -> bool:",
    "conn = connect(host=host, password=password)",
    "headers = {'Authorization': f'Bearer {token}'}",
    '"password": "<password>",',
    "export GITHUB_TOKEN=$(gh auth token)",
    "api_key: !vault |",
    "SECRET_KEY=your-secret-key-here",
    "password: '********'",
    "token = request.headers.get('X-Token')",
    "client_secret: ${CLIENT_SECRET:?missing}",
    "PASSWORD: %PASSWORD%",
    "password: {password}",
    "this.apiKey = apiKey;",
    "secret_key = config['secret_key']",
    "AUTH_TOKEN=''",
    'private_key = Path("~/.ssh/id_ed25519").read_text()',
    'token := os.Getenv("TOKEN")',
    "let password = prompt('Password:');",
    "password: REPLACE_ME",
    "api_key = 'xxxxxxxxxxxxxxxxxxxxxxxx'",
    "access_token = response.json()['access_token']",
]

_PROSE = [
    "Enter your password below",
    "the token expires after 1 hour",
    "Password: must be at least 8 characters long",
    "Reset your password by clicking the link in the email.",
    "We never store your API key in plain text.",
    "Tokens are rotated every 90 days.",
    "# TODO: rotate the secret key before launch",
    "Use Bearer authentication for all requests.",
    "The key-value store supports TTLs on every key.",
    "Basic usage: run gitgate --help to see every command.",
    "See https://example.com/docs/auth for details about tokens.",
    "If the token is missing, the request fails with 401.",
    "Secrets are injected at runtime by the platform.",
    "token: the token expires after one hour",
    "The password field is required.",
    "Each API key is scoped to a single project.",
    "- Fixed a bug where the auth token was logged in debug mode",
    "Authorization: Bearer <token>",
    "Authorization: Basic base64(user:password)",
    "A private key must never be committed; use the secret store.",
]

_SHORT_VALUES = [
    "password_min_length = 8",
    'token_type: "bearer"',
    "PASSWORD_MIN_LENGTH=12",
    "token_ttl: 3600",
    "max_tokens: 1024",
    "password_reset_url: https://example.com/reset",
    "secret_name: db-credentials",
    'token_url = "https://oauth2.googleapis.com/token"',
    "password_file: /run/secrets/db_password",
    'api_key_header = "X-API-Key"',
    "auth: oauth2",
    "token_expiry: 3600",
    '"tokenizer": "bert-base-uncased",',
    "session_timeout = 30",
    'key = "user:1234:profile"',
    'sort_key = "created_at"',
    "primary_key=True",
    "  secretKeyRef:",
    "    key: password",
    "secrets: inherit",
    "token_endpoint_auth_method: client_secret_basic",
    "PWD=/home/runner/work/app",
    "password_hash_algorithm = 'argon2'",
    "auth_method: token",
    "--password-stdin",
    "key_size = 4096",
    "keyboard_layout: us",
    '"token_count": 512,',
    "api_key_id: 42",
    "KEY_VAULT_NAME=kv-prod-weu",
]


def _neg_base64(g: _Gen) -> str:
    words = " ".join(
        g.choice(["hello", "world", "the", "quick", "file", "data", "report"]) for _ in range(8)
    )
    b = g.b64_of(words.encode())
    return g.choice(
        [
            f'"data": "{b}"',
            f"content: {b}",
            f"echo {b} | base64 -d",
            f'encoded = "{b}"',
            f"+    body: {b}",
        ]
    )


def _neg_identifier(g: _Gen) -> str:
    return g.choice(
        [
            "very_long_function_name_for_processing_user_authentication_requests()",
            "/usr/local/lib/python3.11/site-packages/setuptools/_vendor/packaging/version.py",
            "src/components/authentication/PasswordResetTokenForm.tsx",
            "com.example.security.authentication.TokenValidationServiceImpl",
            "AbstractSingletonProxyFactoryBeanTokenResolverConfigurationAdapter",
            "github.com/aws/aws-sdk-go-v2/service/secretsmanager v1.28.6",
            "node_modules/@babel/plugin-transform-async-to-generator/lib/index.js",
            "from app.auth.tokens import create_access_token, verify_refresh_token",
            "class PasswordHasherWithSaltAndPepperConfiguration(BaseSettings):",
            "import { useAuthTokenRefreshInterceptor } from './hooks/useAuthToken';",
            f"task-{g.s(ALNUM, 24)}",
            '<div class="sk-fading-circle sk-circle-spinner-wrapper-large">',
            "ssh://git@github.com:22/org/repo.git",
            "https://alice@github.com/org/repo.git",
            "http://localhost:8080/api/v1/tokens?limit=50",
            "mailto:security@example.com",
            "arn:aws:iam::123456789012:role/DeployRole",
            "The AKIA prefix marks long-term AWS access key ids.",
            "GitHub classic tokens start with ghp_ and are 40 characters.",
            "color: #a3f5c2; border-color: #0f0f0f;",
            "version = '3.11.7'",
            "Merge pull request #4521 from org/feature/token-refresh",
            f"object-id {g.s(HEX, 40)}",
            "- uses: actions/checkout@v4",
        ]
    )


NEGATIVES: dict[str, tuple[int, Callable[[_Gen], str]]] = {
    "git-object-id": (22, _neg_git),
    "uuid": (16, _neg_uuid),
    "digest": (20, _neg_digest),
    "data-uri": (8, _neg_data_uri),
    "public-key": (18, _neg_public_key),
    "base64-ordinary": (12, _neg_base64),
    "identifier-path": (26, _neg_identifier),
}


def generate(seed: int = SEED) -> list[Sample]:
    """Build the corpus: positives for every provider/format, then negatives per category.

    Args:
        seed: RNG seed; the same seed always gives the same corpus.

    Returns:
        The samples, positives first.
    """
    g = _Gen(seed)
    samples: list[Sample] = []
    for category, (count, make) in POSITIVES.items():
        for _ in range(count):
            text, secrets = make(g)
            samples.append(Sample(text, True, category, secrets))
    for category, (count, make_neg) in NEGATIVES.items():
        for _ in range(count):
            samples.append(Sample(make_neg(g), False, category))
    for category, fixed in (
        ("placeholder", _PLACEHOLDERS),
        ("prose", _PROSE),
        ("short-value", _SHORT_VALUES),
    ):
        samples.extend(Sample(text, False, category) for text in fixed)
        # Diff-line variants: the same look-alikes as added lines.
        samples.extend(Sample("+" + text, False, category) for text in fixed[::3])
    return samples


if __name__ == "__main__":
    corpus = generate()
    pos = sum(s.positive for s in corpus)
    print(f"{len(corpus)} samples: {pos} positive, {len(corpus) - pos} negative")
