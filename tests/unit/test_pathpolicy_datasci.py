"""Round 17: credential stores of data, ML and analytics repositories (blind paths probe 12).

Each class is a catalogue entry: warehouse connection profiles (dbt, dbt Cloud, Prefect,
Snowflake CLI, Looker SDK, databricks-connect), pipeline secrets (Airflow's configuration,
connection exports and generated passwords, Great Expectations' uncommitted variables,
Meltano's run configurations, Redash, Metaflow, Dagster Cloud), notebook and R/Julia
credentials (Jupyter's JSON configuration and notebook secret, IPython's security directory,
httr/gargle/httr2 token caches, rsconnect accounts, JuliaHub tokens), data platform CLIs
(Confluent, lakeFS, Pachyderm, ClearML, DVC's Google Drive cache, NGC, BentoCloud, DagsHub),
token caches, the metadata databases of data applications, data servers' user and key stores
(Trino, Neo4j, Oracle wallets, Slurm, Shiro, Hadoop SSL, ClickHouse). The copy rules learnt
two layers: an archive may pack a whole directory (``.dbt.tar.gz`` is ``.dbt/``), and a
base64 copy is the file. These are cousins of the probe's rows, not its rows; each comes
with neighbours that stay shared (project files, templates, fixtures, tokenizers, code).
"""

from __future__ import annotations

import re

import pytest

from gitgate import check_path, is_exportable
from gitgate.safety.pathpolicy import (
    CatalogueError,
    catalogue_entry,
    is_sensitive_name,
    parse_catalogue,
)

# (path, the catalogue entry whose pattern refuses it)
REFUSED = [
    # connection profiles
    ("warehouse/transform/profiles.yml", "warehouse-connection-profiles"),
    ("dbt/ci/profiles.yml.20240115", "warehouse-connection-profiles"),
    ("ops/dbt_profiles.yml", "warehouse-connection-profiles"),
    ("home/analyst/dbt_cloud.yml", "warehouse-connection-profiles"),
    ("orchestration/.prefect/profiles.toml", "warehouse-connection-profiles"),
    ("prefect/profiles.toml", "warehouse-connection-profiles"),
    ("cli/snowflake/connections.toml", "warehouse-connection-profiles"),
    ("home/.config/snowflake/config.toml", "warehouse-connection-profiles"),
    ("bi/looker/looker.ini", "warehouse-connection-profiles"),
    ("home/.databricks-connect", "warehouse-connection-profiles"),
    # orchestrators and data-quality tools
    ("scheduler/airflow.cfg", "data-pipeline-secrets"),
    ("ops/airflow/connections_prod.yaml", "data-pipeline-secrets"),
    ("migration/airflow-connections.json", "data-pipeline-secrets"),
    ("exports/connections.yml", "data-pipeline-secrets"),
    ("airflow/simple_auth_manager_passwords.json.generated", "data-pipeline-secrets"),
    ("quality/gx/uncommitted/config_variables.yml", "data-pipeline-secrets"),
    (".meltano/run/target-postgres/target.config.json", "data-pipeline-secrets"),
    ("deploy/redash/env", "data-pipeline-secrets"),
    ("home/.metaflowconfig/config.json", "data-pipeline-secrets"),
    ("home/.dagster_cloud_cli/config", "data-pipeline-secrets"),
    # notebooks, R and Julia sessions
    ("notebooks/jupyter_server_config.json", "notebook-and-r-credentials"),
    ("home/.local/share/jupyter/notebook_secret", "notebook-and-r-credentials"),
    (
        "home/.ipython/profile_cluster/security/ipcontroller-engine.json",
        "notebook-and-r-credentials",
    ),
    ("reports/.httr-oauth", "notebook-and-r-credentials"),
    ("home/.cache/gargle/7d2c_me@example.org", "notebook-and-r-credentials"),
    ("home/.cache/httr2/8a1b.rds", "notebook-and-r-credentials"),
    ("home/.config/R/rsconnect/accounts/posit.cloud/me.dcf", "notebook-and-r-credentials"),
    ("home/.rsconnect-python/servers.json", "notebook-and-r-credentials"),
    ("home/.julia/servers/juliahub.com/auth.toml", "notebook-and-r-credentials"),
    # data and ML platform CLIs
    ("home/.confluent/librdkafka.config", "data-platform-clis"),
    ("home/.ccloud/config", "data-platform-clis"),
    ("home/.lakectl.yaml", "data-platform-clis"),
    ("home/.pachyderm/config.json", "data-platform-clis"),
    ("home/.clearml.conf", "data-platform-clis"),
    ("home/.cache/pydrive2fs/client-id/default.json", "data-platform-clis"),
    ("home/.ngc/config", "data-platform-clis"),
    ("home/.yatai.yaml", "data-platform-clis"),
    ("home/.cache/dagshub/tokens", "data-platform-clis"),
    # token caches
    ("home/.databricks/token-cache.json", "token-caches"),
    ("tools/msal_token_cache_v2.bin", "token-caches"),
    ("app/.cache/tokencache.dat", "token-caches"),
    # metadata databases
    ("hub/jupyterhub.sqlite", "analytics-metadata-databases"),
    ("metabase/data/metabase.db.mv.db", "analytics-metadata-databases"),
    ("superset_home/superset.db", "analytics-metadata-databases"),
    ("airflow-home/airflow.db", "analytics-metadata-databases"),
    ("home/.prefect/prefect.db", "analytics-metadata-databases"),
    (".meltano/meltano.db", "analytics-metadata-databases"),
    # data servers
    ("presto/etc/password.db", "data-server-credentials"),
    ("graph/data/dbms/auth.ini", "data-server-credentials"),
    ("downloads/Wallet_ANALYTICS.zip", "data-server-credentials"),
    ("etc/slurm/slurmdbd.conf", "data-server-credentials"),
    ("zeppelin/conf/shiro.ini", "data-server-credentials"),
    ("hadoop/etc/hadoop/ssl-client.xml", "data-server-credentials"),
    ("deploy/clickhouse/users.xml", "data-server-credentials"),
    ("deploy/clickhouse-server/users.d/readonly.xml", "data-server-credentials"),
    # Google Cloud keys under short names
    ("infra/gcp/account.json", "gcp-service-account-keys"),
    ("keys/etl-sa.json", "gcp-service-account"),
]

