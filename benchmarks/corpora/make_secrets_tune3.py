# Template families are lambdas called inside the loop that binds their values.
# ruff: noqa: B023
"""Generate ``secrets_tune3.jsonl``: a fourth TUNING set for secret detection (issue 10).

Why: on the frozen sets gitgate *flags* more cases than it *covers*: a detector fires, but the
redacted span stops short of the secret (or starts after it), or the second secret of a case
is missed. This set aims at SPAN FIDELITY: values whose extent is hard to find, in the syntax
that decides it. Written before any tuning on it, from the syntaxes' own rules:

* quoted values with spaces, escaped quotes (``\\"``, ``\\'``), doubled quotes (YAML/SQL
  ``''``, C# verbatim ``""``), backslashes (shell single quotes take ``\\`` literally),
  triple-quoted strings (Python, TOML, Java/C# text blocks);
* ``#``, ``;``, ``&``, ``%``, ``)`` inside unquoted values where the syntax keeps them
  (.env, YAML plain scalars, Java properties, INI, ODBC ``{...}`` values), and where it does
  not (shell operators, URL queries) as negatives;
* values wrapped over lines: ``\\`` continuations (shell strings, properties), YAML
  folded/literal blocks of several lines, Python implicit concatenation, heredocs and
  here-strings, Dockerfile's legacy ``ENV NAME value with spaces``;
* JSON strings with ``\\uXXXX`` escapes, URL-encoded passwords, passwords with ``@``, ``:``
  or ``/`` in URLs and DSNs, quoted ``curl -u 'user:pass word'``;
* several secrets on a line or in a file, in different syntaxes; files that end without a
  newline, CRLF files, tab indentation;
* in shell, env, YAML, TOML, INI, JSON, XML, properties, HCL, Dockerfile, Python, JS, Go,
  Java, Ruby, PHP, C#, logs, curl command lines and Kubernetes manifests;
* hard negatives for each: prose and labels with spaces, templates and references in the
  same syntaxes, placeholders, multi-line blocks under ordinary names, URLs with a port then
  ``/@user`` paths, pip ``git+ssh`` requirements, shell operators after a reference.

Each positive lists the secret exactly as it appears in the text (escaped if the syntax
escapes it; a wrapped value as its pieces), so "covered" means every character of it is
redacted. Every value is drawn from a seeded RNG; every template is written here.
Usage::

    python benchmarks/corpora/make_secrets_tune3.py   # writes secrets_tune3.jsonl
"""

from __future__ import annotations

import json
import random
import string
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "secrets_tune3.jsonl"
SEED = 20261201
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
SYMBOLS = "!#%^*-_.+=@~"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

PW_NAMES = [
    "password", "db_password", "DB_PASSWORD", "adminPassword", "smtp_pass", "PGPASSWORD",
    "redis_password", "MYSQL_ROOT_PASSWORD", "passwd", "dbPass",
]  # fmt: skip
KEY_NAMES = [
    "api_key", "API_KEY", "secret_key", "client_secret", "auth_token", "access_token",
    "apiToken", "SECRET", "STRIPE_SECRET_KEY", "webhook_secret",
]  # fmt: skip
SYLLABLES = "ka ro mi tu ve lo sa ni pe qua zor fin dal mur tes vil".split()


def github_token(drawn: str) -> str:
    """``ghp_`` + 30 drawn characters + their base62 CRC32, as GitHub's tokens carry."""
    body, n, check = drawn[:30], zlib.crc32(drawn[:30].encode()), ""
    while n:
        n, r = divmod(n, 62)
        check = BASE62[r] + check
    return "ghp_" + body + check.rjust(6, "0")


