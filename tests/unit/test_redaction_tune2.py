"""Unit tests of the detectors added while tuning on ``secrets_tune2`` (issue 10): vendor
formats from public format documentation, more command-line tools, name/value pair lists,
setter calls, defaults of references, and the negatives each new rule must leave alone.

Values are random at import time (seeded), so no credential-shaped literal lives here.
"""

from __future__ import annotations

import random
import string
import uuid

import pytest

from gitgate.safety.redaction import find_secrets, redact

_rng = random.Random(20261130)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
UPPER_DIGITS = string.ascii_uppercase + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits


def rnd(alphabet: str, n: int) -> str:
    """n characters of ``alphabet``, using each of its character kinds at least once."""
    kinds = [
        k
        for k in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
        if set(k) & set(alphabet)
    ]
    while True:
        v = "".join(_rng.choice(alphabet) for _ in range(n))
        if n < len(kinds) or all(set(k) & set(v) for k in kinds):
            return v


def pw() -> str:
    return rnd(ALNUM, 9) + _rng.choice("!#^*") + rnd(ALNUM, 4)


def uid() -> str:
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


def az88(sig: str) -> str:
    return rnd(B64, 76) + sig + rnd(B64, 5) + _rng.choice("AQgw") + "=="


def az44(sig: str) -> str:
    return rnd(B64, 33) + sig + _rng.choice("ABCDEFGHIJKLMNOP") + rnd(B64, 5) + "="


VENDOR = {
    "azure-storage": az88("+ASt"),
    "azure-cosmos": az88("ACDb"),
    "azure-apim": az88("APIM"),
    "azure-servicebus": az44("+ASb"),
    "azure-redis": az44("AzCa"),
    "azure-function": rnd(B64URL, 44) + "AzFu" + rnd(B64URL, 5) + "A==",
    "azure-search": rnd(ALNUM, 42) + "AzSeB" + rnd(ALNUM, 5),
    "azure-devops-pat": rnd(ALNUM, 52)
    + "JQQJ99"
    + rnd(ALNUM, 1)
    + "C"
    + rnd(ALNUM, 16)
    + "x"
    + rnd(ALNUM, 7),
    "mapbox": "sk.eyJ1Ijoi" + rnd(B64URL, 20) + "In0." + rnd(B64URL, 22),
    "braintree": f"access_token$production${rnd(LOWER_DIGITS, 16)}${rnd(HEX, 32)}",
    "flutterwave": f"FLWSECK_TEST-{rnd(HEX, 32)}-X",
    "fcm": f"AAAA{rnd(B64URL, 7)}:APA91b{rnd(B64URL, 134)}",
    "twitter-bearer": "A" * 22 + rnd(ALNUM, 80),
    "crates-io": "cio" + rnd(ALNUM, 32),
    "postman-collection": "PMAT-" + rnd(UPPER_DIGITS, 26),
    "pinecone": f"pcsk_{rnd(ALNUM, 6)}_{rnd(ALNUM, 63)}",
    "neon": "napi_" + rnd(LOWER_DIGITS, 64),
    "netlify": "nfp_" + rnd(ALNUM, 36),
    "launchdarkly": "api-" + uid(),
    "authress": f"sc_{rnd(LOWER_DIGITS, 10)}.{rnd(LOWER_DIGITS, 4)}.acc_{rnd(LOWER_DIGITS, 12)}"
    f".{rnd(B64, 48)}",
    "scaleway": "SCW" + rnd(UPPER_DIGITS, 17),
    "airtable": "patQ" + rnd(ALNUM, 13) + "." + rnd(HEX, 64),
    "plaid": "access-production-" + uid(),
    "asana": f"2/{_rng.randint(10**15, 10**16 - 1)}/{_rng.randint(10**15, 10**16 - 1)}:"
    + rnd(HEX, 32),
    "samsara": "samsara_api_" + rnd(ALNUM, 30),
    "deno-personal": "ddp_" + rnd(ALNUM, 36),
    "deno-organisation": "ddw_" + rnd(ALNUM, 36),
    "onfido-live": f"api_live.{rnd(B64URL, 11)}.{rnd(B64URL, 32)}",
    "onfido-sandbox-region": f"api_sandbox_us.{rnd(B64URL, 11)}.{rnd(B64URL, 32)}",
}


@pytest.mark.parametrize("label", sorted(VENDOR))
@pytest.mark.parametrize(
    "context", ["log: using {v} now", '  "value": "{v}",', "- {v}", "<string>{v}</string>"]
)
def test_vendor_format_found_without_a_secret_name(label: str, context: str) -> None:
    token = VENDOR[label]
    assert token not in redact(context.format(v=token)), label


