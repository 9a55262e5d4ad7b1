"""Unit tests of the sixth round (issue 10, ``secrets_tune5``): secrets in source code,
scripts and tool invocations.

Each mechanism gets positives (every character of the secret covered) and the negatives it
must leave alone: credentials passed by position to client APIs (the ``[[call]]`` table),
setters and builders named for a secret, literals joined by an operator, conversions around
a literal, backslash-continued commands, connection-string values, SQL password statements,
fields of code object literals, PowerShell parameters and ``$pat``, HAR cookie fields,
Bundler credentials and the new vendor formats. Values are random at import time (seeded),
so no credential-shaped literal lives here.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.secretutil import covered, secret_makers

from gitgate import find_secrets, redact
from gitgate.safety import tokentable

_rng = random.Random(20261201)
ALNUM = string.ascii_letters + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits


rnd, chosen = secret_makers(_rng)


def aws_secret() -> str:
    return rnd(40, ALNUM + "+/")


# ---------------------------------------------------------------------------------------------
# Credentials passed by position: the [[call]] table
# ---------------------------------------------------------------------------------------------
def _call_text(entry: dict[str, object], value: str) -> str:
    """A call of ``entry``'s callee with ``value`` at its credential position."""
    arg = int(str(entry["arg"]))
    n = max(int(str(entry.get("min_args", arg + 1 if arg >= 0 else 1))), arg + 1, 1)
    args = [f"arg{i}" for i in range(n)]
    args[arg] = value
    opener = str(entry.get("open", "("))
    if opener == ",":
        return f"curl_easy_setopt(h, {entry['callee']}, {', '.join(args)});\n"
    return f"x = new {entry['callee']}({', '.join(args)});\n"


@pytest.mark.parametrize("entry", tokentable.load_calls(), ids=lambda e: str(e["callee"]))
def test_every_call_entry_finds_its_literal_argument(entry: dict[str, object]) -> None:
    secret = chosen()
    text = _call_text(entry, f'"{secret}"')
    assert covered(text, secret), text


@pytest.mark.parametrize("entry", tokentable.load_calls(), ids=lambda e: str(e["callee"]))
@pytest.mark.parametrize(
    "value", ["password", "cfg.Password", 'os.Getenv("DB_PASSWORD")', '"changeme"', '""']
)
def test_call_entries_leave_code_and_placeholders(entry: dict[str, object], value: str) -> None:
    assert find_secrets(_call_text(entry, value)) == []


@pytest.mark.parametrize(
    "code",
    [
        'return DriverManager.getConnection(URL, "shop", "{s}");',
        'Connection c = ds.getConnection("reporter", "{s}");',
        "$pdo = new PDO($dsn, 'shop', '{s}', [PDO::ATTR_ERRMODE => 2]);",
        'MongoCredential.createCredential("catalog", "admin", "{s}".toCharArray());',
        'credentials.NewStaticCredentialsProvider(\n\t\t"AKIA", "{s}", "")',
        '.basic_auth("sync", Some("{s}"))',
        'mysql_real_connect(conn, "db", "backup", "{s}", "app", 3306, NULL, 0)',
        "Aws::Credentials.new(ENV[\"ID\"], '{s}')",
        'return new PasswordAuthentication("alerts@example.com", "{s}");',
    ],
)
def test_documented_client_calls(code: str) -> None:
    secret = chosen()
    text = code.replace("{s}", secret)
    assert covered(text, secret), text


@pytest.mark.parametrize(
    "text",
    [
        "Connection c = DriverManager.getConnection(url);",  # one argument: another overload
        "Connection c = DriverManager.getConnection(url, user, password);",
        "$pdo = new PDO($dsn, $user, getenv('DB_PASSWORD'));",
        'req.SetBasicAuth(user, os.Getenv("REGISTRY_PASSWORD"))',
        'xgetConnection(a, b, "c")',  # inside a longer name; and "c" is no password anyway
    ],
)
def test_client_calls_with_code_are_not_secrets(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Setters and builders named for a secret
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code",
    [
        'config.setPassword("{s}");',
        "ds.setPassword('{s}')",
        'builder.withApiKey("{s}").build()',
        '    .password("{s}")\n    .database("ledger");',
        'client.set_client_secret("{s}")',
    ],
)
def test_setters_and_builders(code: str) -> None:
    secret = chosen()
    text = code.replace("{s}", secret)
    assert covered(text, secret), text


