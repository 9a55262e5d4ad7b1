"""Classes of secret stores a ninth independent probe (application repositories) found accepted.

Round 15, second probe: web frameworks' generated secret keys and configuration caches
(Django, Rails, Phoenix, Figaro, Laravel), application key rings (JSON Web Keys, Duende and
ASP.NET Data Protection keys), server-side session stores, end-to-end tests' logged-in state
(Playwright, Cypress, cookie jars), copies of an application's data (SQLite databases, dumps,
backups, user exports), ML platforms' and Jupyter's tokens, serverless and mobile build
secrets, credentials downloaded as JSON. Each class is a catalogue entry, so these paths are
cousins of the probe's rows, not its rows. The safe paths are the neighbours the same round
shared or kept shared (certificates named by the tools that write them, git placeholders,
Symfony's public vault files, templates, code, docs, schemas, migrations, seeds).
"""

from __future__ import annotations

import pytest

from gitgate import check_path, is_exportable
from gitgate.safety.pathpolicy import catalogue_entry, is_sensitive_name

# (path, the catalogue entry whose pattern refuses it)
REFUSED = [
    # frameworks' secret keys and secret configurations
    ("backend/conf/secret_key.txt", "framework-secret-files"),
    ("site/.django_secret_key.txt", "framework-secret-files"),
    ("web/tmp/local_secret.txt", "framework-secret-files"),
    ("legacy/tmp/development_secret.txt", "framework-secret-files"),
    ("umbrella/apps/api/config/staging.secret.exs", "framework-secret-files"),
    ("shop/config/application.yml", "framework-secret-files"),
    ("crm/bootstrap/cache/config.php", "framework-secret-files"),
    ("_build/staging/rel/api/releases/COOKIE", "framework-secret-files"),
    ("home/.local/share/jupyter/notebook_cookie_secret", "framework-secret-files"),
    # key rings and private keys in other containers
    ("auth/keys/dev-signing.jwk", "application-key-rings"),
    ("idp/keys/is-signing-key-0A1B2C3D4E.json", "application-key-rings"),
    ("app/keys/token_signing_key_2024.json", "application-key-rings"),
    ("var/aspnet/DataProtection-Keys/anything.xml", "application-key-rings"),
    ("keyring/key-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.xml", "application-key-rings"),
    ("src/main/resources/certs/client_private_key.der", "application-key-rings"),
    ("release/pepk-out/encrypted_private_key.zip", "application-key-rings"),
    # server-side sessions
    ("crm/storage/framework/sessions/xY9aBcDeFgHiJkLmNoP", "server-session-stores"),
    ("var/lib/php/sessions/sess_a1b2c3d4e5f6", "server-session-stores"),
    ("cake/tmp/sessions/a1b2c3", "server-session-stores"),
    ("flask_session/5f4dcc3b5aa765d61d8327deb882cf99", "server-session-stores"),
    ("server/sessions/nested/Zm9vYmFy.json", "server-session-stores"),
    ("tmp/django_sessions/sessionid0123456789abcdef", "server-session-stores"),
    # end-to-end tests' logged-in state and secrets
    ("web/tests/.auth/editor.json", "test-session-and-env-files"),
    ("qa/storage_state.json", "test-session-and-env-files"),
    ("frontend/cypress.env.json", "test-session-and-env-files"),
    ("frontend/cypress.env.ci.json", "test-session-and-env-files"),
    ("scripts/cookiejar.txt", "test-session-and-env-files"),
    ("scraper/cookies.txt", "test-session-and-env-files"),
    # copies of an application's data
    ("db/production.sqlite3", "application-data-dumps"),
    ("storage/development.sqlite3-wal", "application-data-dumps"),
    ("database/database.sqlite", "application-data-dumps"),
    ("ops/pg/nightly.dump", "application-data-dumps"),
    ("dump/shop/customers.bson", "application-data-dumps"),
    ("ops/backups/2024/05/orders.json", "application-data-dumps"),
    ("backup/tables.csv.gz", "application-data-dumps"),
    ("var/dumps/accounts.sql", "application-data-dumps"),
    ("reports/exports/active_users_2024.csv", "application-data-dumps"),
    ("admin/exports/accounts.xlsx", "application-data-dumps"),
    ("seed-data/auth_user.yaml", "application-data-dumps"),
    ("audit/password_hashes.txt", "application-data-dumps"),
    ("spec/fixtures/production-dump/orders.yml", "application-data-dumps"),
    ("qa/prod-snapshot-2024/tokens.json", "application-data-dumps"),
    ("crm/storage/app/private/contracts/acme.pdf", "application-data-dumps"),
    # ML platforms and notebooks
    ("research/.comet.config", "ml-platform-credentials"),
    ("home/clearml.conf", "ml-platform-credentials"),
    ("home/trains.conf", "ml-platform-credentials"),
    ("home/.modal.toml", "ml-platform-credentials"),
    ("tracking/basic_auth.ini", "ml-platform-credentials"),
    ("AppData/Roaming/jupyter/runtime/kernel-9f8e.json", "ml-platform-credentials"),
    ("home/.jupyter/jupyter_server_config.json", "ml-platform-credentials"),
    # serverless, mobile and game build secrets
    ("home/.serverlessrc", "serverless-and-mobile-build-secrets"),
    ("app/amplify/team-provider-info.json", "serverless-and-mobile-build-secrets"),
    ("home/.amplify/awscloudformation/Xyz123", "serverless-and-mobile-build-secrets"),
    ("firebase/functions/.runtimeconfig.json", "serverless-and-mobile-build-secrets"),
    ("firebase/functions/.secret.local", "serverless-and-mobile-build-secrets"),
    ("mobile/.bitrise.secrets.yml", "serverless-and-mobile-build-secrets"),
    ("api/appsettings.secrets.json", "serverless-and-mobile-build-secrets"),
    ("rn/ios/sentry.properties", "serverless-and-mobile-build-secrets"),
    ("ios/Configs/Staging-Secrets.xcconfig", "serverless-and-mobile-build-secrets"),
    ("ios/App/Secrets.plist", "serverless-and-mobile-build-secrets"),
    ("ci/Unity_v6000.x.ulf", "serverless-and-mobile-build-secrets"),
    ("ci/.unity-license/license.xml", "serverless-and-mobile-build-secrets"),
    # credentials downloaded as JSON
    ("mobile/fastlane/app-store-connect_credentials.json", "named-credential-json"),
    ("deploy/registry-credentials.json", "named-credential-json"),
    # HAProxy's crt bundles: certificate and key in one .pem
    ("etc/haproxy/certs/cert.pem", "system-tls-private"),
]

