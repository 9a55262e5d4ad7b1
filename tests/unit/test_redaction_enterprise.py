"""Secret classes of enterprise application code and configuration (.NET, Java, PHP, Windows).

Each class has its positives and, next to them, the negatives that bound it: unattend.xml's
<Value> children beside Windows Setup's own mask; machineKey's keys beside AutoGenerate; the
DataProtection key ring's unencrypted master key beside its encrypted one; PHP stack traces'
arguments; the ciphertexts that stand where a password would (DPAPI, IIS's [enc:…:enc],
Spring Cloud Config's {cipher}); Razor expressions; and a strftime format after "-u".
Values are random at import time (seeded), so no credential-shaped literal lives here.
"""

from __future__ import annotations

import base64
import random

import pytest
from tests.secretutil import covered, secret_makers

from gitgate.safety.redaction import find_secrets

_rnd, _chosen = secret_makers(random.Random(20240612))
HEX = "0123456789ABCDEF"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def rnd(n: int, alphabet: str | None = None) -> str:
    return _rnd(n) if alphabet is None else _rnd(n, alphabet)


PW = _chosen()
TOKEN = rnd(28)
KEY_B64 = base64.b64encode(rnd(32).encode()).decode()


def found(text: str) -> bool:
    return bool(find_secrets(text))


def unattend(value: str, plain: str, element: str = "AdministratorPassword") -> str:
    return (
        "<UserAccounts>\n"
        f"  <{element}>\n"
        f"    <Value>{value}</Value>\n"
        f"    <PlainText>{plain}</PlainText>\n"
        f"  </{element}>\n"
        "</UserAccounts>\n"
    )


_UTF16_PW = base64.b64encode((PW + "Password").encode("utf-16-le")).decode()
_DPAPI_B64 = "AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAA" + rnd(120, B64) + "=="
_DPAPI_HEX = "01000000D08C9DDF0115D1118C7A00C04FC297EB01000000" + rnd(160, HEX)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # unattend.xml: the password in a <Value> child, plain or base64 of UTF-16 + suffix
        (unattend(PW, "true"), PW),
        (unattend(_UTF16_PW, "false", "Password"), _UTF16_PW),
        (
            '<settings pass="specialize">\n  <component name="Microsoft-Windows-Shell-Setup">\n'
            + unattend(PW, "true", "Password"),
            PW,
        ),
        # ASP.NET machineKey
        (
            f'<machineKey validationKey="{rnd(128, HEX)}" decryptionKey="{rnd(64, HEX)}"'
            ' validation="HMACSHA256" decryption="AES" />',
            None,
        ),
        # DataProtection key ring, unencrypted
        (
            '<masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/'
            'dataProtection">\n  <!-- Warning: the key below is in an unencrypted form. -->\n'
            f"  <value>{KEY_B64}</value>\n</masterKey>",
            KEY_B64,
        ),
        # PHP stack traces print the connection's arguments
        (
            f"#0 /srv/app/src/Database.php(31): PDO->__construct('pgsql:host=db...', 'app', "
            f"'{TOKEN[:14]}', Array)",
            TOKEN[:14],
        ),
        (
            f"#1 /srv/lib/Conn.php(8): mysqli->__construct('10.0.0.5', 'shop', '{TOKEN[:12]}', "
            "'shop')",
            TOKEN[:12],
        ),
        (f"$mysqli->real_connect('db', 'shop', '{PW}', 'shop');", PW),
        # LDAP binds
        (f'if (!ldap_bind($conn, "cn=svc,dc=corp,dc=local", "{PW}")) {{ die(); }}', PW),
        (f'env.put(Context.SECURITY_CREDENTIALS, "{PW}");', PW),
        # C#: header values, credentials, keys converted from a literal
        (
            "client.DefaultRequestHeaders.Authorization = "
            f'new AuthenticationHeaderValue("Bearer", "{TOKEN}");',
            TOKEN,
        ),
        (f'var cred = new NetworkCredential(@"CORP\\svc_sync", "{PW}");', PW),
        (f'static readonly byte[] Key = Convert.FromBase64String("{KEY_B64}");', KEY_B64),
        (f'byte[] signingKey = Encoding.UTF8.GetBytes("{TOKEN}");', TOKEN),
        (f'key = base64.b64decode("{KEY_B64}")', KEY_B64),
        # WildFly / JBoss Elytron
        (f'<credential-reference clear-text="{PW}"/>', PW),
        (
            "/subsystem=elytron/key-store=httpsKS:add(path=server.keystore,"
            f"credential-reference={{clear-text={TOKEN}}},type=JKS)",
            TOKEN,
        ),
        # Spring Boot's actuator asked for a password property
        (
            "$ curl -s localhost:8080/actuator/env/spring.mail.password\n"
            f'{{"property":{{"source":"applicationConfig","value":"{PW}"}}}}\n',
            PW,
        ),
        # Magento's crypt key, Drupal's hash salt, Laravel's .env
        (f"    'crypt' => [\n        'key' => '{rnd(32, '0123456789abcdef')}'\n    ],", None),
        (f"$settings['hash_salt'] = '{rnd(60)}';", None),
        (f"DB_PASSWORD=*{TOKEN}", "*" + TOKEN),
        # Symfony's secrets vault decryption key
        (
            '<?php // prod.decrypt.private on Mon, 03 Jun 2024 10:00:00 +0000\n\nreturn "'
            + "".join(f"\\x{b:02x}" for b in rnd(40).encode())
            + '";\n',
            None,
        ),
        # Windows commands with slash options
        (f"cmdkey /add:fs01.corp.local /user:CORP\\backup /pass:{PW}", PW),
        (f"schtasks /create /tn Sync /tr C:\\sync.exe /ru CORP\\svc /rp {PW}", PW),
        (f"net user deploy {PW} /add", PW),
    ],
)
def test_enterprise_secret_is_found(text: str, secret: str | None) -> None:
    assert found(text)
    if secret is not None:
        assert covered(text, secret)


