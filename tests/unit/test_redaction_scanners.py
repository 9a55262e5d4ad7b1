"""Secret forms from other scanners' test suites (gitleaks, trufflehog, detect-secrets): each is
found whole, and the look-alike next to it (placeholder, wrong shape, public value) is not.

Values are random at import time (seeded), so no credential-shaped literal lives here.
"""

from __future__ import annotations

import base64
import json
import random
import string
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitgate.safety import redaction
from gitgate.safety.redaction import find_secrets, redact

_rng = random.Random(97531)
ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"
ROOT = Path(__file__).resolve().parents[2]


def rnd(alphabet: str, n: int) -> str:
    while True:
        v = "".join(_rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in v) and any(c.isalpha() for c in v):
            return v


def pw() -> str:
    return rnd(ALNUM, 8) + _rng.choice("!#%^=") + rnd(ALNUM, 5)


P = [pw() for _ in range(12)]
T = [rnd(ALNUM, 32) for _ in range(8)]
UUID = str(uuid.UUID(int=_rng.getrandbits(128), version=4))
DISCORD = f"Mz{rnd(ALNUM, 22)}.{rnd(B64URL, 6)}.{rnd(B64URL, 38)}"
TOKENS = {
    "google-oauth-secret": "GOCSPX-" + rnd(B64URL, 28),
    "openrouter": "sk-or-v1-" + rnd(HEX, 64),
    "tencent": "AKID" + rnd(ALNUM, 32),
    "buildkite": "bkua_" + rnd(HEX, 40),
    "circleci": f"CCIPAT_{rnd(ALNUM, 22)}_{rnd(HEX, 40)}",
    "tailscale": f"tskey-auth-{rnd(ALNUM, 17)}-{rnd(ALNUM, 33)}",
    "sourcegraph": f"sgp_{rnd(HEX, 16)}_{rnd(HEX, 40)}",
    "hubspot": f"pat-na1-{UUID}",
    "harness": f"pat.{rnd(B64URL, 22)}.{rnd(ALNUM, 24)}.{rnd(ALNUM, 20)}",
    "maxmind": f"{rnd(ALNUM, 6)}_{rnd(ALNUM, 29)}_mmk",
    # capitals with few digits read as words to the generic randomness test
    "newrelic-capitals": "NRAK-"
    + "".join(_rng.choice(string.ascii_uppercase) for _ in range(24))
    + "7Q2",
    "dropbox-short-lived": "sl.u." + rnd(B64URL, 140),
    "discord-any-id": DISCORD,
}

POSITIVES = {
    **{f"bare-{k}": (f"mytool configure {v}", v) for k, v in TOKENS.items()},
    "objc-nsstring": (f'NSString *apiToken = @"{T[0]}";', T[0]),
    "csharp-verbatim": (f'var clientSecret = @"{T[1]}";', T[1]),
    "c-define": (f'#define API_TOKEN "{T[2]}"', T[2]),
    "fish-set": (f"set -gx DEPLOY_TOKEN {T[3]}", T[3]),
    "compose-list": (f"    environment:\n      - DB_PASSWORD={P[0]}", P[0]),
    "curl-apikey-uuid": (f'curl -X GET -H "apikey: {UUID}" -H "Accept: application/json"', UUID),
    "curl-short-hex-token": (f"curl -H 'Token: {rnd(HEX, 16)}' https://api.io", None),
    "curl-empty-user": (f'curl -u ":{P[1]}" https://localhost:9200', P[1]),
    "pgpass": (f"db.internal:5432:app:deploy:{P[2]}", P[2]),
    "pgpass-any-port": (f"*:*:*:replicator:{P[3]}", P[3]),
    "go-dsn-with-equals": (f'dsn := "app:{P[4]}@tcp(db:3306)/shop"', P[4]),
    "azure-devops-pat": (f"azure_devops_pat: {rnd('abcdefghijklmnopqrstuvwxyz234567', 52)}", None),
    "comment-is": (f"# root password is {P[5]}", P[5]),
    "comment-double-equals": (f"REM password=={P[6]}", P[6]),
    "teams-webhook": (
        f"https://acme.webhook.office.com/webhookb2/{UUID}@{UUID}/IncomingWebhook/"
        f"{rnd(HEX, 32)}/{UUID}",
        None,
    ),
}


