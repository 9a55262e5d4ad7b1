"""Classes of credential stores an independent probe found accepted (round 11).

Web-application configurations and their backup or editor copies, server password
databases, copies of Windows hives, developer-tool stores, password lists, secret-named
files and more histories: each class is a catalogue entry (or the [copies] configs rule),
so cousins of these names are refused too. The safe paths are near misses that must stay
ordinary repository files.
"""

from __future__ import annotations

import pytest

from gitgate import check_path, is_exportable
from gitgate.safety.classify import classify_command

REFUSED = [
    "app/etc/local.xml",
    "app/etc/env.php",
    "www/configuration.php",
    "sites/default/settings.php",
    "bitrix/php_interface/dbconn.php",
    "app/config/parameters.ini",
    "config/database.yml~",
    "public/config.php.bak",
    "config.php.swp",
    "www/.config.php.swp",
    "config.php~",
    ".wp-config.php.swp",
    "wp-config.php.bak",
    "mysite/local_settings.py",
    "proj/settings_secret.py",
    "etc/pureftpd.passwd",
    "etc/pureftpd.pdb",
    "etc/webmin/miniserv.users",
    "conf/tomcat-users.xml",
    "var/lib/mysql/mysql/user.MYD",
    "public/.htpasswd-old",
    "www/.passwd",
    ".ftppass",
    "Serv-U/Serv-U.ini",
    "FileZilla Server/FileZilla Server.xml",
    "inetsrv/config/applicationHost.config",
    "ffftp.ini",
    "FlashFXP.ini",
    "Windows/repair/SAM",
    "Windows/System32/config/RegBack/SAM",
    "dump/hives/SAM",
    "NTDS/ntds.dit",
    "Panther/Unattended.xml",
    "sysprep.xml",
    "Policies/{31B2F340}/Machine/Preferences/Services/Services.xml",
    "AppData/Local/Microsoft/Vault/4BF4C442/Policy.vpol",
    "mRemoteNG/confCons.xml",
    "vnc.ini",
    ".config/pnpm/rc",
    ".continuum/anaconda-client/tokens/x.token",
    ".vagrant.d/data/vagrant_login_token",
    ".vagrant.d/insecure_private_key",
    ".doppler/.doppler.yaml",
    ".config/pgcli/config",
    ".sqlcmd/sqlconfig",
    "JetBrains/IntelliJIdea2023.1/c.pwd",
    ".config/github-copilot/hosts.json",
    "AppData/Local/github-copilot/hosts.json",
    ".idea/dataSources.local.xml",
    ".znc/configs/znc.conf",
    ".mutt/passwords.gpg",
    ".esmtprc",
    "Library/Cookies/Cookies.binarycookies",
    "Keychains/keychain-2.db",
    "pass.txt",
    "pw.txt",
    "passlist.txt",
    "logins.txt",
    "accounts.txt",
    "pwd.db",
    "ci/docker/config.json",
    "ops/k8s/admin.conf",
    "k8s/db-secret.yaml",
    "gcp-key.json",
    "deploy-key",
    "keys/signing-key.asc",
    "home/u/.ksh_history",
    ".php_history",
    ".config/pgcli/history",
    "var/spool/cron/crontabs/root",
    ".id_rsa.swp",
    "www/settings.yml.orig",
    "app/config.js.bak",
]

ORDINARY = [
    "src/config/security/SecurityConfig.java",
    "config/security.yml",
    "docs/settings.php.md",
    "app/config/parameters.yml.dist",
    "src/passwords/strength.py",
    "src/password/hash.go",
    "lib/history.py",
    "src/command_history.py",
    "nginx/admin.conf",
    "config/database.yml.example",
    "config/database.yml.sample",
    "keys/signing-key.pub",
    "public.key.json",
    "src/monkey.json",
    "locale/en.json",
    "config/settings.py",
    "settings.php",
    "package.json.bak",
    "src/accounts.py",
    "src/accounts/views.py",
    "docs/passwords.md",
    "tests/fixtures/pass.txt.example",
    "src/session_history.ts",
    "web.config",
    "crontabs/backup",
    "config/database.yml",
    "wp-config-sample.php",
    "Makefile.orig",
    "README.md~",
    "pom.xml.asc",
    "src/main.py.orig",
]