def test_a_builder_holding_a_random_key() -> None:
    key = rnd(32)
    text = f'Client::builder().api_key("{key}").build()'
    assert covered(text, key)


@pytest.mark.parametrize(
    "text",
    [
        'String pw = vault.getPassword("db-prod");',
        'boolean ok = encoder.checkPassword("Winter2024!x", hash);',
        'String h = hashPassword("Winter2024!x");',
        'spec.secret("db-credentials")',  # a builder naming a secret, not holding one
        "config.setPassword(password);",
        'config.setPassword(System.getenv("DB_PASSWORD"));',
        'config.setPassword("changeme");',
        '.password("Password")',
        'config.setPassword("a", "b");',  # two arguments: not a plain setter
    ],
)
def test_setter_negatives(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Literals joined by an operator, conversions around a literal
# ---------------------------------------------------------------------------------------------
def test_concatenated_literals_are_one_value() -> None:
    a, b = rnd(20), rnd(20)
    text = f'const API_SECRET = "{a}" +\n  "{b}";\n'
    assert covered(text, a) and covered(text, b)


@pytest.mark.parametrize(
    "code",
    [
        'req.Header.Set("Authorization", "Bearer "+"{s}")',
        'ngx.req.set_header("Authorization", "Bearer " .. "{s}")',
        "$auth = 'Bearer ' . '{s}';",
    ],
)
def test_scheme_joined_to_a_literal_token(code: str) -> None:
    token = rnd(32)
    text = code.replace("{s}", token)
    assert covered(text, token), text
    assert "Bearer" in redact(text)  # the scheme stays readable


@pytest.mark.parametrize(
    "text",
    [
        'req.Header.Set("Authorization", "Bearer "+token)',
        'ngx.req.set_header("Authorization", "Bearer " .. ngx.var.token)',
        '$auth = "Bearer " . $token;',
    ],
)
def test_concatenation_with_code_is_not_a_secret(text: str) -> None:
    assert find_secrets(text) == []


@pytest.mark.parametrize("wrap", ["[]byte({})", "Some({})", "String::from({})", "SecretStr({})"])
def test_conversions_keep_the_literal(wrap: str) -> None:
    secret = rnd(40, ALNUM + "-_")
    text = f"var jwtSecret = {wrap.format(repr(secret))}\n"
    assert covered(text, secret), text


def test_conversions_of_code_are_not_secrets() -> None:
    assert find_secrets('var jwtSecret = []byte(os.Getenv("JWT_SECRET"))\n') == []


# Infrastructure as code (round 14): a literal handed to the CDK's SecretValue.unsafePlainText
# or to Pulumi's secret(), and a Pulumi or CDK Go input type around a literal.
@pytest.mark.parametrize(
    "code",
    [
        "    masterUserPassword: cdk.SecretValue.unsafePlainText('{s}'),",
        "auth = rds.Credentials.from_password('admin', SecretValue.unsafe_plain_text('{s}'))",
        'Password = SecretValue.UnsafePlainText("{s}"),',
        'MasterUserPassword: awscdk.SecretValue_UnsafePlainText(jsii.String("{s}")),',
        "const apiKey = pulumi.secret('{s}');",
        'token = pulumi.Output.secret("{s}")',
        '\t\t\tAdminPassword: pulumi.String("{s}"),',
        'pw := pulumi.ToSecret(pulumi.String("{s}"))',
        '\tDbPassword:   pulumi.StringPtr("{s}"),',
    ],
)
def test_infrastructure_code_literal_secrets(code: str) -> None:
    secret = chosen()
    text = code.replace("{s}", secret)
    assert covered(text, secret), text


@pytest.mark.parametrize(
    "text",
    [
        "masterUserPassword: cdk.SecretValue.unsafePlainText(props.dbPassword),",
        "masterUserPassword: cdk.SecretValue.secretsManager('prod/db'),",
        "const apiKey = pulumi.secret(config.require('apiKey'));",
        '\t\t\tAdminPassword: cfg.RequireSecret("adminPassword"),',
        '\t\t\tAdminPassword: pulumi.String(os.Getenv("ADMIN_PASSWORD")),',
        '\t\t\tAdminUser: pulumi.String("Maple-Tango-2291!"),',  # not a secret's name
        'pw := pulumi.ToSecret(pulumi.String("changeme"))',
    ],
)
def test_infrastructure_code_without_a_literal_secret(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Commands continued with a backslash
# ---------------------------------------------------------------------------------------------
def test_az_login_password_on_a_continued_line() -> None:
    secret = rnd(40, ALNUM + "~._")
    text = (
        "az login --service-principal -u 0f6a3c2e-4b1d-4e8a-9c7f-2d5b8e1a6c30 \\\n"
        f"  -p {secret} --tenant contoso.onmicrosoft.com\n"
    )
    assert covered(text, secret)


def test_kubectl_from_literal_on_a_continued_line() -> None:
    secret = chosen()
    text = (
        "kubectl create secret generic app-db \\\n"
        f"  --from-literal=username=app --from-literal=password='{secret}'\n"
    )
    assert covered(text, secret)


def test_continuation_of_another_command_is_not_a_login() -> None:
    text = "install -d \\\n  -p build/output/dir\nmkdir \\\n  -p /tmp/stage\n"
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Connection strings, SQL, code object literals, names
# ---------------------------------------------------------------------------------------------
def test_connection_string_value_runs_to_the_semicolon() -> None:
    secret = "Lantern" + rnd(6) + ")"
    text = (
        f'options.UseSqlServer("Server=tcp:sql,1433;User Id=app;Password={secret};Encrypt=True;");'
    )
    assert covered(text, secret)


def test_mysql_set_password_for() -> None:
    secret = chosen()
    text = f"SET PASSWORD FOR 'legacy'@'10.0.%' = '{secret}';\n"
    assert covered(text, secret)


def test_mysql_password_hash_is_not_a_secret() -> None:
    digest = "".join(_rng.choice("0123456789ABCDEF") for _ in range(40))
    text = f"CREATE USER 'legacy'@'%' IDENTIFIED BY PASSWORD '*{digest}';\n"
    assert find_secrets(text) == []


@pytest.mark.parametrize(
    "text",
    [
        '\tcfg := mysql.Config{\n\t\tUser: "app",\n\t\tPasswd: cfg.Password,\n\t}\n',
        "const pool = new Pool({\n  user: 'api',\n  password: config.password,\n});\n",
        "  password: opts.password, // from the caller\n",
    ],
)
def test_code_object_fields_holding_expressions(text: str) -> None:
    assert find_secrets(text) == []


def test_code_object_field_holding_a_literal() -> None:
    secret = chosen()
    text = f'rdb := redis.NewClient(&redis.Options{{\n\tAddr: "c:6379",\n\tPassword: "{secret}",\n}})\n'
    assert covered(text, secret)


def test_yaml_scalar_without_a_comma_is_still_literal() -> None:
    secret = chosen()
    assert covered(f"db:\n  password: {secret}\n", secret)


@pytest.mark.parametrize(
    "text",
    [
        'password = keyring::key_get("warehouse")\n',
        'let password = std::env::var("DB_PASSWORD")?;\n',
        'FAKE_API_KEY = "test-api-key"\n',
        'DUMMY_PASSWORD = "not-a-real-password"\n',
        'mockToken = "abc-def-ghi"\n',
    ],
)
def test_namespaced_calls_and_fixture_names(text: str) -> None:
    assert find_secrets(text) == []


def test_a_real_name_beside_fixtures_is_still_found() -> None:
    secret = chosen()
    text = f'FAKE_API_KEY = "test-api-key"\nSTAGING_ADMIN_PASSWORD = "{secret}"\n'
    assert covered(text, secret)


# ---------------------------------------------------------------------------------------------
# PowerShell, HAR cookies, Bundler, GoCardless
# ---------------------------------------------------------------------------------------------
def test_powershell_parameter_and_pat_variable() -> None:
    pw, pat = chosen(), rnd(52, LOWER_DIGITS)
    text = (
        f"$pat = '{pat}'\n"
        f"Invoke-Sqlcmd -ServerInstance 'sql01' -Username 'deploy' -Password '{pw}' -Query 'SELECT 1'\n"
    )
    assert covered(text, pw) and covered(text, pat)


@pytest.mark.parametrize(
    "text",
    [
        "Invoke-Sqlcmd -Username 'deploy' -Password $password -Query 'SELECT 1'\n",
        "New-LocalUser -Name svc -Password $secure\n",
        "$path = 'C:\\Program Files\\App\\app.exe'\n",
        "$pattern = '^[a-z0-9]{52}$'\n",
    ],
)
def test_powershell_negatives(text: str) -> None:
    assert find_secrets(text) == []


def test_har_cookie_field() -> None:
    sid = rnd(32)
    har = {"headers": [{"name": "Cookie", "value": f"theme=dark; sessionid={sid}"}]}
    text = json.dumps(har, indent=2)
    assert covered(text, sid)


def test_har_cookie_field_without_a_session() -> None:
    har = {"headers": [{"name": "Cookie", "value": "theme=dark; lang=en-GB"}]}
    assert find_secrets(json.dumps(har, indent=2)) == []


@pytest.mark.parametrize(
    "value",
    [
        "".join(_rng.choice("0123456789abcdef") for _ in range(8))
        + ":"
        + "".join(_rng.choice("0123456789abcdef") for _ in range(8)),
        "ci-bot:" + rnd(20),
        rnd(36),
    ],
)
def test_bundler_gem_server_credentials(value: str) -> None:
    text = f'---\nBUNDLE_PATH: "vendor/bundle"\nBUNDLE_ENTERPRISE__CONTRIBSYS__COM: "{value}"\n'
    assert covered(text, value)


@pytest.mark.parametrize(
    "text",
    [
        '---\nBUNDLE_PATH: "vendor/bundle"\nBUNDLE_JOBS: "4"\n',
        'BUNDLE_BUILD__NOKOGIRI: "--use-system-libraries"\n',
        "BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/: https://mirror.example.com\n",
        'BUNDLE_GEMS__CONTRIBSYS__COM: "${SIDEKIQ_ENT}"\n',
    ],
)
def test_bundler_negatives(text: str) -> None:
    assert find_secrets(text) == []


def test_gocardless_token_named_on_its_line() -> None:
    tok = "live_" + rnd(40, ALNUM + "-_")
    text = f"const gocardless = require('gocardless-nodejs')('{tok}', Environments.Live);\n"
    assert covered(text, tok)


def test_live_prefix_without_gocardless_is_not_a_token() -> None:
    assert find_secrets(f"feature = 'live_{rnd(40)}'\n") == []


# ---------------------------------------------------------------------------------------------
# Vendor formats added this round
# ---------------------------------------------------------------------------------------------
def _b64_jwt() -> str:
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(
        json.dumps({"sub": str(uuid.UUID(int=_rng.getrandbits(128)))}).encode()
    )
    jwt = f"{head}.{body.decode().rstrip('=')}.{rnd(43, ALNUM + '-_')}"
    return base64.b64encode(jwt.encode()).decode()


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("hcaik_01" + rnd(56, LOWER_DIGITS), "honeycomb-api-key"),
        ("apify_api_" + rnd(36), "apify-token"),
        ("vcp_" + rnd(56), "vercel-token"),
        ("waka_" + str(uuid.UUID(int=_rng.getrandbits(128), version=4)), "wakatime-api-key"),
        (_b64_jwt(), "jwt"),
    ],
)
def test_new_vendor_formats(token: str, kind: str) -> None:
    text = f"value {token} end\n"
    found = find_secrets(text)
    assert covered(text, token)
    assert [f.kind for f in found] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "vcp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "apify_api_YOUR_API_TOKEN_HERE_12345678901",
        "hcaik_<your-ingest-key>",
        "ZXlKexampleexampleexampleexampleexampleexample",
    ],
)
def test_new_vendor_placeholders(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Hostile input: the new readers are bounded and redaction stays a fixpoint
# ---------------------------------------------------------------------------------------------
_PIECES = [
    "getConnection(", "setPassword(", ".password(", "PDO(", "CURLOPT_USERPWD,", "BUNDLE_A__B: ",
    '"', "'", ",", ")", "(", "+", " .. ", "\\\n", "\n", " -p ", "az login ", "$pat = ",
    '"name": "Cookie", "value": "', "sid=", ";Password=", "SET PASSWORD FOR x = ", "Some(",
    "[]byte(", "Hunter2!xQ", "a", "7",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=60))
