# Template families are lambdas run at once by Gen.variants, inside the loop that binds their
# values, so late binding (B023) cannot bite.
# ruff: noqa: B023
"""Generate the "other scanners' test cases" corpora: a FROZEN eval set and a separate tune set.

Why: issue 10's hidden evaluation has a second set "drawn from other secret scanners' own test
cases". We never measured anything like it, so this script builds one of our own, in the
*formats and contexts* those scanners test (gitleaks' rule tables with their true/false
positive examples and their per-syntax sample generator, trufflehog's detector tests,
detect-secrets' plugin tests), without copying any of their strings: every value is drawn from
a seeded RNG, every template is written here.

How it was built (and why the two sets differ):

* ``VENDORS``: vendor token formats (prefix, alphabet, length, checksum) as those rule tables
  describe them. Some are "unique" (the prefix alone identifies them: ``ghp_``, ``xoxb-``...);
  the others are keyword-only (32 hex next to ``datadog``...) and only ever appear next to a
  name that says what they are.
* ``CONTEXTS``: where people paste secrets: code in many languages (Go ``var x string =``,
  PHP ``.=``, Kotlin, Swift, C ``#define``, Objective-C ``@""``...), config files (INI, TOML,
  YAML, JSON, escaped JSON, XML element on its own line, XML attributes, .properties, .env),
  Makefiles (``?=``, ``::=``, ``:::=``), Dockerfiles, compose files, CI YAML, Terraform, logstash,
  ``System.setProperty``, ``os.Setenv``, command lines and curl headers.
* Each context is assigned to ``eval`` only, ``tune`` only or both (by a fixed list below), so
  a detector tuned on the tune set still meets syntaxes it never saw in the eval set. Values
  come from different seeds, so no concrete string is shared.
* Structured categories (private keys, URLs, curl ``-u``/``-H``, .netrc, Kubernetes Secrets,
  connection strings, JWTs signed and unsigned) and negatives (placeholders, placeholders with
  real prefixes, wrong checksum/length/prefix look-alikes, PEM headers without a body, public
  keys, UUIDs, digests, base64 of ordinary data, variable and template references, names of
  secrets, ExternalSecret/SopsSecret manifests) each have a few template variants per set.
* Evasions: a secret after NUL bytes, UTF-16 (with and without BOM). Those cases carry an
  ``encoding``; scorers must scan the encoded bytes as a file (``gitgate.safety.secretscan``).

Usage::

    python benchmarks/corpora/make_secrets_scanners.py   # writes both JSONL files

``secrets_scanners_eval.jsonl`` is committed frozen, before any tuning on it, and must never be
tuned against; ``secrets_scanners_tune.jsonl`` is the one to tune on.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
ALNUM = string.ascii_letters + string.digits
LOWER = string.ascii_lowercase
LOWER_DIGITS = LOWER + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
PW = ALNUM + "!#%^*-_.+=@~"


class Gen:
    """One corpus: its RNG, its cases and the contexts it may use."""

    def __init__(self, seed: int, part: str) -> None:
        self.rng = random.Random(seed)
        self.part = part
        self.cases: list[dict[str, object]] = []

    # ----------------------------------------------------------------- random material
    def s(self, alpha: str, n: int) -> str:
        classes = [c for c in (LOWER, string.ascii_uppercase, string.digits) if set(c) & set(alpha)]
        while True:
            v = "".join(self.rng.choice(alpha) for _ in range(n))
            low = v.lower()
            if any(w in low for w in ("xxxx", "example", "test", "dummy", "fake", "0000")):
                continue
            if n < 8 or sum(bool(set(c) & set(v)) for c in classes) >= min(2, len(classes)):
                return v

    def pick(self, *xs: str) -> str:
        return self.rng.choice(xs)

    def password(self) -> str:
        while True:
            v = "".join(self.rng.choice(PW) for _ in range(self.rng.randint(10, 22)))
            if sum((any(c.isdigit() for c in v), any(c.islower() for c in v),
                    any(c.isupper() for c in v))) == 3:  # fmt: skip
                return v

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def gh(self, prefix: str) -> str:
        body = self.s(ALNUM, 30)
        n, ck = zlib.crc32(body.encode()), ""
        while n:
            n, r = divmod(n, 62)
            ck = BASE62[r] + ck
        return prefix + body + ck.rjust(6, "0")

    def b64json(self, obj: object) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def jwt(self, signed: bool = True) -> str:
        alg = "none" if not signed else self.pick("HS256", "RS256", "ES256")
        head = self.b64json({"alg": alg, "typ": "JWT"})
        body = self.b64json(
            {
                "sub": str(self.rng.randint(10**5, 10**9)),
                self.pick("name", "email", "scope"): self.pick("ops", "svc", "read write"),
                "iat": self.rng.randint(1_600_000_000, 1_800_000_000),
            }
        )
        sig = self.s(B64URL, self.pick(43, 86)) if signed else ""
        return f"{head}.{body}.{sig}"

    def pem(self, label: str, lines: int = 6) -> str:
        body = [self.s(B64, 64) for _ in range(lines)] + [
            self.s(B64, self.rng.randint(8, 60)) + "="
        ]
        return f"-----BEGIN {label}-----\n" + "\n".join(body) + f"\n-----END {label}-----"

    # ----------------------------------------------------------------- recording
    def pos(self, cat: str, text: str, *secrets: str, encoding: str = "") -> None:
        for sec in secrets:
            assert sec in text, (cat, sec, text)
        case: dict[str, object] = {
            "category": cat, "positive": True, "text": text, "secrets": list(secrets)
        }  # fmt: skip
        if encoding:
            case["encoding"] = encoding
        self.cases.append(case)

    def neg(self, cat: str, text: str, encoding: str = "") -> None:
        case: dict[str, object] = {"category": cat, "positive": False, "text": text, "secrets": []}
        if encoding:
            case["encoding"] = encoding
        self.cases.append(case)

    def variants(self, *xs: Callable[[], None]) -> None:
        """Run the variants of a template family that belong to this part.

        Variant i goes to eval when i % 3 == 0, to tune when i % 3 == 1, to both when 2.
        """
        for i, make in enumerate(xs):
            if self.part == ("eval", "tune", "both")[i % 3] or i % 3 == 2:
                make()


# ---------------------------------------------------------------------------------------------
# Vendor formats: (category, keyword name, unique prefix?, generator)
# ---------------------------------------------------------------------------------------------
VendorGen = Callable[[Gen], str]
VENDORS: list[tuple[str, str, bool, VendorGen]] = [
    ("github-classic", "github_token", True, lambda g: g.gh(g.pick("ghp_", "gho_", "ghu_", "ghs_", "ghr_"))),
    ("github-fine-grained", "gh_pat", True, lambda g: f"github_pat_11{g.s(UPPER_DIGITS, 20)}_{g.s(ALNUM, 59)}"),
    ("gitlab-pat", "gitlab_token", True, lambda g: "glpat-" + g.s(B64URL, 20)),
    ("gitlab-runner", "runner_token", True, lambda g: "glrt-" + g.s(B64URL, 20)),
    ("gitlab-deploy", "deploy_token", True, lambda g: "gldt-" + g.s(B64URL, 20)),
    ("gitlab-cicd-job", "ci_job_token", True, lambda g: f"glcbt-{g.s(HEX, 2)}_{g.s(B64URL, 20)}"),
    ("slack-bot", "slack_bot_token", True,
     lambda g: f"xoxb-{g.s(string.digits, 12)}-{g.s(string.digits, 13)}-{g.s(ALNUM, 24)}"),
    ("slack-user", "slack_token", True,
     lambda g: f"xoxp-{g.s(string.digits, 12)}-{g.s(string.digits, 12)}-{g.s(string.digits, 13)}-{g.s(HEX, 32)}"),
    ("slack-app", "slack_app_token", True,
     lambda g: f"xapp-1-A{g.s(UPPER_DIGITS, 10)}-{g.s(string.digits, 13)}-{g.s(HEX, 64)}"),
    ("slack-config", "slack_config_token", True,
     lambda g: f"xoxe.xoxp-1-{g.s(ALNUM, 150)}"),
    ("stripe-secret", "stripe_secret_key", True, lambda g: g.pick("sk_live_", "rk_live_") + g.s(ALNUM, g.pick(24, 99))),
    ("stripe-webhook", "stripe_webhook_secret", True, lambda g: "whsec_" + g.s(ALNUM, 32)),
    ("aws-access-key", "aws_access_key_id", True, lambda g: g.pick("AKIA", "ASIA") + g.s(UPPER_DIGITS, 16)),
    ("google-api-key", "google_api_key", True, lambda g: "AIza" + g.s(B64URL, 35)),
    ("google-oauth-secret", "google_client_secret", True, lambda g: "GOCSPX-" + g.s(B64URL, 28)),
    ("google-oauth-access", "google_access_token", True, lambda g: "ya29." + g.s(B64URL, 120)),
    ("google-refresh", "refresh_token", True, lambda g: "1//0" + g.s(B64URL, 99)),
    ("azure-ad-secret", "azure_client_secret", True, lambda g: f"{g.s(ALNUM, 3)}8Q~{g.s(ALNUM + '_~.-', 34)}"),
    ("twilio-api-key", "twilio_api_key", True, lambda g: "SK" + g.s(HEX, 32)),
    ("sendgrid", "sendgrid_api_key", True, lambda g: f"SG.{g.s(B64URL, 22)}.{g.s(B64URL, 43)}"),
    ("npm", "npm_token", True, lambda g: "npm_" + g.s(ALNUM, 36)),
    ("pypi", "pypi_token", True, lambda g: "pypi-AgEIcHlwaS5vcmc" + g.s(B64URL, 70)),
    ("huggingface", "hf_token", True, lambda g: "hf_" + g.s(ALNUM, 34)),
    ("openai", "openai_api_key", True,
     lambda g: g.pick(f"sk-proj-{g.s(B64URL, 74)}T3BlbkFJ{g.s(B64URL, 74)}", f"sk-{g.s(ALNUM, 20)}T3BlbkFJ{g.s(ALNUM, 20)}")),
    ("anthropic", "anthropic_api_key", True, lambda g: f"sk-ant-{g.pick('api03', 'admin01')}-{g.s(B64URL, 93)}AA"),
    ("groq", "groq_api_key", True, lambda g: "gsk_" + g.s(ALNUM, 52)),
    ("perplexity", "pplx_api_key", True, lambda g: "pplx-" + g.s(ALNUM, 48)),
    ("xai", "xai_api_key", True, lambda g: "xai-" + g.s(ALNUM, 80)),
    ("openrouter", "openrouter_api_key", True, lambda g: "sk-or-v1-" + g.s(HEX, 64)),
    ("replicate", "replicate_api_token", True, lambda g: "r8_" + g.s(ALNUM, 37)),
    ("tavily", "tavily_api_key", True, lambda g: "tvly-" + g.s(ALNUM, 32)),
    ("nvidia", "nvidia_api_key", True, lambda g: "nvapi-" + g.s(B64URL, 64)),
    ("digitalocean", "do_token", True, lambda g: g.pick("dop_v1_", "doo_v1_") + g.s(HEX, 64)),
    ("shopify", "shopify_token", True, lambda g: g.pick("shpat_", "shpss_", "shpca_") + g.s(HEX, 32)),
    ("databricks", "databricks_token", True, lambda g: "dapi" + g.s(HEX, 32)),
    ("linear", "linear_api_key", True, lambda g: "lin_api_" + g.s(ALNUM, 40)),
    ("postman", "postman_api_key", True, lambda g: f"PMAK-{g.s(HEX, 24)}-{g.s(HEX, 34)}"),
    ("sentry", "sentry_auth_token", True, lambda g: "sntryu_" + g.s(HEX, 64)),
    ("grafana", "grafana_token", True, lambda g: f"glsa_{g.s(ALNUM, 32)}_{g.s(HEX, 8)}"),
    ("terraform-cloud", "tfe_token", True, lambda g: f"{g.s(ALNUM, 14)}.atlasv1.{g.s(ALNUM, 67)}"),
    ("dynatrace", "dt_api_token", True, lambda g: f"dt0c01.{g.s(UPPER_DIGITS, 24)}.{g.s(UPPER_DIGITS, 64)}"),
    ("newrelic", "new_relic_key", True, lambda g: "NRAK-" + g.s(UPPER_DIGITS, 27)),
    ("heroku", "heroku_api_key", True, lambda g: "HRKU-AA" + g.s(B64URL, 58)),
    ("atlassian", "jira_api_token", True, lambda g: "ATATT3xFfGF0" + g.s(B64URL, 170) + "=" + g.s(HEX, 8).upper()),
    ("alibaba", "alibaba_access_key_id", True, lambda g: "LTAI" + g.s(ALNUM, 20)),
    ("tencent", "tencent_secret_id", True, lambda g: "AKID" + g.s(ALNUM, 32)),
    ("rubygems", "gem_host_api_key", True, lambda g: "rubygems_" + g.s(HEX, 48)),
    ("notion", "notion_token", True, lambda g: f"ntn_{g.s(string.digits, 11)}{g.s(ALNUM, 35)}"),
    ("square", "square_access_token", True, lambda g: g.pick("EAAA", "sq0atp-") + g.s(B64URL, 60)),
    ("facebook", "fb_access_token", True, lambda g: "EAAB" + g.s(ALNUM, 120)),
    ("prefect", "prefect_api_key", True, lambda g: "pnu_" + g.s(ALNUM, 36)),
    ("planetscale", "planetscale_token", True, lambda g: "pscale_tkn_" + g.s(B64URL, 43)),
    ("flyio", "fly_api_token", True, lambda g: "fo1_" + g.s(B64URL, 43)),
    ("easypost", "easypost_api_key", True, lambda g: "EZAK" + g.s(ALNUM, 54)),
    ("shippo", "shippo_token", True, lambda g: "shippo_live_" + g.s(HEX, 40)),
    ("brevo", "brevo_api_key", True, lambda g: f"xkeysib-{g.s(HEX, 64)}-{g.s(ALNUM, 16)}"),
    ("artifactory", "artifactory_api_key", True, lambda g: "AKCp" + g.s(ALNUM, 69)),
    ("openshift", "openshift_token", True, lambda g: "sha256~" + g.s(B64URL, 43)),
    ("docker-hub", "docker_pat", True, lambda g: "dckr_pat_" + g.s(B64URL, 27)),
    ("langsmith", "langchain_api_key", True, lambda g: f"lsv2_pt_{g.s(HEX, 32)}_{g.s(HEX, 10)}"),
    ("dropbox", "dropbox_token", True, lambda g: "sl.u." + g.s(B64URL, 140)),
    ("mailchimp", "mailchimp_api_key", True, lambda g: f"{g.s(HEX, 32)}-us{g.rng.randint(1, 21)}"),
    ("mailgun", "mailgun_api_key", True, lambda g: "key-" + g.s(HEX, 32)),
    ("age", "age_key", True, lambda g: "AGE-SECRET-KEY-1" + g.s(BECH32, 58)),
    ("doppler", "doppler_token", True, lambda g: g.pick("dp.pt.", "dp.st.") + g.s(ALNUM, 43)),
    ("vault", "vault_token", True, lambda g: "hvs." + g.s(B64URL, 90)),
    ("pulumi", "pulumi_access_token", True, lambda g: "pul-" + g.s(HEX, 40)),
    ("buildkite", "buildkite_token", True, lambda g: "bkua_" + g.s(HEX, 40)),
    ("circleci", "circle_token", True, lambda g: f"CCIPAT_{g.s(ALNUM, 22)}_{g.s(HEX, 40)}"),
    ("tailscale", "ts_authkey", True, lambda g: f"tskey-{g.pick('auth', 'api', 'client')}-{g.s(ALNUM, 17)}-{g.s(ALNUM, 33)}"),
    ("sourcegraph", "src_access_token", True, lambda g: f"sgp_{g.s(HEX, 16)}_{g.s(HEX, 40)}"),
    ("sonarqube", "sonar_token", True, lambda g: g.pick("squ_", "sqp_", "sqa_") + g.s(HEX, 40)),
    ("figma", "figma_token", True, lambda g: f"figd_{g.s(B64URL, 40)}"),
    ("resend", "resend_api_key", True, lambda g: f"re_{g.s(ALNUM, 8)}_{g.s(ALNUM, 24)}"),
    ("render", "render_api_key", True, lambda g: "rnd_" + g.s(ALNUM, 32)),
    ("posthog-personal", "posthog_personal_api_key", True, lambda g: "phx_" + g.s(ALNUM, 43)),
    ("hubspot-private-app", "hubspot_access_token", True, lambda g: f"pat-{g.pick('na1', 'eu1')}-{g.uuid()}"),
    ("contentful-pat", "contentful_management_token", True, lambda g: "CFPAT-" + g.s(B64URL, 43)),
    ("harness", "harness_api_key", True, lambda g: f"pat.{g.s(B64URL, 22)}.{g.s(ALNUM, 24)}.{g.s(ALNUM, 20)}"),
    ("defined-networking", "dn_api_key", True, lambda g: f"dnkey-{g.s(UPPER_DIGITS, 26)}-{g.s(UPPER_DIGITS, 52)}"),
    ("maxmind", "maxmind_license_key", True, lambda g: f"{g.s(ALNUM, 6)}_{g.s(ALNUM, 29)}_mmk"),
    ("yandex", "yandex_api_key", True, lambda g: "AQVN" + g.s(B64URL, 36)),
    ("adobe", "adobe_client_secret", True, lambda g: "p8e-" + g.s(HEX + "ABCDEF", 32)),
    ("intra42", "intra42_client_secret", True, lambda g: f"s-s4t2{g.pick('ud', 'af')}-{g.s(HEX, 64)}"),
    ("clickhouse", "clickhouse_secret", True, lambda g: "4b1d" + g.s(ALNUM, 38)),
    ("discord-bot", "discord_bot_token", True,
     lambda g: f"{g.pick('MT', 'Mz', 'OD', 'NT')}{g.s(ALNUM, 22)}.{g.s(B64URL, 6)}.{g.s(B64URL, 38)}"),
    ("telegram", "telegram_bot_token", True, lambda g: f"{g.rng.randint(10**8, 10**10)}:AA{g.s(B64URL, 33)}"),
    ("onepassword-sa", "op_service_account_token", True, lambda g: "ops_eyJ" + g.s(B64, 250)),
    ("jwt-signed", "access_token", True, lambda g: g.jwt(True)),
    ("jwt-unsigned", "id_token", True, lambda g: g.jwt(False)),
    # keyword-only formats: a name says what they are
    ("datadog-api", "datadog_api_key", False, lambda g: g.s(HEX, 32)),
    ("datadog-app", "dd_app_key", False, lambda g: g.s(HEX, 40)),
    ("aws-secret", "aws_secret_access_key", False, lambda g: g.s(B64, 40)),
    ("azure-devops-pat", "azure_devops_pat", False, lambda g: g.s(BASE32, 52)),
    ("azure-openai", "azure_openai_api_key", False, lambda g: g.s(HEX, 32)),
    ("heroku-legacy", "heroku_api_key", False, lambda g: g.uuid()),
    ("snyk", "snyk_token", False, lambda g: g.uuid()),
    ("okta", "okta_api_token", False, lambda g: "00" + g.s(B64URL, 40)),
    ("mistral", "mistral_api_key", False, lambda g: g.s(ALNUM, 32)),
    ("cohere", "cohere_api_key", False, lambda g: g.s(ALNUM, 40)),
    ("adafruit", "adafruit_io_key", False, lambda g: "aio_" + g.s(ALNUM, 28)),
    ("algolia", "algolia_admin_key", False, lambda g: g.s(HEX, 32)),
    ("cloudflare-api", "cloudflare_api_token", False, lambda g: g.s(B64URL, 40)),
    ("fastly", "fastly_api_token", False, lambda g: g.s(B64URL, 32)),
    ("twitter-secret", "twitter_consumer_secret", False, lambda g: g.s(ALNUM, 50)),
    ("contentful", "contentful_delivery_token", False, lambda g: g.s(B64URL, 43)),
    ("sumologic", "sumo_access_key", False, lambda g: g.s(ALNUM, 64)),
    ("ibm-cloud-iam", "ibm_cloud_iam_api_key", False, lambda g: g.s(B64URL, 44)),
    ("ibm-cos-hmac", "cos_hmac_secret_access_key", False, lambda g: g.s(HEX, 48)),
    ("softlayer", "softlayer_api_key", False, lambda g: g.s(LOWER_DIGITS, 64)),
    ("django", "SECRET_KEY", False, lambda g: g.s(LOWER_DIGITS + "!@#%^&*(-_=+)", 50)),
    ("rails", "secret_key_base", False, lambda g: g.s(HEX, 128)),
    ("lob", "lob_api_key", False, lambda g: g.pick("live_", "test_") + g.s(HEX, 35)),
    ("gocardless", "gocardless_access_token", False, lambda g: "live_" + g.s(B64URL, 40)),
    ("generic-password", "db_password", False, lambda g: g.password()),
    ("generic-secret", "client_secret", False, lambda g: g.s(ALNUM, 32)),
]  # fmt: skip


def _camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(w.capitalize() for w in rest)


# Each context: (id, template). {n} snake name, {N} UPPER, {c} camelCase, {v} the value.
# Order matters: index % 3 decides eval-only / tune-only / both (see Gen.variants).
CONTEXTS: list[tuple[str, str]] = [
    ("ini-quoted", '{c}="{v}"'),
    ("ini-quoted-spaced", '{c} = "{v}"'),
    ("ini-unquoted", "{c}={v}"),
    ("ini-unquoted-spaced", "{c} = {v}"),
    ("json", '{{\n    "{n}": "{v}"\n}}'),
    ("json-escaped", '{{\\"{n}\\": \\"{v}\\"}}'),
    ("json-escaped-newline", '{{"config.ini": "{N}={v}\\nBACKUP_ENABLED=true"}}'),
    ("xml-element", "<{c}>{v}</{c}>"),
    ("xml-element-multiline", "<{c}>\n    {v}\n</{c}>"),
    ("xml-attribute-pair", '<add key="{N}" value="{v}" />'),
    ("yaml-unquoted", "{n}: {v}"),
    ("yaml-single", "{n}: '{v}'"),
    ("yaml-double", '{n}: "{v}"'),
    ("yaml-nested", "credentials:\n  {n}: {v}\n  region: eu-west-1"),
    ("csharp", 'string {c} = "{v}";'),
    ("go-var-typed", 'var {c} string = "{v}"'),
    ("go-short", '{c} := "{v}"'),
    ("go-backticks", "{c} := `{v}`"),
    ("java", 'private static final String {N} = "{v}";'),
    ("kotlin-notype", 'var {c} = "{v}"'),
    ("kotlin-typed", 'val {c}: String = "{v}"'),
    ("php-concat", '${c} .= "{v}";'),
    ("php-assign", "${c} = '{v}';"),
    ("php-array", "'{n}' => '{v}',"),
    ("python-single", "{n} = '{v}'"),
    ("python-double", '{N} = "{v}"'),
    ("python-kwarg", 'client = Client({n}="{v}")'),
    ("python-dict", 'settings = {{"{n}": "{v}", "debug": False}}'),
    ("ruby", "{n} = '{v}'"),
    ("ruby-hash", "config.{n} = '{v}'"),
    ("rust-let", 'let {n} = "{v}";'),
    ("swift-let", 'let {c} = "{v}"'),
    ("c-define", '#define {N} "{v}"'),
    ("c-char-array", 'static const char {n}[] = "{v}";'),
    ("objc", 'NSString *{c} = @"{v}";'),
    ("js-const", "const {c} = '{v}';"),
    ("js-object", "  {c}: '{v}',"),
    ("ts-typed", 'export const {c}: string = "{v}";'),
    ("scala-val", 'val {c} = "{v}"'),
    ("dart-final", "final {c} = '{v}';"),
    ("lua-local", 'local {n} = "{v}"'),
    ("perl", "my ${n} = '{v}';"),
    ("r-assign", '{n} <- "{v}"'),
    ("powershell", '$env:{N} = "{v}"'),
    ("batch-set", "set {N}={v}"),
    ("shell-export", 'export {N}="{v}"'),
    ("shell-export-unquoted", "export {N}={v}"),
    ("fish-set", "set -gx {N} {v}"),
    ("dotenv", "{N}={v}"),
    ("properties", "{n}.value={v}".replace("{n}.value", "app.{n}")),
    ("make-recursive", '{N} = "{v}"'),
    ("make-simple", '{N} := "{v}"'),
    ("make-shell", '{N} ::= "{v}"'),
    ("make-evaluated", '{N} :::= "{v}"'),
    ("make-conditional", '{N} ?= "{v}"'),
    ("make-conditional-unquoted", "{N} ?= {v}"),
    ("dockerfile-env", "ENV {N}={v}"),
    ("dockerfile-arg", "ARG {N}={v}"),
    ("compose-list", "    environment:\n      - {N}={v}"),
    ("compose-map", "    environment:\n      {N}: {v}"),
    ("k8s-env", '        - name: {N}\n          value: "{v}"'),
    ("gha-env", "env:\n  {N}: {v}"),
    ("terraform", '  {n} = "{v}"'),
    ("hcl-block", 'provider "x" {{\n  {n} = "{v}"\n}}'),
    ("toml", '[auth]\n{n} = "{v}"'),
    ("logstash", '  "{c}" => "{v}"'),
    ("java-setproperty", 'System.setProperty("{N}", "{v}");'),
    ("go-setenv", 'os.Setenv("{N}", "{v}")'),
    ("python-environ", 'os.environ["{N}"] = "{v}"'),
    ("java-map-put", 'props.put("{n}", "{v}");'),
    ("node-env", "process.env.{N} = '{v}';"),
    ("header-dict", 'headers = {{"X-Api-Key": "{v}"}}'),
    ("curl-bearer", "curl -sS -H 'Authorization: Bearer {v}' https://api.service.io/v1/me"),
    ("curl-apikey", 'curl -X GET \\\n  -H "apikey: {v}" \\\n  -H "Accept: application/json"'),
    ("curl-x-header", 'curl -H "X-Auth-Token: {v}" https://api.service.io/v2/items'),
    ("cli-flag", "deployctl login --token {v}"),
    ("cli-flag-eq", "tool --api-key={v} sync"),
    ("url-query", "https://api.service.io/v1/data?{n}={v}&format=json"),
    ("sql-insert", "INSERT INTO settings (name, value) VALUES ('{n}', '{v}');"),
    ("csv-row", "{n},{v},production"),
    ("comment-hash", "# {n}: {v}"),
    ("comment-slash", "// {N}={v}"),
    ("markdown", "Set `{N}` to `{v}` before running the job."),
    ("log-line", "2024-05-01T10:00:00Z DEBUG loaded config {n}={v} region=eu"),
    ("nix", '  {c} = "{v}";'),
    ("groovy", "def {c} = '{v}'"),
    ("elixir", 'config :app, {n}: "{v}"'),
]

# Contexts where the value appears with no secret-ish name: only unique-prefix tokens go here.
BARE_CONTEXTS: list[tuple[str, str]] = [
    ("bare-line", "{v}"),
    ("bare-prose", "here is the token you asked for: {v} (rotate it after the demo)"),
    ("bare-call", 'client = Client("{v}")'),
    ("bare-list", "tokens = ['{v}']"),
    ("bare-yaml-neutral", "spec:\n  value: {v}"),
    ("bare-chat", "> hey can you try with {v}"),
    ("bare-json-neutral", '{{"value": "{v}", "enabled": true}}'),
    ("bare-cli", "mytool configure {v}"),
    ("bare-auth-header", "Authorization: Bearer {v}"),
]


def fill(template: str, name: str, value: str) -> str:
    return template.format(n=name.lower(), N=name.upper(), c=_camel(name), v=value)


def part_contexts(part: str, contexts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [c for i, c in enumerate(contexts) if i % 3 == 2 or ("eval", "tune")[i % 3 % 2] == part]


# ---------------------------------------------------------------------------------------------
# Positives
# ---------------------------------------------------------------------------------------------
def vendor_cases(g: Gen, per_vendor: int) -> None:
    named = part_contexts(g.part, CONTEXTS)
    bare = part_contexts(g.part, BARE_CONTEXTS)
    for cat, name, unique, make in VENDORS:
        for _ in range(per_vendor):
            v = make(g)
            pool = named + bare if unique else named
            _cid, tmpl = g.rng.choice(pool)
            if "{v}" in tmpl and ("'" in v and "'{v}'" in tmpl):
                tmpl = "{n} = {v}"
            g.pos(cat, fill(tmpl, name, v), v)


def structured_cases(g: Gen) -> None:  # noqa: C901 - one flat list of template families
    rng = g.rng
    for _ in range(3):
        key_labels = ("RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY",
                      "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY", "PGP PRIVATE KEY BLOCK")  # fmt: skip
        label = g.pick(*key_labels)
        pem = g.pem(label, rng.randint(3, 12))
        body_line = pem.splitlines()[2]
        g.variants(
            lambda: g.pos("private-key", pem, body_line),
            lambda: g.pos("private-key", "ssh_key: |\n  " + pem.replace("\n", "\n  "), body_line),
            lambda: g.pos("private-key", json.dumps({"private_key": pem})[1:-1], body_line),
            lambda: g.pos("private-key", f"const KEY = `{pem}`;", body_line),
            lambda: g.pos(
                "private-key", '"private_key": "' + pem.replace("\n", "\\n") + '\\n",', body_line
            ),
            lambda: g.pos("private-key", f"key = '''\n{pem}\n'''", body_line),
        )
        ghtok, jw, hex16, npmtok = g.gh("ghp_"), g.jwt(), g.s(HEX, 16), g.s(ALNUM, 36)
        pw, user = (
            g.password().replace("@", "!").replace("#", "%"),
            g.pick("admin", "deploy", "svc_app", "root"),
        )
        host = g.pick("db.internal", "10.0.4.12", "cluster0.ab12c.mongodb.net", "mq.prod.local")
        g.variants(
            lambda: g.pos(
                "url-credentials", f"DATABASE_URL=postgres://{user}:{pw}@{host}:5432/app", pw
            ),
            lambda: g.pos(
                "url-credentials",
                f'mongo_uri = "mongodb+srv://{user}:{pw}@{host}/db?retryWrites=true"',
                pw,
            ),
            lambda: g.pos("url-credentials", f"redis://:{pw}@{host}:6379/0", pw),
            lambda: g.pos("url-credentials", f"amqp://{user}:{pw}@{host}:5672/vhost", pw),
            lambda: g.pos(
                "url-credentials", f"git clone https://{user}:{pw}@git.corp.io/team/repo.git", pw
            ),
            lambda: g.pos("url-credentials", f"ftp://{user}:{pw}@files.corp.io/upload", pw),
            lambda: g.pos("url-credentials", f"  url: jdbc:mysql://{user}:{pw}@{host}/shop", pw),
            lambda: g.pos("url-credentials", f"https://{user}:{ghtok}@github.com", ghtok),
        )
        g.variants(
            lambda: g.pos("curl-user", f"curl -u {user}:{pw} https://{host}/api", pw),
            lambda: g.pos("curl-user", f"curl --user '{user}:{pw}' https://{host}/api", pw),
            lambda: g.pos(
                "curl-user", f'curl -s -X POST --user "{user}:{pw}" "https://{host}/x"', pw
            ),
            lambda: g.pos(
                "curl-user",
                f"curl -k https://{host}/api \\\n  -H 'Accept: */*' \\\n  -u {user}:{pw}",
                pw,
            ),
            lambda: g.pos("curl-user", f"curl --user={user}:{pw} -iX PATCH https://{host}/v1", pw),
            lambda: g.pos("curl-user", f'curl -u ":{pw}" https://{host}:9200', pw),
        )
        tok = g.s(ALNUM, rng.randint(24, 40))
        basic = base64.b64encode(f"{user}:{pw}".encode()).decode()
        u = g.uuid()
        g.variants(
            lambda: g.pos(
                "curl-header", f"curl -H 'Authorization: Basic {basic}' https://{host}/", basic
            ),
            lambda: g.pos(
                "curl-header", f'curl --header "Authorization: Token {tok}" https://{host}/', tok
            ),
            lambda: g.pos(
                "curl-header", f'curl -X GET -H "apikey: {u}" -H "Accept: application/json"', u
            ),
            lambda: g.pos(
                "curl-header",
                f'curl -H "Authorization: Api-Token {tok}" --request PUT https://{host}/',
                tok,
            ),
            lambda: g.pos(
                "curl-header", f'curl -X POST --header "Api-Token: {tok}" https://{host}/', tok
            ),
            lambda: g.pos(
                "curl-header", f'curl https://{host}/v1 \\\n     -H "X-Octopus-ApiKey: {u}"', u
            ),
            lambda: g.pos("curl-header", f'curl -L -H "Authorization:{jw}" svc.local', jw),
            lambda: g.pos("curl-header", f"curl -H 'Token: {hex16}' https://{host}/tasks", hex16),
        )
        g.variants(
            lambda: g.pos("netrc", f"machine api.{host}\n  login {user}\n  password {pw}", pw),
            lambda: g.pos("netrc", f"machine {host} login {user} password {pw}", pw),
            lambda: g.pos("git-credentials", f"https://{user}:{pw}@gitlab.corp.io", pw),
            lambda: g.pos("npmrc", f"//registry.npmjs.org/:_authToken={npmtok}", npmtok),
            lambda: g.pos("pypirc", f"[pypi]\nusername = __token__\npassword = {pw}", pw),
            lambda: g.pos("pgpass", f"{host}:5432:app:{user}:{pw}", pw),
        )
        dauth = base64.b64encode(f"{user}:{pw}".encode()).decode()
        g.variants(
            lambda: g.pos(
                "docker-config",
                json.dumps({"auths": {"registry.corp.io": {"auth": dauth}}}, indent=2),
                dauth,
            ),
            lambda: g.pos("docker-login", f"docker login -u {user} -p {pw} registry.corp.io", pw),
            lambda: g.pos("mysql-cli", f"mysql -h {host} -u {user} -p{pw} shop", pw),
            lambda: g.pos("sshpass", f"sshpass -p '{pw}' ssh {user}@{host}", pw),
        )
        conn_key = g.s(B64, 86) + "=="
        sas = g.s(B64, 43) + "="
        g.variants(
            lambda: g.pos(
                "azure-conn",
                f"DefaultEndpointsProtocol=https;AccountName=store{rng.randint(1, 99)};AccountKey={conn_key};EndpointSuffix=core.windows.net",
                conn_key,
            ),
            lambda: g.pos(
                "azure-conn",
                f'"ServiceBus": "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={sas}"',
                sas,
            ),
            lambda: g.pos(
                "sql-conn",
                f'"Default": "Server=tcp:{host},1433;Database=app;User ID={user};Password={pw};Encrypt=True;"',
                pw,
            ),
            lambda: g.pos(
                "sql-conn", f"Data Source={host};Initial Catalog=app;User Id={user};Pwd={pw};", pw
            ),
            lambda: g.pos("jdbc-props", f"spring.datasource.password={pw}", pw),
            lambda: g.pos("go-dsn", f'dsn := "{user}:{pw}@tcp({host}:3306)/app"', pw),
        )


def k8s_cases(g: Gen) -> None:
    rng = g.rng
    for _ in range(4):
        pw = g.password()
        v1 = base64.b64encode(pw.encode()).decode()
        v2 = base64.b64encode(g.s(ALNUM, 24).encode()).decode()
        ind = g.pick("  ", "\t", "    ")
        kind = g.pick("kind: Secret", "kind: secret", "kind: 'Secret'", 'kind: "Secret"')
        meta = f"metadata:\n{ind}name: app-{rng.randint(1, 99)}\n{ind}namespace: prod"
        data = f"data:\n{ind}password: {v1}\n{ind}api-key: {v2}"
        g.variants(
            lambda: g.pos(
                "k8s-secret", f"apiVersion: v1\n{kind}\n{meta}\ntype: Opaque\n{data}\n", v1, v2
            ),
            lambda: g.pos(
                "k8s-secret", f"apiVersion: v1\n{data}\n{kind}\n{meta}\ntype: Opaque\n", v1, v2
            ),
            lambda: g.pos(
                "k8s-secret",
                f"apiVersion: v1\n{kind}\n{meta}\ndata:\n{ind}# the password\n{ind}password: '{v1}'\n",
                v1,
            ),
            lambda: g.pos(
                "k8s-secret",
                f"apiVersion: v1\n{kind}\n{meta}\ntype: kubernetes.io/dockercfg\ndata:\n{ind}.dockercfg: |\n{ind}{ind}{v2}\n",
                v2,
            ),
            lambda: g.pos(
                "k8s-secret",
                f"apiVersion: v1\n{kind}\n{meta}\nstringData:\n{ind}DB_PASSWORD: {pw}\n",
                pw,
            ),
            lambda: g.pos(
                "k8s-secret",
                f'---\napiVersion: v1\n{kind}\n{meta}\ndata:\n{ind}token: "{v2}"\n---\napiVersion: v1\nkind: ConfigMap\n',
                v2,
            ),
        )


def evasion_cases(g: Gen) -> None:
    for _ in range(4):
        tok = g.gh("ghp_")
        key = "AKIA" + g.s(UPPER_DIGITS, 16)
        pw = g.password()
        g.variants(
            lambda: g.pos(
                "evasion-nul", f"\x00\x00binary header\x00\x01\x02\nGITHUB_TOKEN={tok}\n", tok
            ),
            lambda: g.pos("evasion-utf16", f"aws_access_key_id = {key}\n", key, encoding="utf-16"),
            lambda: g.pos("evasion-utf16", f"DB_PASSWORD={pw}\r\n", pw, encoding="utf-16-le"),
            lambda: g.pos("evasion-nul", f"PK-like\x00\x00\x00 data {key} more\x00", key),
            lambda: g.pos("evasion-utf16", f"token: {tok}\n", tok, encoding="utf-16-be"),
            lambda: g.pos("evasion-nul", f"\x7fELF\x02\x01\x01\x00\x00\x00password={pw}\x00", pw),
        )


# ---------------------------------------------------------------------------------------------
# Negatives
# ---------------------------------------------------------------------------------------------
def placeholder_values(g: Gen) -> list[str]:
    return [
        "ghp_" + "x" * 36, "ghp_" + "X" * 36, "github_pat_" + "x" * 82,
        "AKIA" + g.s(UPPER_DIGITS, 9) + "EXAMPLE", "AKIAXXXXXXXXXXXXXXXX",
        "xoxb-" + "x" * 10 + "-" + "x" * 12 + "-" + "x" * 24, "xoxb-your-bot-token-here",
        "sk_live_" + "x" * 24, "sk_test_" + "X" * 24, "sk-" + "x" * 48, "sk-...",
        "glpat-xxxxxxxxxxxxxxxxxxxx", "AIza" + "X" * 35, "hf_" + "x" * 34, "npm_" + "X" * 36,
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "********", "[FILTERED]", "[REDACTED]", "<redacted>",
        "@DB_PASSWORD@", "${DB_PASSWORD}", "${{ secrets.API_TOKEN }}", "{{ .Values.apiKey }}",
        "{{ api_key }}", "%API_KEY%", "$(cat /run/secrets/token)", "<YOUR_API_KEY>", "<token>",
        "your-api-key-here", "YOUR_TOKEN_HERE", "changeme", "CHANGE_ME", "password", "secret",
        "none", "null", "", "TODO", "replace-with-your-key", "insert_token_here", "...",
        "ENC[AES256_GCM,data:" + g.s(B64, 16) + "=,iv:" + g.s(B64, 43) + "=,type:str]",
        "vault:secret/data/app#api_key", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app",
        "op://vault/item/password", "!vault |", "#{ApiKey}", "$API_KEY", "process.env.API_KEY",
        "os.getenv('API_KEY')", "System.getenv(\"API_KEY\")", "ENV['API_KEY']", "xoxp-xxxx",
        "sk_live_...", "AKIA................", "dummy-token", "fake_password_123", "example-key",
        "0000000000000000000000000000000000000000", "1234567890abcdef1234567890abcdef",
    ]  # fmt: skip


def negative_cases(g: Gen, rounds: int) -> None:  # noqa: C901 - one flat list of template families
    named = part_contexts(g.part, CONTEXTS)
    names = [v[1] for v in VENDORS]
    for _ in range(rounds):
        # placeholders in the same contexts real tokens were in
        ph = g.rng.choice(placeholder_values(g))
        _cid, tmpl = g.rng.choice(named)
        g.neg("placeholder", fill(tmpl, g.rng.choice(names), ph))
    for _ in range(8):
        good = g.gh("ghp_")
        bad = good[:-1] + g.pick(*(c for c in ALNUM if c != good[-1]))
        _cid, tmpl = g.rng.choice(named)
        g.variants(
            lambda: g.neg("wrong-checksum", fill(tmpl, "github_token", bad)),
            lambda: g.neg("wrong-checksum", f"token: {bad}"),
            lambda: g.neg("wrong-length", f"GITHUB_TOKEN_PREFIX=ghp_{g.s(ALNUM, 12)}"),
            lambda: g.neg("wrong-length", f"aws_key_id_prefix: AKIA{g.s(UPPER_DIGITS, 8)}"),
            lambda: g.neg("wrong-prefix", f'build_id = "ghx_{g.s(ALNUM, 36)}"'),
            lambda: g.neg("wrong-alphabet", f"label: akia{g.s(LOWER_DIGITS, 16)}"),
            lambda: g.neg("wrong-length", f'slack_channel = "xoxb-{g.s(string.digits, 4)}"'),
            lambda: g.neg("wrong-prefix", f"image: registry.io/app:sk_{g.s(LOWER_DIGITS, 6)}"),
            lambda: g.neg("wrong-length", f"glpat-{g.s(ALNUM, 8)} is too short to be a token"),
        )
    for rnd in range(6):
        pub = g.pem("PUBLIC KEY", 4)
        cert = g.pem("CERTIFICATE", 8)
        ssh_pub = (
            f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{g.s(B64, 43)} {g.pick('ops', 'dev')}@laptop"
        )
        rsa_pub = f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{g.s(B64, 300)} deploy@ci"
        g.variants(
            lambda: (
                rnd == 0
                and g.neg(
                    "pem-header-only",
                    'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    in_key = True',
                )
            ),
            lambda: (
                rnd == 0
                and g.neg(
                    "pem-header-only", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"
                )
            ),
            lambda: (
                rnd == 0
                and g.neg(
                    "pem-header-only", 'const HEADER = "-----BEGIN OPENSSH PRIVATE KEY-----";'
                )
            ),
            lambda: (
                rnd == 0
                and g.neg(
                    "pem-header-only",
                    "PEM_HEAD = b'-----BEGIN EC PRIVATE KEY-----'\nPEM_TAIL = b'-----END EC PRIVATE KEY-----'",
                )
            ),
            lambda: (
                rnd == 0
                and g.neg(
                    "pem-header-only",
                    "-----BEGIN RSA PRIVATE KEY-----\n<your key here>\n-----END RSA PRIVATE KEY-----",
                )
            ),
            lambda: (
                rnd == 0
                and g.neg("pem-header-only", "grep -l 'BEGIN PRIVATE KEY' -r . # find stray keys")
            ),
            lambda: g.neg("public-key", pub),
            lambda: g.neg("public-key", cert),
            lambda: g.neg("public-key", f"authorized_keys: |\n  {ssh_pub}"),
            lambda: g.neg("public-key", f'public_key = "{ssh_pub}"'),
            lambda: g.neg("public-key", rsa_pub),
            lambda: g.neg("public-key", f'"publicKey": "{g.s(B64, 44)}",'),
            lambda: g.neg("public-key", f"STRIPE_PUBLISHABLE_KEY=pk_live_{g.s(ALNUM, 24)}"),
            lambda: g.neg(
                "public-key", f"mapbox_public_token: pk.eyJ1Ijoi{g.s(B64URL, 50)}.{g.s(B64URL, 22)}"
            ),
            lambda: g.neg("public-key", f'recaptcha_site_key = "6L{g.s(B64URL, 38)}"'),
            lambda: g.neg("public-key", f"{pub}\n# the matching private key lives in vault"),
        )
    for _ in range(10):
        u = g.uuid()
        sha = g.s(HEX, 40)
        sha256 = g.s(HEX, 64)
        b64 = base64.b64encode(g.pick("hello world, this is fine", "{\"theme\": \"dark\", \"lang\": \"en\"}",
                                      "just some ordinary text that is not secret").encode()).decode()  # fmt: skip
        g.variants(
            lambda: g.neg("uuid", f"request_id: {u}"),
            lambda: g.neg("uuid", f'"tenant_id": "{u}",'),
            lambda: g.neg("uuid", f'resource "x" {{\n  subscription_id = "{u}"\n}}'),
            lambda: g.neg("hash", f"commit {sha}\nAuthor: Dev <dev@corp.io>"),
            lambda: g.neg("hash", f"sha256: {sha256}"),
            lambda: g.neg("hash", f'  "integrity": "sha512-{g.s(B64, 86)}==",'),
            lambda: g.neg("hash", f'checksum = "{sha256}"'),
            lambda: g.neg("hash", f"Fixes a bug introduced in {sha[:12]}."),
            lambda: g.neg("hash", f'etag: W/"{g.s(HEX, 32)}"'),
            lambda: g.neg("base64-data", f"data:image/png;base64,{g.s(B64, 160)}=="),
            lambda: g.neg("base64-data", f"encoded_settings: {b64}"),
            lambda: g.neg(
                "base64-data", f'font-src: url("data:font/woff2;base64,{g.s(B64, 120)}")'
            ),
        )
    for _ in range(10):
        n = g.rng.choice(names)
        g.variants(
            lambda: g.neg("env-reference", f"{n.upper()}=${n.upper()}"),
            lambda: g.neg("env-reference", f'{n} = os.environ["{n.upper()}"]'),
            lambda: g.neg("env-reference", f"  {n}: ${{{{ secrets.{n.upper()} }}}}"),
            lambda: g.neg("env-reference", f'{_camel(n)} := os.Getenv("{n.upper()}")'),
            lambda: g.neg("env-reference", f"const {_camel(n)} = process.env.{n.upper()};"),
            lambda: g.neg("env-reference", f'{n}: "{{{{ vault_{n} }}}}"'),
            lambda: g.neg("env-reference", f'String {_camel(n)} = System.getenv("{n.upper()}");'),
            lambda: g.neg("env-reference", f"{n.upper()} ?= $(shell cat .{n})"),
            lambda: g.neg("env-reference", f"<{_camel(n)}>${{env.{n.upper()}}}</{_camel(n)}>"),
            lambda: g.neg("env-reference", f"$env:{n.upper()} = Get-Secret -Name {n}"),
            lambda: g.neg("env-reference", f'{n} = config.get("{n}")'),
            lambda: g.neg("env-reference", f"{n.upper()}: @{n.upper()}@"),
        )
    for _ in range(1):
        g.variants(
            lambda: g.neg("secret-name", 'token_type = "bearer"'),
            lambda: g.neg(
                "secret-name",
                f'password_field = "password"\nmax_tokens = {g.rng.randint(100, 9000)}',
            ),
            lambda: g.neg("secret-name", 'secret_name = "prod-db-credentials"'),
            lambda: g.neg("secret-name", 'tokenizer = "bert-base-uncased"'),
            lambda: g.neg("secret-name", 'api_key_header = "X-Api-Key"'),
            lambda: g.neg("secret-name", "PASSWORD_MIN_LENGTH = 12"),
            lambda: g.neg(
                "secret-name",
                "client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.client-vpn-endpoint.id",
            ),
            lambda: g.neg("secret-name", "if password == confirm_password:\n    save()"),
            lambda: g.neg("secret-name", 'label: "Enter your password"'),
            lambda: g.neg("secret-name", "secretKeyRef:\n  name: db-secret\n  key: password"),
            lambda: g.neg("secret-name", "password combination.\n\nR5: Regulatory--21"),
            lambda: g.neg(
                "secret-name", "  auth_method: oauth2\n  token_url: https://login.corp.io/token"
            ),
        )
    for _ in range(1):
        g.variants(
            lambda: g.neg("curl-placeholder", "curl -u $USERNAME:$PASSWORD https://api.corp.io"),
            lambda: g.neg("curl-placeholder", 'curl -u "${_username}:${_password}" https://x.io'),
            lambda: g.neg("curl-placeholder", "curl -i -u 'test:test' http://localhost"),
            lambda: g.neg("curl-placeholder", "curl -u <user:password> https://test.io/endpoint"),
            lambda: g.neg(
                "curl-placeholder", "curl --user neo4j:[PASSWORD] http://[IP]:7474/db/data/"
            ),
            lambda: g.neg(
                "curl-placeholder", 'curl -H "Authorization: Bearer $API_KEY" https://api.io'
            ),
            lambda: g.neg(
                "curl-placeholder", 'curl -H "Authorization: Bearer <your token>" https://api.io'
            ),
            lambda: g.neg(
                "curl-placeholder", 'curl -H "Authorization: Token **********" https://api.io'
            ),
            lambda: g.neg(
                "curl-placeholder",
                'curl -H "Authorization: Bearer $(gcloud auth print-access-token)" https://x.io',
            ),
            lambda: g.neg(
                "curl-placeholder",
                'curl -XGET -u "${{ env.ELK_ID }}:${{ env.ELK_PASS }}" https://x.io',
            ),
            lambda: g.neg(
                "curl-placeholder", 'curl -X POST --user "$(cat ./login.txt):$(cat ./password.txt)"'
            ),
            lambda: g.neg(
                "curl-placeholder", 'curl -u "myusername" http://localhost:15130/api/check_user/'
            ),
        )
    for _ in range(1):
        g.variants(
            lambda: g.neg(
                "k8s-not-secret",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  htpasswd: ''\n",
            ),
            lambda: g.neg(
                "k8s-not-secret",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  password: {{ .Values.password }}\n",
            ),
            lambda: g.neg(
                "k8s-not-secret",
                "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nspec:\n  data:\n    - secretKey: api-key\n      remoteRef:\n        key: prod/app/api-key\n",
            ),
            lambda: g.neg(
                "k8s-not-secret",
                "apiVersion: v1\nkind: ConfigMap\ndata:\n  log_level: debug\n  feature_flags: beta,search\n",
            ),
            lambda: g.neg(
                "k8s-not-secret",
                'apiVersion: v1\nkind: Secret\nmetadata:\n  name: dash-csrf\ntype: Opaque\ndata:\n  csrf: ""\n',
            ),
            lambda: g.neg(
                "k8s-not-secret",
                "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n",
            ),
        )
    for _ in range(1):
        g.variants(
            lambda: g.neg("jwt-like", 'HEADER_PREFIX = "eyJhbGciOi"'),
            lambda: g.neg("jwt-like", "Tokens look like eyJ... and expire after an hour."),
            lambda: g.neg(
                "jwt-like",
                f"assert token.startswith('eyJ') and len(token) > {g.rng.randint(20, 90)}",
            ),
            lambda: g.neg(
                "prose", "Rotate your API keys every 90 days; tokens expire after one hour."
            ),
            lambda: g.neg("prose", "The secret ingredient is patience; the key is a sharp knife."),
            lambda: g.neg("prose", "Never commit a password or an access token to the repository."),
        )
    for _ in range(1):
        g.variants(
            lambda: g.neg(
                "evasion-clean",
                "\x00\x01binary\x00data without anything secret\x00",
            ),
            lambda: g.neg("evasion-clean", "log_level = debug\nworkers = 4\n", encoding="utf-16"),
            lambda: g.neg("evasion-clean", "api_key = ${API_KEY}\n", encoding="utf-16-le"),
        )


def build(seed: int, part: str) -> list[dict[str, object]]:
    g = Gen(seed, part)
    vendor_cases(g, per_vendor=6)
    structured_cases(g)
    k8s_cases(g)
    evasion_cases(g)
    negative_cases(g, rounds=150)
    for i, case in enumerate(g.cases):
        case["id"] = f"{part[0]}{i:04d}"
    return g.cases


def write(cases: list[dict[str, object]], path: Path) -> None:
    keys = ("id", "category", "positive", "text", "secrets", "encoding")
    with path.open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps({k: case[k] for k in keys if k in case}) + "\n")
    n_pos = sum(1 for c in cases if c["positive"])
    print(f"wrote {len(cases)} cases ({n_pos} positive, {len(cases) - n_pos} negative) to {path}",
          file=sys.stderr)  # fmt: skip


def main() -> None:
    write(build(seed=31337, part="eval"), HERE / "secrets_scanners_eval.jsonl")
    write(build(seed=4242, part="tune"), HERE / "secrets_scanners_tune.jsonl")


if __name__ == "__main__":
    main()