@pytest.mark.parametrize("label", sorted(POSITIVES))
def test_form_is_found_and_fully_redacted(label: str) -> None:
    text, secret = POSITIVES[label]
    assert find_secrets(text), label
    cleaned = redact(text)
    assert "[REDACTED:" in cleaned
    if secret is not None:
        assert secret not in cleaned
        # not even a long fragment of it survives
        assert all(secret[i : i + 8] not in cleaned for i in range(len(secret) - 7))


LOOKALIKES = {
    "your-token-here": 'deployToken := "xoxb-your-bot-token-here"',
    "fake-password": 'headers = {"X-Api-Key": "fake_password_123"}',
    "sequence": "const apiKey = '1234567890abcdef1234567890abcdef';",
    "vault-reference": 'os.Setenv("GOOGLE_API_KEY", "vault:secret/data/app#api_key")',
    "aws-arn-reference": "db_password: arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
    "onepassword-reference": 'API_TOKEN="op://ops/deploy/credential"',
    "ansible-vault-tag": 'RUNNER_TOKEN ::= "!vault |"',
    "filtered-in-header": 'curl -H "X-Auth-Token: [FILTERED]" https://api.io/v2/items',
    "env-index-in-quotes": "client = Client(figma_token=\"ENV['API_KEY']\")",
    "recaptcha-site-key": f'recaptcha_site_key = "6L{rnd(B64URL, 38)}"',
    "define-a-length": "#define TOKEN_LEN 32",
    "define-an-expression": '#define SECRET_KEY getenv("SECRET_KEY")',
    "fish-command-substitution": "set -l password (read -s)",
    "fish-variable": "set -gx API_TOKEN $TOKEN",
    "comment-prose": "# the password is required for every login",
    "comment-short-word": "# password is hunter",
    "header-variable": 'curl -H "apikey: $API_KEY" https://api.io',
    "discord-shape-in-prose": "see foo.bar123.bazbazbazbazbazbazbazbazbazbaz1 for details",
    "pgpass-variable": "db:5432:app:deploy:$PGPASSWORD",
}


@pytest.mark.parametrize("label", sorted(LOOKALIKES))
def test_lookalike_is_left_alone(label: str) -> None:
    text = LOOKALIKES[label]
    assert find_secrets(text) == [], label


def test_import_compiles_no_pattern_set() -> None:
    # Start-up cost: importing the module must not build the vendor patterns or the trigger
    # trie; the first scan does, once.
    code = (
        "import sys; import gitgate.safety.redaction as r; "
        "before = r._scanner.cache_info().currsize; toml = 'tomllib' in sys.modules; "
        "r.find_secrets('x'); print(before, toml, r._scanner.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["0", "False", "1"]


# ---------------------------------------------------------------------------------------------
# The Discord fast path (middle-part prescan) against the reference (the full pattern run over
# the whole text), on varied text with and without embedded tokens.
# ---------------------------------------------------------------------------------------------
def _discord_reference(text: str) -> list[tuple[int, int]]:
    return [
        m.span()
        for m in redaction._DISCORD_BOT_RE.finditer(text)
        if redaction._looks_random(m.group(), min_len=50)
    ]


def _discord_fast(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int, str, int]] = []
    redaction._discord_bots(text, out)
    return sorted((s, e) for s, e, _k, _p in out)