def test_code_forms_on_hostile_input(parts: list[str]) -> None:
    text = "".join(parts)
    once = redact(text)
    assert redact(once) == once
    for f in find_secrets(text):
        assert 0 <= f.start < f.end <= len(text)


def test_unclosed_call_is_bounded() -> None:
    text = "getConnection(" + ", ".join(f'"{i}"' for i in range(5000))
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Round 14, probe 8 (secrets_probe8.jsonl: source code in ~21 languages, conversation text):
# its classes, each both ways. Values are made here, not copied from the probe.
# ---------------------------------------------------------------------------------------------
_p8 = random.Random(20261402)


def _p8_word(n: int, alphabet: str = ALNUM) -> str:
    while True:
        v = "".join(_p8.choice(alphabet) for _ in range(n))
        kinds = [str.isupper, str.islower, str.isdigit]
        if all(any(k(c) for c in v) for k in kinds if any(k(c) for c in alphabet)):
            return v


_P8_PW = [
    "Tundra*Lilac" + str(_p8.randint(10, 99)),
    "cobalt" + str(_p8.randint(1000, 9999)) + "#QV",
]
_P8_TOKEN = _p8_word(40)
_P8_HEX = "".join(_p8.choice("0123456789abcdef") for _ in range(64))
_P8_HEX32 = _P8_HEX[:32]
_P8_AWS_ID = "AKIA" + "".join(_p8.choice(string.ascii_uppercase + "234567") for _ in range(16))
_P8_AWS_SECRET = _p8_word(40)
_P8_ALI_ID = "LTAI" + _p8_word(20)
_P8_ALI_SECRET = _p8_word(30)
_P8_DISCORD = f"https://discord.com/api/webhooks/{_p8.randint(10**17, 10**18)}/" + _p8_word(
    68, ALNUM + "_-"
)
_P8_TEAMS = (
    f"https://contoso.webhook.office.com/webhookb2/{uuid.UUID(int=_p8.getrandbits(128))}@"
    f"{uuid.UUID(int=_p8.getrandbits(128))}/IncomingWebhook/{_P8_HEX32}/"
    f"{uuid.UUID(int=_p8.getrandbits(128))}/V2{_p8_word(20)}_{_p8_word(20)}"
)
_P8_SEED = "".join(_p8.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32))
_P8_SESSION = _p8_word(32, string.ascii_lowercase + string.digits)
_P8_GH_BODY = _p8_word(30)


