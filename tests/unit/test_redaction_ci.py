"""Unit tests of the classes a blind probe of CI/CD pipelines and their logs found (probe 11):
private keys JSON-escaped in a string, passphrases piped to gpg, Windows-style password
switches (signtool /p), registry login tokens printed by the CLI, unmarked Terraform plan
values, Jenkins init scripts, CLI auth commands that take a token by position; and the
references, public tokens and placeholders the same files hold, which must stay unflagged.

Values are random at import time (seeded), so no credential-shaped literal lives here.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid

import pytest

from gitgate.safety.redaction import find_secrets, redact

_rng = random.Random(20260511)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"


def rnd(alphabet: str, n: int) -> str:
    """n characters of ``alphabet``, using each of its character kinds at least once."""
    kinds = [
        k
        for k in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
        if set(k) & set(alphabet)
    ]
    while True:
        v = "".join(_rng.choice(alphabet) for _ in range(n))
        if all(set(k) & set(v) for k in kinds):
            return v


def pw() -> str:
    """A chosen password: words, digits and a symbol ("Copper_Granite1888*")."""
    word = _rng.choice(["Copper", "Marble", "Orchid", "Violet", "Granite", "Saffron"])
    other = _rng.choice(["Falcon", "River", "Quartz", "Maple", "Cedar", "Harbor"])
    return f"{word}{_rng.choice('_-.')}{other}{_rng.randint(1000, 9999)}{_rng.choice('!#*%')}"


def uid() -> str:
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


def b64_lines(n: int) -> list[str]:
    return [rnd(B64, 64) for _ in range(n)]


def ecr_token() -> str:
    """What ``aws ecr get-login-password`` prints: base64 of a KMS envelope."""
    envelope = {
        "payload": rnd(B64, 600),
        "datakey": rnd(B64, 240),
        "version": "2",
        "type": "DATA_KEY",
        "expiration": _rng.randint(1_750_000_000, 1_760_000_000),
    }
    return base64.b64encode(json.dumps(envelope).encode()).decode()


# The six characters Secrets Manager appends to a secret's name in its ARN ("-zL341s").
ARN_SUFFIX = (
    rnd(string.ascii_lowercase, 1)
    + rnd(string.ascii_uppercase, 1)
    + rnd(string.digits, 3)
    + rnd(string.ascii_lowercase, 1)
)


def covers(text: str, *secrets: str) -> bool:
    """Every character of every secret lies inside a finding."""
    marked = bytearray(len(text))
    for f in find_secrets(text):
        marked[f.start : f.end] = b"\x01" * (f.end - f.start)
    for secret in secrets:
        at = text.find(secret)
        assert at >= 0, secret
        if not all(marked[at : at + len(secret)]):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Private keys: a JSON string's escaped block is covered to its last escaped newline.
# ---------------------------------------------------------------------------------------------
def test_json_escaped_private_key_is_covered_with_its_last_newline() -> None:
    body = "\\n".join(b64_lines(3))
    key = f"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n"
    text = f'{{\n  "key_id": "{rnd(ALNUM, 10)}",\n  "key": "{key}",\n  "in_house": false\n}}'
    assert covers(text, key)
    assert text.endswith('",\n  "in_house": false\n}')  # (the quote stays outside)
    assert '"key": "[REDACTED:private-key]",' in redact(text)


def test_json_escaped_pgp_private_key_block_is_covered() -> None:
    body = "\\n".join(b64_lines(4))
    key = (
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----\\n\\n{body}\\n={rnd(ALNUM, 4)}\\n"
        "-----END PGP PRIVATE KEY BLOCK-----\\r\\n"
    )
    assert covers(f'{{"signing_key": "{key}"}}', key)


def test_twice_escaped_private_key_is_covered_with_its_last_newline() -> None:
    body = "\\\\n".join(b64_lines(3))  # JSON in a JSON string: \\n
    key = (
        f"-----BEGIN OPENSSH PRIVATE KEY-----\\\\n{body}\\\\n-----END OPENSSH PRIVATE KEY-----\\\\n"
    )
    assert covers(f'{{"payload": "{{\\"key\\": \\"{key}\\"}}"}}', key)


def test_raw_private_key_ends_at_its_footer() -> None:
    body = "\n".join(b64_lines(3))
    text = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n\\n is a newline"
    (finding,) = find_secrets(text)
    assert text[finding.end :] == "\n\\n is a newline"


def test_pgp_key_in_a_heredoc_and_its_piped_passphrase() -> None:
    passphrase = pw()
    block = "\n".join(
        ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", *b64_lines(6), "=" + rnd(ALNUM, 4)]
        + ["-----END PGP PRIVATE KEY BLOCK-----"]
    )
    text = (
        "- name: Import GPG key\n  run: |\n    cat <<'EOF' | gpg --batch --import\n"
        f"{block}\nEOF\n"
        f'    echo "{passphrase}" | gpg --batch --yes --pinentry-mode loopback '
        "--passphrase-fd 0 --detach-sign dist/app.tar.gz\n"
    )
    assert covers(text, block, passphrase)


@pytest.mark.parametrize(
    "form",
    [
        "printf '%s' '{p}' | gpg --batch --passphrase-fd 0 --import key.asc",
        'gpg --batch --passphrase-fd=0 --sign out.tar <<< "{p}"',
        "echo -n {p} | gpg --batch --passphrase-fd 0 -d secrets.gpg",
    ],
)
def test_passphrase_fed_to_gpg_on_stdin(form: str) -> None:
    p = pw()
    assert covers(form.format(p=p), p)


@pytest.mark.parametrize(
    "text",
    [
        'echo "$GPG_PASSPHRASE" | gpg --batch --passphrase-fd 0 --sign x',
        "echo '${{ secrets.GPG_PASSPHRASE }}' | gpg --batch --passphrase-fd 0 --sign x",
        "gpg --batch --passphrase-fd 3 --sign x 3< passphrase.txt",
    ],
)
def test_passphrase_references_are_left_alone(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Windows-style password switches.
# ---------------------------------------------------------------------------------------------
def test_signtool_password_after_a_powershell_continuation() -> None:
    p = pw()
    text = (
        "    script: |\n"
        '      & "C:\\Program Files (x86)\\Windows Kits\\10\\bin\\x64\\signtool.exe" sign `\n'
        f'        /f "$(Agent.TempDirectory)\\codesign.pfx" /p {p} `\n'
        "        /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 `\n"
        '        "$(Build.SourcesDirectory)\\out\\app.exe"\n'
    )
    assert covers(text, p)


@pytest.mark.parametrize(
    "form",
    [
        "signtool sign /f cert.pfx /p {p} /tr http://ts.example.net app.exe",
        'SignTool.exe sign /f cert.pfx /p "{p}" app.exe',
        "signtool sign /fd SHA256 ^\n  /f cert.pfx /p {p} app.exe",
        "pvk2pfx -pvk key.pvk -pi {p} -spc cert.spc -pfx out.pfx",
        "pvk2pfx /pvk key.pvk /spc cert.spc /pfx out.pfx /po {p}",
        "certutil -f -p {p} -importpfx cert.pfx",
        "schtasks /create /tn nightly /tr build.cmd /sc daily /ru CORP\\builder /rp {p}",
        'plink -batch -ssh deploy@10.0.0.5 -pw {p} "sudo systemctl restart app"',
        "AzureSignTool sign -kvu https://kv.vault.azure.net -kvi id -kvs {p} -kvc cert app.exe",
    ],
)
def test_windows_password_switches(form: str) -> None:
    p = pw()
    assert covers(form.format(p=p), p)


@pytest.mark.parametrize(
    "text",
    [
        'signtool sign /f cert.pfx /p "$(PfxPassword)" app.exe',
        "signtool sign /f cert.pfx /p %PFX_PASSWORD% app.exe",
        "signtool sign /f cert.pfx /p $env:PFX_PASSWORD app.exe",
        "signtool sign /f cert.pfx /p <password> app.exe",
        "signtool sign /f cert.pfx /p password app.exe",
        "signtool verify /pa /v app.exe",
        "robocopy src dst /p /e",
        "tar -cf out.tar /p docs",
    ],
)
def test_windows_switch_placeholders_are_left_alone(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Registry login tokens a CLI prints.
# ---------------------------------------------------------------------------------------------
def test_ecr_token_printed_after_get_login_password() -> None:
    token = ecr_token()
    text = (
        "+ aws ecr get-login-password --region us-west-2\n"
        f"{token}\n"
        "+ docker login --username AWS --password-stdin 1234.dkr.ecr.us-west-2.amazonaws.com\n"
        "Login Succeeded\n"
    )
    assert covers(text, token)


def test_ecr_token_found_by_its_format_anywhere() -> None:
    token = ecr_token()
    assert covers(f"[build] password={token} (expires in 12h)", token)
    assert covers(f'{{"ecrToken": "{token}"}}', token)
    # get-authorization-token returns it as base64 of "AWS:<token>"
    wrapped = base64.b64encode(f"AWS:{token}".encode()).decode()
    assert covers(f'"authorizationToken": "{wrapped}",', wrapped)


def test_other_registry_token_printed_after_xtrace_command() -> None:
    token = f"eyJ2ZXIiOjEsImlzdSI6{rnd(ALNUM, 30)}.{rnd(ALNUM, 40)}.{rnd(ALNUM, 20)}"
    text = (
        "+ aws codeartifact get-authorization-token --domain acme --query authorizationToken "
        f"--output text\n{token}\n+ npm publish\n"
    )
    assert covers(text, token)


def test_heroku_token_printed_after_its_command() -> None:
    token = uid()
    assert covers(f"$ heroku auth:token\n{token}\n$ git push heroku main\n", token)


def test_base64_json_with_a_payload_member_is_data() -> None:
    message = {"payload": rnd(B64, 300), "attributes": {"source": "ci"}, "version": "2"}
    blob = base64.b64encode(json.dumps(message).encode()).decode()
    assert find_secrets(f'{{"message": {{"data": "{blob}", "messageId": "42"}}}}') == []
    assert find_secrets(f"log: received {blob}") == []


def test_login_password_piped_to_docker_login_is_no_token() -> None:
    text = (
        "+ aws ecr get-login-password --region eu-west-1 | docker login --username AWS "
        "--password-stdin 1234.dkr.ecr.eu-west-1.amazonaws.com\nLogin Succeeded\n"
    )
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Terraform: values a plan shows unmarked, and resources that hold a secret in "value".
# ---------------------------------------------------------------------------------------------
def test_plan_value_of_a_parameter_named_for_a_password() -> None:
    p = pw()
    text = (
        "Terraform will perform the following actions:\n\n"
        "  # aws_ssm_parameter.api_key will be created\n"
        '  + resource "aws_ssm_parameter" "legacy_db_password" {\n'
        "      + arn       = (known after apply)\n"
        '      + name      = "/payments/prod/legacy_db_password"\n'
        '      + type      = "String"\n'
        f'      + value     = "{p}"\n'
        "      + version   = (known after apply)\n"
        "    }\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n"
    )
    assert covers(text, p)


def test_plan_change_hides_the_old_and_the_new_value() -> None:
    old, new = pw(), pw()
    text = (
        '  ~ resource "aws_db_instance" "main" {\n'
        f'      ~ password                 = "{old}" -> "{new}"\n'
        '      ~ instance_class           = "db.t4g.medium" -> "db.t4g.large"\n'
        "    }\n"
    )
    assert covers(text, old, new)
    assert "db.t4g.large" in redact(text)


@pytest.mark.parametrize(
    "block",
    [
        'resource "github_actions_secret" "npm" {{\n  secret_name     = "NPM_TOKEN"\n'
        '  plaintext_value = "{v}"\n}}',
        'resource "gitlab_project_variable" "db" {{\n  key   = "DB_PASSWORD"\n  value = "{v}"\n}}',
        'resource "aws_ssm_parameter" "app" {{\n  name  = "/app/prod/db_pass"\n'
        '  type  = "SecureString"\n  value = "{v}"\n}}',
        '  ~ resource "aws_ssm_parameter" "signing_secret" {{\n'
        '      ~ value = "{v}" -> "{w}"\n    }}',
    ],
)
def test_resources_that_hold_a_secret_in_their_value(block: str) -> None:
    v, w = pw(), pw()
    text = block.format(v=v, w=w)
    assert covers(text, v)
    if w in text:
        assert covers(text, w)


@pytest.mark.parametrize(
    "text",
    [
        '  + resource "aws_ssm_parameter" "log_level" {\n      + name = "/app/log_level"\n'
        '      + value = "debug-verbose"\n    }',
        '  ~ resource "aws_ssm_parameter" "db_password" {\n      ~ value = (sensitive value)\n'
        "    }",
        'resource "github_actions_secret" "npm" {\n  secret_name     = "NPM_TOKEN"\n'
        "  plaintext_value = var.npm_token\n}",
        'resource "aws_ssm_parameter" "db_password_arn" {\n'
        '  value = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"\n}',
        'resource "gitlab_project_variable" "region" {\n  key   = "AWS_REGION"\n'
        '  value = "eu-west-1"\n}',
        'resource "aws_ssm_parameter" "app_version" {\n  name  = "/app/version"\n'
        '  value = "1.4.2"\n}',
    ],
)
def test_resources_with_configuration_values_are_left_alone(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# Jenkins init scripts.
# ---------------------------------------------------------------------------------------------
def test_jenkins_init_groovy_credentials() -> None:
    token, admin_pw, deploy_pw = rnd(ALNUM, 24), pw(), pw()
    text = (
        "import hudson.util.Secret\n"
        "def store = Jenkins.instance.getExtensionList("
        "'com.cloudbees.plugins.credentials.SystemCredentialsProvider')[0].getStore()\n"
        "store.addCredentials(Domain.global(), new StringCredentialsImpl(\n"
        f'    CredentialsScope.GLOBAL, "scm-api-token", "SCM API token", '
        f'Secret.fromString("{token}")))\n'
        "store.addCredentials(Domain.global(), new UsernamePasswordCredentialsImpl(\n"
        f'    CredentialsScope.GLOBAL, "nexus", "Nexus deploy", "deployer", "{deploy_pw}"))\n'
        f'def admin = Jenkins.instance.securityRealm.createAccount("admin", "{admin_pw}")\n'
        "admin.save()\n"
    )
    assert covers(text, token, admin_pw, deploy_pw)


def test_jenkins_security_realm_variable() -> None:
    p, q, r = pw(), pw(), pw()
    text = (
        "def hudsonRealm = new HudsonPrivateSecurityRealm(false)\n"
        f"hudsonRealm.createAccount('ci-admin', '{p}')\n"
        f'jenkins.getSecurityRealm().createAccount("ops", "{q}")\n'
        "User.get('deploy').addProperty("
        f'HudsonPrivateSecurityRealm.Details.fromPlainPassword("{r}"))\n'
    )
    assert covers(text, p, q, r)


@pytest.mark.parametrize(
    "text",
    [
        'def s = Secret.fromString(System.getenv("GH_TOKEN"))',
        'Jenkins.instance.securityRealm.createAccount("admin", env.ADMIN_PASSWORD)',
        'new UsernamePasswordCredentialsImpl(CredentialsScope.GLOBAL, "nexus", "Nexus", '
        '"deployer", System.getenv("NEXUS_PASSWORD"))',
        # Jenkins' encrypted form: only the controller's key opens it
        'def s = Secret.fromString("{AQAAABAAAAAQ' + rnd(B64, 44) + '=}")',
        "<password>{AQAAABAAAAAQ" + rnd(B64, 44) + "=}</password>",
        'accounts.createAccount("alice", "alice@example.com")',
    ],
)
def test_jenkins_references_and_ciphertext_are_left_alone(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# CLI auth commands and short options that take a token.
# ---------------------------------------------------------------------------------------------
def test_pulumi_snyk_and_codecov_tokens_in_a_ci_script() -> None:
    pulumi, snyk, codecov = "pul-" + rnd(HEX, 40), uid(), uid()
    text = (
        "script:\n"
        f"  - export PULUMI_ACCESS_TOKEN={pulumi}\n"
        f"  - snyk auth {snyk}\n"
        "  - snyk test --severity-threshold=high\n"
        f"  - ./codecov -t {codecov} -f coverage.xml\n"
    )
    assert covers(text, pulumi, snyk, codecov)


@pytest.mark.parametrize(
    "form",
    [
        "bash <(curl -s https://codecov.io/bash) -t {u}",
        "codecovcli upload-process -t '{u}' -F unit",
        "snyk config set api={u}",
        "npm config set //registry.npmjs.org/:_authToken {u}",
        "vercel deploy --prod -t {r}",
        "vsce publish -p {r}",
        "cargo login {r}",
        "wandb login {h}",
        "sonar-scanner -Dsonar.login={h}",
        "nuget setapikey {n} -Source https://api.nuget.org/v3/index.json",  # (its format)
    ],
)
def test_cli_tokens_by_position(form: str) -> None:
    u, r, h = uid(), rnd(ALNUM, 32), rnd(HEX, 40)
    n = "oy2" + rnd(string.ascii_lowercase + string.digits, 43)
    text = form.format(u=u, r=r, h=h, n=n)
    value = next(v for v in (u, r, h, n) if v in text)
    assert covers(text, value)


def test_secret_set_by_pulumi_config_and_stdin_setters() -> None:
    a, b, c = pw(), pw(), rnd(ALNUM, 24)
    assert covers(f"pulumi config set --secret dbPassword '{a}'", a)
    assert covers(f'echo -n "{b}" | gh secret set DB_PASSWORD --repo acme/app', b)
    assert covers(f"printf '%s' '{c}' | gcloud secrets versions add api-key --data-file=-", c)


@pytest.mark.parametrize(
    "text",
    [
        "snyk auth\n  - snyk auth $SNYK_TOKEN",
        "snyk auth ${{ secrets.SNYK_TOKEN }}",
        "Run `snyk auth` to authenticate the CLI, then snyk auth --help for more.",
        "./codecov -t ${{ secrets.CODECOV_TOKEN }} -F unit",
        'codecov -F unit -t "${CODECOV_TOKEN}"',
        "codecov -t 00000000-0000-0000-0000-000000000000",
        f"docker run -t {uid()} echo hi",
        "sonar-scanner -Dsonar.login=ci-bot",
        "cargo login --registry internal",
        "wandb login --relogin",
        'echo -n "$DB_PASSWORD" | gh secret set DB_PASSWORD --repo acme/app',
        "vault login -method=github token=$GITHUB_TOKEN",
    ],
)
def test_cli_token_references_are_left_alone(text: str) -> None:
    assert find_secrets(text) == []


# ---------------------------------------------------------------------------------------------
# False positives: public client tokens, secret-store references, object keys, placeholders.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        # Datadog's client tokens are public by design
        "< content-security-policy: frame-ancestors 'self'; report-uri "
        "https://logs.browser-intake-datadoghq.com/api/v2/logs?dd-api-key=pub"
        + rnd(HEX, 32)
        + "&dd-evp-origin=content-security-policy",
        "datadogRum.init({ applicationId: '"
        + uid()
        + "', clientToken: 'pub"
        + rnd(HEX, 32)
        + "' })",
        "DD_CLIENT_TOKEN=pub" + rnd(HEX, 32),
        # secret-store references
        "  DOCKERHUB_TOKEN: aws-sm://arn:aws:secretsmanager:us-west-2:166793954973:secret:"
        "ci/dockerhub-" + ARN_SUFFIX,
        "  NPM_TOKEN: ssm://arn:aws:ssm:us-west-2:166793954973:parameter/ci/npm-token",
        "  NPM_TOKEN: vault://kv/data/ci/npm#token",
        "  SENTRY_AUTH_TOKEN: gcp-sm://projects/acme-4821/secrets/sentry-token/versions/latest",
        "  token: secretsmanager:prod/ci/token-" + rnd(ALNUM, 6),
        '    password("env.AWS_SECRET_ACCESS_KEY", "credentialsJSON:' + uid() + '", '
        "display = ParameterDisplay.HIDDEN)",
        '<param name="env.TOKEN" value="credentialsJSON:' + uid() + '" spec="password" />',
        '  param("env.NPM_TOKEN", "%vault:kv/data/ci!/npm_token%")',
        '  token: "%env.SONAR_TOKEN%"',
        # object keys and paths that hold a UUID
        'level=info msg="uploaded bundle" bucket=artifacts key=builds/' + uid() + "/bundle.tar.zst",
        "  cache_key: deps/" + uid() + "/node_modules.tgz",
        # placeholder webhooks
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/XXX/YYY/ZZZ",
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/AAA/BBB/CCC",
    ],
)
def test_public_tokens_references_and_placeholders_are_left_alone(text: str) -> None:
    assert find_secrets(text) == []


def test_the_real_values_beside_them_are_still_found() -> None:
    api_key, webhook_secret, object_secret = rnd(HEX, 32), rnd(ALNUM, 24), rnd(B64, 40)
    webhook = f"https://hooks.slack.com/services/T{rnd('ABCDEFGH0123456789', 8)}/B" + (
        f"{rnd('ABCDEFGH0123456789', 10)}/{webhook_secret}"
    )
    assert covers(f"DD_API_KEY={api_key}", api_key)
    assert covers(f"SLACK_WEBHOOK_URL={webhook}", webhook)
    assert covers(f"  api_key: {object_secret}", object_secret)
    ref_then_secret = f'  token: "{uid()}"\n  DOCKERHUB_TOKEN: {webhook_secret}\n'
    assert covers(ref_then_secret, webhook_secret)
