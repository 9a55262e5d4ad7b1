"""Round 18: credential stores of web sites, CMSs, shops and hosting (blind paths probe 14).

Each class is a catalogue entry: the files CMSs and web frameworks keep their database
passwords, salts and keys in beside the main configuration (WordPress' wp-config copies,
salts and local-config.php, Drupal's per-environment settings and salt.txt, Joomla's,
Magento's, PrestaShop's, OpenCart's and osCommerce's configurations, Rails' local_env.yml,
cookiecutter-django's .envs/.production/, Kamal's secrets, Capistrano's shared files), full
site backups (UpdraftPlus, BackWPup, Duplicator, All-in-One WP Migration, WP STAGING, Akeeba,
Backup and Migrate, spatie/laravel-backup, dumps named for the server, CMS or domain),
secrets of web servers and hosting panels (Traefik's acme.json and usersFile, cPanel,
Plesk, DirectAdmin), FTP/SFTP deploy configurations of editors and deploy tools, and the
tokens of hosting CLIs (Terminus, Platform.sh, Acquia, Forge, Vapor, Shopify). Samples and
dist files, Drupal's default settings and platform includes, backup plugins' own code and
guard files, schemas and migrations stay ordinary files.
"""

from __future__ import annotations

import pytest

from gitgate import check_path, is_exportable
from gitgate.safety.pathpolicy import catalogue_entry, is_sensitive_name

