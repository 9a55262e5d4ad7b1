"""Secret classes of data, ML and analytics work (notebooks, Spark, DuckDB, Airflow, cloud
storage, model hubs and experiment trackers).

Each class has its positives and, beside them, the near twins that bound it: a Kaggle key
beside its user name and the same hex digits as a digest; Spark's and Hadoop's properties set
by call, the Azure account key named per account; DuckDB's CREATE SECRET; URL passwords with a
percent-encoded "$"; Cloud Storage HMAC access ids; and what only looks like a secret (a fill
built by repetition, a secrets backend's path, NLP data's "token" fields, a published emulator
key in a connection string's piece). Values are random at import time (seeded), so no
credential-shaped literal lives here.
"""

from __future__ import annotations

import json
import random
import string

import pytest
from tests.secretutil import covered, secret_makers

from gitgate.safety.redaction import find_secrets

_rng = random.Random(20251130)
rnd, chosen = secret_makers(_rng)
HEX = "0123456789abcdef"
B64 = string.ascii_letters + string.digits + "+/"
UPPER_DIGITS = string.ascii_uppercase + string.digits

HEX32 = rnd(32, HEX)
HEX40 = rnd(40, HEX)
AWS_ID = "AKIA" + rnd(16, UPPER_DIGITS)
AWS_SECRET = rnd(40, B64)
AZURE_KEY = rnd(86, B64) + "=="
GOOG_ID = "GOOG1" + rnd(56, UPPER_DIGITS)
PW = chosen()
SPARK_PW = (
    rnd(6, string.ascii_letters) + str(_rng.randint(1000, 9999)) + rnd(8, string.ascii_letters)
)


def found(text: str) -> bool:
    return bool(find_secrets(text))


def notebook(*lines: str) -> str:
    """A Jupyter cell whose source lines are JSON strings, as .ipynb files store them."""
    return json.dumps({"cell_type": "code", "source": [ln + "\n" for ln in lines]}, indent=1)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        # Kaggle's kaggle.json: the key beside its user name, also written from a notebook
        (json.dumps({"username": "analyst42", "key": HEX32}), [HEX32]),
        (
            notebook(
                "import json",
                'with open("/root/.kaggle/kaggle.json", "w") as f:',
                f'    json.dump({{"username": "analyst42", "key": "{HEX32}"}}, f)',
            ),
            [HEX32],
        ),
        # an environment variable named for a service's key holds its (hex) API key
        (f"KAGGLE_KEY={HEX32}", [HEX32]),
        (f'export OPENWEATHER_KEY="{HEX32}"', [HEX32]),
        # Weights & Biases: login(key=…) in code and in a notebook cell
        (f'wandb.login(key="{HEX40}")', [HEX40]),
        (notebook("import wandb", f'wandb.login(key="{HEX40}", relogin=True)'), [HEX40]),
        # Spark: DataFrameReader options and Hadoop properties set by call
        (f'df = spark.read.format("jdbc").option("password", "{SPARK_PW}").load()', [SPARK_PW]),
        (f'builder.config("spark.hadoop.fs.s3a.secret.key", "{AWS_SECRET}")', [AWS_SECRET]),
        # the Azure account key property names its account (a literal, an f-string, a concat)
        (
            f'spark.conf.set("fs.azure.account.key.lake01.dfs.core.windows.net", "{AZURE_KEY}")',
            [AZURE_KEY],
        ),
        (
            "spark.conf.set(\n"
            '    f"fs.azure.account.key.{account}.blob.core.windows.net",\n'
            f'    "{AZURE_KEY}",\n)',
            [AZURE_KEY],
        ),
        (
            f'hconf.set("fs.azure.account.key." + acct + ".dfs.core.windows.net", "{AZURE_KEY}")',
            [AZURE_KEY],
        ),
        # DuckDB's secrets manager: NAME 'value' parameters without an operator
        (
            "CREATE OR REPLACE PERSISTENT SECRET lake (\n    TYPE s3,\n"
            f"    KEY_ID '{AWS_ID}',\n    SECRET '{AWS_SECRET}',\n    REGION 'eu-west-1'\n);",
            [AWS_ID, AWS_SECRET],
        ),
        (f"create secret r2 (type r2, key_id '{HEX32}', secret '{rnd(64, HEX)}')", [HEX32]),
        # Cloud Storage HMAC keys in an S3-compatible client's options
        (
            "storage_options = {\n"
            '    "aws_endpoint_url": "https://storage.googleapis.com",\n'
            f'    "aws_access_key_id": "{GOOG_ID}",\n'
            f'    "aws_secret_access_key": "{AWS_SECRET}",\n}}',
            [GOOG_ID, AWS_SECRET],
        ),
        # a percent-encoded "$" in a SQLAlchemy URL's password is a literal dollar sign
        (
            f'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://app:Birch{_rng.randint(10, 99)}'
            f'%24Lantern7@10.0.0.5:5432/bi"',
            None,
        ),
    ],
)
def test_data_science_secrets_are_found_and_covered(text: str, secrets: list[str] | None) -> None:
    assert found(text), text
    for secret in secrets or []:
        assert covered(text, secret), (secret, text)


def test_percent_encoded_dollar_password_is_covered_whole() -> None:
    password = f"Granite{_rng.randint(10, 99)}%24Harbor2"
    text = f"--backend-store-uri postgresql://mlflow:{password}@db.internal:5432/mlflow"
    assert covered(text, password)


@pytest.mark.parametrize(
    "text",
    [
        # the same hex beside no user name, under a plain "key": a digest, an object's key
        json.dumps({"bucket": "exports", "key": HEX32}),
        # a key-ish variable that names a digest, and a fingerprint in capitals
        f"CACHE_KEY={HEX40}",
        "GPG_KEY=" + rnd(40, "0123456789ABCDEF"),
        # a user name beside a "key" that is no generated value
        json.dumps({"username": "analyst42", "key": "sort_order"}),
        # a value's percent-encoded reference stays a reference
        "postgresql://app:%24%7BDB_PASSWORD%7D@db:5432/app",
        "postgresql://app:%24DB_PASSWORD@db:5432/app",
        # a test's fill built by repetition
        'monkeypatch.setenv("DATABRICKS_TOKEN", "dapi" + "0" * 32)',
        'monkeypatch.setenv("WANDB_API_KEY", "0" * 40)',
        # Airflow's *_secret options name a secret in the secrets backend
        "[database]\nsql_alchemy_conn_secret = airflow/metadb-conn",
        "api_secret = airflow/variables/payments-api",
        # NLP data: "token" fields hold words
        '{"id": 3, "token": "shipped", "ner_tag": "O"}\n{"id": 4, "token": "Acme", "pos": "NNP"}',
        # Azurite's published account key in one piece of a concatenated connection string
        (
            'CONN = (\n    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"\n'
            '    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/'
            'K1SZFPTOtr/KBHBeksoGMGw==;"\n)'
        ),
        # DuckDB secrets that hold no credential
        "CREATE SECRET s3_chain (TYPE s3, PROVIDER credential_chain, REGION 'us-east-1');",
        "CREATE SECRET hf (TYPE huggingface, PROVIDER credential_chain);",
        # a Spark option that is not a credential, a generic set() of two names
        'spark.read.option("header", "true").option("sep", ";")',
        'config.set("password", "hunter2")',
    ],
)
def test_data_science_near_twins_are_not_flagged(text: str) -> None:
    assert find_secrets(text) == [], [(f.kind, text[f.start : f.end]) for f in find_secrets(text)]