_fragment = st.one_of(
    st.text(alphabet="MNOab01._- \n", max_size=40),
    st.builds(
        lambda a, b, c, d: f"{a}{b}.{c}.{d}",
        st.sampled_from("MNOx"),
        st.text(alphabet=ALNUM + ".", min_size=20, max_size=30),
        st.text(alphabet=B64URL, min_size=5, max_size=7),
        st.text(alphabet=B64URL, min_size=25, max_size=45),
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_fragment, max_size=6))
def test_discord_fast_path_matches_reference(parts: list[str]) -> None:
    text = " ".join(parts)
    assert _discord_fast(text) == _discord_reference(text)


def test_discord_fast_path_matches_reference_on_real_shapes() -> None:
    rng = random.Random(5)
    for _ in range(300):
        head = rng.choice("MNO") + "".join(rng.choice(ALNUM) for _ in range(rng.randint(22, 28)))
        mid = "".join(rng.choice(B64URL) for _ in range(6))
        tail = "".join(rng.choice(B64URL) for _ in range(rng.randint(26, 42)))
        left = rng.choice(["", " ", "x", "token=", "\n", "M", "a.b "])
        right = rng.choice(["", " ", "x", ".", "\n", "-", '"'])
        text = f"{left}{head}.{mid}.{tail}{right}"
        assert _discord_fast(text) == _discord_reference(text), text


# ---------------------------------------------------------------------------------------------
# The scanners corpora: the frozen eval set is reproducible from its generator, and is what
# the generator says it is.
# ---------------------------------------------------------------------------------------------
def test_scanners_eval_set_is_reproducible(tmp_path: Path) -> None:
    corpora = ROOT / "benchmarks" / "corpora"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import make_secrets_scanners as m; "
        "m.write(m.build(seed=31337, part='eval'), m.Path(sys.argv[2]))"
    )
    out = tmp_path / "eval.jsonl"
    subprocess.run([sys.executable, "-c", code, str(corpora), str(out)], check=True)
    frozen = (corpora / "secrets_scanners_eval.jsonl").read_bytes()
    assert out.read_bytes() == frozen
    cases = [json.loads(line) for line in frozen.decode().splitlines()]
    assert len(cases) >= 1000
    for case in cases:
        for secret in case["secrets"]:
            assert secret in case["text"]
        if case.get("encoding"):
            assert case["text"].encode(case["encoding"])  # scorers scan these as file bytes


def test_k8s_data_value_base64_of_password_is_found() -> None:
    value = base64.b64encode(P[7].encode()).decode()
    text = f"apiVersion: v1\ndata:\n\tpassword: {value}\nkind: Secret\nmetadata:\n\tname: db\n"
    assert value not in redact(text)


def test_every_vendor_pattern_compiles() -> None:
    # They are compiled lazily, at their first trigger hit: a broken one must fail here, not
    # in some user's scan.
    import re

    from gitgate.safety import redaction

    for provider in redaction._load_providers():
        assert isinstance(re.compile(provider.source), re.Pattern), provider.kind


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "Set `MISTRAL_API_KEY` to `YKodkkg2ftuGqrmxy1D0EfNahy8tLOeu` before the job.",
            "YKodkkg2ftuGqrmxy1D0EfNahy8tLOeu",
        ),
        ("Use `DB_PASSWORD` as `Wq8#rT2vLp9!xZ4m` in staging.", "Wq8#rT2vLp9!xZ4m"),
        (
            "gocardless_access_token,live_vDwNYb-beQO6QWyqdtq8E7r5tmy7WywBcuqOD7pl,production",
            "live_vDwNYb-beQO6QWyqdtq8E7r5tmy7WywBcuqOD7pl",
        ),
    ],
)
def test_markdown_prose_and_csv_rows(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Set `API_KEY` to `your-key-here` first.",
        "Set `TOKEN_TTL` to `3600` seconds.",
        "Set `secret_name` to `prod-db-password`.",
        "password,username,email",
        "token,page_size,limit",
        "secret,SECRET_KEY_BASE,prod",
    ],
)
def test_markdown_prose_and_csv_look_alikes_stay(text: str) -> None:
    assert redact(text) == text
