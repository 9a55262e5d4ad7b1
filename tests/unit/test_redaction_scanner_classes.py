"""Classes of input that other secret scanners' own test suites exercise (issue 10).

An external probe built from gitleaks', trufflehog's and detect-secrets' test cases (kept out of
this repository: their strings are theirs) showed these mechanisms missing or too eager. The
cases below are ours, written for each mechanism, positives next to the negatives that bound
them.
"""

from __future__ import annotations

import pytest

from gitgate.safety.redaction import find_secrets, redact

# A value made of template-like characters that no template engine would parse.
MANGLED = "{{q}u)a${r]tz(e[lock>-_$#plume}}"


def found(text: str) -> list[str]:
    return [text[f.start : f.end] for f in find_secrets(text)]


@pytest.mark.parametrize(
    "text",
    [
        f'apikey := "{MANGLED}"',
        f"apikey := {MANGLED}",
        f"my_password = {MANGLED}",
        f'the_password= "{MANGLED}"',
        f'some_map["secret"] = "{MANGLED}"',
        f"apikey: {MANGLED}",
    ],
)
def test_malformed_templates_are_literals(text: str) -> None:
    assert MANGLED in found(text)


@pytest.mark.parametrize(
    "text",
    [
        'password = "{{ vault_db_password }}"',
        "password: ${DB_PASSWORD}",
        "export PASSWD='{{ vault('secret/db') }}'",
        'token = "${{ secrets.DEPLOY_TOKEN }}"',
        "api_key = {{ lookup('env', 'API_KEY') }}",
        'secret = "{%- raw %}{{ x }}{% endraw %}"',
        'password = "{password}"',
    ],
)
def test_well_formed_templates_stay_placeholders(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "password = {host: db, port: 5432}",
        "password = compute(a, b)",
        "key := makeKey(seed[0])",
    ],
)
def test_code_with_nested_brackets_is_not_a_literal(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('theapikey: "Vq7LmZ2pXr9TbN4sKw8Y"', "Vq7LmZ2pXr9TbN4sKw8Y"),
        ('myserviceapikeyprod = "Vq7LmZ2pXr9TbN4sKw8Y"', "Vq7LmZ2pXr9TbN4sKw8Y"),
        ('apikey "Vq7LmZ2pXr9TbN4sKw8Y";', "Vq7LmZ2pXr9TbN4sKw8Y"),
        ("private_key 'Vq7LmZ2pXr9TbN4sKw8Y';", "Vq7LmZ2pXr9TbN4sKw8Y"),
        ('$config_apikey[]= "Vq7LmZ2pXr9TbN4sKw8Y";', "Vq7LmZ2pXr9TbN4sKw8Y"),
        ('DEPLOY_TOKEN += "Vq7LmZ2pXr9TbN4sKw8Y"', "Vq7LmZ2pXr9TbN4sKw8Y"),
    ],
)
def test_more_assignment_forms(text: str, secret: str) -> None:
    assert secret in found(text)


@pytest.mark.parametrize(
    "text",
    [
        'NOPASSWORD = "no-password-required"',
        'passwordfile = "Vq7LmZ2pXr9TbN4sKw8Y"',
        'haspassword = "Vq7LmZ2pXr9TbN4sKw8Y"',
        "napi_key_enumerable = 1 << 1",
        'password "is required";',
    ],
)
def test_embedded_names_are_bounded(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("curl -u admin:'Vq7LmZ2pXr9T' https://x", "Vq7LmZ2pXr9T"),
        ('curl --user "svc":"{Vq7LmZ2pXr9TbN}" https://x', "{Vq7LmZ2pXr9TbN}"),
        ('curl -u "Vq7LmZ2pXr9T!b:" https://search.local', "Vq7LmZ2pXr9T!b"),
        ("curl --user=ops:Vq7L\\ mZ2pXr https://x", "Vq7L\\ mZ2pXr"),
        ("curl -H 'Authorization:  3f2b8c1e-7a4d-4e9b-9c2a-5d6e7f8a9b0c' x",
         "3f2b8c1e-7a4d-4e9b-9c2a-5d6e7f8a9b0c"),
        ('curl -H "Authorization: sha256~Vq7LmZ2pXr9TbN4sKw8Y" x', "sha256~Vq7LmZ2pXr9TbN4sKw8Y"),
    ],
)  # fmt: skip
def test_curl_credentials(text: str, secret: str) -> None:
    assert secret in found(text)


@pytest.mark.parametrize(
    "text",
    [
        'curl -sL --user "$1:$2" "$3"',
        "curl -u <user:password> https://x",
        'curl --user "aaa:bbb" https://x',
        "curl -u deploy https://x",
        'curl -u "ci:${CI_TOKEN}" https://x',
        "curl -u 'unterminated:Vq7LmZ2pXr9T https://x",
        'curl -H "Authorization: $TOKEN" x',
        "chown -u app: file",
    ],
)
def test_curl_non_credentials(text: str) -> None:
    assert found(text) == []


