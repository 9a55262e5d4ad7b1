"""Generate the FROZEN secret-detection evaluation corpus ``secrets_eval.jsonl``.

This set was written before any detector was tuned for issue 10, from public format
documentation (gitleaks' and trufflehog's rule tables, GitHub's token-format posts, vendor docs)
and from the classes of input the issue lists. It is evaluation material only: detectors are
tuned on ``benchmarks/secrets_corpus.py`` and must never be tuned against this file. The JSONL
is committed; this script documents how it was made (re-running it reproduces it exactly).

Each line: ``{"id", "category", "positive", "text", "secrets"}``. Positive cases list the exact
secret values (a checker can verify nothing of them survives redaction); negatives are
placeholders, templates, look-alikes and public material a scanner must leave alone.

All values are random (seeded), never real credentials.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

SEED = 1010
OUT = Path(__file__).with_name("secrets_eval.jsonl")
ALNUM = string.ascii_letters + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
PW = ALNUM + "!#%^*-_.+=@"

rng = random.Random(SEED)


def s(alpha: str, n: int) -> str:
    while True:
        v = "".join(rng.choice(alpha) for _ in range(n))
        if n < 12 or len(set(v)) > min(n // 3, len(set(alpha)) // 2):
            kinds = sum(
                any(c in k for c in v)
                for k in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
            )
            if kinds >= min(
                2,
                sum(
                    any(c in k for c in alpha)
                    for k in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
                ),
            ):
                return v


def pick(*xs: str) -> str:
    return rng.choice(xs)


def password() -> str:
    while True:
        v = "".join(rng.choice(PW) for _ in range(rng.randint(10, 20)))
        if any(c.isdigit() for c in v) and any(c.isalpha() for c in v):
            return v


def b62(n: int, width: int = 6) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = BASE62[r] + out
    return out.rjust(width, "0")


def gh_checksummed(prefix: str) -> str:
    body = s(ALNUM, 30)
    return f"{prefix}{body}{b62(zlib.crc32(body.encode()))}"


def b64url_json(obj: object) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt(alg: str = "HS256", signed: bool = True) -> str:
    head = b64url_json({"alg": alg, "typ": "JWT"})
    body = b64url_json(
        {
            "sub": str(rng.randint(10**6, 10**9)),
            "role": pick("admin", "user"),
            "exp": rng.randint(1_700_000_000, 1_900_000_000),
        }
    )
    return f"{head}.{body}." + (s(B64URL, 43) if signed else "")


def pem_body(n: int) -> list[str]:
    return [s(B64, 64) for _ in range(n)] + [s(B64, rng.randint(10, 60)) + "="]


CASES: list[dict[str, object]] = []


def pos(category: str, text: str, *secrets: str) -> None:
    for sec in secrets:
        assert sec in text, (category, sec, text)
    CASES.append({"category": category, "positive": True, "text": text, "secrets": list(secrets)})


def neg(category: str, text: str) -> None:
    CASES.append({"category": category, "positive": False, "text": text, "secrets": []})


def ctx(v: str, name: str) -> str:
    """A vendor token in one of the places people paste them."""
    return pick(
        f"{name}={v}",
        f'export {name}="{v}"',
        f"  {name.lower()}: {v}",
        f'"{name.lower()}": "{v}",',
        f'client = Client("{v}")',
        f"# old key, rotate me: {v}",
        f"{name.lower()} = '{v}'",
        f'- name: {name}\n  value: "{v}"',
        f"curl -H 'Authorization: Bearer {v}' https://api.example.net/v2/me",
        f"env:\n  {name}: {v}",
    )


# ----------------------------------------------------------------------------- positives
VENDORS: list[tuple[str, str, Callable[[], str]]] = [
    (
        "github-classic",
        "GITHUB_TOKEN",
        lambda: gh_checksummed(pick("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ),
    ("github-fine-grained", "GH_PAT", lambda: f"github_pat_{s(ALNUM, 22)}_{s(ALNUM, 59)}"),
    ("gitlab-pat", "GITLAB_TOKEN", lambda: "glpat-" + s(B64URL, 20)),
    ("gitlab-runner", "RUNNER_TOKEN", lambda: "glrt-" + s(B64URL, 20)),
    ("gitlab-deploy", "CI_DEPLOY_PASSWORD", lambda: "gldt-" + s(B64URL, 20)),
    (
        "slack-bot",
        "SLACK_BOT_TOKEN",
        lambda: f"xoxb-{rng.randint(10**10, 10**12)}-{rng.randint(10**11, 10**13)}-{s(ALNUM, 24)}",
    ),
    (
        "slack-user",
        "SLACK_TOKEN",
        lambda: (
            f"xoxp-{rng.randint(10**10, 10**12)}-{rng.randint(10**10, 10**12)}-{rng.randint(10**11, 10**13)}-{s(HEX, 32)}"
        ),
    ),
    (
        "aws-access-key-id",
        "AWS_ACCESS_KEY_ID",
        lambda: pick("AKIA", "ASIA") + s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    ),
    ("google-api-key", "GOOGLE_API_KEY", lambda: "AIza" + s(B64URL, 35)),
    (
        "stripe-secret",
        "STRIPE_SECRET_KEY",
        lambda: (
            pick("sk_live_", "rk_live_", "sk_test_")
            + s(ALNUM, pick(24, 99) if False else rng.choice([24, 99]))
        ),
    ),
    ("openai", "OPENAI_API_KEY", lambda: "sk-proj-" + s(B64URL, 74) + "T3BlbkFJ" + s(B64URL, 74)),
    ("anthropic", "ANTHROPIC_API_KEY", lambda: "sk-ant-api03-" + s(B64URL, 93) + "AA"),
    ("npm", "NPM_TOKEN", lambda: gh_checksummed("npm_")),
    ("pypi", "TWINE_PASSWORD", lambda: "pypi-AgEIcHlwaS5vcmc" + s(B64URL, 70)),
    ("age-secret-key", "SOPS_AGE_KEY", lambda: "AGE-SECRET-KEY-1" + s(BECH32, 58)),
    (
        "azure-ad-client-secret",
        "AZURE_CLIENT_SECRET",
        lambda: s(ALNUM, 3) + str(rng.randint(0, 9)) + "Q~" + s(ALNUM + "_~.-", 34),
    ),
    ("digitalocean", "DIGITALOCEAN_TOKEN", lambda: pick("dop_v1_", "doo_v1_") + s(HEX, 64)),
    ("shopify", "SHOPIFY_ACCESS_TOKEN", lambda: pick("shpat_", "shpss_", "shpca_") + s(HEX, 32)),
    ("databricks", "DATABRICKS_TOKEN", lambda: "dapi" + s(HEX, 32)),
    ("linear", "LINEAR_API_KEY", lambda: "lin_api_" + s(ALNUM, 40)),
    ("postman", "POSTMAN_API_KEY", lambda: f"PMAK-{s(HEX, 24)}-{s(HEX, 34)}"),
    ("sentry-user", "SENTRY_AUTH_TOKEN", lambda: "sntryu_" + s(HEX, 64)),
    ("grafana-sa", "GRAFANA_TOKEN", lambda: f"glsa_{s(ALNUM, 32)}_{s(HEX, 8)}"),
    ("terraform-cloud", "TFE_TOKEN", lambda: f"{s(LOWER_DIGITS, 14)}.atlasv1.{s(B64URL, 67)}"),
    ("huggingface", "HF_TOKEN", lambda: "hf_" + s(string.ascii_letters, 34)),
    ("doppler", "DOPPLER_TOKEN", lambda: "dp.pt." + s(ALNUM, 43)),
    ("dynatrace", "DT_API_TOKEN", lambda: f"dt0c01.{s(UPPER_DIGITS, 24)}.{s(UPPER_DIGITS, 64)}"),
    ("newrelic", "NEW_RELIC_API_KEY", lambda: "NRAK-" + s(UPPER_DIGITS, 27)),
    ("twilio-api-key", "TWILIO_API_KEY", lambda: "SK" + s(HEX, 32)),
    ("sendgrid", "SENDGRID_API_KEY", lambda: f"SG.{s(B64URL, 22)}.{s(B64URL, 43)}"),
    ("heroku-v2", "HEROKU_API_KEY", lambda: "HRKU-AA" + s(B64URL, 58)),
    ("atlassian", "JIRA_API_TOKEN", lambda: "ATATT3" + s(B64URL, 186)),
    ("alibaba", "ALIBABA_ACCESS_KEY_ID", lambda: "LTAI" + s(ALNUM, 20)),
    ("perplexity", "PPLX_API_KEY", lambda: "pplx-" + s(ALNUM, 48)),
    ("pulumi", "PULUMI_ACCESS_TOKEN", lambda: "pul-" + s(HEX, 40)),
    ("rubygems", "GEM_HOST_API_KEY", lambda: "rubygems_" + s(HEX, 48)),
    ("notion", "NOTION_TOKEN", lambda: f"ntn_{rng.randint(10**10, 10**11 - 1)}{s(ALNUM, 35)}"),
    ("square", "SQUARE_ACCESS_TOKEN", lambda: pick("EAAA", "sq0atp-") + s(B64URL, 60)),
    ("telegram", "TELEGRAM_BOT_TOKEN", lambda: f"{rng.randint(10**8, 10**10)}:AA{s(B64URL, 33)}"),
    ("vault", "VAULT_TOKEN", lambda: "hvs." + s(B64URL, 91)),
    ("readme", "README_API_KEY", lambda: "rdme_" + s(LOWER_DIGITS, 70)),
    ("prefect", "PREFECT_API_KEY", lambda: "pnu_" + s(ALNUM, 36)),
    ("planetscale", "PLANETSCALE_TOKEN", lambda: pick("pscale_tkn_", "pscale_pw_") + s(B64URL, 43)),
    ("flyio", "FLY_API_TOKEN", lambda: "fo1_" + s(B64URL, 43)),
    ("groq", "GROQ_API_KEY", lambda: "gsk_" + s(ALNUM, 52)),
    ("octopus", "OCTOPUS_API_KEY", lambda: "API-" + s(UPPER_DIGITS, 26)),
    ("mailchimp", "MAILCHIMP_API_KEY", lambda: f"{s(HEX, 32)}-us{rng.randint(10, 21)}"),
    ("cloudflare-origin-ca", "CF_ORIGIN_CA_KEY", lambda: f"v1.0-{s(HEX, 24)}-{s(HEX, 146)}"),
    ("facebook-page", "FB_PAGE_TOKEN", lambda: "EAAC" + s(ALNUM, 120)),
    ("clojars", "CLOJARS_TOKEN", lambda: "CLOJARS_" + s(LOWER_DIGITS, 60)),
    ("easypost", "EASYPOST_API_KEY", lambda: "EZAK" + s(ALNUM, 54)),
    ("shippo", "SHIPPO_TOKEN", lambda: "shippo_live_" + s(HEX, 40)),
    ("sendinblue", "BREVO_API_KEY", lambda: f"xkeysib-{s(HEX, 64)}-{s(ALNUM, 16)}"),
    ("artifactory", "ARTIFACTORY_API_KEY", lambda: "AKCp" + s(ALNUM, 69)),
    ("openshift", "OC_TOKEN", lambda: "sha256~" + s(B64URL, 43)),
    ("onepassword-sa", "OP_SERVICE_ACCOUNT_TOKEN", lambda: "ops_eyJ" + s(B64, 260)),
    (
        "discord-webhook-url",
        "DISCORD_WEBHOOK",
        lambda: f"https://discord.com/api/webhooks/{rng.randint(10**17, 10**18)}/{s(B64URL, 68)}",
    ),
]

for category, name, make in VENDORS:
    for _ in range(4):
        v = make()
        secret = v.rsplit("/", 1)[-1] if category == "discord-webhook-url" else v
        pos(category, ctx(v, name), secret)

for _ in range(4):
    kid = "AKIA" + s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    sec = s(B64, 40)
    pos(
        "aws-pair",
        pick(
            f"[profile ci]\naws_access_key_id={kid}\naws_secret_access_key={sec}\n",
            f'provider "aws" {{\n  access_key = "{kid}"\n  secret_key = "{sec}"\n}}',
            f"AWS_ACCESS_KEY_ID: {kid}\nAWS_SECRET_ACCESS_KEY: {sec}",
            f's3 = boto3.client("s3", aws_access_key_id="{kid}", aws_secret_access_key="{sec}")',
        ),
        kid,
        sec,
    )

for _ in range(4):
    hook = f"T{s(UPPER_DIGITS, 10)}/B{s(UPPER_DIGITS, 10)}/{s(ALNUM, 24)}"
    pos(
        "slack-webhook",
        pick(
            f"SLACK_URL=https://hooks.slack.com/services/{hook}",
            f'  webhook_url: "https://hooks.slack.com/services/{hook}"',
        ),
        hook,
    )

# Private keys.
for label in (
    "RSA PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "EC PRIVATE KEY",
    "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "DSA PRIVATE KEY",
):
    body = pem_body(rng.randint(4, 9))
    pem = "\n".join([f"-----BEGIN {label}-----", *body, f"-----END {label}-----"])
    pos(
        "pem-private-key",
        pick(pem, "tls:\n  key: |\n" + "\n".join("    " + ln for ln in pem.splitlines())),
        *body,
    )
body = pem_body(8)
pos(
    "pgp-private-key",
    "\n".join(
        [
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
            "",
            *body,
            "=Ab1C",
            "-----END PGP PRIVATE KEY BLOCK-----",
        ]
    ),
    *body,
)
body = pem_body(5)
pos(
    "pem-in-json",
    '{"private_key": "-----BEGIN PRIVATE KEY-----\\n'
    + "\\n".join(body)
    + '\\n-----END PRIVATE KEY-----\\n"}',
    *body,
)
body = pem_body(5)
pos(
    "pem-putty",
    "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ci\n"
    "Public-Lines: 2\n"
    + s(B64, 64)
    + "\n"
    + s(B64, 20)
    + "\nPrivate-Lines: 1\n"
    + body[0]
    + "\nPrivate-MAC: "
    + s(HEX, 64),
    body[0],
)

# JWK private members.
for _ in range(4):
    d = s(B64URL, 86)
    pos(
        "jwk-private",
        pick(
            json.dumps(
                {
                    "kty": "RSA",
                    "kid": "k1",
                    "n": s(B64URL, 342),
                    "e": "AQAB",
                    "d": d,
                    "p": s(B64URL, 171),
                    "q": s(B64URL, 171),
                },
                indent=2,
            ),
            json.dumps(
                {"kty": "EC", "crv": "P-256", "x": s(B64URL, 43), "y": s(B64URL, 43), "d": d}
            ),
            json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": s(B64URL, 43), "d": d}]}),
        ),
        d,
    )
for _ in range(2):
    k = s(B64URL, 43)
    pos("jwk-symmetric", json.dumps({"kty": "oct", "alg": "HS256", "k": k}), k)

# JWTs.
for _ in range(4):
    v = jwt()
    pos(
        "jwt-signed",
        pick(
            f"Authorization: Bearer {v}",
            f'{{"id_token": "{v}"}}',
            f"JWT={v}",
            f"token: {v}",
            f'curl -H "Authorization: Bearer {v}" https://a.example.com',
        ),
        v,
    )
for _ in range(4):
    v = jwt("none", signed=False)
    pos(
        "jwt-unsigned",
        pick(
            f"Authorization: Bearer {v}", f"session={v}", f"const t = '{v}';", f"access_token: {v}"
        ),
        v,
    )

# Command-line passwords.
for _ in range(6):
    p = password().replace("'", "").replace('"', "")
    pos(
        "cli-flag-password",
        pick(
            f"mysql -u root -p'{p}' -h db.internal shop",
            f'mysql -uadmin -p"{p}" app < dump.sql',
            f"mysqldump -uroot -p{p} --all-databases > all.sql",
            f"sshpass -p '{p}' ssh deploy@10.0.0.4",
            f"redis-cli -a '{p}' -h cache ping",
            f"docker login -u ci -p {p} registry.example.com",
            f"htpasswd -b -c .htpasswd admin '{p}'",
        ),
        p,
    )

# DSNs that are not URLs.
for _ in range(6):
    p = s(ALNUM, rng.randint(10, 18)) + pick("!", "#", "%", "")
    pos(
        "dsn-non-url",
        pick(
            f'dsn := "app:{p}@tcp(db.internal:3306)/shop?parseTime=true"',
            f'db, err := sql.Open("mysql", "root:{p}@tcp(127.0.0.1:3306)/test")',
            f"DATABASE_DSN=svc:{p}@unix(/var/run/mysqld.sock)/app",
            f'conn = "host=pg.internal port=5432 user=app password={p} dbname=app sslmode=require"',
            f'"Data Source=tcp:sql1,1433;Initial Catalog=app;User ID=sa;Password={p};"',
            f"jdbc:oracle:thin:scott/{p}@//oradb:1521/ORCL",
        ),
        p,
    )

# Auth tuples in code.
for _ in range(6):
    p = password().replace("'", "").replace('"', "").replace("\\", "")
    pos(
        "auth-tuple",
        pick(
            f'r = requests.get(url, auth=("admin", "{p}"))',
            f"session.auth = ('svc-reporting', '{p}')",
            f'resp = httpx.post(u, auth=httpx.BasicAuth("ci", "{p}"))',
            f'client.login("deploy", "{p}")',
            f'HTTPBasicAuth("jenkins", "{p}")',
            f'smtp.login("alerts@example.com", "{p}")',
            f'ftp.login(user="backup", passwd="{p}")',
            f'conn = psycopg2.connect(host="db", user="app", password="{p}")',
        ),
        p,
    )

# .netrc
for _ in range(4):
    p = password()
    pos(
        "netrc",
        pick(
            f"machine api.heroku.com\n  login me@example.com\n  password {p}\n",
            f"machine github.com login ci-bot password {p}",
            f"default login anonymous password {p}",
        ),
        p,
    )

# Terraform default in password variables.
for _ in range(4):
    p = password().replace('"', "")
    name = pick("db_password", "admin_password", "api_token", "client_secret")
    pos(
        "terraform-default",
        f'variable "{name}" {{\n  type      = string\n  default   = "{p}"\n}}',
        p,
    )

# Authorization schemes.
for _ in range(8):
    v = s(B64URL, rng.randint(24, 48))
    pos(
        "authorization-scheme",
        pick(
            f"Authorization: Token {v}",
            f"Authorization: ApiKey {v}",
            f"Authorization: Api-Key {v}",
            f"Authorization: SSWS {v}",
            f"Authorization: Bot {v}",
            f"Authorization: GenieKey {v}",
            f'headers["Authorization"] = "token {v}"',
            f"Authorization: Key {v}",
            f"X-API-Key: {v}",
            f"Proxy-Authorization: Basic {base64.b64encode(f'u:{password()}'.encode()).decode()}",
        ).replace(v, v),
        v,
    ) if True else None
for _ in range(2):
    sig = s(HEX, 64)
    pos(
        "authorization-aws4",
        f"Authorization: AWS4-HMAC-SHA256 Credential=AKIA{s(UPPER_DIGITS, 16)}/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature={sig}",
        sig,
    )

# Credentials in comments.
for _ in range(6):
    p = password()
    pos(
        "comment-credential",
        pick(
            f"# prod db password: {p}",
            f"// TODO remove: api key = {p}",
            f"/* admin / {p} */",
            f"-- login: sa, password: {p}",
            f"<!-- password={p} -->",
            f"# token {s(ALNUM, 32)}".replace(p, p) + f"  password: {p}",
        ),
        p,
    )

# Assignment syntaxes.
for _ in range(14):
    p = s(ALNUM, rng.randint(16, 32))
    pos(
        "assignment-syntax",
        pick(
            f'var dbPassword string = "{p}"',
            f'const apiToken string = "{p}"',
            f"DB_PASSWORD ?= {p}",
            f"API_TOKEN ::= {p}",
            f"SECRET_KEY := {p}",
            f'$password .= "{p}";',
            f'$config["db_password"] = "{p}";',
            f'System.setProperty("X_API_TOKEN", "{p}");',
            f'props.setProperty("db.password", "{p}");',
            f"<password>\n    {p}\n</password>",
            f'<add key="ClientSecret" value="{p}" />',
            f"spring.datasource.password={p}",
            f"set -gx GITHUB_TOKEN {p}",
            f'$env:API_KEY = "{p}"',
            f'ENV["SECRET_TOKEN"] ||= "{p}"',
            f'let secret_key: &str = "{p}";',
            f'val apiKey = "{p}"',
            f"password => '{p}',",
            f'(def api-key "{p}")',
            f'private static final String CLIENT_SECRET = "{p}";',
        ),
        p,
    )

# Values with spaces, ${, {{.
for _ in range(6):
    p = pick(
        "correct horse battery staple " + s(string.digits, 3),
        s(ALNUM, 6) + "${" + s(ALNUM, 6) + "}" + s(ALNUM, 3),
        s(ALNUM, 5) + "{{" + s(ALNUM, 8) + "!",
        s(ALNUM, 8) + " " + s(ALNUM, 8),
    )
    pos(
        "value-special-chars",
        pick(f'password = "{p}"', f"DB_PASSWORD='{p}'", f'"secret": "{p}"', f'passphrase: "{p}"'),
        p,
    )

# Kubernetes Secret data.
for _ in range(5):
    raw = password().encode()
    v = base64.b64encode(raw).decode()
    v2 = base64.b64encode(s(ALNUM, 32).encode()).decode()
    pos(
        "k8s-secret-data",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\n"
        f"data:\n  username: YWRtaW4=\n  db-pass: {v}\n  api: {v2}\n",
        v,
        v2,
    )
for _ in range(2):
    p = password()
    pos(
        "k8s-secret-stringdata",
        f"kind: Secret\napiVersion: v1\nmetadata:\n  name: x\nstringData:\n  connection: {p}\n",
        p,
    )

# curl
for _ in range(6):
    v = s(ALNUM, 32)
    p = password().replace("'", "")
    case = rng.randint(0, 3)
    if case == 0:
        pos("curl-header", f"curl -H 'apikey: {v}' https://x.supabase.co/rest/v1/items", v)
    elif case == 1:
        pos("curl-header", f'curl -H "X-Auth-Token: {v}" https://api.example.com', v)
    elif case == 2:
        pos("curl-user", f"curl -u deploy:{p} https://ci.example.com/job/build", p)
    else:
        pos("curl-user", f"curl --user 'admin:{p}' -X POST https://nexus.example.com", p)

# Two secrets in one file: both must be found.
for _ in range(6):
    a, b = password(), s(ALNUM, 32)
    pos(
        "two-secrets",
        pick(
            f"DB_PASSWORD={a}\nAPI_KEY={b}\n",
            f'password: "{a}"\ntoken: "{b}"\n',
            f'{{"password": "{a}", "secret": "{b}"}}',
            f"db:\n  password: {a}\nredis:\n  password: {b}\n",
        ),
        a,
        b,
    )

# URL credentials.
for _ in range(4):
    p = s(ALNUM, 14)
    pos(
        "url-credentials",
        pick(
            f"postgresql://app:{p}@pg:5432/app",
            f"amqps://svc:{p}@mq.example.com/vh",
            f"https://ci:{p}@git.example.com/org/repo.git",
            f"redis://default:{p}@redis-123.cloud.example.com:6379",
        ),
        p,
    )

# Generic passwords in config.
for _ in range(8):
    p = password()
    pos(
        "generic-password",
        pick(
            f"DB_PASSWORD={p}",
            f"  password: {p}",
            f'"password": "{p}"',
            f"db.password={p}",
            f"[client]\nuser=root\npassword={p}",
            f"POSTGRES_PASSWORD: '{p}'",
            f"  - MYSQL_ROOT_PASSWORD={p}",
            f"bind_pw = {p}",
        ),
        p,
    )

# ----------------------------------------------------------------------------- negatives
for _ in range(8):
    neg(
        "placeholder-x",
        pick(
            "API_KEY=xxxxxxxxxxxxxxxxxxxxxxxx",
            'password: "********"',
            "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "SLACK_TOKEN=xoxb-xxxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx",
            "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
            "token: XXXXXXXXXXXXXXXXXXXXXXXX",
        ),
    )
for t in (
    "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "glpat-xxxxxxxxxxxxxxxxxxxx",
    "xoxb-your-bot-token-here",
    "xoxp-000000000000-000000000000-000000000000-00000000000000000000000000000000",
    "AKIAIOSFODNN7EXAMPLE",
    "AKIAXXXXXXXXXXXXXXXX",
    "sk-proj-...",
    "sk-ant-xxxxx",
    "npm_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "sk_test_XXXXXXXXXXXXXXXXXXXXXXXX",
    "github_pat_XXXXXXXXXXXXXXXXXXXXXX_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "AGE-SECRET-KEY-1XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "dop_v1_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
):
    neg(
        "placeholder-prefixed",
        pick(f"TOKEN={t}", f'  api_key: "{t}"', f"export KEY={t}  # replace", f"Example: `{t}`"),
    )
neg(
    "placeholder-aws-doc",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
)
neg("placeholder-aws-doc", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
for t in (
    "[FILTERED]",
    "[REDACTED]",
    "<redacted>",
    "***REMOVED***",
    "(hidden)",
    "<PASSWORD>",
    "@DB_PASSWORD@",
    "@@API_TOKEN@@",
    "${DB_PASSWORD}",
    "${{ secrets.API_TOKEN }}",
    "{{ .Values.db.password }}",
    "{{ vault_db_password }}",
    "%(db_password)s",
    "$(DB_PASSWORD)",
    "%DB_PASSWORD%",
    "<your-api-key>",
    "your_api_key_here",
    "changeme",
    "REPLACE_ME",
    "TODO",
    "${env:API_KEY}",
    "#{api_token}",
    "<%= ENV['SECRET'] %>",
    "${var.db_password}",
    "$__file{/run/secrets/db}",
    "ENC[AES256_GCM,data:,type:str]",
):
    neg(
        "placeholder-template",
        pick(
            f"password: {t}",
            f'"api_key": "{t}"',
            f"DB_PASSWORD={t}",
            f'secret = "{t}"',
            f"  token: '{t}'",
        ),
    )
neg(
    "placeholder-log", 'Started POST "/login" Parameters: {"user"=>"bob", "password"=>"[FILTERED]"}'
)
neg(
    "placeholder-log",
    "Processing by SessionsController#create  password=[FILTERED] token=[FILTERED]",
)

# Look-alikes with the wrong length, prefix or checksum.
for _ in range(10):
    body = s(ALNUM, 36)
    neg("lookalike-bad-checksum", pick(f"GITHUB_TOKEN=ghp_{body}", f"token: gho_{body}"))
for _ in range(10):
    neg(
        "lookalike-wrong-length",
        pick(
            f"ghp_{s(ALNUM, 12)}",
            f"AKIA{s(UPPER_DIGITS, 10)}",
            f"xoxb-{s(ALNUM, 4)}",
            f"glpat-{s(ALNUM, 6)}",
            f"AIza{s(B64URL, 12)}",
        ),
    )
neg("lookalike-prefix-in-word", "import sklearn\nfrom sk_learn_utils import sk_pipeline_step")
neg("lookalike-prefix-in-word", "The AKIAs field is documented in the SDK changelog.")
neg("lookalike-prefix-in-word", "task-key-value-store: enabled\nkey-rotation-days: 90")
neg("lookalike-prefix-in-word", "ask-ant-colony optimisation and the sk-ant-colony demo")
neg("lookalike-prefix-in-word", "hvs.Module = require('hvs.core')")
neg("lookalike-prefix-in-word", "class ghp_Handler: pass  # ghp = general hyperparameter")

# PEM headers with no body.
for t in (
    'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):',
    "PEM_HEADER = b'-----BEGIN PRIVATE KEY-----'",
    "grep -l 'BEGIN OPENSSH PRIVATE KEY' ~/.ssh/*",
    "Paste the key, starting with -----BEGIN EC PRIVATE KEY----- and ending with -----END EC PRIVATE KEY-----.",
    'const MARKER = "-----BEGIN PGP PRIVATE KEY BLOCK-----";',
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    "-----BEGIN RSA PRIVATE KEY-----\n<your key here>\n-----END RSA PRIVATE KEY-----",
    'assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")',
):
    neg("pem-header-no-body", t)

# Public keys (alone or next to the word "secret"/"key").
for _ in range(9):
    neg(
        "public-key",
        pick(
            f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{s(B64, 43)} ci@build",
            f"public_key: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{s(B64, 300)} deploy",
            "-----BEGIN PUBLIC KEY-----\n" + "\n".join(pem_body(5)) + "\n-----END PUBLIC KEY-----",
        ),
    )
neg(
    "public-key",
    "-----BEGIN CERTIFICATE-----\n" + "\n".join(pem_body(8)) + "\n-----END CERTIFICATE-----",
)
neg(
    "public-key",
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
    + "\n".join(pem_body(6))
    + "\n-----END PGP PUBLIC KEY BLOCK-----",
)
neg(
    "public-key",
    json.dumps(
        {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "a1",
                    "use": "sig",
                    "alg": "RS256",
                    "n": s(B64URL, 342),
                    "e": "AQAB",
                }
            ]
        },
        indent=2,
    ),
)
neg("public-key", json.dumps({"kty": "EC", "crv": "P-256", "x": s(B64URL, 43), "y": s(B64URL, 43)}))
neg("public-key", f"recipient: age1{s(BECH32.lower(), 58)}")
neg("public-key", f"SOPS_AGE_RECIPIENTS=age1{s(BECH32.lower(), 58)}")
neg("public-key", f"STRIPE_PUBLISHABLE_KEY=pk_live_{s(ALNUM, 24)}")
neg(
    "public-key",
    f"NEXT_PUBLIC_SUPABASE_ANON_KEY_URL=https://{s(string.ascii_lowercase, 20)}.supabase.co",
)
neg("public-key", f'"publicKey": "{s(B64, 44)}",')
neg("public-key", f"mapbox_public_style: mapbox://styles/acme/{s(LOWER_DIGITS, 25)}")

# References, code, signatures.
for t in (
    'password = os.environ["DB_PASSWORD"]',
    "const secretKey = process.env.SECRET_KEY;",
    'api_key = config.get("api_key")',
    "token = tokenizer.next_token()",
    'password = request.form["password"]',
    "password = getpass.getpass()",
    "def login(username: str, password: str) -> Session:",
    "func Connect(user, password string) (*DB, error) {",
    "public void setPassword(String password) { this.password = password; }",
    "if (password.length < MIN_PASSWORD_LENGTH) throw new Error('too short');",
    'dsn := fmt.Sprintf("%s:%s@tcp(%s)/%s", user, pass, host, name)',
    'curl -u "$USER:$PASS" https://ci.example.com/api',
    'curl -H "Authorization: Bearer $TOKEN" https://api.example.com',
    "Authorization: Bearer <token>",
    "Authorization: Basic <base64(user:pass)>",
    "mysql -u root -p shop   # prompts for the password",
    'mysql -uroot -p"$MYSQL_ROOT_PASSWORD" -e "select 1"',
    'sshpass -p "$SSHPASS" ssh host',
    "requests.get(url, auth=(user, password))",
    "session.auth = (settings.USER, settings.PASSWORD)",
    "machine api.example.com login bob password $NETRC_PASSWORD",
    'variable "db_password" {\n  type      = string\n  sensitive = true\n}',
    'variable "db_password_length" {\n  default = 24\n}',
    "password_min_length: 12\npassword_require_symbols: true",
    "var passwordMinLength int = 12",
    'System.setProperty("http.proxyHost", "proxy.example.com");',
    "$password .= $suffix;",
    "DB_PASSWORD ?= $(shell cat /run/secrets/db)",
    "<password>${env.DB_PASSWORD}</password>",
    "<password>\n    ${db.password}\n</password>",
    "# Set the password in .env (never commit it)",
    "// the api key is read from the keychain at startup",
    "Forgot your password? Click the reset link we emailed you.",
    "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256",
    "token_type: bearer\nexpires_in: 3600",
    "secret_name: prod/db/credentials",
    "kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/" + "1f2e3d4c-5b6a-4789-9abc-def012345678",
    "password_hash = bcrypt.hashpw(pw, bcrypt.gensalt())",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  password: {{ .Values.password | b64enc }}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  log_level: debug\n  feature_flags: search,export\n",
    'kind: Secret\ndata:\n  password: ""\n',
    "client_secret = var.client_secret",
    "export AWS_PROFILE=ci AWS_REGION=eu-west-1",
    "Authorization: Negotiate",
    "X-API-Key: ${API_KEY}",
    "token = jwt.encode(payload, SECRET_KEY, algorithm='HS256')",
):
    neg("reference-or-code", t)

# Hashes, ids and other high-entropy public material.
for _ in range(14):
    neg(
        "digest",
        pick(
            f'"integrity": "sha512-{s(B64, 86)}=="',
            f'checksum = "{s(HEX, 64)}"',
            f"github.com/pkg/errors v0.9.1 h1:{s(B64, 43)}=",
            f"image: registry.example.com/app@sha256:{s(HEX, 64)}",
            f"commit {s(HEX, 40)}\nAuthor: Dev <dev@example.com>",
            f'Subresource: <script src=x.js integrity="sha384-{s(B64, 64)}">',
            f'etag: W/"{s(HEX, 32)}"',
        ),
    )
for _ in range(10):
    neg(
        "id-uuid",
        pick(
            f"tenant_id: {s(HEX, 8)}-{s(HEX, 4)}-4{s(HEX, 3)}-a{s(HEX, 3)}-{s(HEX, 12)}",
            f"AZURE_CLIENT_ID={s(HEX, 8)}-{s(HEX, 4)}-4{s(HEX, 3)}-a{s(HEX, 3)}-{s(HEX, 12)}",
            f"request-id: {s(HEX, 32)}",
            f"trace_id={s(HEX, 32)}",
        ),
    )
neg("base64-data", "background: url(data:image/png;base64," + s(B64, 200) + "==);")
neg("base64-data", f'<img src="data:image/gif;base64,{s(B64, 120)}=" />')
neg(
    "minified",
    "!function(e){var t={};function n(r){if(t[r])return t[r].exports}}(" + s(ALNUM, 10) + ")",
)
neg("prose", "Rotate your API keys every 90 days; tokens expire after one hour of inactivity.")
neg("prose", "The secret to good soup is patience and a sharp knife.")
neg("prose", "Password managers such as KeePassXC store a database protected by a master password.")
neg("config-benign", 'cache_key: v1-deps-{{ checksum "package-lock.json" }}')
neg("config-benign", "primary_key: id\nforeign_key: user_id\nsort_key: created_at")
neg("config-benign", "keyboard_layout: us\nhotkey: ctrl+shift+p")
neg("config-benign", "secretary_name: Jane Doe\ntokenizer: bert-base-uncased")
neg("config-benign", "session_timeout: 3600\ntoken_ttl_seconds: 900\nkey_size: 4096")
neg("config-benign", "AUTH_PROVIDER=oidc\nAUTH_ISSUER=https://login.example.com/")
neg("config-benign", "[credential]\n    helper = osxkeychain")
neg("config-benign", "ssh_key_path: ~/.ssh/id_ed25519\nkey_file: /etc/ssl/private/server.key")


def main() -> None:
    for i, case in enumerate(CASES):
        case["id"] = f"e{i:04d}"
    with OUT.open("w", encoding="utf-8") as fh:
        for case in CASES:
            fh.write(
                json.dumps({k: case[k] for k in ("id", "category", "positive", "text", "secrets")})
                + "\n"
            )
    n_pos = sum(1 for c in CASES if c["positive"])
    print(
        f"wrote {len(CASES)} cases ({n_pos} positive, {len(CASES) - n_pos} negative) to {OUT}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