VENDOR_LOOKALIKES = [
    rnd(B64, 75) + "+ASt" + rnd(B64, 5) + "Q==",  # signature one place early
    rnd(B64, 88),  # base64 without a signature
    "pk.eyJ1IjoiYWNtZSIsImEiOiJjbGQ" + rnd(B64URL, 20) + "In0." + rnd(B64URL, 22),  # public
    f"FLWPUBK_TEST-{rnd(HEX, 32)}-X",  # Flutterwave's public key
    "access_token$production$xxxxxxxxxxxxxxxx$" + "0" * 32,
    "A" * 64,
    "PMAT-XXXXXXXXXXXXXXXXXXXXXXXXXX",
    "napi_" + "0" * 64,
    "api-00000000-0000-0000-0000-000000000000",
    "SCWXXXXXXXXXXXXXXXXX",
    "pattern" + rnd(ALNUM, 10) + "." + rnd(HEX, 64),  # an Airtable shape after "pattern"
    "2/1234567890123456/1234567890123456:" + "x" * 32,
    "sha256-" + rnd(B64, 43) + "=",
    "request " + uid(),
    "ddp_" + "x" * 36,  # Deno's shape, a placeholder
    "ddp_" + "abcdefgh" * 4 + "ijkl",  # not random
    "group_ddp_settings_for_the_whole_cluster_x",  # a name that merely contains the prefix
    "api_live.example.com",  # Onfido's prefix on a host name
    f"api_live.{rnd(B64URL, 11)}.{rnd(B64URL, 20)}",  # the secret part too short
]


@pytest.mark.parametrize("text", VENDOR_LOOKALIKES)
def test_vendor_lookalike_is_left_alone(text: str) -> None:
    assert find_secrets(f"value: {text}") == []
    assert find_secrets(f"log: {text} done") == []


P = [pw() for _ in range(40)]
POSITIVES = {
    "sqlcmd": (f"sqlcmd -S db,1433 -U sa -P '{P[0]}' -Q 'SELECT 1'", P[0]),
    "ldapsearch": (f"ldapsearch -x -D cn=admin,dc=corp -w {P[1]} -b dc=corp", P[1]),
    "mongosh": (f"mongosh mongodb://db -u admin -p '{P[2]}'", P[2]),
    "openssl": (f"openssl pkcs12 -export -in c.pem -passout pass:{P[3]}", P[3]),
    "keytool": (f"keytool -importkeystore -srcstorepass {P[4]} -deststorepass x", P[4]),
    "smbclient": (f"smbclient //fs/share -U 'svc%{P[5]}'", P[5]),
    "net-use": (f"net use Z: \\\\fs01\\share {P[6]} /user:CORP\\svc", P[6]),
    "rabbitmqctl": (f"rabbitmqctl add_user deployer '{P[7]}'", P[7]),
    "htpasswd": (f"htpasswd -b -c /etc/nginx/.htpasswd admin '{P[8]}'", P[8]),
    "az-login": (f"az login --service-principal -u {uid()} -p '{P[9]}' --tenant t", P[9]),
    "echo-sudo": (f"echo {P[10]} | sudo -S apt-get update", P[10]),
    "password-stdin": (f"echo '{P[11]}' | docker login -u ci --password-stdin", P[11]),
    "gh-secret": (f"gh secret set TOKEN --body {P[12]}", P[12]),
    "ssm-secure": (f"aws ssm put-parameter --name x --value {P[13]} --type SecureString", P[13]),
    "from-literal": (f"kubectl create secret generic x --from-literal=pw={P[14]}", P[14]),
    "config-set": (f"aws configure set aws_secret_access_key {P[15]}", P[15]),
    "pgpassword": (f"PGPASSWORD='{P[16]}' pg_dump -h db -U app shop", P[16]),
    "conninfo": (f'psql "host=db user=app password={P[17][:9]} dbname=shop"', P[17][:9]),
    "ansible-e": (f"ansible-playbook site.yml -e 'ansible_password={P[18]}'", P[18]),
    "k8s-env": (f'env:\n  - name: DB_PASSWORD\n    value: "{P[19]}"', P[19]),
    "json-pair": (f'[{{"name": "API_KEY", "value": "{P[20]}"}}]', P[20]),
    "cfn-pair": (f'{{"ParameterKey": "DbPassword", "ParameterValue": "{P[21]}"}}', P[21]),
    "spring-default": (f'@Value("${{db.password:{P[22]}}}")', P[22]),
    "shell-default": (f"password: ${{DB_PASSWORD:-{P[23]}}}", P[23]),
    "make-weak": (f"DB_PASSWORD ?= {P[24][:9]}", P[24][:9]),
    "docker-env-space": (f"ENV REGISTRY_TOKEN {P[25]}", P[25]),
    "xml-entry-key": (f'<entry key="smtp.password">{P[26]}</entry>', P[26]),
    "secure-string": (f'$pw = ConvertTo-SecureString "{P[27]}" -AsPlainText -Force', P[27]),
    "smtp-start": (f"Net::SMTP.start('smtp.io', 587, 'io', 'mailer', '{P[28]}', :login)", P[28]),
    "password-authentication": (
        f'return new PasswordAuthentication("mailer", "{P[29]}".toCharArray());',
        P[29],
    ),
    "snowflake-dsn": (f'SNOWFLAKE_DSN = "app:{P[30]}@acme-xy123/db/public"', P[30]),
    "netrc-default": (f"default\n    login anonymous\n    password {P[31]}", P[31]),
    "comment-bare": (f"REM service password {P[32]}", P[32]),
    "comment-api-key": (f"<!-- api key {P[33]} (staging) -->", P[33]),
    "define": ("define('DB_PASSWORD', 'hunter2');", "hunter2"),
    "yaml-block": (f"  password: |\n    {P[36]}\n", P[36]),
    "setx": (f"setx API_TOKEN {P[37]}", P[37]),
    "cookie": (
        f"Cookie: theme=dark; session={P[38][:4]}{'Zk3q9XwL0pVb7TnR'}",
        P[38][:4] + "Zk3q9XwL0pVb7TnR",
    ),
    # A line starting with "--" is a flag list here, not an SQL comment.
    "flag-after-flag": ("--master-username master --master-user-password secret99", "secret99"),
    "setenv": ('os.Setenv("DB_PASSWORD", "hunter2")', "hunter2"),
    "windows-percent": (f'auth=("svc", "a%{P[34]}%b")', f"a%{P[34]}%b"),
    "url-hash": (
        f"git clone https://ci:{P[35][:5]}#{P[35][5:]}@git.corp.io/a.git",
        f"{P[35][:5]}#{P[35][5:]}",
    ),
}


