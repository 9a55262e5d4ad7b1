"""A second tuning set for secret detection (issue 10 classes), generated at run time.

``secrets_corpus.py`` is the original tuning corpus; this set adds the classes it lacked
(vendor token formats, command-line passwords, non-URL DSNs, auth tuples, .netrc, Terraform
defaults, JWK private members, Kubernetes Secrets, more assignment syntaxes, placeholders and
look-alikes). Detectors are tuned on these two; ``corpora/secrets_eval.jsonl`` is the frozen
evaluation set and is never tuned against.

``cases()`` returns dicts shaped like the JSONL corpus: text, positive, category, secrets.
"""

from __future__ import annotations

import base64
import json
import random
import string
import zlib

SEED = 777
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
UP = string.ascii_uppercase + string.digits
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
PW = ALNUM + "!%^*-_.+=@#"


def cases() -> list[dict[str, object]]:  # noqa: C901 - one flat list of templates
    rng = random.Random(SEED)
    out: list[dict[str, object]] = []

    def s(alpha: str, n: int) -> str:
        while True:
            v = "".join(rng.choice(alpha) for _ in range(n))
            if sum(
                any(c in k for c in v)
                for k in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
            ) >= min(
                2, len({c.isdigit() for c in alpha} | {c.isupper() for c in alpha if c.isalpha()})
            ):
                return v

    def pw() -> str:
        while True:
            v = "".join(rng.choice(PW) for _ in range(rng.randint(11, 19)))
            if any(c.isdigit() for c in v) and any(c.isalpha() for c in v):
                return v

    def gh(prefix: str) -> str:
        body = s(ALNUM, 30)
        n, ck = zlib.crc32(body.encode()), ""
        while n:
            n, r = divmod(n, 62)
            ck = BASE62[r] + ck
        return prefix + body + ck.rjust(6, "0")

    def p(cat: str, text: str, *secrets: str) -> None:
        assert all(x in text for x in secrets), (cat, text)
        out.append({"category": cat, "positive": True, "text": text, "secrets": list(secrets)})

    def n(cat: str, text: str) -> None:
        out.append({"category": cat, "positive": False, "text": text, "secrets": []})

    vendors = [
        lambda: gh(rng.choice(["ghp_", "gho_", "ghs_", "ghu_", "ghr_"])),
        lambda: "glpat-" + s(B64URL, 20),
        lambda: "glrt-" + s(B64URL, 20),
        lambda: "AGE-SECRET-KEY-1" + s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
        lambda: s(ALNUM, 3) + "8Q~" + s(ALNUM + "_~.-", 34),
        lambda: "dop_v1_" + s(HEX, 64),
        lambda: "shpat_" + s(HEX, 32),
        lambda: "shppa_" + s(HEX, 32),
        lambda: "dapi" + s(HEX, 32),
        lambda: "lin_api_" + s(ALNUM, 40),
        lambda: f"PMAK-{s(HEX, 24)}-{s(HEX, 34)}",
        lambda: "sntrys_eyJpYXQiO" + s(B64, 80),
        lambda: "sntryu_" + s(HEX, 64),
        lambda: f"glsa_{s(ALNUM, 32)}_{s(HEX, 8)}",
        lambda: "glc_" + s(B64, 60),
        lambda: f"{s(string.ascii_lowercase + string.digits, 14)}.atlasv1.{s(B64URL, 64)}",
        lambda: "hf_" + s(string.ascii_letters, 34),
        lambda: f"dt0c01.{s(UP, 24)}.{s(UP, 64)}",
        lambda: "NRAK-" + s(UP, 27),
        lambda: "NRJS-" + s(HEX, 19),
        lambda: "HRKU-AA" + s(B64URL, 58),
        lambda: "ATATT3" + s(B64URL, 186),
        lambda: "LTAI" + s(ALNUM, 20),
        lambda: "pplx-" + s(ALNUM, 48),
        lambda: "pul-" + s(HEX, 40),
        lambda: "rubygems_" + s(HEX, 48),
        lambda: f"ntn_{rng.randint(10**10, 10**11 - 1)}{s(ALNUM, 35)}",
        lambda: "EAAA" + s(B64URL, 60),
        lambda: "sq0csp-" + s(B64URL, 43),
        lambda: "rdme_" + s(string.ascii_lowercase + string.digits, 70),
        lambda: "pnu_" + s(ALNUM, 36),
        lambda: "pscale_tkn_" + s(B64URL, 43),
        lambda: "fo1_" + s(B64URL, 43),
        lambda: "gsk_" + s(ALNUM, 52),
        lambda: "API-" + s(UP, 26),
        lambda: f"{s(HEX, 32)}-us{rng.randint(1, 20)}",
        lambda: f"v1.0-{s(HEX, 24)}-{s(HEX, 146)}",
        lambda: "EAAB" + s(ALNUM, 140),
        lambda: "CLOJARS_" + s(string.ascii_lowercase + string.digits, 60),
        lambda: "EZTK" + s(ALNUM, 54),
        lambda: "shippo_test_" + s(HEX, 40),
        lambda: f"xkeysib-{s(HEX, 64)}-{s(ALNUM, 16)}",
        lambda: "AKCp" + s(ALNUM, 69),
        lambda: "sha256~" + s(B64URL, 43),
        lambda: "ops_eyJ" + s(B64, 300),
        lambda: "sk-ant-admin01-" + s(B64URL, 93) + "AA",
        lambda: "xai-" + s(ALNUM, 80),
        lambda: "duffel_live_" + s(B64URL, 43),
        lambda: "fio-u-" + s(B64URL, 64),
        lambda: "ico-" + s(ALNUM, 32),
        lambda: "rk_live_" + s(ALNUM, 99),
        lambda: "sk_live_" + s(ALNUM, 24),
        lambda: "pat" + s(ALNUM, 14) + "." + s(HEX, 64),
        lambda: "tk-us-" + s(B64URL, 48),
        lambda: "AIza" + s(B64URL, 35),
        lambda: "glptt-" + s(HEX, 40),
        lambda: "gloas-" + s(B64URL, 64),
        lambda: "dckr_pat_" + s(B64URL, 27),
        lambda: "lsv2_pt_" + s(HEX, 32) + "_" + s(HEX, 10),
        lambda: "tfp_" + s(B64URL, 59),
        lambda: "sl." + s(B64URL, 135),
        lambda: "oy2" + s(string.ascii_lowercase + string.digits, 43),
    ]
    contexts = [
        "TOKEN={v}",
        "api_token: {v}",
        '  "apiKey": "{v}"',
        "auth = Client(token='{v}')",
        "# paste this: {v}",
        "set TOKEN={v}",
        "headers = {{'Authorization': 'Bearer {v}'}}",
        "KEY: '{v}'",
        "<value>{v}</value>",
        "login --with {v}",
    ]
    for make in vendors:
        for _ in range(2):
            v = make()
            p("vendor", rng.choice(contexts).format(v=v), v)

    for _ in range(3):
        q = pw().replace("'", "")
        p(
            "cli-flag",
            rng.choice(
                [
                    f"mysql -h 10.1.1.1 -uapp -p'{q}' db",
                    f"mariadb -u root -p{q}",
                    f'mysqladmin -uroot -p"{q}" reload',
                    f"sshpass -p {q} scp f host:",
                    f"redis-cli -h r -a {q} info",
                    f"docker login --username ci --password {q} ghcr.io",
                    f"echo x | docker login -u bot -p '{q}' quay.io",
                ]
            ),
            q,
        )
    for _ in range(4):
        q = s(ALNUM, 14)
        p(
            "dsn",
            rng.choice(
                [
                    f'"svc:{q}@tcp(mysql:3306)/db"',
                    f"MYSQL_DSN=root:{q}@tcp(localhost)/x",
                    f'sql.Open("mysql", "u:{q}@unix(/tmp/m.sock)/d")',
                    f"url: jdbc:oracle:thin:app/{q}@db:1521:XE",
                    f"Server=db;Database=x;Uid=app;Pwd={q};",
                ]
            ),
            q,
        )
    for _ in range(4):
        q = pw().replace('"', "").replace("'", "")
        p(
            "auth-tuple",
            rng.choice(
                [
                    f'requests.post(u, json=b, auth=("bot", "{q}"))',
                    f"auth = ('x', '{q}')",
                    f'aiohttp.BasicAuth("svc", "{q}")',
                    f'imap.login("me@x.org", "{q}")',
                    f'new NetworkCredential("svc", "{q}")',
                    f'ldap.simple_bind_s("cn=admin", "{q}")',
                ]
            ),
            q,
        )
    for _ in range(3):
        q = pw()
        p(
            "netrc",
            rng.choice(
                [
                    f"machine ftp.example.org\nlogin anon\npassword {q}",
                    f"machine example.com login me password {q} account x",
                ]
            ),
            q,
        )
    for _ in range(3):
        q = pw().replace('"', "")
        p(
            "terraform",
            f'variable "admin_secret" {{\n  description = "x"\n  default     = "{q}"\n}}',
            q,
        )
    for _ in range(3):
        d = s(B64URL, 43)
        p(
            "jwk",
            json.dumps(
                {"crv": "P-384", "d": d, "kty": "EC", "x": s(B64URL, 64), "y": s(B64URL, 64)}
            ),
            d,
        )
    for _ in range(4):
        v = s(B64URL, 30)
        p(
            "auth-scheme",
            rng.choice(
                [
                    f"Authorization: token {v}",
                    f"authorization: Apikey {v}",
                    f"Authorization: Splunk {v}",
                    f"'Authorization': 'Klaviyo-API-Key {v}'",
                    f"Authorization: Key={v}",
                    f"X-Auth-Token: {v}",
                ]
            ),
            v,
        )
    for _ in range(4):
        q = pw()
        p(
            "comment",
            rng.choice(
                [
                    f"# root password is {q}",
                    f"// password: {q}",
                    f"; db_pass = {q}",
                    f"REM password={q}",
                    f"  # secret: {q}",
                ]
            ),
            q,
        )
    for _ in range(6):
        q = s(ALNUM, 20)
        p(
            "syntax",
            rng.choice(
                [
                    f'var apiSecret string = "{q}"',
                    f"PASSWORD ?= {q}",
                    f"TOKEN :::= {q}",
                    f'$secret .= "{q}";',
                    f'System.setProperty("aws.secretKey", "{q}");',
                    f"<secret>\n  {q}\n</secret>",
                    f'os.Setenv("API_TOKEN", "{q}")',
                    f'config.put("db.password", "{q}");',
                    f'@password ||= "{q}"',
                    f'<add key="ApiKey" value="{q}"/>',
                    f'let token: &str = "{q}";',
                ]
            ),
            q,
        )
    for _ in range(3):
        q = rng.choice(
            [
                f"hunter two {s(ALNUM, 5)}",
                f"{s(ALNUM, 4)}${{{s(ALNUM, 5)}}}{s(ALNUM, 3)}",
                f"{s(ALNUM, 6)}{{{{x{s(ALNUM, 4)}",
            ]
        )
        p(
            "special",
            rng.choice([f'db_password: "{q}"', f'PASSWORD="{q}"', f"passphrase = '{q}'"]),
            q,
        )
    for _ in range(3):
        a, b = (
            base64.b64encode(pw().encode()).decode(),
            base64.b64encode(s(ALNUM, 24).encode()).decode(),
        )
        p(
            "k8s",
            f"kind: Secret\napiVersion: v1\nmetadata:\n  name: s\ndata:\n  password: {a}\n  token: {b}\n",
            a,
            b,
        )
    for _ in range(3):
        a, b = pw(), s(ALNUM, 30)
        p(
            "two",
            rng.choice(
                [
                    f"SMTP_PASS={a}\nSTRIPE_SECRET={b}",
                    f"password = '{a}'\napi_secret = '{b}'",
                    f"db:\n  pass: {a}\n  token: {b}",
                ]
            ),
            a,
            b,
        )
    # negatives
    for t in (
        "ghp_0000000000000000000000000000000000",
        "xoxp-xxxx-xxxx",
        "glpat-XXXXXXXXXXXXXXXXXXXX",
        "AKIAI44QH8DHBEXAMPLE",
        "sk_live_************************",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "AGE-SECRET-KEY-1...",
        "dop_v1_<token>",
        "npm_************************************",
        "@SECRET@",
        "[FILTERED]",
        "${TOKEN}",
        "{{ token }}",
        "<api-key>",
        "***",
        "%TOKEN%",
        "$(cat /run/secrets/token)",
        "REPLACE_WITH_TOKEN",
        "[MASKED]",
    ):
        n("placeholder", rng.choice(["TOKEN={t}", "password: {t}", '"secret": "{t}"']).format(t=t))
    for _ in range(6):
        n("bad-checksum", f"token = ghp_{s(ALNUM, 36)}")
    for t in (
        'BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"',
        "-----BEGIN RSA PRIVATE KEY-----\n[...]\n-----END RSA PRIVATE KEY-----",
        "if b'-----BEGIN PRIVATE KEY-----' in data:",
        "openssl genrsa | grep -c 'BEGIN RSA PRIVATE KEY'",
    ):
        n("pem-header", t)
    for t in (
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + s(B64, 43),
        f"age1{s('qpzry9x8gf2tvdw0s3jn54khce6mua7l', 58)}",
        json.dumps({"kty": "OKP", "crv": "Ed25519", "x": s(B64URL, 43)}),
        f"pk_test_{s(ALNUM, 24)}",
    ):
        n("public", t)
    for t in (
        "mysql -u app -p",
        'mysql -p"${DB_PASS}" x',
        'dsn := user + ":" + pass + "@tcp(" + host + ")/"',
        "auth=(username, password)",
        "machine x login y password ${NETRC_PW}",
        'variable "password" {\n  type = string\n}',
        "Authorization: Bearer ${ACCESS_TOKEN}",
        "docker login -u $U -p $P",
        "kind: Secret\ndata:\n  password: {{ .Values.pw | b64enc }}",
        "# the password must contain a digit",
        "PASSWORD_MIN ?= 12",
        "$password .= $salt;",
        'System.setProperty("user.timezone", "UTC");',
        "<password>\n  ${DB_PASSWORD}\n</password>",
    ):
        n("code", t)
    return out