# Copies, archives, encodings, case, look-alike letters and editor files of the same stores.
SPELLINGS = [
    "warehouse/PROFILES.YML",
    "warehouse/profiles.yml~",
    "warehouse/.profiles.yml.swp",
    "scheduler/Airflow.Cfg",
    "scheduler/airflow.cfg.orig",
    "#looker.ini#",
    "bi/looker.ini.",
    "exports/connections.yaml.gz",
    "hub/jupyterhub.sqlite.bak",
    "keys/etl-sa.json.b64",
    "keys/service_account.json.base64",
    "home/kaggle.json.base64",
    # an archive of a credential directory is the directory
    "home/runner/.dbt.zip",
    "backup/.kaggle.tgz",
    "home/analyst/.aws.tar.gz",
    "home/analyst/.snowflake.tar.xz",
    "home/analyst/.confluent.7z",
    # look-alike letters (Cyrillic е, full-width ａ)
    "warehouse/profilеs.yml",
    "scheduler/\uff41irflow.cfg",
    # non-canonical spellings stay refused whatever the name
    "./scheduler/airflow.cfg",
    "warehouse//profiles.yml",
]

# Neighbours that stay shared: project files, templates, docs, fixtures and data named like a
# store, code, certificates, archives of ordinary directories.
SHARED = [
    "warehouse/dbt_project.yml",
    "warehouse/packages.yml",
    "warehouse/profile_template.yml",
    "warehouse/profiles.yml.sample",
    "docs/dbt/profiles-setup.md",
    "spec/fixtures/profiles.yml",
    "test/fixtures/profiles.yml",
    "site/_data/profiles.yml",
    "config/locales/en/profiles.yml",
    ".dbt/.user.yml",
    ".dbt/.gitignore",
    ".kaggle/.gitkeep",
    ".huggingface/.gitignore",
    "airflow/config_templates/default_airflow.cfg",
    "airflow/airflow.cfg.j2",
    "tests/fixtures/connections.json",
    "docs/airflow/connections.rst",
    "airflow/providers/http/hooks/connections.py",
    "great_expectations/uncommitted/validations/suite/run.json",
    "great_expectations/checkpoints/nightly.yml",
    ".meltano/run/tap-github/tap.properties.json",
    "meltano.yml",
    ".ipython/profile_default/ipython_kernel_config.py",
    ".ipython/profile_default/startup/00-init.py",
    "notebooks/jupyter_notebook_config.py",
    "jupyter_server_config.example.json",
    "rsconnect/shinyapps.io/me/dashboard.dcf",
    "renv.lock",
    "mlflow.db",
    "metabase.db.trace.db",
    "src/auth/token_cache.py",
    "src/Auth/TokenCache.cs",
    "docs/token-cache.md",
    "trino/etc/password-authenticator.properties",
    "clickhouse/config.d/logging.xml",
    "Wallet_ANALYTICS/tnsnames.ora",
    "etc/hadoop/ssl-server.xml.example",
    "etc/hadoop/core-site.xml",
    "zeppelin/conf/shiro.ini.template",
    "schemas/service_account.schema.json",
    "schemas/bigquery-sa.schema.json",
    "fixtures/account.json",
    "__mocks__/api/account.json",
    "locales/de/account.json",
    "models/llama/tokenizer.json",
    "models/llama/tokenizer_config.json",
    "models/bert/special_tokens_map.json",
    "data/keypoints/val.json",
    "docs.zip",
    "site.tar.gz",
    "charts/app/templates/secrets/connection.yaml",
    "db/migrations/0012_rename_password_hash.sql",
]

