"""A secret-named key that opens a map instead of holding a value, and sealed ciphertext.

Found by the blind probe (benchmarks/corpora/secrets_probe.jsonl) once it had been scored:
CloudFormation parameters whose ``Default`` is the password, composer's auth.json maps of host
to token, and SealedSecret ciphertext (made to be committed) flagged as a password.
"""

from __future__ import annotations

import random
import string

import pytest

from gitgate import redact

_RNG = random.Random(1201)
TOKEN = "".join(_RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
PASSWORD = "Z4&%F^8VV2xjCnzvz"
SEALED = "AgB" + "".join(
    _RNG.choice(string.ascii_letters + string.digits + "+/") for _ in range(400)
)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "Parameters:\n  DBPassword:\n    NoEcho: true\n    Type: String\n"
            f"    Default: {PASSWORD}\n",
            PASSWORD,
        ),
        (f'Parameters:\n  DBPassword:\n    Type: String\n    Default: "{PASSWORD}"\n', PASSWORD),
        (
            '{"Parameters": {"AdminPassword": {"Type": "String", "NoEcho": true, '
            f'"Default": "{PASSWORD}"}}}}',
            PASSWORD,
        ),
        (f'{{\n  "github-oauth": {{\n    "github.com": "{TOKEN}"\n  }}\n}}\n', TOKEN),
        (f'{{"gitlab-token": {{"gitlab.example.org:8443": "{TOKEN}"}}}}', TOKEN),
        (f"token:\n  registry.example.com: {TOKEN}\n", TOKEN),
        # a plain password put under an encryptedData key is still a password
        ("spec:\n  encryptedData:\n    password: Xk9mQ2pL7wZ3aa\n", "Xk9mQ2pL7wZ3aa"),
        # round 14: the map opened by "{" at a line's end (JSON over several lines), a YAML
        # flow mapping, and an output's "value" (terraform output -json)
        (
            '{\n  "Parameters": {\n    "MasterPassword": {\n      "Type": "String",\n'
            f'      "NoEcho": true,\n      "Default": "{PASSWORD}"\n    }}\n  }}\n}}\n',
            PASSWORD,
        ),
        (f"  AdminPassword: {{Type: String, NoEcho: true, Default: {PASSWORD}}}\n", PASSWORD),
        (
            '{\n  "deploy_token": {\n    "sensitive": false,\n    "type": "string",\n'
            f'    "value": "{TOKEN}"\n  }}\n}}\n',
            TOKEN,
        ),
        (f'{{"registry_password": {{"value": "{PASSWORD}", "type": "string"}}}}', PASSWORD),
    ],
)
def test_the_secret_inside_the_map_is_redacted(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert "[REDACTED:" in out


@pytest.mark.parametrize(
    "text",
    [
        "Parameters:\n  DBPassword:\n    Type: String\n    MinLength: 8\n"
        "    Description: The admin password\n",
        "Parameters:\n  DBPassword:\n    Type: AWS::SSM::Parameter::Value<String>\n"
        "    Default: /prod/db/password\n",
        'Parameters:\n  DBPassword:\n    Type: String\n    Default: "{{resolve:ssm-secure:db}}"\n',
        "Parameters:\n  DBPassword:\n    Type: String\n    Default: !Ref OtherParameter\n",
        'Parameters:\n  DBPassword:\n    Type: String\n    Default: ""\n',
        "client_secret:\n  type: string\n  default: your-client-secret\n",
        "api_token:\n  default: null\n  env: API_TOKEN\n",
        "password:\n  default: 8\n",
        "password:\n  example.com: docs\n",  # a host's entry must still look like a secret
        "password:\n  min_length: 12\n  require_symbols: true\n",
        "switch (token) {\n  default: return fallback;\n}",
        f"kind: SealedSecret\nspec:\n  encryptedData:\n    password: {SEALED}\n",
        f"spec:\n  encryptedData:\n\n    # the database\n    api_token: {SEALED}==\n",
        # round 14: maps whose value is empty, a reference or a schema's
        '{\n  "deploy_token": {\n    "sensitive": true,\n    "type": "string",\n'
        '    "value": ""\n  }\n}\n',
        '{\n  "MasterPassword": {\n    "Type": "String",\n    "MinLength": 12\n  }\n}\n',
        '{\n  "db_password": {\n    "value": "${DB_PASSWORD}"\n  }\n}\n',
        "  AdminPassword: {Type: String, NoEcho: true, MinLength: 12}\n",
        '{"api_token": {"type": "string", "description": "the token", "value": "string"}}',
    ],
)
def test_what_is_no_secret_stays(text: str) -> None:
    assert redact(text) == text