SECRET_MANIFEST = """apiVersion: v1
kind: {kind}
metadata:
  name: app
data:
  extra: {value}
"""


@pytest.mark.parametrize("kind", ["Secret", "secret", '"secret"', "'Secret'"])
def test_kubernetes_secret_kind_in_any_case(kind: str) -> None:
    value = "Vm9sY2FuaWMtQmFzYWx0LTQ3IQ=="
    assert value in found(SECRET_MANIFEST.format(kind=kind, value=value))


@pytest.mark.parametrize("value", ["cGFzc3dvcmQ=", "Y2hhbmdlbWU=", "YmFyCg=="])
def test_kubernetes_values_that_decode_to_placeholders(value: str) -> None:
    # base64 of "password", "changeme", "bar\n": a sample manifest, not a secret
    assert found(SECRET_MANIFEST.format(kind="Secret", value=value)) == []


SLACK_BOT = "xoxb-2384723984-9823749823-Hk3jd8Fks93jDk29Fj3kd9Fj"
SLACK_LEGACY_BOT = "xoxb-48392017465-Qm3vT8kz2LpX9wR4yN7c"
SLACK_USER = "xoxp-4736281930-4736281931-4736281932-" + "9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b"
SLACK_APP_V2 = "xoxa-2-5847392011-38475920113-3847592011347-9c2a5d6e7f8a9b0c3f"
SLACK_LEGACY_WORKSPACE = "xoxr-q7m3kz9v2lpx"


@pytest.mark.parametrize(
    "token", [SLACK_BOT, SLACK_LEGACY_BOT, SLACK_USER, SLACK_APP_V2, SLACK_LEGACY_WORKSPACE]
)
def test_slack_structures(token: str) -> None:
    assert token in found(f"SLACK = '{token}'")
    assert token in found(token)


@pytest.mark.parametrize(
    "text",
    [
        '"token": "xoxp-1234-1234-1234-9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b"',  # ids too short
        '"token": "xoxp-4736281930-4736281931-4736281932-################"',
        "slack: xoxb-your-bot-token-here",
    ],
)
def test_slack_lookalikes(text: str) -> None:
    assert found(text) == []


ANTHROPIC_KEY = "sk-ant-api03-" + "Vq7LmZ2pXr9TbN4sKw8Y_q3" * 4 + "a" + "AA"


def test_anthropic_formats() -> None:
    assert len(ANTHROPIC_KEY) == len("sk-ant-api03-") + 95
    assert ANTHROPIC_KEY in found(f"ANTHROPIC_API_KEY={ANTHROPIC_KEY}")
    oauth = "sk-ant-oat01-" + "Vq7LmZ2pXr9TbN4sKw8Y-q" * 4 + "Vq7LmZ2pXr9T"
    assert oauth in found(f'token = "{oauth}"')


@pytest.mark.parametrize(
    "text",
    [
        'anthropic_token = "sk-ant-oat01-tooShortByFar"',
        "ANTHROPIC_API_KEY=sk-ant-api03-Vq7LmZ2pXr9TbN4sKw8Y-q3AA",  # truncated
        "key = " + ANTHROPIC_KEY[:-2] + "BB",  # altered: no longer the format
    ],
)
def test_anthropic_lookalikes(text: str) -> None:
    assert found(text) == []


def test_redacted_output_keeps_the_shape() -> None:
    text = "curl -u admin:'Vq7LmZ2pXr9T' https://x"
    assert "Vq7LmZ2pXr9T" not in redact(text)
    assert redact(text).startswith("curl -u admin:")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('bt = "access_token$sandbox$q7m3kz9v2lpx4hn8"', "access_token$sandbox$q7m3kz9v2lpx4hn8"),
        ("SRC_ACCESS_TOKEN=sgp_local_9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b5d6e7f8a",
         "sgp_local_9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b5d6e7f8a"),
        ("resume at https://claude.ai/code/session_01Q7m3Kz9V2lPx4Hn8Wd", "session_01Q7m3Kz9V2lPx4Hn8Wd"),
        ('message_bird_token = "q7m3kz9v2lpx4hn8wd3c5e7g1"', "q7m3kz9v2lpx4hn8wd3c5e7g1"),
        ('DEPLOY_TOKEN += "Vq7LmZ2pXr9TbN4sKw8Y=="', "Vq7LmZ2pXr9TbN4sKw8Y=="),
    ],
)  # fmt: skip
def test_documented_formats_and_vendor_names(text: str, secret: str) -> None:
    assert secret in found(text)