def _p8_github(body: str) -> str:
    """A token of GitHub's documented format: 30 base62 characters, then their CRC32."""
    digits, n = "", zlib.crc32(body.encode())
    while n:
        n, r = divmod(n, 62)
        digits = (string.digits + string.ascii_uppercase + string.ascii_lowercase)[r] + digits
    return "ghp_" + body + digits.rjust(6, "0")


_P8_GH = _p8_github(_P8_GH_BODY)
_P8_ADO = "".join(_p8.choice(string.ascii_lowercase + "234567") for _ in range(52))
_P8_PGP = "wcFMA" + base64.b64encode(_p8.randbytes(180)).decode()
_P8_KMS = "AQICAHh" + base64.b64encode(_p8.randbytes(150)).decode()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # a webhook URL whose trigger follows its host: covered from the scheme
        (f"The hook in our config is `{_P8_DISCORD}` and it stopped.\n", _P8_DISCORD),
        (f"alerts:\n  teams_url: {_P8_TEAMS}\n", _P8_TEAMS),
        # call idioms: Go's smtp.PlainAuth, jsonwebtoken's and PyJWT's key argument
        (
            f'a := smtp.PlainAuth("", "ops@example.org", "{_P8_PW[0]}", "mail.example.org")\n',
            _P8_PW[0],
        ),
        (f'const t = jwt.sign({{ sub: id }}, "{_P8_HEX}", {{ expiresIn: "1h" }});\n', _P8_HEX),
        (f'token = jwt.encode(claims, "{_P8_TOKEN}", algorithm="HS256")\n', _P8_TOKEN),
        # a key id's secret beside it on its line
        (
            f'var c = new AmazonSQSClient("{_P8_AWS_ID}", "{_P8_AWS_SECRET}", region);\n',
            _P8_AWS_SECRET,
        ),
        (f"Old pair: {_P8_ALI_ID} / {_P8_ALI_SECRET} (never rotated)\n", _P8_ALI_SECRET),
        # dotted configuration names ending in .key
        (f'play.http.secret.key = "{_P8_HEX}"\n', _P8_HEX),
        # a bundler's define: a literal wrapped in JSON.stringify
        (f'define: {{\n  __API_TOKEN__: JSON.stringify("{_P8_TOKEN}"),\n}}\n', _P8_TOKEN),
        # a short plural collection name, a Kotlin object's constants
        (f'KEYS = {{\n    "maps": "{_P8_TOKEN}",\n}}\n', _P8_TOKEN),
        (f'object Secrets {{\n    const val WEATHER = "{_P8_HEX32}"\n}}\n', _P8_HEX32),
        (f'static class ApiKeys {{\n    public const string Geo = "{_P8_TOKEN}";\n}}\n', _P8_TOKEN),
        # Gradle build fields
        (f'buildConfigField("String", "SUPPORT_API_TOKEN", "\\"{_P8_TOKEN}\\"")\n', _P8_TOKEN),
        # base64-wrapped credentials
        (
            f'_T = "{base64.b64encode(_P8_GH.encode()).decode()}"\n',
            base64.b64encode(_P8_GH.encode()).decode(),
        ),
        (
            "pull secret: "
            + base64.b64encode(
                json.dumps({"auths": {"registry.example.org": {"password": _P8_PW[1]}}}).encode()
            ).decode()
            + "\n",
            base64.b64encode(
                json.dumps({"auths": {"registry.example.org": {"password": _P8_PW[1]}}}).encode()
            ).decode(),
        ),
        (f'var b = Convert.ToBase64String(Encoding.ASCII.GetBytes(":{_P8_ADO}"));\n', _P8_ADO),
        (f'headers.Authorization = "Basic " + btoa("deploy:{_P8_PW[0]}");\n', _P8_PW[0]),
        # prose: "is:", user / password pairs, pw `x`, a TOTP seed, session cookies
        (f"Your temporary password for the portal is: {_P8_PW[0]}\n", _P8_PW[0]),
        (f"    # staging creds (rotate monthly): app_ro / {_P8_PW[1]}\n", _P8_PW[1]),
        (f'// ops / {_P8_PW[0]}\nif (pw == "{_P8_PW[0]}") {{}}\n', _P8_PW[0]),
        (f"[10:02] kim: user `etl`, pw `{_P8_PW[1]}`\n", _P8_PW[1]),
        (f"totp secret for the shared root account: {_P8_SEED}\n", _P8_SEED),
        (f"Please remove `sessionid={_P8_SESSION}` from the fixture.\n", _P8_SESSION),
        (f"Cookie from devtools:\n\n_shop_session={_P8_TOKEN}%3D%3D\n", _P8_TOKEN),
        # a PagerDuty routing key named for its vendor
        (f'{{"pagerduty_routing_key": "{_P8_HEX32}"}}\n', _P8_HEX32),
    ],
)
def test_probe8_classes_are_found(text: str, secret: str) -> None:
    assert covered(text, secret), (text, find_secrets(text))


