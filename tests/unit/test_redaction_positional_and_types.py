"""Round 11 of issue 10: classes a blind probe of 591 cases found (its strings are not here).

Credentials given by position (Oracle's user/password, ``net use``, Mosquitto's ``-P``,
``ngrok config add-authtoken``, Azure Functions' ``?code=``, ``DBI->connect``, ``twilio()``,
``new Resend()``, Java ``Properties.put``), SQL ``N'…'`` literals, URLs whose host is a
template or whose user holds an ``@``; and what is not a secret: CSS colours, switches
(``enabled``), types of secret-holding fields (``Buffer``), settings about a password
(``password_encryption``), parts of an Amazon Resource Name.
"""

from __future__ import annotations

import pytest

from gitgate import redact

SECRET = "Zq7vR2mXk9Lw4TbN8pYc"

CAUGHT = [
    f"sqlplus system/{SECRET}@//db.internal:1521/XEPDB1",
    f"expdp hr/{SECRET} DIRECTORY=dump DUMPFILE=hr.dmp",
    f"net use X: \\\\nas\\backup /user:CORP\\robot {SECRET} /persistent:no",
    f"mosquitto_sub -h broker -u meter -P {SECRET} -t 'plant/#'",
    f"ngrok config add-authtoken 2b{SECRET}_{SECRET}",
    f"curl 'https://fn-prod.azurewebsites.net/api/hook?code={SECRET}{SECRET}xY_-=='",
    f'my $dbh = DBI->connect("dbi:Pg:dbname=app", "app", "{SECRET}");',
    f"const c = twilio('SK00000000000000000000000000000000', '{SECRET}');",
    f"const mail = new Resend('re_{SECRET}');",
    f'props.put("password", "{SECRET}");',
    f"ALTER LOGIN [svc] WITH PASSWORD = N'{SECRET}';",
    f'conn = f"mysql://app:{SECRET}@{{db_host}}/app"',
    f"SMTP_URL=smtp://relay@mail.example.org:{SECRET}@smtp.example.org:587",
    f"https://api.weather.example/v1/now?q=Oslo&appid={SECRET}",
]


@pytest.mark.parametrize("text", CAUGHT)
def test_positional_credentials_are_redacted(text: str) -> None:
    assert SECRET not in redact(text)


KEPT = [
    "  --brand-secret-accent: #7b2fbe;",
    "  token_auth: enabled",
    "  password_login: disabled",
    "interface Keys {\n  secret: Buffer;\n  signingKey: Uint8Array;\n}",
    "password_encryption = scram-sha-256",
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/api/token-Ab12Cd",
    "net use Z: \\\\fs\\share /user:%USERNAME% %SHARE_PASSWORD%",
    "net use Z: \\\\fs\\share /user:bob *",
    "mosquitto_pub -u meter -P $MQTT_PASSWORD -t t -m 1",
    "sqlplus / as sysdba",
    "sqlplus app/$ORACLE_PASSWORD@db",
    'fields = ("password", "username")',
    'list.add("token", "page_size")',
    "https://example.org/callback?code=abc123",
    "scp -P 2222 build.tgz host:",
    "runas /user:Administrator cmd.exe",
    "FB_APPID=1234567890123",
    '"appId": "com.example.app"',
]


@pytest.mark.parametrize("text", KEPT)
def test_look_alikes_are_kept(text: str) -> None:
    assert redact(text) == text
