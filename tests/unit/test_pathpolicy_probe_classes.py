"""Classes of credential stores independent probes found accepted (rounds 11, 13 and 14).

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
from gitgate.safety.pathpolicy import is_sensitive_name

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


# Round 14: the classes a sixth probe showed, each both ways. Stores it found accepted
# (Concourse, Vault's init output, Signal, key files without an extension, OpenVPN's
# auth-user-pass, getmail) and their cousins are refused; public certificates spelt .pem,
# what a wireguard/ or secrets/ directory shares, Kubernetes' public PKI, External Secrets
# manifests and translation files named for a credential store are ordinary files.
@pytest.mark.parametrize(
    ("path", "safe"),
    [
        # CI command-line tokens: Concourse's fly and its cousins
        ("home/ci/.flyrc", False),
        (".sem.yaml", False),
        (".cfconfig", False),
        (".spin/config", False),
        ("ci/fly/pipeline.yml", True),
        ("docs/flyrc.md", True),
        # key material named so, without an extension: Concourse's keys and their cousins
        ("deploy/concourse/web/session_signing_key", False),
        ("keys/web/tsa_host_key", False),
        ("ops/worker-key", False),
        ("infra/rails/master_key", False),
        ("deploy/concourse/web/session_signing_key.pub", True),
        ("keys/jwt_public_key", True),
        ("src/crypto/host_key.rs", True),
        ("cmd/genkey/main.go", True),
        # keyfiles: MongoDB's replica-set key, MySQL's keyring, Redis ACLs
        ("docker/mongo/replica.keyfile", False),
        ("ops/mongo-keyfile", False),
        ("keyfile", False),
        ("data/mysql-keyring/keyring", False),
        ("conf/redis/users.acl", False),
        ("src/keyfile.py", True),
        ("docs/mongodb-keyfile-auth.md", True),
        ("docker/mongo/mongod.conf", True),
        # WireGuard's keys outside a wireguard/ directory
        ("vpn/peer2/privatekey", False),
        ("vpn/peer2/presharedkey", False),
        ("vpn/peer2/publickey", True),
        ("internal/wgkeys/privatekey_test.go", True),
        # Vault's `operator init` output and downloaded recovery codes
        ("ops/vault/cluster-keys.json", False),
        ("bootstrap/vault_init.txt", False),
        ("vault-unseal-key-3", False),
        ("secrets-backup/vault-root-token", False),
        ("Downloads/gitlab-recovery-codes.txt", False),
        ("internal/vault/unseal.go", True),
        ("docs/runbooks/vault-unseal.md", True),
        ("charts/vault/templates/unseal-job.yaml", True),
        ("src/auth/RecoveryCodes.vue", True),
        # messengers' data directories: Signal (all of it), Element, Slack
        ("home/me/.config/Signal/sql/db.sqlite", False),
        ("Users/me/Library/Application Support/Signal/IndexedDB/x.leveldb/000005.ldb", False),
        ("AppData/Roaming/Signal/config.json", False),
        (".config/Element/Local Storage/leveldb/CURRENT", False),
        ("Library/Application Support/Slack/Cookies", False),
        ("src/signal/config.json", True),
        ("packages/slack/src/client.ts", True),
        # OpenVPN credentials and configurations, other VPN secrets
        ("vpn/auth-user-pass.txt", False),
        ("etc/openvpn/client/office.conf", False),
        ("etc/openvpn/server/key.pass", False),
        ("etc/vpnc/office.conf", False),
        ("etc/swanctl/private/gateway.pem", False),
        ("docs/vpn/auth-user-pass.md", True),
        ("roles/openvpn/templates/auth-user-pass.j2", True),
        ("etc/openvpn/README.md", True),
        # mail fetchers and senders with passwords
        (".getmail/getmailrc-personal", False),
        (".config/getmail/getmailrc", False),
        ("dotfiles/.mpoprc", False),
        (".imapfilter/config.lua", False),
        ("getmailrc.example", True),
        ("src/mail/getmail.py", True),
        # public certificates spelt .pem; a key under a certificate's name stays refused
        ("deploy/tls/fullchain.pem", True),
        ("deploy/tls/cert.pem", True),
        ("nginx/ssl/chain.pem", True),
        ("tests/data/ca.pem", True),
        ("pki/root/certs/root.cert.pem", True),
        ("pki/intermediate/certs/ca-chain-bundle.pem", True),
        ("vendor/certifi/cacert.pem", True),
        ("etc/letsencrypt/live/api.example.org/fullchain.pem", True),
        ("etc/letsencrypt/archive/api.example.org/chain2.pem", True),
        ("deploy/tls/privkey.pem", False),
        ("deploy/tls/key.pem", False),
        ("etc/letsencrypt/live/api.example.org/privkey.pem", False),
        ("etc/letsencrypt/archive/api.example.org/privkey2.pem", False),
        ("pki/root/private/root.key.pem", False),
        ("certs/server.key.cert.pem", False),
        ("certs/ca-chain-privkey.pem", False),
        ("mitmproxy/mitmproxy-ca.pem", False),
        ("db/mysql/server-cert.pem", False),
        # cloudflared's cert.pem holds its key and token, in each place cloudflared reads
        ("etc/cloudflared/cert.pem", False),
        ("home/u/.cloudflare-warp/cert.pem", False),
        # the public halves inside a sensitive directory
        (".oci/sessions/DEFAULT/oci_api_key_public.pem", True),
        (".oci/sessions/DEFAULT/oci_api_key.pem", False),
        ("etc/kubernetes/pki/front-proxy-ca.crt", True),
        ("etc/kubernetes/pki/etcd/peer.crt", True),
        ("etc/kubernetes/pki/sa.key", False),
        ("etc/kubernetes/pki/etcd/peer.key", False),
        ("etc/kubernetes/pki/apiserver-kubelet-client.crt/apiserver.key", False),
        # a wireguard/ directory shares its docs, code and public keys, nothing else
        ("deploy/wireguard/README.md", True),
        ("deploy/wireguard/render_peers.go", True),
        ("deploy/wireguard/peers/laptop.pub", True),
        ("deploy/wireguard/server/publickey", True),
        ("deploy/wireguard/wg-easy/wg0.json", False),
        ("deploy/wireguard/peer1/peer1.png", False),
        ("deploy/wireguard/server/privatekey", False),
        ("deploy/wireguard/keys.txt", False),
        # a Terraform module named secrets is code; data in a secrets/ directory is not
        ("infra/modules/secrets/variables.tf", True),
        ("infra/modules/secrets/.terraform.lock.hcl", True),
        ("web/src/features/secrets/SecretForm.jsx", True),
        ("infra/modules/secrets/prod.tfvars", False),
        ("infra/secrets/github-app.json", False),
        ("infra/secrets/values.yaml", False),
        ("infra/secrets/backend.hcl", False),
        ("infra/secrets/.env.production", False),
        # External Secrets manifests hold references; a Secret manifest holds values
        ("deploy/k8s/db-externalsecret.yaml", True),
        ("deploy/k8s/api-external-secrets.yml", True),
        ("deploy/k8s/db-secret.yaml", False),
        ("deploy/k8s/external-secret-key.json", False),
        # translation files named for a credential store are texts
        ("apps/web/public/locales/pt-BR/auth.json", True),
        ("src/i18n/ja/credentials.json", True),
        ("resources/lang/de/passwords.json", True),
        ("packages/app/locales/en/auth.json", True),
        ("auth.json", False),
        ("home/u/.config/containers/auth.json", False),
        ("src/auth.json", False),
        ("config/credentials.json", False),
        # a sample of a history, written as one, is a test's input
        ("tests/fixtures/sample_fish_history.txt", True),
        ("spec/data/example-bash_history.txt", True),
        ("logs/prod_history.txt", False),
        # an exception of the plugin cache does not reach Terraform's credential file
        (".terraform.d/plugin-cache/credentials.tfrc.json", False),
        (".terraform.d/plugin-cache/registry.terraform.io/hashicorp/aws/5.0.0/x", True),
    ],
)
def test_fourteenth_round_stores_and_shared_files(path: str, safe: bool) -> None:
    assert check_path(path).safe is safe, check_path(path).reason
    assert is_exportable(path) is safe
    assert (is_sensitive_name(path) is None) is safe


# Round 14, second probe: home directories checked into repositories (dotfiles, devcontainer
# home volumes, Library/, AppData/Roaming/, .local/share). Credential stores it found accepted
# and their cousins are refused; docs, templates and settings inside directories the
# catalogue covers whole are shared where no key or token can be in them.
@pytest.mark.parametrize(
    ("path", "safe"),
    [
        # Git Credential Manager's plain-text and DPAPI stores
        ("home/dev/.gcm/store/git/https/github.com/bob.credential", False),
        ("Users/bob/.gcm/dpapi_store/git/https/gitlab.com/bob.credential", False),
        ("src/gcm/store.py", True),
        # forge CLIs: gh on Windows (any case, any Unicode form), hut, python-gitlab, lab,
        # ghorg, goreleaser's token files
        ("profile/AppData/Roaming/GitHub CLI/hosts.yml", False),
        ("AppData/Roaming/GITHUB CLI/Hosts.Yml", False),
        ("Users/Ze\u0301/AppData/Roaming/GitHub CLI/hosts.yml", False),
        ("AppData/Roaming/GitHub CLI/config.yml", True),
        ("dotfiles/hut/.config/hut/config", False),
        ("home/u/.python-gitlab.cfg", False),
        ("etc/python-gitlab.cfg", False),
        (".config/lab/lab.toml", False),
        (".config/ghorg/conf.yaml", False),
        ("dotfiles/.config/goreleaser/gitlab_token", False),
        (".config/goreleaser/gitea_token", False),
        (".goreleaser.yaml", True),
        ("docs/hut.md", True),
        # glab's aliases are commands; its config.yml keeps the token
        ("home/u/.config/glab-cli/aliases.yml", True),
        ("home/u/.config/glab-cli/config.yml", False),
        # token files named for what they hold, without an extension
        ("ci/.secrets/npm-token", False),
        ("deploy/registry_token", False),
        ("keys/pypi_token.txt", False),
        ("lib/auth/refresh_token.rb", True),
        ("docs/api-token.md", True),
        ("scripts/rotate-token.sh", True),
        # Hugging Face keeps every saved token in stored_tokens
        ("home/u/.cache/huggingface/stored_tokens", False),
        ("models/bert/special_tokens_map.json", True),
        # local VM managers' SSH private keys: Lima, Colima, Rancher Desktop, Podman, Vagrant
        ("home/u/.colima/_lima/_config/user", False),
        ("Library/Application Support/rancher-desktop/lima/_config/user", False),
        (".local/share/containers/podman/machine/machine", False),
        (".vagrant.d/insecure_private_keys/vagrant.key.rsa", False),
        ("home/u/.lima/_config/user.pub", True),
        ("home/u/.lima/default/lima.yaml", True),
        # npm's and pnpm's global configuration files
        ("nvm/versions/node/v20.11.0/etc/npmrc", False),
        ("Users/bob/AppData/Local/pnpm/config/rc", False),
        ("docs/npmrc.md", True),
        # API clients: HTTPie's sessions in ~/.httpie, Insomnia's stores, Postman's app data
        ("home/u/.httpie/sessions/api.example.org/me.json", False),
        ("Library/Application Support/Insomnia/insomnia.Request.db", False),
        ("AppData/Roaming/Insomnia/insomnia.OAuth2Token.db", False),
        (".config/Postman/Partitions/main/IndexedDB/x.leveldb/000003.log", False),
        ("home/u/.httpie/config.json", True),
        ("api/insomnia/collection.json", True),
        ("postman/my-api.postman_collection.json", True),
        # AI command-line tools' credential files
        ("home/u/.qwen/oauth_creds.json", False),
        ("dotfiles/.gemini/mcp-oauth-tokens.json", False),
        ("Library/Application Support/io.datasette.llm/keys.json", False),
        (".config/shell_gpt/.sgptrc", False),
        (".config/aichat/config.yaml", False),
        (".local/share/amazon-q/data.sqlite3", False),
        ("home/u/.gemini/settings.json", True),
        ("Library/Application Support/io.datasette.llm/templates/summary.yaml", True),
        (".config/aichat/roles/shell.md", True),
        # database dumps: named as dumps or backups, in a backup directory, of MySQL's users
        ("var/backups/2024-05-01/app.sql", False),
        ("db/app-dump-2024.sql", False),
        ("ops/mysql_user_table.sql", False),
        ("ops/all-databases-2024.sql", False),
        ("db/prod.sql.zip", False),
        ("db/migrations/0007_create_users.sql", True),
        ("db/migrations/V9__add_backup_policy.sql", True),
        ("db/schema.sql", True),
        # documentation and templates inside directories covered whole
        ("home/u/.ssh/NOTES.md", True),
        ("home/u/.ssh/config.example", True),
        ("home/u/.ssh/allowed_signers", True),
        (".aws/docs/profiles.md", True),
        (".aws/config.tmpl", True),
        (".gnupg/README.txt", True),
        (".kube/kubeconfig.tmpl", True),
        (".kube/docs/contexts.md", True),
        (".password-store/docs/layout.md", True),
        (".config/gcloud/README.md", True),
        (".config/rclone/rclone.conf.tmpl", True),
        (".terraform.d/credentials.tfrc.json.dist", True),
        ("infra/wireguard/wg1.conf.tmpl", True),
        (".config/op/config.sample", True),
        # ...but never a key or a store behind a doc's or a template's name
        ("home/u/.ssh/config", False),
        (".ssh/deploy_github", False),
        (".ssh/id_ed25519.example", False),
        (".ssh/readme.d/deploy", False),
        (".aws/readme.d/credentials", False),
        (".aws/sso/cache/abc.json", False),
        ("home/u/.kube/config", False),
        (".password-store/work/vpn.gpg", False),
        ("infra/wireguard/wg1.conf", False),
        # GnuPG: card reader and keyboxd options are shared; gpg.conf, the agent and dirmngr
        # (LDAP passwords) stay refused with the keys
        ("dotfiles/.gnupg/scdaemon.conf", True),
        ("dotfiles/.gnupg/common.conf", True),
        ("dotfiles/.gnupg/gpg.conf", False),
        ("dotfiles/.gnupg/gpg-agent.conf", False),
        ("dotfiles/.gnupg/dirmngr.conf", False),
        ("dotfiles/.gnupg/private-keys-v1.d/0A1B.key", False),
        # settings of CLIs whose directory is covered whole
        ("home/u/.minikube/config/config.json", True),
        ("home/u/.minikube/profiles/dev/config.json", False),
        ("home/u/.minikube/profiles/dev/client.key", False),
        ("home/u/.config/configstore/update-notifier-netlify-cli.json", True),
        ("home/u/.config/configstore/snyk.json", False),
        ("home/u/.config/github-copilot/copilot-instructions.md", True),
        ("home/u/.config/github-copilot/apps.json", False),
        # docker-machine's and a context's CA and client certificates; keys, a server.pem (a
        # key elsewhere) and a machine's config stay refused
        ("home/u/.docker/machine/machines/dev/ca.pem", True),
        ("home/u/.docker/machine/machines/dev/server.pem", False),
        ("home/u/.docker/contexts/tls/0a1b/docker/cert.pem", True),
        ("home/u/.docker/machine/machines/dev/server-key.pem", False),
        ("home/u/.docker/machine/certs/key.pem", False),
        ("home/u/.docker/machine/machines/dev/config.json", False),
        ("home/u/.docker/contexts/tls/0a1b/docker/key.pem", False),
        # scripts named for kubeconfigs are programs; kubeconfigs are not
        ("scripts/kubeconfig-rotate.bash", True),
        ("tools/kubeconfig_export.ps1", True),
        ("clusters/kubeconfig-staging", False),
        # kept refused after weighing: gcloud configurations (proxy/password), cloudflared's
        # config.yml (a token: key), mongo shell rc files (db.auth with a password)
        ("home/u/.config/gcloud/configurations/config_work", False),
        ("home/u/.cloudflared/config.yaml", False),
        ("home/u/.mongoshrc.js", False),
        # look-alike letters are read as the letters they imitate (Cyrillic palochka as l)
        ("home/u/.config/gh/hosts.ym\u04cf", False),
        ("home/u/.kube/config-\u04cfive", False),
        ("AppData/Roaming/GitHub C\u04c0I/hosts.yml", False),
        (".config/gh/hosts.yml.\u0435xample", True),
    ],
)
def test_fourteenth_round_home_directory_stores_and_shared_files(path: str, safe: bool) -> None:
    assert check_path(path).safe is safe, check_path(path).reason
    assert is_exportable(path) is safe
    assert (is_sensitive_name(path) is None) is safe