@pytest.mark.parametrize(
    "text",
    [
        # ciphertext: OpenPGP packets (Renovate's encrypted hostRules), a KMS blob
        f'{{"hostRules": [{{"encrypted": {{"token": "{_P8_PGP}"}}}}]}}\n',
        f"db_password_ciphertext: {_P8_KMS}\n",
        # examples and non-secrets in the new forms
        'aws_key = "AKIAIOSFODNN7EXAMPLE"  # wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
        'const t = jwt.sign(payload, process.env.JWT_SECRET, { expiresIn: "1h" });\n',
        'token = jwt.decode(raw, key, algorithms=["HS256"])\n',
        'a := smtp.PlainAuth("", user, pass, host)\n',
        "totp secret example: JBSWY3DPEHPK3PXP\n",
        "the OTP seed is shown once in the setup screen\n",
        'define: {\n  __APP_VERSION__: JSON.stringify("1.4.2"),\n}\n',
        'KEYS = {\n    "up": "ArrowUp",\n    "down": "ArrowDown",\n}\n',
        'object Routes {\n    const val HOME = "home_screen_v2"\n}\n',
        'buildConfigField("String", "API_BASE", "\\"https://api.example.org\\"")\n',
        'buildConfigField("String", "API_TOKEN", "\\"your-token-here\\"")\n',
        'auth = btoa("user:password")\n',
        'url = btoa("https://example.org/path/to")\n',
        'x = base64.b64decode("Z2hwX2FiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ==")\n',
        "the password is: stored in the vault\n",
        "ratio = total / Math.max(1,countB2)\n",
        "// width / height\n",
        "the login page / SignIn2Page\n",
        "?session=new&tab=2\n",
        "sessionid=None\n",
        "cache.key = " + _P8_HEX + "\n",
        f"Current key: LTAIexample / {'x' * 30}\n",
    ],
)
def test_probe8_lookalikes_are_left(text: str) -> None:
    assert find_secrets(text) == [], (text, find_secrets(text))