# Token-shaped values whose checksum fails are found where the text uses them as a password.
def test_unchecked_token_as_xml_password() -> None:
    token = "ghp_" + rnd(30) + "zzzzzz"
    for text in (
        f"<server>\n  <id>gh</id>\n  <password>{token}</password>\n</server>",
        f'<add key="ClearTextPassword" value="{token}" />',
    ):
        assert covered(text, token)
    assert not found(f"<description>{token}</description>")


@pytest.mark.parametrize(
    "text",
    [
        # Windows Setup's own mask and templated values; the configuration pass names
        unattend("*SENSITIVE*DATA*DELETED*", "false"),
        unattend("{{ admin_password }}", "true"),
        '<settings pass="oobeSystem">\n  <component name="Microsoft-Windows-Shell-Setup" />',
        # the runtime generates the keys
        '<machineKey validationKey="AutoGenerate,IsolateApps" '
        'decryptionKey="AutoGenerate,IsolateApps" validation="SHA1" />',
        # ciphertexts where a password would be
        f'<add key="Password" value="{_DPAPI_B64}" />',
        f"<EncryptedPassword>{_DPAPI_B64}</EncryptedPassword>",
        f"username:s:CORP\\jdoe\npassword 51:b:{_DPAPI_HEX}\n",
        f'<processModel userName="CORP\\svc" password="[enc:AesProvider:{rnd(64, B64)}=:enc]" />',
        f"spring:\n  datasource:\n    password: '{{cipher}}{rnd(64, '0123456789abcdef')}'\n",
        f"client-secret: '{{cipher}}{{key:prod}}{rnd(88, B64)}'",
        # an unencrypted-looking key ring that is encrypted
        '<encryptedSecret decryptorType="EncryptedXmlDecryptor">\n<EncryptedData>'
        f"<CipherValue>{rnd(120, B64)}</CipherValue></EncryptedData></encryptedSecret>",
        # a Razor expression; a session id with "Aws" inside it
        '<script>const el = stripe.elements({ clientSecret: "@Model.ClientSecret" });</script>',
        "select * from sessions where id = abcdEFGHijAws8SYcCmX8ODbTBGG3nP2gvuxTvbr limit 1",
        # PHP traces with the arguments masked or not strings
        "#0 /srv/app/Db.php(14): PDO->__construct('mysql:host=db...', 'app', Object(SensitiveP"
        "arameterValue), Array)",
        # actuator responses sanitised, or a property that is no secret
        "$ curl -s localhost:8080/actuator/env/spring.datasource.password\n"
        '{"property":{"source":"systemEnvironment","value":"******"}}\n',
        '$ curl -s localhost:8080/actuator/env/server.port\n{"property":{"value":"8443"}}\n',
        # the public half of Symfony's vault; /pass: without a user
        '<?php return "\\x2a\\x3f\\x01";',
        "robocopy C:\\src D:\\dst /pass:1",
        "net user deploy * /add",
        "cmdkey /add:srv01 /user:CORP\\bob /pass:*",
        "schtasks /create /ru CORP\\svc /rp %SVC_PW% /tn Sync",
        '<credential-reference store="credstore" alias="db-password"/>',
        '<credential-reference clear-text="${env.DB_PASSWORD}"/>',
        # a strftime format after -u (UTC), not user:password
        "date -u +%Y-%m-%dT%H:%M:%SZ",
        "stamp=$(date -u '+%Y%m%d:%H%M%S')",
        # a YAML alias stays syntax
        "db:\n  password: *db_password\n",
        # a plain key under a non-crypt parent is judged as before
        "    'cache' => [\n        'key' => 'c7f3e1a29b8d4c6e0f1a2b3c4d5e6f70'\n    ],",
    ],
)
def test_enterprise_negative_is_not_found(text: str) -> None:
    assert not found(text), [text[f.start : f.end] for f in find_secrets(text)]