def build() -> list[dict[str, object]]:  # noqa: C901, PLR0915 - one flat list of templates
    rng = random.Random(SEED)
    out: list[dict[str, object]] = []

    def s(alpha: str, n: int) -> str:
        """n chars of alpha with a lower, an upper and a digit (when alpha has them)."""
        while True:
            v = "".join(rng.choice(alpha) for _ in range(n))
            need = [k for k in (string.ascii_lowercase, string.ascii_uppercase, string.digits)]
            if all(set(k) & set(v) for k in need if set(k) & set(alpha)):
                return v

    def pw(extra: str = "", n: int | None = None) -> str:
        """A chosen-looking password; ``extra`` characters are put inside it (not at the ends)."""
        n = n or rng.randint(10, 18)
        core = list(s(ALNUM, n))
        for _ in range(rng.randint(1, 2)):
            core.insert(rng.randint(1, len(core) - 1), rng.choice("!#*^-_.+"))
        for ch in extra:
            core.insert(rng.randint(2, len(core) - 2), ch)
        return "".join(core)

    def key(n: int = 32) -> str:
        return s(ALNUM, n)

    def spaced() -> str:
        """A password with spaces: chunks of random characters."""
        return " ".join(s(ALNUM, rng.randint(3, 5)) + rng.choice("!#*%") for _ in range(3))

    def phrase() -> str:
        """A passphrase of made-up words and a number."""
        words = ["".join(rng.choice(SYLLABLES) for _ in range(2)) for _ in range(3)]
        words.insert(rng.randint(0, 3), str(rng.randint(10, 999)))
        return " ".join(words)

    def p(cat: str, text: str, *secrets: str) -> None:
        assert secrets and all(x and x in text for x in secrets), (cat, text, secrets)
        out.append({"category": cat, "positive": True, "text": text, "secrets": list(secrets)})

    def n(cat: str, text: str) -> None:
        out.append({"category": cat, "positive": False, "text": text, "secrets": []})

    def pick(xs: list[str]) -> str:
        return rng.choice(xs)

    # -----------------------------------------------------------------------------------------
    # 1. Quoted values with spaces, in many syntaxes.
    # -----------------------------------------------------------------------------------------
    spaced_tpls: list[tuple[str, str]] = [
        ("python", '{k} = "{v}"\n'),
        ("python", 'conn = psycopg2.connect(host="db", user="app", password="{v}")\n'),
        ("js", "const {k} = '{v}';\n"),
        ("yaml", 'database:\n  host: db\n  {k}: "{v}"\n'),
        ("yaml", "auth:\n  {k}: '{v}'\n  user: admin\n"),
        ("toml", '[db]\nuser = "app"\n{k} = "{v}"\n'),
        ("ini", "[database]\nuser = app\n{k} = {v}\n"),
        ("env", '{K}="{v}"\n'),
        ("env", "{K}='{v}'\nLOG_LEVEL=info\n"),
        ("shell", "export {K}='{v}'\n"),
        ("json", '{{"user": "app", "{k}": "{v}"}}'),
        ("xml", "<config>\n  <{k}>{v}</{k}>\n</config>\n"),
        ("xml", '<add key="{k}" value="{v}" />\n'),
        ("hcl", 'resource "db" "main" {{\n  {k} = "{v}"\n}}\n'),
        ("dockerfile", 'FROM alpine\nENV {K}="{v}"\n'),
        ("csharp", 'var {k} = "{v}";\n'),
        ("go", '{k} := "{v}"\n'),
        ("java", 'String {k} = "{v}";\n'),
        ("ruby", 'config = {{ {k}: "{v}" }}\n'),
        ("php", "$config = ['{k}' => '{v}'];\n"),
        ("log", '2026-11-30 12:00:01 DEBUG login user=bob {k}="{v}" ok\n'),
        ("k8s", 'env:\n  - name: {K}\n    value: "{v}"\n'),
    ]
    for syntax, tpl in spaced_tpls:
        for make in (spaced, phrase):
            name = pick(PW_NAMES)
            v = make()
            if syntax == "ini" and make is phrase:
                v = spaced()
            p(f"spaced:{syntax}", tpl.format(k=name.lower(), K=name.upper(), v=v), v)
    # curl -u with a quoted password that has spaces or shell-special characters.
    for _ in range(4):
        v = pick([spaced(), pw("&;"), pw("$"), pw("|")])
        user = pick(["admin", "ci-bot", "deploy"])
        p("spaced:curl", f"curl -u '{user}:{v}' https://api.example.net/v1/items\n", v)
        v = spaced()
        p("spaced:curl", f'curl --user "{user}:{v}" -X POST https://ci.example.net/job\n', v)

    # Prose, labels and references in the same syntaxes: not secrets.
    for tpl in [
        'password_label = "Enter your password"\n',
        'password: "must be at least 12 characters"\n',
        '{"error": "invalid token: please log in again"}',
        "<password>see the vault entry for this host</password>\n",
        'const tokenHelp = "Paste the token from your profile page";\n',
        "[database]\npassword = see the team vault\n",
        'PASSWORD="$(cat /run/secrets/db_password)"\n',
        'export API_KEY="${API_KEY:?set API_KEY first}"\n',
        'password = "{{ vault_db_password }}"\n',
        'password: "{{ .Values.db.password }}"\n',
        'ENV DB_PASSWORD=""\n',
        'curl -u "$CI_USER:$CI_PASSWORD" https://ci.example.net/job\n',
        "curl -u 'admin:<password>' https://api.example.net\n",
        "$config = ['password' => getenv('DB_PASSWORD')];\n",
        'var password = Environment.GetEnvironmentVariable("DB_PASSWORD");\n',
        '2026-11-30 12:00:01 WARN login failed user=bob reason="bad password"\n',
        "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n",
        'password = "your password here"\n',
        "secret_key: 'change me before deploying'\n",
    ]:
        n("spaced-negative", tpl)

    # -----------------------------------------------------------------------------------------
    # 2. Escaped and doubled quotes inside quoted values.
    # -----------------------------------------------------------------------------------------
    for _ in range(3):
        a, b = s(ALNUM, 6), s(ALNUM, 7)
        v = f'{a}\\"{b}!'
        p("escaped-quote:json", f'{{"{pick(KEY_NAMES)}": "{v}", "region": "eu-west-1"}}', v)
        v = f"{a}\\'{b}#"
        p("escaped-quote:python", f"{pick(PW_NAMES).lower()} = '{v}'\n", v)
        v = f'{b}\\"{a}'
        p("escaped-quote:shell", f'export {pick(PW_NAMES).upper()}="{v}"\n', v)
        v = f'{a}\\"q{b}'
        p("escaped-quote:yaml", f'db:\n  password: "{v}"\n', v)
        v = f'{b}\\"{a}'
        p("escaped-quote:java", f'props.setProperty("db.password", "{v}");\n', v)
        # JSON inside a string: the value's quotes are escaped, and so is a quote inside it.
        v = f'{a}\\\\\\"{b}'
        p("escaped-quote:nested-json", f'payload = "{{\\"password\\": \\"{v}\\"}}"\n', v)
    for _ in range(3):
        a, b = s(ALNUM, 6), s(ALNUM, 6)
        v = f"{a}''{b}9"
        p("doubled-quote:yaml", f"smtp:\n  password: '{v}'\n", v)
        v = f"{b}''{a}!"
        p("doubled-quote:sql", f"ALTER USER app WITH PASSWORD '{v}';\n", v)
        v = f'{a}""{b}'
        p("doubled-quote:csharp", f'var password = @"{v}";\n', v)
        v = f"{b}''{a}"
        p("doubled-quote:powershell", f"$password = '{v}'\n", v)
    for tpl in [
        '{"password": "\\"\\"", "note": "empty"}',
        "password = ''  # set at deploy time\n",
        "ALTER USER app WITH PASSWORD '';\n",
        "msg = 'password: \\'***\\''\n",
        'log.info("token=\\"%s\\"", masked)\n',
        "SELECT * FROM users WHERE password = '' OR name = ''\n",
        'var password = @"";\n',
    ]:
        n("quote-negative", tpl)

    # -----------------------------------------------------------------------------------------
    # 3. Backslashes.
    # -----------------------------------------------------------------------------------------
    for _ in range(3):
        v = pw("\\")
        p("backslash:yaml", f"ldap:\n  bind_password: {v}\n", v)
        p(
            "backslash:json",
            '{"password": "' + v.replace("\\", "\\\\") + '"}',
            v.replace("\\", "\\\\"),
        )
        v = pw("\\")
        p("backslash:xml", f"<Password>{v}</Password>\n", v)
        v = s(ALNUM, 10) + "\\"
        p("backslash:shell-single", f"export DB_PASSWORD='{v}'\nexport DB_USER=app\n", v)
        v = s(ALNUM, 5) + "\\n" + s(ALNUM, 6)
        p("backslash:env", f"SMTP_PASSWORD={v}\nSMTP_HOST=mail\n", v)
        v = pw("\\")
        p("backslash:ini", f"[ldap]\nbind_dn = CORP\\svc-ldap\nbind_pw = {v}\n", v)
    n(
        "backslash-negative",
        "[ldap]\nbind_dn = CORP\\svc-ldap\npassword_file = C:\\secrets\\ldap.txt\n",
    )
    n("backslash-negative", 'export DB_PASSWORD_FILE="C:\\\\run\\\\secrets\\\\db"\n')
    n("backslash-negative", "password_regex = ^[^\\s]{12,}$\n")

    # -----------------------------------------------------------------------------------------
    # 4. Characters that end a value in one syntax and not in another.
    # -----------------------------------------------------------------------------------------
    for _ in range(3):
        v = pw("#&;")
        p("special:yaml", f"mail:\n  password: {v}\n  port: 587\n", v)
        v = pw(";&")
        p("special:env", f"{pick(PW_NAMES).upper()}={v}\nDB_HOST=db\n", v)
        v = pw("#;&%")
        p(
            "special:properties",
            f"spring.datasource.password={v}\nspring.datasource.username=app\n",
            v,
        )
        v = pw(";#")
        p("special:ini", f"[client]\nuser = app\npassword = {v}\n", v)
        v = pw(";")
        p("special:odbc", f'conn = "Driver={{ODBC Driver 18}};Server=db;Uid=app;Pwd={{{v}}};"\n', v)
        v = pw(";")
        p("special:adonet", f'"Server=db;User Id=app;Password=\\"{v}\\";Encrypt=true"\n', v)
        v = pw(")")
        p("special:log", f"auth ok user=svc password={v} ip=10.0.0.7\n", v)
        v = s(ALNUM, 8) + "%" + rng.choice(["21", "26", "3B", "40", "2F"]) + s(ALNUM, 6)
        p("special:query", f"GET /login?user=bob&password={v}&next=/home HTTP/1.1\n", v)
        v = pw("%")
        p("special:toml", f'[smtp]\npassword = "{v}"\n', v)
    for tpl in [
        "DB_PASSWORD=$DB_PASS && ./start.sh\n",
        "TOKEN=$(vault read -field=token secret/ci); echo done\n",
        "spring.datasource.password=${DB_PASSWORD}\n",
        "spring.datasource.password=\n",
        "password = ${DB_PASSWORD} ; from the environment\n",
        'conn = "Driver={ODBC Driver 18};Server=db;Uid=app;Pwd={0};"\n',
        "GET /login?user=bob&password=&next=/home HTTP/1.1\n",
        "mail:\n  password: ${MAIL_PASSWORD}  # injected\n",
        "password_policy = min=12;upper=1;digit=1\n",
    ]:
        n("special-negative", tpl)

    # -----------------------------------------------------------------------------------------
    # 5. Values wrapped over lines.
    # -----------------------------------------------------------------------------------------
    for _ in range(4):
        a, b = key(24), key(20)
        p(
            "wrapped:properties",
            f"app.api.secret={a}\\\n    {b}\napp.api.url=https://api.example.net\n",
            a,
            b,
        )
        a, b = key(20), key(20)
        p("wrapped:shell-string", f'export API_TOKEN="{a}\\\n{b}"\n', a, b)
        a, b = key(30), key(30)
        p("wrapped:python-concat", f'API_KEY = (\n    "{a}"\n    "{b}"\n)\n', a, b)
        lines = [s(B64, 64) for _ in range(3)]
        body = "\n".join("    " + ln for ln in lines)
        p(
            "wrapped:yaml-literal",
            f"tls:\n  private_key: |\n{body}\n  cert_file: /etc/tls.crt\n",
            *lines,
        )
        lines = [key(24) for _ in range(2)]
        body = "\n".join("  " + ln for ln in lines)
        p("wrapped:yaml-folded", f"client_secret: >-\n{body}\nclient_id: web\n", *lines)
        v = key(40)
        p("wrapped:python-triple", f'SECRET_KEY = """{v}"""\n', v)
        v = pw()
        p("wrapped:toml-multiline", f'[db]\npassword = """\n{v}"""\n', v)
        v = key(36)
        p("wrapped:java-textblock", f'String token = """\n    {v}\n    """;\n', v)
        v = spaced()
        p("wrapped:dockerfile-legacy", f"FROM debian\nENV DB_PASSWORD {v}\nRUN ./setup\n", v)
        v = key(32)
        p(
            "wrapped:curl-continuation",
            f'curl -sS \\\n  -H "X-Api-Key: {v}" \\\n  https://api.example.net/v2/jobs\n',
            v,
        )
    for tpl in [
        "description: |\n  The token is rotated every day\n  by the operator job.\n",
        "script: |\n  export TOKEN=$(vault read -field=token secret/ci)\n  ./deploy\n",
        "password.hint=Your password must\\\n    contain a digit\n",
        'password_help = """Enter the password\nyou were sent by email."""\n',
        'def token(self):\n    """Return the token for this session."""\n',
        "private_key: |\n  ${PRIVATE_KEY}\n",
        "client_secret: >-\n  {{ lookup('env', 'CLIENT_SECRET') }}\n",
        "ENV DB_PASSWORD_FILE /run/secrets/db\n",
        "ENV TOKEN_URL https://auth.example.net/token\n",
        "curl -sS \\\n  --token-file /run/secrets/tok \\\n  https://api.example.net\n",
        'API_KEY = (\n    os.environ["API_KEY"]\n)\n',
    ]:
        n("wrapped-negative", tpl)

    # -----------------------------------------------------------------------------------------
    # 6. Heredocs and here-strings.
    # -----------------------------------------------------------------------------------------
    for _ in range(3):
        v = pw()
        p(
            "heredoc:netrc",
            f"cat > ~/.netrc <<EOF\nmachine git.example.net\nlogin ci\npassword {v}\nEOF\n",
            v,
        )
        v = pw()
        p(
            "heredoc:here-string",
            f'docker login -u ci --password-stdin registry.example.net <<< "{v}"\n',
            v,
        )
        v = pw()
        p("heredoc:chpasswd", f"chpasswd <<EOF\ndeploy:{v}\nEOF\n", v)
        v, k = pw(), key()
        p(
            "heredoc:env-file",
            f"cat > .env <<-'EOF'\n\tDB_PASSWORD={v}\n\tAPI_KEY={k}\n\tEOF\n",
            v,
            k,
        )
        v = pw()
        p("heredoc:psql", f"psql <<SQL\nALTER ROLE app PASSWORD '{v}';\nSQL\n", v)
    n(
        "heredoc-negative",
        'docker login -u ci --password-stdin registry.example.net <<< "$CI_TOKEN"\n',
    )
    n("heredoc-negative", "chpasswd <<EOF\ndeploy:$(openssl rand -base64 12)\nEOF\n")
    n("heredoc-negative", "cat <<EOF\nUsage: login --password-stdin\nEOF\n")

    # -----------------------------------------------------------------------------------------
    # 7. JSON escapes and URL encoding.
    # -----------------------------------------------------------------------------------------
    for _ in range(4):
        a, b = s(ALNUM, 6), s(ALNUM, 7)
        v = f"{a}\\u00{rng.choice(['21', '23', '26', '40', '3c'])}{b}"
        p("json-escape", f'{{"{pick(KEY_NAMES)}":"{v}"}}', v)
        v = f"\\u00{rng.choice(['41', '5a', '6b'])}{s(ALNUM, 14)}\\/{s(ALNUM, 4)}"
        p("json-escape", f'{{\n  "credentials": {{\n    "password": "{v}"\n  }}\n}}', v)
        v = s(ALNUM, 6) + "%40" + s(ALNUM, 4) + "%2F" + s(ALNUM, 4)
        p("url-encoded", f"DATABASE_URL=postgres://app:{v}@db.internal:5432/app\n", v)
        v = s(ALNUM, 8) + "%3A" + s(ALNUM, 6)
        p("url-encoded", f"amqp://guest:{v}@mq.internal:5672/vhost\n", v)
        v = s(ALNUM, 8) + "%26" + s(ALNUM, 6)
        p("url-encoded", f"grant_type=password&username=bob&password={v}&scope=read\n", v)
    n("url-negative", "postgres://app:%s@db.internal:5432/app  # filled by the template\n")
    n("url-negative", '{"password":"\\u003cyour password\\u003e"}')

    # -----------------------------------------------------------------------------------------
    # 8. Passwords with @, : or / in URLs and DSNs.
    # -----------------------------------------------------------------------------------------
    for _ in range(4):
        v = pw("@")
        p("url-at", f"mongodb://root:{v}@mongo-0.mongo:27017/admin\n", v)
        v = pw(":")
        p("url-colon", f'url = "mysql://app:{v}@mysql.internal/app"\n', v)
        v = s(ALNUM, 8) + "/" + s(ALNUM, 8) + rng.choice(["+", "="])
        p("url-slash", f"REDIS_URL=redis://default:{v}@redis.internal:6379/0\n", v)
        v = pw("@")
        p("dsn-at", f'dsn := "app:{v}@tcp(db:3306)/shop?parseTime=true"\n', v)
        v = pw(":")
        p("dsn-colon", f"jdbc:oracle:thin:scott/{v}@db.internal:1521/ORCL\n", v)
    for tpl in [
        "https://git.example.net:8443/users/@alice\n",
        "https://registry.npmjs.org:443/@scope/pkg/-/pkg-1.0.0.tgz\n",
        "pip install git+ssh://github.com:acme/tools.git@v1.2.0\n",
        "see http://localhost:8080/@fs/src/main.ts for the module\n",
        "mongodb://root:${MONGO_PASSWORD}@mongo-0.mongo:27017/admin\n",
        'dsn := fmt.Sprintf("%s:%s@tcp(%s)/%s", user, pass, host, db)\n',
        "ssh://git@git.example.net:2222/acme/app.git\n",
    ]:
        n("url-negative", tpl)

    # -----------------------------------------------------------------------------------------
    # 9. Several secrets on one line or in one file, in different syntaxes.
    # -----------------------------------------------------------------------------------------
    for _ in range(4):
        a, k = pw(), key()
        p(
            "multi:curl",
            f"curl -u admin:{a} -H 'X-Api-Key: {k}' https://api.example.net/v1\n",
            a,
            k,
        )
        a, k = pw(), key()
        p(
            "multi:docker-run",
            f"docker run -e DB_PASSWORD={a} -e API_KEY={k} app:latest\n",
            a,
            k,
        )
        a, k = pw(), key(40)
        p(
            "multi:env-line",
            f"DATABASE_URL=postgres://app:{a}@db/app SENTRY_TOKEN={k} ./run\n",
            a,
            k,
        )
        # (A first version drew 36 random characters: a look-alike that fails GitHub's checksum,
        # which gitgate rightly ignores. Fixed after the before-figures; same draws.)
        a, k = pw(), github_token(key(36))
        p(
            "multi:log",
            f"retry push https://ci:{a}@git.example.net/r.git token={k} attempt=2\n",
            a,
            k,
        )
        a, k = pw(), key()
        p(
            "multi:yaml-json",
            f'db:\n  password: {a}\nextra: \'{{"api_key": "{k}"}}\'\n',
            a,
            k,
        )
        a, k = spaced(), key()
        p(
            "multi:python",
            f'DB = {{"password": "{a}"}}\nHEADERS = {{"Authorization": "Bearer {k}"}}\n',
            a,
            k,
        )
        a, k = pw(), key()
        p(
            "multi:conninfo",
            f"host=db user=app password={a} sslmode=require application_name=x; api_key={k}\n",
            a,
            k,
        )
        a, k = pw(), key()
        p(
            "multi:dockerfile",
            f'FROM node:20\nARG NPM_TOKEN={k}\nRUN curl -u "ci:{a}" https://repo.example.net/pkg\n',
            a,
            k,
        )
    n(
        "multi-negative",
        "docker run -e DB_PASSWORD=$DB_PASSWORD -e API_KEY=${API_KEY} app:latest\n",
    )
    n("multi-negative", "curl -u admin:$ADMIN_PW -H 'X-Api-Key: <key>' https://api.example.net\n")

    # -----------------------------------------------------------------------------------------
    # 10. Kubernetes manifests.
    # -----------------------------------------------------------------------------------------
    for _ in range(3):
        v = spaced()
        p(
            "k8s:stringdata",
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n"
            f'  password: "{v}"\n  username: app\n',
            v,
        )
        lines = [s(B64, 60) for _ in range(2)]
        p(
            "k8s:stringdata-block",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\nstringData:\n"
            "  key.pem: |\n    " + "\n    ".join(lines) + "\n",
            *lines,
        )
        v = pw("#")
        p(
            "k8s:env",
            "spec:\n  containers:\n    - name: app\n      env:\n        - name: SMTP_PASSWORD\n"
            f"          value: {v}\n",
            v,
        )
    n(
        "k8s-negative",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n"
        "  description: |\n    the password is read from the db secret\n",
    )

    # -----------------------------------------------------------------------------------------
    # 11. Line endings, end of file, tabs: the same values under other whitespace.
    # -----------------------------------------------------------------------------------------
    ws_tpls: list[tuple[str, Callable[[str], str]]] = [
        ("env", lambda v: f"DB_USER=app\nDB_PASSWORD={v}"),
        ("yaml", lambda v: f"db:\n  user: app\n  password: {v}"),
        ("ini", lambda v: f"[db]\nuser = app\npassword = {v}"),
        ("json", lambda v: f'{{"user": "app", "password": "{v}"}}'),
        ("xml", lambda v: f"<db>\n  <password>{v}</password>\n</db>"),
        ("properties", lambda v: f"db.user=app\ndb.password={v}"),
        ("python", lambda v: f"DB_USER = 'app'\nDB_PASSWORD = '{v}'"),
        ("toml", lambda v: f'[db]\npassword = "{v}"'),
    ]
    for syntax, make in ws_tpls:
        v = pw()
        p(f"eof:{syntax}", make(v), v)
        v = pw()
        p(f"crlf:{syntax}", make(v).replace("\n", "\r\n") + "\r\n", v)
        v = pw()
        p(f"tabs:{syntax}", make(v).replace("  ", "\t").replace(" = ", "\t=\t") + "\n", v)
        v = spaced() if syntax in ("json", "python", "toml") else pw("#")
        p(f"crlf-special:{syntax}", make(v).replace("\n", "\r\n") + "\r\n", v)
    for syntax, make in ws_tpls:
        n(f"ws-negative:{syntax}", make("${DB_PASSWORD}").replace("\n", "\r\n"))

    # -----------------------------------------------------------------------------------------
    # 12. More assignment syntaxes whose value end is the syntax's business.
    # -----------------------------------------------------------------------------------------
    more: list[tuple[str, str]] = [
        ("go-struct", 'cfg := Config{{Password: "{v}", Host: "db"}}\n'),
        ("kotlin", 'val password = "{v}"\n'),
        ("rust", 'let password: &str = "{v}";\n'),
        ("swift", 'let apiSecret = "{v}"\n'),
        ("ruby-env", "ENV['SMTP_PASSWORD'] = '{v}'\n"),
        ("php-define", "define('DB_PASSWORD', '{v}');\n"),
        (
            "csharp-conn",
            '"ConnectionStrings": {{"Db": "Server=db;Database=app;User Id=sa;Password={v};"}}\n',
        ),
        ("java-props", 'props.put("mail.smtp.password", "{v}");\n'),
        ("hcl-tfvars", 'db_password = "{v}"\nregion      = "eu-west-1"\n'),
        ("makefile", "DB_PASSWORD ?= {v}\n"),
        ("powershell", '$env:API_TOKEN = "{v}"\n'),
        ("batch", "set DB_PASSWORD={v}\n"),
        ("yaml-inline", "db: {{user: app, password: {v}}}\n"),
        ("toml-inline", 'db = {{ user = "app", password = "{v}" }}\n'),
        ("xml-attr", '<datasource user="app" password="{v}" url="jdbc:pg://db/app"/>\n'),
        ("js-object", "const cfg = {{ password: '{v}', host: 'db' }};\n"),
        ("log-json", '{{"level":"debug","msg":"connect","password":"{v}","ms":12}}\n'),
        ("cli-flag", "./migrate --db-password='{v}' --host db\n"),
        ("cli-flag-eq", "./migrate --db-password={v} --host db\n"),
    ]
    for syntax, tpl in more:
        for extra in ("", "#", "&", "@"):
            v = pw(extra)
            if syntax in ("yaml-inline", "batch", "cli-flag-eq", "csharp-conn") and extra in "#&":
                v = pw()
            p(f"syntax:{syntax}", tpl.format(v=v), v)
    for tpl in [
        'cfg := Config{Password: os.Getenv("DB_PASSWORD"), Host: "db"}\n',
        "val password = BuildConfig.DB_PASSWORD\n",
        'let password: &str = &env::var("DB_PASSWORD")?;\n',
        "ENV['SMTP_PASSWORD'] = ENV.fetch('MAIL_PASS')\n",
        "define('DB_PASSWORD', getenv('DB_PASSWORD'));\n",
        'props.put("mail.smtp.password", password);\n',
        "db_password = var.db_password\n",
        "DB_PASSWORD ?= $(shell cat .dbpass)\n",
        "$env:API_TOKEN = $secret.GetNetworkCredential().Password\n",
        "set DB_PASSWORD=%DB_PASSWORD%\n",
        "db: {user: app, password: null}\n",
        '<datasource user="app" password="${db.password}" url="jdbc:pg://db/app"/>\n',
        "const cfg = { password: process.env.DB_PASSWORD, host: 'db' };\n",
        '{"level":"debug","msg":"connect","password":"[FILTERED]","ms":12}\n',
        './migrate --db-password="$DB_PASSWORD" --host db\n',
        "./migrate --db-password-file /run/secrets/db --host db\n",
        "password_min_length = 12\n",
        "token_ttl: 3600  # seconds\n",
    ]:
        n("syntax-negative", tpl)

    # -----------------------------------------------------------------------------------------
    # 13. Every template above with what is not a value: references, templates, masks,
    #     placeholders and labels, in the very syntax whose extent rules the tuning changes.
    # -----------------------------------------------------------------------------------------
    not_values = [
        "${DB_PASSWORD}", "{{ .Values.db.password }}", "<your-password>", "changeme",
        "********", "%(password)s", "REPLACE_ME", "$DB_PASSWORD", "your password here",
        "{{ vault('secret/db') }}", "[REDACTED]", "<%= ENV['DB_PASSWORD'] %>",
    ]  # fmt: skip
    for syntax, tpl in spaced_tpls:
        name = pick(PW_NAMES)
        for v in rng.sample(not_values, 3):
            n(f"placeholder:{syntax}", tpl.format(k=name.lower(), K=name.upper(), v=v))
    for syntax, tpl in more:
        for v in rng.sample(not_values, 3):
            n(f"placeholder:{syntax}", tpl.format(v=v))
    for syntax, make in ws_tpls:
        n(f"placeholder:{syntax}", make(pick(not_values)))
    return out


def main() -> None:
    cases = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(case) + "\n")
    pos = sum(1 for c in cases if c["positive"])
    print(f"{OUT.name}: {len(cases)} cases ({pos} positive, {len(cases) - pos} negative)")


if __name__ == "__main__":
    main()