# Backup, editor, case and separator spellings of the same stores.
SPELLINGS = [
    "backend/conf/Secret_Key.TXT",
    "backend/conf/secret_key.txt.bak",
    "web/tmp/local_secret.txt~",
    "umbrella/config/prod.secret.exs.orig",
    "shop/config/Application.YML",
    "shop/config/application.yml.save",
    "crm/bootstrap/cache/config.php.old",
    "auth/keys/dev-signing.JWK",
    "auth/keys/dev-signing.jwk.swp",
    "var/aspnet/dataprotection-keys/k.xml",
    "web/tests/.AUTH/editor.json",
    "frontend/Cypress.Env.JSON",
    "frontend/cypress.env.json.bak",
    "db/Production.SQLite3",
    "db/production.sqlite3.bak",
    "ops/pg/nightly.DUMP",
    "research/.Comet.Config",
    "research/.comet.config~",
    "home/ClearML.conf.bak",
    "home/.serverlessrc.old",
    "rn/android/Sentry.Properties",
    "rn/android/sentry.properties.prev",
    "ios/App/SECRETS.xcconfig",
    "ci/Unity_v2022.x.ULF",
    "mobile/fastlane/play-store-credentials.json.bak",
    "release/Encrypted_Private_Key.ZIP",
    "release/encrypted_private_key.zip.1",
    # look-alike letters (Cyrillic е, о, а; full-width ｓ) and invisible characters
    "db/productiоn.sqlite3",
    "frontend/cypress.еnv.json",
    "research/.comet.cоnfig",
    "rn/ios/sentry.propertiеs",
    "web/tmp/locаl_secret.txt",
    "ml/ｓessions/abc.json",
    "web/tests/.auth\u200b/editor.json",
    "ops/pg/nightly\u00ad.dump",
    # non-canonical spellings stay refused whatever the name
    "./db/production.sqlite3",
    "web//tests/.auth/editor.json",
]