@pytest.mark.parametrize("path", REFUSED)
def test_credential_stores_are_refused_and_never_exported(path: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe and "sensitive file" in verdict.reason
    assert not is_exportable(path)


@pytest.mark.parametrize("path", ORDINARY)
def test_near_misses_stay_ordinary_files(path: str) -> None:
    assert check_path(path).safe, check_path(path).reason


def test_reading_a_backup_copy_of_a_configuration_is_not_allowed() -> None:
    assert classify_command("cat www/config.php.bak").decision != "allow"
    assert classify_command("cat www/config.php").decision == "allow"


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        # a /name pattern's wildcard stays inside the file's name
        ("cmd/kubeconfig-gen/main.go", True),
        ("deploy/kubeconfig-prod", False),
        # source code of a package named secrets is code; anything else there is a secret
        ("src/secrets/manager.py", True),
        ("internal/secrets/vault_test.go", True),
        ("secrets/db.yaml", False),
        ("secrets/prod.env", False),
        ("secrets/manager.py/id_rsa", False),
        # a Helm chart's template of a Secret is a template; the same name elsewhere is not
        ("charts/app/templates/secret.yaml", True),
        ("config/secret.yaml", False),
        ("charts/app/templates/secret.yaml.bak", False),
        ("bitnami/postgresql/templates/tls-secrets.yaml", True),
        ("k8s/db-secrets.yaml", False),
        # documentation pages about passwords are pages
        ("docs/topics/auth/passwords.txt", True),
        ("config/passwords.txt", False),
        # Emacs auto-saves of a secret hold the secret
        ("backend/#.env#", False),
        ("src/#main.py#", True),
        # more credential stores
        (".clasprc.json", False),
        (".godot/export_credentials.cfg", False),
    ],
)
def test_places_that_make_a_sensitive_name_ordinary(path: str, safe: bool) -> None:
    assert check_path(path).safe is safe, check_path(path).reason
    assert is_exportable(path) is safe


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        # read as people read them: a Cyrillic і, a Latin ɡ, a Cyrillic е, а
        (".g\u0456t/hooks/pre-commit", False),
        (".\u0261it/config", False),
        (".gitmodul\u0435s", False),
        (".\u0435nv", False),
        ("id_rs\u0430", False),
        # letters of other languages are not look-alikes
        ("caf\u00e9/menu.md", True),
        ("docs/\u65e5\u672c\u8a9e.md", True),
        ("src/na\u00efve.py", True),
    ],
)
def test_a_path_spelt_with_look_alike_letters_is_judged_as_it_reads(path: str, safe: bool) -> None:
    assert check_path(path).safe is safe, check_path(path).reason
    assert is_exportable(path) is safe


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        # direnv's local overrides, DVC's git-ignored credentials, Unity's registry tokens,
        # firmware encryption keys
        (".envrc.local", False),
        (".envrc.example", True),
        (".dvc/config.local", False),
        (".dvc/config", True),
        (".upmconfig.toml", False),
        ("flash_encryption_key.bin", False),
        ("firmware/secure_boot_signing_key.pem", False),
        # templates and code named for a store: the name of a FILE ("/kubeconfig_*") excepts
        # code and docs too, a directory rule (".kube/") does not
        (".aws/credentials.example", True),
        (".aws/credentials", False),
        ("pkg/kubeconfig_test.go", True),
        ("kubeconfig_prod", False),
        ("tools/id_rsa_generator.py", True),
        ("id_rsa", False),
        ("id_rsa.py.bak", False),
        (".kube/config.go", False),
    ],
)
def test_thirteenth_round_stores_templates_and_code(path: str, safe: bool) -> None:
    assert check_path(path).safe is safe, check_path(path).reason
    assert is_exportable(path) is safe