# (path, the catalogue entry whose pattern refuses it)
REFUSED = [
    # CMS and framework secret includes
    ("wp-config (2).php", "cms-and-framework-secret-includes"),
    ("blog/wp-salts.php", "cms-and-framework-secret-includes"),
    ("site/wp-salt-keys.php", "cms-and-framework-secret-includes"),
    ("config/salts.php", "cms-and-framework-secret-includes"),
    ("private/hash_salt.txt", "cms-and-framework-secret-includes"),
    ("salt.txt", "cms-and-framework-secret-includes"),
    ("public/local-config.php", "cms-and-framework-secret-includes"),
    ("web/sites/default/settings.staging.php", "cms-and-framework-secret-includes"),
    ("docroot/sites/shop/production.settings.php", "cms-and-framework-secret-includes"),
    ("sites/default/settings.live.php", "cms-and-framework-secret-includes"),
    ("files/private/secrets.settings.php", "cms-and-framework-secret-includes"),
    ("configuration.php-old", "cms-and-framework-secret-includes"),
    ("app/etc/env.staging.php", "cms-and-framework-secret-includes"),
    ("app/etc/env.php-backup", "cms-and-framework-secret-includes"),
    ("shop/app/config/parameters.php", "cms-and-framework-secret-includes"),
    ("store/upload/config.php", "cms-and-framework-secret-includes"),
    ("store/upload/admin/config.php", "cms-and-framework-secret-includes"),
    ("zencart/includes/configure.php", "cms-and-framework-secret-includes"),
    ("zencart/admin/includes/configure.php", "cms-and-framework-secret-includes"),
    ("config/local_env.yml", "cms-and-framework-secret-includes"),
    ("config/settings.local.yml", "cms-and-framework-secret-includes"),
    ("config/settings/production.local.yml", "cms-and-framework-secret-includes"),
    (".envs/.staging/.postgres", "cms-and-framework-secret-includes"),
    (".kamal/secrets.staging", "cms-and-framework-secret-includes"),
    (".kamal/secrets-common", "cms-and-framework-secret-includes"),
    ("current/shared/config/database.yml", "cms-and-framework-secret-includes"),
    ("deploy/app.secret.yaml", "cms-and-framework-secret-includes"),
    # site backups
    (
        "wp-content/updraft/backup_2024-01-01-0000_Blog_abcdef123456-plugins.zip",
        "site-backup-archives",
    ),
    ("old/backup_2024-01-01-0000_Blog_abcdef123456-uploads2.zip", "site-backup-archives"),
    ("wp-content/uploads/backwpup-abc123-backups/job.zip", "site-backup-archives"),
    ("wp-content/uploads/backwpup-abc123-temp/db.sql", "site-backup-archives"),
    (
        "wp-content/backups-dup-pro/site_1a2b3c4d5e6f7a8_20240101120000_archive.daf",
        "site-backup-archives",
    ),
    ("moved/site_1a2b3c4d5e6f7a8_20240101120000_database.sql", "site-backup-archives"),
    ("migrations-out/blog-20240101.wpress", "site-backup-archives"),
    ("wp-content/uploads/wp-staging/backups/site.wpstg", "site-backup-archives"),
    ("wp-content/uploads/backup-guard/site.sgbp", "site-backup-archives"),
    ("site-www.example.com-20240101.jpa", "site-backup-archives"),
    ("site-20240101.jps", "site-backup-archives"),
    ("private/backup_migrate/scheduled/Default.mysql", "site-backup-archives"),
    ("storage/app/My-App/2024-02-03-04-05-06.zip", "site-backup-archives"),
    ("storage/app/backup-temp/temp/db-dumps/postgresql-app.sql", "site-backup-archives"),
    ("public_html.zip", "site-backup-archives"),
    ("httpdocs.tar", "site-backup-archives"),
    ("shop-backup-2024.zip", "site-backup-archives"),
    ("full_backup_2024.7z", "site-backup-archives"),
    ("db/127.0.0.1.sql", "site-backup-archives"),
    ("drupal8.sql", "site-backup-archives"),
    ("wp_users.sql", "site-backup-archives"),
    ("shop.example.de.sql", "site-backup-archives"),
    ("acme-prod.sql", "site-backup-archives"),
    # web servers and hosting panels
    ("proxy/traefik/data/acme.json", "web-server-and-panel-secrets"),
    ("letsencrypt/acme-staging.json", "web-server-and-panel-secrets"),
    ("traefik/dynamic/usersFile", "web-server-and-panel-secrets"),
    ("whm/.accesshash", "web-server-and-panel-secrets"),
    ("var/cpanel/authn/api_tokens_v2/whostmgr/root.json", "web-server-and-panel-secrets"),
    ("etc/psa/.psa.shadow", "web-server-and-panel-secrets"),
    ("usr/local/directadmin/scripts/setup.txt", "web-server-and-panel-secrets"),
    ("usr/local/directadmin/conf/mysql.conf", "web-server-and-panel-secrets"),
    # FTP and SFTP deploy configurations
    ("theme/sftp-config-staging.json", "ftp-deploy-configurations"),
    (".vscode/sftp-prod.json", "ftp-deploy-configurations"),
    (".vscode/ftp-simple.json", "ftp-deploy-configurations"),
    ("gulp/ftppass.json", "ftp-deploy-configurations"),
    ("site/.sftpconfig", "ftp-deploy-configurations"),
    ("sites/client.ste", "ftp-deploy-configurations"),
    ("phploy.ini", "ftp-deploy-configurations"),
    (".phploy", "ftp-deploy-configurations"),
    ("dandelion.yml", "ftp-deploy-configurations"),
    # hosting CLIs
    (".terminus/cache/tokens/me@example.com", "hosting-platform-clis"),
    (".terminus/cache/session", "hosting-platform-clis"),
    (".platformsh/.session/sess-cli-default/sess-cli-default.json", "hosting-platform-clis"),
    (".acquia/cloud_api.conf", "hosting-platform-clis"),
    (".laravel-forge/config.json", "hosting-platform-clis"),
    (".laravel-vapor/config.json", "hosting-platform-clis"),
    ("Library/Preferences/shopify-cli-kit-nodejs/config.json", "hosting-platform-clis"),
]