# Neighbours that are shared: code, docs, templates, schemas, migrations, seeds, fixtures named
# otherwise, the placeholders of ignored directories, and certificates under the names of the
# tools that write them (their keys carry "key" in the name and stay refused).
SHARED = [
    "backend/accounts/management/commands/generate_secret_key.py",
    "docs/ops/secret-key-rotation.md",
    "shop/config/application.yml.sample",
    "shop/config/application.rb",
    "orders/src/main/resources/application.yml",
    "orders/src/main/resources/application-prod.yml",
    "crm/bootstrap/cache/packages.php",
    "crm/bootstrap/cache/services.php",
    "auth/keys/signing-public.jwk",
    "auth/.well-known/jwks.json",
    "auth/src/keys/private_key_loader.ts",
    "docs/keys/private-key-handling.md",
    "crm/storage/framework/sessions/.gitignore",
    "cake/tmp/sessions/.gitkeep",
    "django/contrib/sessions/backends/file.py",
    "django/contrib/sessions/locale/de/LC_MESSAGES/django.po",
    "app/controllers/sessions_controller.rb",
    "src/sessions/session-store.ts",
    "playwright.config.ts",
    "web/tests/.auth/.gitignore",
    "frontend/cypress.env.example.json",
    "frontend/cypress.config.ts",
    "src/utils/cookies.ts",
    "docs/cookies.md",
    "db/schema.rb",
    "db/structure.sql",
    "db/seeds.rb",
    "db/seed.sql",
    "db/migrate/20240101000000_create_users.rb",
    "prisma/migrations/20240101000000_init/migration.sql",
    "spec/fixtures/users.yml",
    "tests/fixtures/sample_users.json",
    "ops/backups/README.md",
    "ops/backup/run-backup.sh",
    "src/exports/userExporter.ts",
    "docs/exports/README.md",
    "src/accounts/auth_user.py",
    "docs/security/password-hashing.md",
    "roles/openvpn/templates/auth-user-pass.j2",
    "crm/storage/app/private/.gitignore",
    "crm/storage/app/public/logo.png",
    "research/.comet.config.example",
    "home/.jupyter/jupyter_server_config.py",
    "amplify/.config/project-config.json",
    "amplify/backend/backend-config.json",
    ".secrets.baseline",
    "ios/Configs/Release.xcconfig",
    "rn/sentry.properties.example",
    "android/local.defaults.properties",
    "dev/certs/localhost.pem",
    "dev/certs/example.test+3.pem",
    "api/priv/cert/selfsigned.pem",
    "vendor/openssl/test/certs/rootcert.pem",
    "pki/root-ca.pem",
    "pki/intermediate_ca_cert.pem",
    "android/app/upload_certificate.pem",
    "etc/haproxy/certs/ca.pem",
    "shop/config/secrets/prod/prod.encrypt.public.php",
    "shop/config/secrets/staging/staging.list.php",
    "deploy/secrets/.gitkeep",
    "secrets/.gitignore",
    "inventory/credentials/.gitkeep",
    "serviceAccountKey.example.json",
    "schemas/registry-credentials.schema.json",
    "spec/fixtures/fake_credentials.json",
]

# What the narrower rules must not let through: the keys beside the shared certificates,
# Symfony's decryption key and encrypted values, real keys named as service accounts.
STILL_REFUSED = [
    "dev/certs/localhost-key.pem",
    "dev/certs/example.test+3-key.pem",
    "api/priv/cert/selfsigned_key.pem",
    "vendor/openssl/test/certs/rootkey.pem",
    "pki/root-ca-key.pem",
    "pki/ca_cert_private.pem",
    "etc/haproxy/certs/example.com.pem",
    "shop/config/secrets/prod/prod.decrypt.private.php",
    "shop/config/secrets/prod/prod.DATABASE_URL.5ec1a0.php",
    "deploy/secrets/db_password",
    "serviceAccountKey.json",
    "serviceAccountKey.json.bak",
    "spec/fixtures/real-credentials.json",
]


@pytest.mark.parametrize(("path", "entry"), REFUSED)
def test_application_secret_stores_are_refused(path: str, entry: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert verdict.reason.startswith("sensitive file ("), verdict.reason
    assert not is_exportable(path), path
    rule = is_sensitive_name(path)
    found = catalogue_entry(rule) if rule is not None else None
    assert found is not None and found.name == entry, (path, rule)


@pytest.mark.parametrize("path", SPELLINGS)
def test_other_spellings_of_the_stores_are_refused(path: str) -> None:
    assert not check_path(path).safe, path
    assert not is_exportable(path), path


@pytest.mark.parametrize("path", SHARED)
def test_neighbours_are_shared(path: str) -> None:
    verdict = check_path(path)
    assert verdict.safe, (path, verdict.reason)
    assert is_exportable(path), path
    assert is_sensitive_name(path) is None, path


@pytest.mark.parametrize("path", STILL_REFUSED)
def test_narrower_rules_let_no_key_through(path: str) -> None:
    assert not check_path(path).safe, path
    assert not is_exportable(path), path


@pytest.mark.parametrize(
    "path",
    [
        "/home/dev/.comet.config",
        "~/.serverlessrc",
        "/var/www/crm/bootstrap/cache/config.php",
        "/srv/app/db.sqlite3",
    ],
)
def test_reading_them_outside_the_repository_is_sensitive(path: str) -> None:
    """The command classifier asks is_sensitive_name about absolute and ~ paths."""
    rule = is_sensitive_name(path)
    assert rule is not None and catalogue_entry(rule) is not None, path


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        # one Secret manifest per environment (a review after probe 19)
        ("k8s/secret.prod.yaml", False),
        ("deploy/secrets.staging.yml", False),
        ("deploy/db-secret.prod.yml", False),
        ("k8s/secret.prod.yaml.example", True),
        ("k8s/secrets.schema.yaml", True),
        ("k8s/secret.sealed.yaml", True),
        ("charts/api/templates/secret.prod.yaml", True),
    ],
)
def test_secret_manifests_per_environment(path: str, safe: bool) -> None:
    assert check_path(path).safe is safe
