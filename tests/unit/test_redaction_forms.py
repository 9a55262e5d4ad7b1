"""Unit tests of the secret forms added for issue 10: each class is found whole, and the
placeholder, template and look-alike next to it is left alone.

Values are random at import time (seeded), so no credential-shaped literal lives here.
"""

from __future__ import annotations

import base64
import json
import random
import string
import zlib

import pytest

from gitgate.safety.redaction import find_secrets, redact

_rng = random.Random(4321)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rnd(alphabet: str, n: int) -> str:
    while True:
        v = "".join(_rng.choice(alphabet) for _ in range(n))
        kinds = [k for k in (string.ascii_lowercase, string.digits) if set(k) & set(alphabet)]
        if all(set(k) & set(v) for k in kinds):
            return v


def pw() -> str:
    return rnd(ALNUM, 9) + _rng.choice("!#%^") + rnd(ALNUM, 4)


def github(body: str | None = None) -> str:
    body = body or rnd(ALNUM, 30)
    n, check = zlib.crc32(body.encode()), ""
    while n:
        n, r = divmod(n, 62)
        check = BASE62[r] + check
    return "ghp_" + body + check.rjust(6, "0")


P = [pw() for _ in range(40)]
T = [rnd(ALNUM, 28) for _ in range(20)]
GH = github()
JWK_D = rnd(B64URL, 43)
K8S = base64.b64encode(P[20].encode()).decode()

POSITIVES = {
    "github-checksummed": (f"token: {GH}", GH),
    "mysql-glued": (f"mysql -uroot -p'{P[0]}' shop", P[0]),
    "mysql-glued-bare": (f"mysqldump -uroot -p{P[1]} --all-databases", P[1]),
    "sshpass": (f"sshpass -p {P[2]} ssh deploy@host", P[2]),
    "docker-login": (f"docker login -u ci -p '{P[3]}' registry.example.com", P[3]),
    "redis-cli": (f"redis-cli -h cache -a {P[4]} ping", P[4]),
    "go-dsn": (f'db, _ := sql.Open("mysql", "app:{T[0]}@tcp(db:3306)/shop")', T[0]),
    "oracle-thin": (f"url=jdbc:oracle:thin:scott/{T[1]}@db:1521:XE", T[1]),
    "auth-tuple": (f'requests.get(u, auth=("admin", "{P[5]}"))', P[5]),
    "basic-auth-call": (f'HTTPBasicAuth("svc", "{P[6]}")', P[6]),
    "login-call": (f'smtp.login("alerts@example.com", "{P[7]}")', P[7]),
    "netrc-one-line": (f"machine api.example.com login bob password {P[8]}", P[8]),
    "netrc-multi-line": (f"machine h\n  login bob\n  password {P[9]}\n", P[9]),
    "terraform-default": (
        f'variable "db_password" {{\n  type    = string\n  default = "{P[10]}"\n}}',
        P[10],
    ),
    "jwk-private": (
        json.dumps({"kty": "EC", "crv": "P-256", "x": rnd(B64URL, 43), "d": JWK_D}),
        JWK_D,
    ),
    "authorization-any-scheme": (f"Authorization: SSWS {T[2]}", T[2]),
    "comment": (f"# prod db password: {P[11]}", P[11]),
    "go-typed": (f'var apiSecret string = "{T[3]}"', T[3]),
    "make-conditional": (f"API_TOKEN ?= {T[4]}", T[4]),
    "php-append": (f'$password .= "{T[5]}";', T[5]),
    "set-property": (f'System.setProperty("aws.secretKey", "{T[6]}");', T[6]),
    "xml-attribute-pair": (f'<add key="ClientSecret" value="{T[7]}" />', T[7]),
    "xml-own-line": (f"<password>\n    {P[12]}\n</password>", P[12]),
    "template-inside-value": (f'db_password: "{P[13][:6]}${{x}}{P[13][6:]}"', P[13][6:]),
    "passphrase": ('passphrase = "copper lantern rivet ' + T[8][:4] + '"', "copper lantern rivet"),
    "k8s-secret": (f"apiVersion: v1\nkind: Secret\ndata:\n  db-pass: {K8S}\n", K8S),
    "age-key": ("AGE-SECRET-KEY-1" + rnd("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58), None),
    "azure-client-secret": (
        f"AZURE_CLIENT_SECRET={rnd(ALNUM, 3)}8Q~{rnd(ALNUM + '_~.-', 34)}",
        None,
    ),
}


@pytest.mark.parametrize("label", sorted(POSITIVES))
def test_form_is_found_and_fully_redacted(label: str) -> None:
    text, secret = POSITIVES[label]
    assert find_secrets(text), label
    out = redact(text)
    if secret is not None:
        assert secret not in out, out
    assert redact(out) == out


NEGATIVES = {
    "github-bad-checksum": f"token: ghp_{rnd(ALNUM, 36)}",
    "github-filler": "token: ghp_" + "x" * 36,
    "aws-doc-example": "aws_access_key_id = AKIAIOSFODNN7" + "EXAMPLE",
    "slack-placeholder": "SLACK_TOKEN=xoxb-" + "x" * 12 + "-" + "x" * 24,
    "filtered": 'Parameters: {"password"=>"[FILTERED]"}',
    "masked": '"secret": "[MASKED]"',
    "at-template": "DB_PASSWORD=@DB_PASSWORD@",
    "env-template": "password: ${DB_PASSWORD}",
    "mustache": "token: '{{ vault_token }}'",
    "pem-header-only": 'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):',
    "pem-ellipsis": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    "jwk-public": json.dumps({"kty": "RSA", "n": rnd(B64URL, 342), "e": "AQAB"}),
    "mysql-prompt": "mysql -u root -p shop",
    "mysql-env": 'mysql -uroot -p"$MYSQL_PWD" -e "select 1"',
    "dsn-format": 'dsn := fmt.Sprintf("%s:%s@tcp(%s)/%s", u, p, h, d)',
    "auth-variables": "requests.get(url, auth=(user, password))",
    "netrc-variable": "machine h login bob password $NETRC_PASSWORD",
    "terraform-no-default": 'variable "db_password" {\n  type      = string\n  sensitive = true\n}',
    "terraform-not-secret": 'variable "region" {\n  default = "eu-west-1"\n}',
    "k8s-template": "kind: Secret\ndata:\n  password: {{ .Values.pw | b64enc }}\n",
    "configmap": "kind: ConfigMap\ndata:\n  log_level: debug\n",
    "comment-prose": "# the password is read from the keychain at startup",
    "name-list": "expected_keys = ['access_key', 'secret_key', 'token', 'expiry_time']",
    "label": 'password_label = "Enter your password"',
    "set-property-public": 'System.setProperty("http.proxyHost", "proxy.example.com");',
    "word-with-prefix": "import sklearn; task-key-value-store",
}


@pytest.mark.parametrize("label", sorted(NEGATIVES))
def test_lookalike_is_left_alone(label: str) -> None:
    assert find_secrets(NEGATIVES[label]) == [], label