@pytest.mark.parametrize("label", sorted(POSITIVES))
def test_positive_is_redacted(label: str) -> None:
    text, secret = POSITIVES[label]
    assert secret not in redact(text), label


NEGATIVES = [
    "mysql --password shop",
    "sqlcmd -S srv -P $SA_PASSWORD -Q q",
    "ldapsearch -x -W -b dc=corp",
    "keytool -list -storepass:env STOREPASS",
    "openssl rsa -in k -passin env:KEY_PASS",
    "net use Z: \\\\srv\\share * /user:CORP\\me",
    "htpasswd -c file admin",
    'rabbitmqctl add_user deployer "$RMQ_PW"',
    'echo "$TOKEN" | docker login -u x --password-stdin',
    "aws ssm put-parameter --name x --value 12345abc --type String",
    'gh secret set TOKEN --body "$TOKEN"',
    "kubectl create configmap x --from-literal=mode=debug22",
    "aws configure set region eu-west-1",
    'url = "https://x?password=" + pw + "&user=" + u',
    'x = {name: "password", value: form.password}',
    "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db",
    "secret: ${CLIENT_SECRET:?missing}",
    '@Value("${jwt.secret:}")',
    "    token.ERRORTOKEN : Colors.NoColor,",
    '    NOPASSWORD = "no-password-required"',
    "# ['Credential=sdffdsa', '20170220', 'us-east-1']",
    'config.set("password", "hunter2")',
    'fields = ("token", "page_size")',
    "define('AUTH_KEY', 'put your unique phrase here');",
    "# token expires in 3600 seconds",
    "# the key fingerprint is SHA256:abcDEF123xyz456",
    "password = %UserProfile%",
    'MY_DSN = "${USER}:${PASS}@tcp(db)/x"',
    "Cookie: theme=dark; lang=en",
    "description: |\n  This is a long text",
    "password: |\n  ${DB_PASSWORD}\n",
    "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negative_is_not_flagged(text: str) -> None:
    assert find_secrets(text) == [], [(f.kind, text[f.start : f.end]) for f in find_secrets(text)]


def test_trigger_trie_matches_like_a_plain_alternation() -> None:
    """The factored trigger regex (tries, leaf character classes) against the reference: an
    alternation of the same words, longest first, on random text built from their pieces."""
    import re

    from gitgate.safety.redaction import _build_dispatch, _trie_pattern

    words = sorted(_build_dispatch(), key=len, reverse=True)
    fast = re.compile(_trie_pattern(words))
    slow = re.compile("|".join(re.escape(w) for w in words))
    rng = random.Random(7)
    pieces = [w[: rng.randint(1, len(w))] for w in words] + list(" \n\t=:_.-/aZ9")
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        got = [(m.start(), m.group()) for m in fast.finditer(text)]
        want = [(m.start(), m.group()) for m in slow.finditer(text)]
        assert got == want, text