@pytest.mark.parametrize(
    "text",
    [
        '<input type="hidden" name="authenticity_token" value="Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8Fks93jDk" />',
        "csrf-token=Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8Fks93jDk29Fj3kd9FjVq7LmZ2pXr9TbN4sKw8Y==",
        '{"signature": "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8Fks93jDk29Fj3kd9Fj"}',
        "key_down_event=.Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8",
        '_SEND_MESSAGE_TOKEN = "send_message"',
        '_READ_AND_WRITE_TOKEN = ("read * write")',
        'share_token += "-principals"',
        'url += "&token="',
        "clickhouse://analytics:ab@ch.example.com:9000",
        "https://cdn.example.com/favicon.ico-9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b.png",
        "AIzaQ7m3Kz9V2lPx4Hn8Wd3c5e7g1Vq7LmZ2pXr9TbN4sKw8Yabc123",  # longer than a key
        "sgp_5555555dAAAAA7777777CcccCFaaaaaaaaaaaaaa",
    ],
)
def test_not_credentials(text: str) -> None:
    assert found(text) == []


def test_hmac_material_is_still_a_secret() -> None:
    assert found('signing_secret = "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8"')
    assert found('hmac_key = "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8"')


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('const apiKey = process.env.API_KEY || "Vq7LmZ2pXr9TbN4sKw8Yq3Hk";', "Vq7LmZ2pXr9TbN4sKw8Yq3Hk"),
        ('apiKey: process.env.API_KEY ?? "Vq7LmZ2pXr9TbN4sKw8Yq3Hk",', "Vq7LmZ2pXr9TbN4sKw8Yq3Hk"),
        ('export const key =\n  process.env.STORAGE_KEY ||\n  "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8Fks93jDk==";',
         "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8Fks93jDk=="),
        ('{ "AccountKey", "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8Fks93jDk==" },', "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8Fks93jDk=="),
        ('static final String DEFAULT_ACCOUNT_KEY\n        = "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8==";',
         "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8=="),
        ('static const std::string AccountKey{\n    "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8=="};', "Vq7LmZ2pXr9TbN4sKw8Yq3Hk5Jd8=="),
        ("[DEBUG] using spu-9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b", "spu-9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b"),
        ("SENTRY_AUTH_TOKEN=sntryu_" + "9c2a5d6e7f8a9b0c" * 4, "sntryu_" + "9c2a5d6e7f8a9b0c" * 4),
    ],
)  # fmt: skip
def test_defaults_initialisers_and_wrapped_declarations(text: str, secret: str) -> None:
    assert secret in found(text)


@pytest.mark.parametrize(
    "text",
    [
        'token = process.env.TOKEN || ""',
        'password = os.environ["DB_PASSWORD"] or "changeme"',
        "const key = process.env.KEY || defaultKey;",
        'std::string name{"password"};',
        # Azurite's account key: Microsoft publishes it for the storage emulator
        "AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2"
        "UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
    ],
)
def test_defaults_that_are_not_secrets(text: str) -> None:
    assert found(text) == []


def test_pem_with_a_filler_body_is_a_placeholder() -> None:
    filler = "-----BEGIN PRIVATE KEY-----\n" + "X" * 64 + "\n-----END PRIVATE KEY-----\n"
    assert found(filler) == []
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" + "Vq7LmZ2pXr9TbN4sKw8Y" * 2
    real = "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n"
    assert found(real)


def test_gitlab_session_cookie_in_a_block_scalar() -> None:
    cookie = "q7m3kz9v2lpx4hn8wd3c5e7g1a2b3c4d"
    assert cookie in found(f"gitlab_token: |\n  _gitlab_session={cookie}\n")


@pytest.mark.parametrize(
    "token",
    [
        "mdb_sa_sk_Q7m3Kz9V2lPx4Hn8Wd3c5e7g1Vq7LmZ2pXr9TbN4",
        "cfut_Q7m3Kz9V2lPx4Hn8Wd3c5e7g1Vq7LmZ2pXr9TbN4sKw8Y3f",
        "phx_Q7m3Kz9V2lPx4Hn8Wd3c5e7g1Vq7LmZ2pXr9TbN4sKw8Y3",
        "mlsn." + "9c2a5d6e7f8a9b0c" * 4,
        "prtapi_9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b",
        "RGAPI-3f2b8c1e-7a4d-4e9b-9c2a-5d6e7f8a9b0c",
        "sk-lf-3f2b8c1e-7a4d-4e9b-9c2a-5d6e7f8a9b0c",
        "e2b_9c2a5d6e7f8a9b0c3f2b8c1e7a4d4e9b5d6e7f8a",
        "akab-q7m3kz9v2lpx4hn8-wd3c5e7g1a2b3c4d",
        "glpat-Q7m3Kz9V2lPx4Hn8Wd3c5e7g1.01.6ztlru4",
    ],
)
def test_documented_prefixes_found_bare(token: str) -> None:
    assert token in found(f"the old one, do not use: {token} (rotated)")


def test_sidekiq_gem_credentials_are_the_whole_pair() -> None:
    pair = "9c2a5d6e:7f8a9b0c"
    assert pair in found(f'source "https://{pair}@enterprise.contribsys.com/"')


@pytest.mark.parametrize(
    "text",
    [
        "MONGODB_KEY=mdb_sa_sk_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "phx_model_name = load()",
        "Key prtapi_9c2a… (last used yesterday)",
    ],
)
def test_documented_prefix_lookalikes(text: str) -> None:
    assert found(text) == []
