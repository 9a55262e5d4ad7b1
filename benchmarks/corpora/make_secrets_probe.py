"""Write ``secrets_probe.jsonl``: a blind probe of the secret detector, scored once.

Written by the coordinator on 2026-12-01 while the seventh tuning round ran elsewhere, from
the public documentation of the file formats and tools named in each case, without looking
at that round's tuning set or at either frozen set. It is scored once, after the round is
merged, and never tuned on: its figure says how the round generalises. Like
``commands_probe.tsv`` for the classifier.

Each case: text, positive, category, secrets (exact strings that must be redacted whole).
Run ``python benchmarks/corpora/make_secrets_probe.py`` to rewrite the JSONL (seeded).
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

SEED = 20261201
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
UPPER = string.ascii_uppercase + string.digits
OUT = Path(__file__).with_name("secrets_probe.jsonl")


def build() -> list[dict[str, object]]:  # noqa: PLR0915 - one flat list of cases
    rng = random.Random(SEED)
    cases: list[dict[str, object]] = []

    kinds = (string.ascii_lowercase, string.ascii_uppercase, string.digits)

    def r(alphabet: str, n: int) -> str:
        wanted = min(2, sum(any(c in k for c in alphabet) for k in kinds))
        while True:
            v = "".join(rng.choice(alphabet) for _ in range(n))
            if sum(any(c in k for c in v) for k in kinds) >= wanted:
                return v

    def pw(special: str = "!#%&*+-.=?@^_~") -> str:
        while True:
            v = "".join(rng.choice(ALNUM + special) for _ in range(rng.randint(12, 18)))
            if any(c.isdigit() for c in v) and any(c.isupper() for c in v) and v[0].isalnum():
                return v

    def pos(category: str, text: str, *secrets: str) -> None:
        for s in secrets:
            assert s in text, (category, s, text)
        cases.append(
            {"category": category, "positive": True, "text": text, "secrets": list(secrets)}
        )

    def neg(category: str, text: str) -> None:
        cases.append({"category": category, "positive": False, "text": text, "secrets": []})

    # -- credential files of common tools --------------------------------------------------
    user, p = "deploy", pw()
    auth = base64.b64encode(f"{user}:{p}".encode()).decode()
    pos(
        "docker-config-auths",
        '{\n  "auths": {\n    "registry.example.com": {\n      "auth": "'
        + auth
        + '"\n    }\n  }\n}\n',
        auth,
    )
    t = r(ALNUM, 40)
    pos("git-credentials", f"https://oauth2:{t}@gitlab.example.com\n", t)
    p = pw()
    pos(
        "maven-settings",
        "<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n      <username>ci</username>\n"
        f"      <password>{p}</password>\n    </server>\n  </servers>\n</settings>\n",
        p,
    )
    t = r(ALNUM, 32)
    pos("cargo-credentials", f'[registry]\ntoken = "cio{t}"\n', f"cio{t}")
    t = r(ALNUM, 36)
    pos("composer-auth", '{\n  "github-oauth": {\n    "github.com": "' + t + '"\n  }\n}\n', t)
    p = pw()
    pos(
        "pypirc",
        f"[distutils]\nindex-servers = private\n\n[private]\nrepository = https://pypi.example.com\nusername = ci\npassword = {p}\n",
        p,
    )
    k1, k2 = r(UPPER, 20), r(ALNUM + "+/", 40)
    pos(
        "s3cfg",
        f"[default]\naccess_key = {k1}\nsecret_key = {k2}\nhost_base = s3.example.com\n",
        k1,
        k2,
    )
    p = pw()
    pos(
        "rclone-conf",
        f"[remote]\ntype = sftp\nhost = files.example.com\nuser = backup\npass = {p}\n",
        p,
    )
    k = r(ALNUM + "!@#$%^&*()-_[]{}<>~+=,.;:/?|", 64)
    k = k.replace("'", "").replace("\\", "")
    pos("wp-config-salts", f"define( 'AUTH_KEY',         '{k}' );\n", k)
    k = r(HEX, 128)
    pos("rails-secret-key-base", f"production:\n  secret_key_base: {k}\n", k)
    k = r(ALNUM + "!@#$%^&*(-_=+)", 50)
    pos("django-secret-key", f"SECRET_KEY = '{k}'\n", k)
    p = pw()
    pos(
        "terraform-state",
        '{\n  "resources": [{"instances": [{"attributes": {"username": "admin", "password": "'
        + p
        + '"}}]}]\n}\n',
        p,
    )
    p = pw()
    pos(
        "cloudformation-noecho",
        f"Parameters:\n  DBPassword:\n    NoEcho: true\n    Type: String\n    Default: {p}\n",
        p,
    )
    p = pw("!#%*+-.=?^_~")
    pos(
        "hikari-properties",
        f"spring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.username=app\nspring.datasource.password={p}\n",
        p,
    )
    p = pw()
    pos("odbc-ini", f"[appdb]\nDriver=PostgreSQL\nServer=db.internal\nUID=report\nPWD={p}\n", p)
    p = pw()
    pos("pgpass", f"db.internal:5432:app:report:{p.replace(':', '')}\n", p.replace(":", ""))
    p = pw()
    pos("mysql-my-cnf", f'[client]\nuser=root\npassword="{p}"\n', p)
    t = r(ALNUM, 24)
    pos("npmrc-auth", f"//registry.npmjs.org/:_authToken=npm_{t}{r(ALNUM, 12)}\n", f"npm_{t}")
    t = r(ALNUM + "-_", 32)
    pos("yarnrc-yml", f'npmRegistries:\n  "https://npm.example.com":\n    npmAuthToken: "{t}"\n', t)
    p = pw()
    pos("gradle-properties", f"artifactoryUser=ci\nartifactoryPassword={p}\n", p)
    k = r(ALNUM + "+/", 86) + "=="
    pos(
        "azure-connection-string",
        f"DefaultEndpointsProtocol=https;AccountName=store1;AccountKey={k};EndpointSuffix=core.windows.net",
        k,
    )
    s = r(ALNUM + "%", 43)
    pos(
        "azure-sas-url",
        f"https://store1.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2027-01-01T00:00:00Z&sig={s}%3D",
        s,
    )
    p = pw()
    pos(
        "kubectl-secret-data",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: "
        + base64.b64encode(p.encode()).decode()
        + "\n",
        base64.b64encode(p.encode()).decode(),
    )
    p = pw()
    pos(
        "docker-inspect-env",
        '"Env": [\n    "PATH=/usr/local/bin:/usr/bin",\n    "POSTGRES_PASSWORD='
        + p
        + '",\n    "LANG=C.UTF-8"\n]',
        p,
    )
    p = pw()
    pos("env-dump", f"HOME=/root\nHOSTNAME=web-1\nREDIS_PASSWORD={p}\nTERM=xterm\n", p)
    t = r(ALNUM, 32)
    pos(
        "postman-environment",
        '{"values": [{"key": "apiKey", "value": "' + t + '", "enabled": true}]}',
        t,
    )
    p = pw()
    pos("ansible-vars-plain", f'---\nmysql_root_password: "{p}"\nmysql_port: 3306\n', p)
    p = pw()
    pos(
        "helm-set",
        f"helm upgrade --install db bitnami/postgresql --set auth.postgresPassword={p} --set auth.database=app",
        p,
    )
    p = pw()
    pos(
        "compose-env",
        f"services:\n  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_PASSWORD={p}\n",
        p,
    )
    t = r(HEX, 32)
    pos("twilio-auth-token", f"TWILIO_ACCOUNT_SID=AC{r(HEX, 32)}\nTWILIO_AUTH_TOKEN={t}\n", t)
    t = r(ALNUM, 40)
    pos(
        "http-basic-header",
        "GET /api HTTP/1.1\nHost: x\nAuthorization: Basic "
        + base64.b64encode(f"svc:{t}".encode()).decode()
        + "\n",
        base64.b64encode(f"svc:{t}".encode()).decode(),
    )
    t = r(ALNUM + "-._~+/", 60)
    pos("http-bearer", f"curl -H 'Authorization: Bearer {t}' https://api.example.com/v1/me", t)
    t = r(ALNUM, 32)
    pos("url-query-key", f"https://api.example.com/v2/search?q=books&api_key={t}&page=2", t)
    t = r(ALNUM, 40)
    pos(
        "url-query-token-log",
        f'127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET /hook?access_token={t} HTTP/1.1" 200 12',
        t,
    )

    # -- extent: values with punctuation, in many syntaxes --------------------------------
    for category, template, special in [
        ("extent-dotenv-double", 'DB_PASSWORD="{v}"\n', "!#$%&*+-.=?@^_~ ;,"),
        ("extent-dotenv-single", "DB_PASSWORD='{v}'\n", '!#$%&*+-.=?@^_~ ;,"'),
        ("extent-yaml-single", "db:\n  password: '{v}'\n", '!#$%&*+-.=?@^_~ ;,"'),
        ("extent-yaml-double", 'db:\n  password: "{v}"\n', "!#$%&*+-.=?@^_~ ;,'"),
        ("extent-toml", '[db]\npassword = "{v}"\n', "!#$%&*+-.=?@^_~ ;,'"),
        ("extent-json", '{{"db": {{"password": "{v}"}}}}', "!#$%&*+-.=?@^_~ ;,'"),
        ("extent-ini", "[db]\npassword = {v}\n", "!$%&*+-.=?@^_~"),
        ("extent-xml-attr", '<add key="DbPassword" value="{v}" />', "!#$%*+-.=?@^_~ ;,'"),
        (
            "extent-python-kwarg",
            'conn = psycopg2.connect(host="db", user="app", password="{v}")',
            "!#$%&*+-.=?@^_~ ;,'",
        ),
        ("extent-shell-export", "export API_SECRET='{v}'", '!#$%&*+-.=?@^_~ ;,"'),
        ("extent-powershell", '$Password = "{v}"', "!#%&*+-.=?@^_~ ;,'"),
        (
            "extent-go-struct",
            'cfg := Config{{User: "app", Password: "{v}"}}',
            "!#$%&*+-.=?@^_~ ;,'",
        ),
        ("extent-java-setter", 'ds.setPassword("{v}");', "!#$%&*+-.=?@^_~ ;,'"),
        ("extent-yaml-plain-hash", "redis:\n  password: {v}\n", "!$%&*+-.=?@^_~"),
        (
            "extent-cli-long",
            "mysqldump --user=root --password='{v}' app > dump.sql",
            '!#$%&*+-.=?@^_~ ;,"',
        ),
    ]:
        for _ in range(3):
            v = pw(special)
            while v.endswith((" ", ",", ";")) or v.startswith(" "):
                v = pw(special)
            pos(category, template.format(v=v), v)

    # -- documented vendor formats (random bodies of the documented shape) -----------------
    for category, value in [
        ("vendor-stripe-restricted", "rk_live_" + r(ALNUM, 99)),
        (
            "vendor-slack-bot",
            "xoxb-" + r("0123456789", 12) + "-" + r("0123456789", 13) + "-" + r(ALNUM, 24),
        ),
        ("vendor-gitlab-pat", "glpat-" + r(ALNUM + "-_", 20)),
        ("vendor-sendgrid", "SG." + r(ALNUM + "-_", 22) + "." + r(ALNUM + "-_", 43)),
        ("vendor-anthropic", "sk-ant-api03-" + r(ALNUM + "-_", 93) + "AA"),
        ("vendor-openai-project", "sk-proj-" + r(ALNUM + "-_", 124)),
        ("vendor-hf", "hf_" + r(string.ascii_letters, 34)),
        ("vendor-npm", "npm_" + r(ALNUM, 36)),
        ("vendor-pypi", "pypi-AgEIcHlwaS5vcmc" + r(ALNUM + "-_", 120)),
        ("vendor-shopify", "shpat_" + r(HEX, 32)),
        ("vendor-databricks", "dapi" + r(HEX, 32)),
        ("vendor-doppler", "dp.st.prd." + r(ALNUM, 43)),
        ("vendor-age", "AGE-SECRET-KEY-1" + r("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)),
        ("vendor-google-api", "AIza" + r(ALNUM + "-_", 35)),
        ("vendor-square", "EAAA" + r(ALNUM + "-_", 60)),
        ("vendor-mailgun", "key-" + r(HEX, 32)),
        ("vendor-linear", "lin_api_" + r(ALNUM, 40)),
        ("vendor-grafana-sa", "glsa_" + r(ALNUM, 32) + "_" + r(HEX, 8)),
        ("vendor-vault", "hvs." + r(ALNUM + "-_", 92)),
        ("vendor-tailscale", "tskey-auth-" + r(ALNUM, 11) + "CNTRL-" + r(ALNUM, 33)),
    ]:
        form = rng.choice(["yaml", "env", "code", "prose"])
        if form == "yaml":
            text = f"integrations:\n  service_key: {value}\n"
        elif form == "env":
            text = f"SERVICE_CREDENTIAL={value}\n"
        elif form == "code":
            text = f'client = Client("{value}")\n'
        else:
            text = f"Rotated the old one; the new key is {value} until Friday.\n"
        pos(category, text, value)

    # -- hard negatives ------------------------------------------------------------------
    neg(
        "sops-encrypted",
        "db_password: ENC[AES256_GCM,data:"
        + r(ALNUM + "+/", 24)
        + "=,iv:"
        + r(ALNUM + "+/", 43)
        + "=,tag:"
        + r(ALNUM + "+/", 22)
        + "==,type:str]\n",
    )
    neg(
        "ansible-vault",
        "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  "
        + r(HEX, 64)
        + "\n  "
        + r(HEX, 64)
        + "\n",
    )
    neg(
        "sealed-secret",
        "spec:\n  encryptedData:\n    password: AgB" + r(ALNUM + "+/", 120) + "==\n",
    )
    neg("travis-secure", 'env:\n  global:\n    - secure: "' + r(ALNUM + "+/", 120) + '="\n')
    neg("env-reference", "DB_PASSWORD=${DB_PASSWORD:?set it}\n")
    neg(
        "k8s-secret-ref",
        "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n",
    )
    neg("github-actions-ref", "env:\n  API_TOKEN: ${{ secrets.API_TOKEN }}\n")
    neg("vault-reference", "password: vault:secret/data/db#password\n")
    neg("placeholder-angle", "password: <your-password-here>\n")
    neg("placeholder-changeme", "POSTGRES_PASSWORD=changeme\n")
    neg("placeholder-stars", "password = ********\n")
    neg("placeholder-redacted", "Authorization: Bearer [REDACTED]\n")
    neg("git-sha", f"commit {r(HEX, 40)}\nAuthor: A <a@example.com>\n")
    neg(
        "uuid-id", f'"request_id": "{r(HEX, 8)}-{r(HEX, 4)}-4{r(HEX, 3)}-a{r(HEX, 3)}-{r(HEX, 12)}"'
    )
    neg("sri-hash", f'<script src="/app.js" integrity="sha384-{r(ALNUM + "+/", 64)}"></script>')
    neg("npm-integrity", f'"integrity": "sha512-{r(ALNUM + "+/", 86)}=="')
    neg(
        "ssh-public-key",
        f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{r(ALNUM + '+/', 43)} ci@example.com\n",
    )
    neg("bcrypt-htpasswd", f"admin:$2y$10${r(ALNUM + './', 53)}\n")
    neg("docker-digest", f"image: nginx@sha256:{r(HEX, 64)}\n")
    neg("password-policy", "password:\n  min_length: 12\n  require_symbols: true\n")
    neg(
        "password-field-label",
        '<label for="password">Password</label>\n<input type="password" name="password" id="password">',
    )
    neg(
        "code-param",
        "def login(username: str, password: str) -> Session:\n    return auth.check(username, password)\n",
    )
    neg("code-env-read", 'API_KEY = os.environ["API_KEY"]\nclient = Client(api_key=API_KEY)\n')
    neg("prose-about-rotation", "Rotate the API token every 90 days; tokens are stored in Vault.\n")
    neg(
        "aws-doc-example",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    )
    neg("lockfile-hash", f'[[package]]\nname = "serde"\nchecksum = "{r(HEX, 64)}"\n')
    neg("base64-image", f"data:image/png;base64,iVBORw0KGgo{r(ALNUM + '+/', 120)}=")
    neg("go-sum", f"golang.org/x/crypto v0.21.0 h1:{r(ALNUM + '+/', 43)}=\n")
    neg(
        "jwt-public-jwks",
        '{"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "e": "AQAB", "n": "'
        + r(ALNUM + "-_", 342)
        + '"}]}',
    )
    neg(
        "cert-pem",
        "-----BEGIN CERTIFICATE-----\n"
        + "\n".join(r(ALNUM + "+/", 64) for _ in range(4))
        + "\n-----END CERTIFICATE-----\n",
    )
    neg("token-length-const", "TOKEN_LENGTH = 32\nPASSWORD_MIN = 12\n")
    neg("i18n-string", 'msgid "Forgot your password?"\nmsgstr "Passwort vergessen?"\n')
    neg(
        "css-hash-class",
        f'<div class="css-{r(string.ascii_lowercase + string.digits, 7)} e{r(string.digits, 4)}">',
    )
    neg("secret-name-list", "secrets:\n  - db_password\n  - api_token\n")
    neg("keyring-call", 'password = keyring.get_password("app", "deploy")\n')
    neg("getpass", 'password = getpass.getpass("Password: ")\n')
    neg(
        "aws-arn",
        "secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf\n",
    )
    return cases


def main() -> None:
    cases = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for n, case in enumerate(cases):
            fh.write(json.dumps({"id": f"p{n:04d}", **case}, ensure_ascii=False) + "\n")
    positives = sum(1 for c in cases if c["positive"])
    print(
        f"{OUT.name}: {len(cases)} cases, {positives} positive, {len(cases) - positives} negative"
    )


if __name__ == "__main__":
    main()