# Copies, archives, case, look-alike letters and editor files of the same stores.
SPELLINGS = [
    "ACME.JSON",
    "traefik/acme.json.bak",
    "traefik/acme.json.gz",
    "config/salts.php~",
    "config/.salts.php.swp",
    "Web/Sites/Default/Settings.Prod.php",
    "app/etc/env.prod.php.orig",
    "SFTP-CONFIG-ALT.JSON",
    ".vscode/ftp-kr.json.old",
    "acme.wpress.zip",
    "salt.txt.",
    "config/sаlts.php",  # a Cyrillic а
    "./config/local_env.yml",
    "config\\local_env.yml",
]

# Neighbours that stay shared: samples and dist files, Drupal's defaults and platform
# includes, backup plugins' code and guard files, schemas, migrations, deploy recipes.
SHARED = [
    "wp-config-sample.php",
    "wp-salt-example.php",
    "local-config-sample.php",
    "web/sites/default/default.settings.php",
    "web/sites/example.settings.local.php",
    "web/sites/default/settings.platformsh.php",
    "web/sites/default/settings.ddev.php",
    "web/sites/default/settings.pantheon.php",
    "configuration.php-dist",
    "app/etc/env.php.sample",
    "app/etc/config.php",
    "app/config/parameters.yml.dist",
    "upload/config-dist.php",
    "upload/admin/config-dist.php",
    "includes/dist-configure.php",
    "config.example.json",
    "config/settings.yml",
    "config/settings/production.yml",
    ".envs/.local/.django",
    ".envs/.production/.django.example",
    ".kamal/secrets.example",
    ".kamal/secrets-common.example",
    "templates/db.secret.yaml",
    "deploy.php",
    "deploy/hosts.yml",
    "config/deploy/production.rb",
    "packages/shared/src/index.ts",
    "src/Acme/Salt.php",
    "lib/Crypto/SaltGenerator.php",
    "wp-content/plugins/updraftplus/backup.php",
    "wp-content/plugins/backwpup/backwpup.php",
    "wp-content/plugins/duplicator/classes/package/class.pack.archive.php",
    "wp-content/plugins/all-in-one-wp-migration/lib/model/class-ai1wm-backups.php",
    "web/modules/contrib/backup_migrate/src/Core/Main/BackupMigrate.php",
    "web/modules/contrib/backup_migrate/backup_migrate.module",
    "wp-content/updraft/.htaccess",
    "wp-content/updraft/index.html",
    "wp-content/updraft/log.abcdef123456.txt",
    "wp-snapshots/index.php",
    "wp-snapshots/robots.txt",
    "backupbuddy.zip",
    "backup.tar",
    "site.tar.gz",
    "scripts/backup.sh",
    "docs/backups.md",
    "database/schema/mysql-schema.sql",
    "sql/migrations/001_create_users.sql",
    "tests/fixtures/posts.sql",
    "db/seeds.sql",
    "traefik/traefik.yml",
    "docs/acme.md",
    "public/acme-challenge.json",
    ".vscode/settings.json",
    ".vscode/sftp.example.json",
    "sftp-config.json.example",
    "sftp-config-sample.json",
    ".terminus/config.yml",
    "pantheon.yml",
    ".platform.app.yaml",
]

# What the narrower rules must not let through: the real stores beside shared samples.
STILL_REFUSED = [
    "wp-config.php",
    "web/sites/default/settings.php",
    "web/sites/default/settings.local.php",
    "configuration.php",
    "app/etc/env.php",
    ".kamal/secrets",
    ".envs/.production/.django",
    "sftp-config.json",
    ".vscode/sftp.json",
    "wp-content/ai1wm-backups/site.wpress",
]


@pytest.mark.parametrize(("path", "entry"), REFUSED)
def test_web_hosting_stores_are_refused_and_not_exported(path: str, entry: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert verdict.reason.startswith("sensitive file ("), verdict.reason
    assert not is_exportable(path), path
    rule = is_sensitive_name(path)
    found = catalogue_entry(rule) if rule is not None else None
    assert found is not None and found.name == entry, (path, rule)
    assert is_sensitive_name("~/" + path) is not None


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
def test_narrower_rules_let_no_store_through(path: str) -> None:
    assert not check_path(path).safe, path
    assert not is_exportable(path), path
