"""Classes a second look at other scanners' test material found (issue 10, eleventh round).

The last section holds the classes of round 14's blind probe (secrets_probe7.jsonl): values
that only look like secrets (published examples, keys made public, secret-store references,
ciphertext, hash records, stand-ins) beside the real secrets of the same forms.

Each mechanism has positives and the negatives that bound it; every value here is ours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
from pathlib import Path

import pytest
from tests.secretutil import covered, secret_makers

from gitgate.safety import tokentable
from gitgate.safety.redaction import find_secrets, redact

RANDOM35 = "w0Axnlk9jOJjV8MUz2joshz2HrN7HTZnm2t"
BASE64_KEY = (
    "HJ8fvA3ZaGYtDCCR1Ew253mo6+xbRBoL8Zy7nYudS8zt9LDUP6LBasOWDrzdY7MDiesA/MPx/b4uDh0W20+wJQ=="
)
LOWER60 = "d7u4ax5zzwsg865d9gtp90cgc013bptpmh0rxpc38l3ykwahk8owg831lyqg"
LOWER22 = "p98j56h91lrz8yn4lac1wo"


def found(text: str) -> list[str]:
    return [text[f.start : f.end] for f in find_secrets(text)]


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_secrets(text)]


# -- credentials their vendor publishes ------------------------------------------------------


def test_published_values_come_from_the_table() -> None:
    published = tokentable.load_published()
    # Azurite's emulator key and the Firebase samples' browser keys are printed in public
    # documentation and SDK source.
    assert any(v.startswith("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1") for v in published)
    assert sum(v.startswith("AIza") for v in published) >= 10
    for value in published:
        assert not find_secrets(f'apiKey: "{value}"'), value
        assert not find_secrets(value), value


def test_a_key_of_the_same_shape_that_is_not_published_is_found() -> None:
    key = "AIza" + RANDOM35
    assert kinds(key) == ["google-api-key"]
    assert found(f'firebase.initializeApp({{apiKey: "{key}"}})') == [key]


def test_a_published_table_without_values_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "t.toml"
    source.write_text('[[published]]\nvendor = "x"\nwhy = "y"\n')
    with pytest.raises(ValueError, match="published"):
        tokentable.load_published(source, tmp_path / "missing.json")


# -- a dotted value that no attribute access is -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"mapboxToken = pk.{LOWER60}.{LOWER22}",
        f"harness_token = sat.{LOWER22}.{LOWER22}.{LOWER22}",
    ],
)
def test_a_dotted_token_is_a_literal_even_where_code_could_stand(text: str) -> None:
    assert found(text) == [text.split(" = ")[1]]


@pytest.mark.parametrize(
    "text",
    [
        "token = self.config.apiTokenForTheServiceV2",
        "password = settings.DATABASE_PASSWORD_PRODUCTION_2",
        "api_key = os.environ.MY_SERVICE_API_KEY",
    ],
)
def test_attribute_access_stays_code(text: str) -> None:
    assert find_secrets(text) == []


# -- YAML block scalars whose token holds "=" --------------------------------------------------


def test_a_block_scalar_token_with_padding_inside_is_the_value() -> None:
    token = f"{LOWER22}-0b1azl2x3g3ynwduqmdz1fjhec=h3hdwn_phrh83zhzjkpk=gbwx0h"
    for head in ("|", ">"):
        text = f"deploy_token: {head}\n  {token}\nother: 1\n"
        assert found(text) == [token]


def test_a_block_of_settings_is_not_one_value() -> None:
    text = "secret_config: |\n  user=admin\n  mode=fast\n"
    assert find_secrets(text) == []


# -- Telegram bot tokens ----------------------------------------------------------------------


@pytest.mark.parametrize("bot_id", ["48213", "7326040112", "1234567890123456"])
def test_telegram_tokens_in_either_generation(bot_id: str) -> None:
    token = f"{bot_id}:A{RANDOM35[:34]}"
    assert found(f'const bot = new Telegraf("{token}")') == [token]
    modern = f"{bot_id}:AA{RANDOM35[:33]}"
    assert found(f"bot: {modern}") == [modern]


@pytest.mark.parametrize(
    "text",
    [
        "123456:A" + "a" * 34,  # no token is one letter repeated
        "at 12:34:A" + RANDOM35[:34],  # a time, not a bot id
        "1234:A" + RANDOM35[:34],  # a bot id has five digits or more
        "123456:A" + RANDOM35[:34] + "xyz",  # too long for the old form
    ],
)
def test_telegram_lookalikes(text: str) -> None:
    assert "telegram-bot-token" not in kinds(text)


# -- "$name" declared or assigned --------------------------------------------------------------

PASSWORD = "3q?K8vYz,$m4PdT9xWb2LcRe"


@pytest.mark.parametrize(
    "text",
    [
        f'String $DB_PASSWORD = "{PASSWORD}";',
        f'var $dbPassword string = "{PASSWORD}"',
        f'$$db_password .= "{PASSWORD}"',
        f'private static $db_password = "{PASSWORD}";',
        f'{{\n  "$db_password": "{PASSWORD}"\n}}',
    ],
)
def test_a_dollar_variable_being_declared_is_an_assignment(text: str) -> None:
    assert found(text) == [PASSWORD]


@pytest.mark.parametrize(
    "text",
    [
        'if [ $PASSWORD = "" ]; then exit 1; fi',
        "echo $TOKEN = " + RANDOM35,
        'curl -H "X-Token: $TOKEN" https://example.com',
        "password: ${DB_PASSWORD}",
    ],
)
def test_a_dollar_variable_being_read_is_not(text: str) -> None:
    assert find_secrets(text) == []


# -- names that glue "key" to what it is for ---------------------------------------------------


@pytest.mark.parametrize(
    "name", ["accountkey", "storageaccountkey", "spark.copydata.storageaccountkey", "masterkey"]
)
def test_a_glued_key_name_with_a_generated_value(name: str) -> None:
    assert found(f"{name}={BASE64_KEY}") == [BASE64_KEY]


@pytest.mark.parametrize(
    "text",
    [
        f"publickey={BASE64_KEY}",  # public by name
        f"monkey={BASE64_KEY}",  # "key" ends other words
        "hotkey=ctrl+shift+k",
        "masterkey=changeme",  # key-ish only: the value must look generated
        "sessionkey=abc",
    ],
)
def test_glued_key_names_need_a_generated_value(text: str) -> None:
    assert find_secrets(text) == []


# -- long options with one dash ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"AzureStorageCleanup.exe -storagename acct -storagekey {BASE64_KEY} -x 1", BASE64_KEY),
        ("jarsigner -storepass Zt5hJ8vN3q-x app.apk alias", "Zt5hJ8vN3q-x"),
        ("java -jar admin.jar -password 'Hk4!pLq9vW'", "Hk4!pLq9vW"),
        ('Connect-Service -ApiKey "' + RANDOM35 + '"', RANDOM35),
    ],
)
def test_single_dash_long_options_carry_secrets(text: str, secret: str) -> None:
    assert secret in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "openssl rsa -passin file:pw.txt -key key.pem",
        "tool -token $TOKEN",
        "gpg -key ABCDEF12",
        "cmd -secret abc -other x",
    ],
)
def test_single_dash_options_without_a_secret(text: str) -> None:
    assert find_secrets(text) == []


# -- vendor shapes -----------------------------------------------------------------------------


def test_azure_client_secret_body_has_a_bounded_length() -> None:
    secret = "Xb7" + "8Q~" + "WXxKi6FXKVVKzqtyHiwG84rYjQc3aqU"
    assert kinds(f"x {secret}.") == ["azure-client-secret"]
    # A longer run of the same alphabet (a Freenet "USK@…" identity) is something else.
    assert "azure-client-secret" not in kinds(f"USK@abc,{secret}~yk0,AQACAAE/x/2")


def test_defined_networking_keys_in_lower_case() -> None:
    token = "dnkey-0b1azl2x3g3ynwduqmdz1fjhec-h3hdwn=phrh83zhzjkpk-_gbwx0h=f1p375egcsqhm8qs2pfag-d"
    assert kinds(f"token: {token}") == ["defined-networking-key"]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("the wifi password for the office is w!ha5hfS+UOSiAnMVEe btw", "w!ha5hfS+UOSiAnMVEe"),
        (
            "temp: hardcode api token waam7vHNL4VPbVRx5jdwnyXW4sMZriG2XIx88Eit for demo",
            "waam7vHNL4VPbVRx5jdwnyXW4sMZriG2XIx88Eit",
        ),
    ],
)
def test_a_secret_named_in_prose_is_found(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "the password for the admin user is stored in vault",
        "the token for this request is invalid",
        "api token expiry 3600",
        "log: using credential 9IZgjRn8q2glHNqvi5J+tkEf2GDisaeR59hncOZ1qjOeEM/6rwk+LSz== for upload",
    ],
)
def test_prose_about_a_secret_is_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "PASSWORD=TODO\nAPI_TOKEN=FIXME\n",
        "Restored cache with key: node-modules-Linux-"
        "0282ebf44a0c0dd0142f96241115f3cb6c43f136475d4c5b3f8c5f06dfe6f839\n",
        "secret_name: db-credentials\nsecret_namespace: prod\n",
        '"login.password": "Passwort",\n"login.password_fr": "Mot de passe",\n',
        "permissions:\n  contents: read\n  id-token: write\n",
        "auth:\n  existingSecret: redis-auth\n  existingSecretPasswordKey: password\n",
        "api_token: \"{{ lookup('hashi_vault', 'secret=kv/data/api:token') }}\"\n",
        "annotations:\n  checksum/secret: "
        "5c121d6cba94f707149be6a2e33fc0a98cb7017280d24a3920c7ebfc1ca4353f\n",
    ],
)
def test_configuration_that_only_names_or_digests_a_secret_is_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "the admin password for the staging grafana is Ember*Quartz96? - change it",
            "Ember*Quartz96?",
        ),
        ("config/secret: Xk29pLq7zR8vB3nM\n", "Xk29pLq7zR8vB3nM"),
        ("conn = 'password=Xk29!pLq7#zR'\n", "Xk29!pLq7#zR"),
        ("API_TOKEN=Fx8mQ2vL9pR4tW7z\n", "Fx8mQ2vL9pR4tW7z"),
    ],
)
def test_the_secrets_next_to_them_are_still_found(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        '"@octokit/auth-token": "^2.12.7",\n"secret-handshake": "npm:^9.6.4",\n',
        "secrets: |\n  DATABASE_PASSWORD=db-password:latest\n  JWT_SIGNING_KEY=jwt-signing-key:3\n",
        "DOCKER_CREDS = credentials('docker-registry-creds')\n",
        "      from_secret: slack_webhook\n",
        'vault.hashicorp.com/agent-inject-secret-db: "database/creds/ledger"\n',
        "adminPasswordKey: postgres-password\n",
        "password: ${FLYWAY_PASSWORD:${DB_PASSWORD}}\n",
        "DB_PASSWORD: ${ssm:/orders/${sls:stage}/db/password}\n",
        "MasterUserPassword: '{{resolve:secretsmanager:o/${sls:stage}/db:SecretString:pw}}'\n",
        "aws_secret_key: \"{{ lookup('amazon.aws.aws_secret', 'prod/shop/aws') }}\"\n",
        "  -W, --password           force password prompt\n",
        'SECRET_PROPERTY = "jwt.secret"\n',
        "LoadCredential=db-password:/etc/credstore/app-db-password\n",
        "docker build --secret id=npm_token,env=NPM_TOKEN -t app .\n",
        'monkeypatch.setenv("JWT_SECRET", "not-a-real-secret")\n',
        'TEST_PASSWORD = "correct horse battery staple"\n',
        "process.env.OPENAI_API_KEY = 'sk-test';\n",
        'req.Header.Set("Authorization", "Bearer invalid-token")\n',
        ":root{--brand:#2a5af0;--token-bg:#8bdbd1}\n",
        "refresh_token: {type: string}\n",
        "curl https://api.stripe.com/v1/charges -u sk_test_4eC39HqLyjWDarjtT1zdp7dc:\n",
        'RFC6238_SECRET_B32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"\n',
        '"type": "random_id",\n"result": "8f3a9c2b"\n',
    ],
)
def test_realistic_files_that_only_name_or_fake_a_secret(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            '"type": "random_password",\n"attributes": {"length": 16, "result": "rWligui^k5IF~gq-"}',
            "rWligui^k5IF~gq-",
        ),
        ('1712345678.1 [0 10.0.0.5:51234] "AUTH" "hwJXT%%-@YqyktNGr.u5!%K3"', "hwJXT%%-@YqyktNGr"),
        ('clientSecret = "7-8PPaiopKTQryZppCHtLglrqtCDbKRgAsLYK1bl"', "7-8PPaiopKTQryZppCHt"),
        ("DATABASE_PASSWORD=Tango-Rocket-Falcon", "Tango-Rocket-Falcon"),
        ("spring.datasource.password=${DB_PASSWORD:S3cr3t-Pa55!}", "S3cr3t-Pa55!"),
    ],
)
def test_secrets_in_the_same_files_are_found(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Data\n====\npassword:  24 bytes\nusername:  8 bytes\n",
        "    client-key-data: DATA+OMITTED\n",
        "+JWT_SECRET=<generate with: openssl rand -hex 32>\n",
        "type AuthPayload {\n  token: String!\n  refreshToken: String!\n}\n",
        "'password' => 'required|string|min:12|confirmed',\n'api_token' => 'nullable|string|size:64',\n",
        '  api_key: {:system, "SENDGRID_API_KEY"}\n',
    ],
)
def test_declarations_of_a_secret_are_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "const s = new Sequelize('inventory', 'inv_admin', 'NlMxyyVAc9N32i8AUzpo', {});",
            "NlMxyyVAc9N32i8AUzpo",
        ),
        (
            'Credentials::new("AKIAIXE6OZ62LNNOAKXI", "ZkvpA3TmJpDkPAhJLLPFp1HvTNagY8owixlR6N+5", None)',
            "ZkvpA3TmJpDkPAhJLLPFp1HvTNagY8owixlR6N+5",
        ),
        ('local ok, err = red:auth("Falcon+Cinder630")', "Falcon+Cinder630"),
        (
            'ks.load(new FileInputStream("keystore.p12"), "JTe7CRRAg1qpgkYNirByd2dfSH9nH".toCharArray());',
            "JTe7CRRAg1qpgkYNirByd2dfSH9nH",
        ),
        ("[wifi-security]\nkey-mgmt=wpa-psk\npsk=cMezxTKGg6rluqDdZejbf\n", "cMezxTKGg6rluqDdZejbf"),
    ],
)
def test_credentials_given_to_clients_by_position_are_found(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            'static HMAC_SECRET: &[u8] = b"RE8BfBDJqxR9eh0rSt3OzfSXSWfqawFf";',
            "RE8BfBDJqxR9eh0rSt3OzfSXSWfqawFf",
        ),
        (
            '    signing_secret: str = field(default="wPj6NKCrnvDMrs0FRsBiEjMjRkyGJBCh", repr=False)',
            "wPj6NKCrnvDMrs0FRsBiEjMjRkyGJBCh",
        ),
        (
            "CREATE USER MAPPING FOR etl SERVER s\n  OPTIONS (username 'ro', password '1-qQ1a2TwiDdoIx');",
            "1-qQ1a2TwiDdoIx",
        ),
    ],
)
def test_typed_declarations_defaults_and_sql_options(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "    password: str = field(default_factory=get_password)\n",
        '    token: str = field(default="")\n',
        "password: [redacted]\n",
    ],
)
def test_their_empty_and_computed_forms_are_left_alone(text: str) -> None:
    assert redact(text) == text


# ---------------------------------------------------------------------------------------------
# Round 14: values that only look like secrets (published examples, keys made public, store
# references, ciphertext, hashes, stand-ins), and their real counterparts beside them
# ---------------------------------------------------------------------------------------------
_rng14 = random.Random(14014)
rnd14, chosen14 = secret_makers(_rng14)
B64URL = string.ascii_letters + string.digits + "-_"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict[str, object], key: bytes) -> str:
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(sig)}"


def test_published_example_jwts_are_left_alone_but_not_their_look_alikes() -> None:
    published = [v for v in tokentable.load_published() if v.startswith("eyJ")]
    assert len(published) >= 2  # jwt.io's debugger example, RFC 7519's
    for token in published:
        for text in (f"const SAMPLE = '{token}';", f"```\n{token}\n```", f"session={token}"):
            assert redact(text) == text
        # the same header and claims signed with another key: a token someone made
        head, body, _ = token.split(".")
        other = f"{head}.{body}.{_b64url(_rng14.randbytes(32))}"
        assert covered(f"const SAMPLE = '{other}';", other)
    issued = _jwt({"sub": "u-" + rnd14(12), "iat": 1767225600}, _rng14.randbytes(32))
    assert covered(f"Authorization: Bearer {issued}", issued)


@pytest.mark.parametrize(
    "value",
    [
        "pk_live_" + rnd14(99),
        "pk_test_" + rnd14(24),
        "pk.eyJ1IjoiZ2VvLXRlYW0iLCJhIjoi" + rnd14(25, B64URL) + "In0." + rnd14(22, B64URL),
    ],
)
@pytest.mark.parametrize(
    "template",
    ["MAPS_ACCESS_TOKEN={v}\n", "const stripeKey = '{v}';\n", '{{"api_key": "{v}"}}'],
)
def test_keys_made_to_be_public_are_left_alone(value: str, template: str) -> None:
    text = template.format(v=value)
    assert redact(text) == text


@pytest.mark.parametrize(
    "value",
    [
        "sk_live_" + rnd14(99),
        "sk.eyJ1IjoiZ2VvLXRlYW0iLCJhIjoi" + rnd14(25, B64URL) + "In0." + rnd14(22, B64URL),
        "pk_live_" + rnd14(24) + "!" + rnd14(6),  # not the publishable shape
    ],
)
def test_the_secret_keys_beside_them_are_found(value: str) -> None:
    text = f"const stripeKey = '{value}';\n"
    assert covered(text, value)


@pytest.mark.parametrize(
    "text",
    [
        # references to a secret store: Azure App Service / Functions Key Vault references
        '"SqlPassword": "@Microsoft.KeyVault(SecretUri=https://kv-shop.vault.azure.net/secrets/sql/)"',
        "ApiToken: '@Microsoft.KeyVault(VaultName=kv-shop;SecretName=api-token;SecretVersion=3)'",
        # Maven's encrypted passwords in settings.xml (3.x and 4.x)
        "<server>\n  <id>nexus</id>\n  <password>{"
        + base64.b64encode(_rng14.randbytes(32)).decode()
        + "}</password>\n</server>\n",
        "<passphrase>{[name=master,cipher=AES/GCM/NoPadding,version=4.0]"
        + base64.b64encode(_rng14.randbytes(64)).decode()
        + "}</passphrase>\n",
        # a password hash record (an identity server's export) and its parameters
        '"secretData": "{\\"value\\":\\"'
        + base64.b64encode(_rng14.randbytes(64)).decode()
        + '\\",\\"salt\\":\\"'
        + base64.b64encode(_rng14.randbytes(16)).decode()
        + '\\"}",\n',
        '"credentialData": "{\\"hashIterations\\":210000,\\"algorithm\\":\\"pbkdf2-sha512\\"}",\n',
        # a private-key block whose body is a stand-in
        'SIGNING_KEY="-----BEGIN EC PRIVATE KEY-----\n<paste the key here>\n-----END EC PRIVATE KEY-----"\n',
        'ssh_key: "-----BEGIN OPENSSH PRIVATE KEY-----\\n…\\n-----END OPENSSH PRIVATE KEY-----\\n"\n',
        # MySQL stores AS '…' as given: a hash, or what an authentication plugin needs
        "CREATE USER 'reporting'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS';\n",
        "ALTER USER app IDENTIFIED WITH caching_sha2_password AS '$A$005$"
        + rnd14(20, string.ascii_letters + "./")
        + "';\n",
        # a cookie header whose values are settings, not a session
        '"headers": {"Cookie": "theme=dark; lang=en-GB; consent=true"}\n',
        # a Slack webhook URL in documentation, a placeholder
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n",
        # a Twilio account SID alone: the account's user name
        "twilio:\n  account_sid: AC"
        + rnd14(32, "0123456789abcdef")
        + "\n  auth_token: ${TWILIO_AUTH_TOKEN}\n",
    ],
)
def test_values_that_only_look_like_secrets_are_left_alone(text: str) -> None:
    assert redact(text) == text


_HEX = "0123456789abcdef"
_SID = "AC" + rnd14(32, _HEX)
_AUTH = rnd14(32, _HEX)
_OTP_SEED = rnd14(32, string.ascii_uppercase + "234567")
_WEBHOOK = f"https://hooks.slack.com/services/T{rnd14(10).upper()}/B{rnd14(10).upper()}/{rnd14(24)}"
_PW = [chosen14() for _ in range(5)]
_BRACED = base64.b64encode(_rng14.randbytes(24)).decode()
_KEY_BODY = base64.b64encode(_rng14.randbytes(96)).decode()
_SESSION = rnd14(32, string.ascii_lowercase + string.digits)
_CONNECT_SID = rnd14(40)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # a literal where a Key Vault reference could be
        (f'"SqlPassword": "{_PW[0]}"', _PW[0]),
        # Maven: a password not encrypted; base64 in braces outside settings.xml's element
        (f"<server>\n  <password>{_PW[1]}</password>\n</server>\n", _PW[1]),
        (f'password = "{{{_BRACED}}}"\n', _BRACED),
        # a JSON object in a string that holds a secret: an OTP seed, a password
        (f'"secretData": "{{\\"value\\":\\"{_OTP_SEED}\\"}}",\n', _OTP_SEED),
        (f'DB_JSON=\'{{"user": "app", "password": "{_PW[2]}"}}\'\n', _PW[2]),
        # a private key with its body
        (
            f'SIGNING_KEY="-----BEGIN EC PRIVATE KEY-----\n{_KEY_BODY}\n'
            '-----END EC PRIVATE KEY-----"\n',
            _KEY_BODY,
        ),
        # MySQL: BY '…' after a plugin is the password itself
        (
            f"CREATE USER 'etl'@'%' IDENTIFIED WITH caching_sha2_password BY '{_PW[3]}';\n",
            _PW[3],
        ),
        # a session cookie in a header map
        (f'"headers": {{"Cookie": "theme=dark; sessionid={_SESSION}"}}\n', _SESSION),
        (f"requests.get(url, headers={{'Cookie': 'connect.sid={_CONNECT_SID}'}})\n", _CONNECT_SID),
        # a Slack webhook: the whole URL is the credential
        (f"notify:\n  url: {_WEBHOOK}\n", _WEBHOOK),
        (f'const hook = "{_WEBHOOK}";\n', _WEBHOOK),
        # a Twilio account SID beside its auth token: the pair is the credential
        (f"TWILIO_ACCOUNT_SID={_SID}\nTWILIO_AUTH_TOKEN={_AUTH}\n", _SID),
        (f"TWILIO_ACCOUNT_SID={_SID}\nTWILIO_AUTH_TOKEN={_AUTH}\n", _AUTH),
    ],
)
def test_the_real_secrets_of_those_forms_are_found(text: str, secret: str) -> None:
    assert covered(text, secret), text