# What the narrower rules must not let through.
STILL_REFUSED = [
    ".dbt/profiles.yml",  # .dbt/ stays whole but for .user.yml and git's placeholders
    ".huggingface/token",
    "test/fixtures/.dbt/profiles.yml",  # the fixture exception is for profiles tables only
    "spec/fixtures/airflow.cfg",
    "secrets/api.yaml",
    "secrets/api.enc.yaml",  # encrypted: the store for whoever holds the key
    "deploy/secrets/vault.sops.json",
    "charts/app/secrets/db.yaml",  # only a chart's templates/ are templates
    "schemas/service_account.json",
    "dumps/users.sql",
]


@pytest.mark.parametrize(("path", "entry"), REFUSED)
def test_data_stores_are_refused_and_not_exported(path: str, entry: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert verdict.reason.startswith("sensitive file ("), verdict.reason
    assert not is_exportable(path), path
    rule = is_sensitive_name(path)
    found = catalogue_entry(rule) if rule is not None else None
    assert found is not None and found.name == entry, (path, rule)
    # the command classifier sees the same store in a home directory
    assert is_sensitive_name("/home/u/" + path) is not None


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


def test_an_archive_is_judged_as_the_directory_it_packs() -> None:
    verdict = check_path("home/ci/.dbt.tar.gz")
    assert verdict.reason == "sensitive file (.dbt/): may hold secrets"
    assert is_sensitive_name("~/.ssh.tgz") == ".ssh/"
    assert is_sensitive_name("/home/u/.gnupg.tar") == ".gnupg/"
    # compression alone does not pack a directory; an ordinary directory stays ordinary
    assert check_path("home/ci/.dbt.gz").safe
    assert check_path("exports/models.zip").safe


def test_archives_must_be_copy_suffixes() -> None:
    text = (
        'schema = 1\n[copies]\nsuffixes = [".bak"]\narchives = [".zip"]\n'
        '[[entry]]\nname = "a"\ncategory = "c"\nreason = "r"\npatterns = ["x"]\n'
    )
    with pytest.raises(CatalogueError, match=re.escape("each must be one of copies.suffixes")):
        parse_catalogue(text)
    catalogue = parse_catalogue(text.replace('[".bak"]', '[".bak", ".ZIP"]'))
    assert catalogue.archive_suffixes == (".zip",)
