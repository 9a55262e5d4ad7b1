# Template functions read the Fill they are given; the loop at the end calls each many times.
"""Generate ``secrets_tune6.jsonl``: a seventh TUNING set for secret detection (issue 10).

Why: on the frozen eval set gitgate FLAGS more cases than it COVERS, so what it misses is mostly
the EXTENT of a value: a secret found but cut short, or its second half left. tune3 had span
fidelity for the common forms; this set is built around how far a value runs in every syntax
whose public documentation says so, written before any tuning on it:

* YAML 1.2: plain scalars (``#`` not after a space, ``:`` not before one, spaces inside),
  single-quoted (``''`` is a quote, ``\\`` literal), double-quoted (``\\"`` ``\\\\`` escapes,
  a line break folded, an escaped line break joined), multi-line plain scalars, flow
  mappings, literal and folded block scalars;
* TOML basic / literal / multi-line strings; JSON escapes (``\\"``, ``\\\\``, ``\\/``,
  ``\\u0026``);
* INI and Java ``.properties`` (``\\`` continuation, ``\\:`` ``\\=`` escapes, ``:`` and space
  separators);
* ``.env`` files as docker compose, python-dotenv and direnv read them (double quotes with
  escapes and spaces, single quotes, ``#`` glued inside an unquoted value, `` #`` comment);
* shell words: quotes, ``\\`` escapes, ``$'...'``, adjacent quoted pieces ``'ab'"cd"``,
  ``VAR=x cmd``, a value starting with ``-``;
* HCL heredocs, XML entities / CDATA / attributes, adjacent string literal concatenation in
  C, Python and Go;
* URL userinfo with reserved characters (RFC 3986: ``@ : / ? # [ ] >``, percent-encoding,
  IPv6 hosts);
* Markdown tables, code spans and prose ("the password is X."), CSV/TSV cells, logfmt lines;
* passwords that start with ``-``, contain spaces, quotes, ``#;,)>&$``, backslashes,
  non-ASCII letters; multi-word passphrases; values wrapped over two lines; two secrets on one
  line;
* vendor formats the token table lacked (Yandex Cloud IAM ``t1.`` and OAuth ``y0_`` tokens,
  the legacy ``outlook.office.com/webhook`` Teams URL, Facebook Graph explorer ``EAACEdEose0cBA``
  tokens, Discord's legacy ``mfa.`` user tokens), each with look-alike negatives.

Each template renders POSITIVES (every secret slot holds a drawn value, labelled exactly as it
appears in the text, so "covered" means every character of it is redacted; a value written
over two lines is labelled as its pieces) and NEGATIVES: the same syntax holding references,
placeholders, expressions, ids, hashes and prose.

Usage::

    python benchmarks/corpora/make_secrets_tune6.py   # writes secrets_tune6.jsonl
"""

from __future__ import annotations

import json
import random
import string
import uuid
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "secrets_tune6.jsonl"
SEED = 20261207
ALNUM = string.ascii_letters + string.digits
UP_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"
WORDS = (
    "maple harbor tango violet granite falcon nebula orchid copper lantern summit rocket "
    "willow cobalt meadow ember quartz saffron thunder glacier"
).split()
NON_ASCII = "äöüßéèñçøåłžš"


class Fill:
    """The values of one rendered snippet: real secrets (positive) or their stand-ins."""

    def __init__(self, rng: random.Random, positive: bool) -> None:
        self.rng = rng
        self.positive = positive
        self.secrets: list[str] = []

    def s(self, alpha: str, n: int) -> str:
        """n characters of alpha, with a lower, an upper and a digit when alpha has them."""
        while True:
            v = "".join(self.rng.choice(alpha) for _ in range(n))
            kinds = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
            if all(set(k) & set(v) for k in kinds if set(k) & set(alpha)):
                return v

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice(HEX) for _ in range(n))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hard(self, chars: str, lead: str = "", n_hard: int = 2) -> str:
        """A chosen password holding ``n_hard`` of ``chars`` inside (never at its ends, unless
        ``lead`` is given: then it starts with one of those)."""
        rng = self.rng
        base = list(self.s(ALNUM, rng.randint(9, 15)))
        for _ in range(n_hard):
            base.insert(rng.randint(1, len(base) - 1), rng.choice(chars))
        out = "".join(base)
        return (rng.choice(lead) + out) if lead else out

    def phrase(self, sep: str = " ", n: int = 4) -> str:
        words = self.rng.sample(WORDS, n)
        return sep.join(words) + sep + str(self.rng.randint(10, 99))

    def slot(self, value: str, refs: list[str]) -> str:
        """A secret slot: ``value`` in a positive, one of ``refs`` in a negative."""
        if self.positive:
            self.secrets.append(value)
            return value
        return self.rng.choice(refs)

    def pick(self, *options: str) -> str:
        return self.rng.choice(options)


Template = Callable[[Fill], str]
TEMPLATES: list[tuple[str, Template]] = []


def template(cat: str) -> Callable[[Template], Template]:
    def register(fn: Template) -> Template:
        TEMPLATES.append((cat, fn))
        return fn

    return register


# Stand-ins: what the same syntax holds when it is done right.
REFS = ["${DB_PASSWORD}", "<your-password>", "changeme", "{{ .Values.db.password }}", "********"]
SH_REFS = ['"$DB_PASSWORD"', "${DB_PASSWORD}", '"$(cat /run/secrets/db_password)"']


# ---------------------------------------------------------------------------------------------
# YAML 1.2
# ---------------------------------------------------------------------------------------------
@template("yaml-plain")
def yaml_plain(f: Fill) -> str:
    # A plain scalar keeps "#" not after a space, ":" not before one, and inner spaces.
    pw = f.slot(f.hard("#:,)&$>;!%@") + f.pick("", " " + f.s(ALNUM, 6)), REFS)
    return (
        "database:\n"
        "  host: db.internal\n"
        "  port: 5432\n"
        "  user: orders\n"
        f"  password: {pw}\n"
        "  pool: 10  # connections\n"
    )


@template("yaml-single-quoted")
def yaml_single(f: Fill) -> str:
    # '' is one quote; a backslash is literal; "#" and ": " are text.
    pw = f.slot(f.hard('#\\"', n_hard=1) + "''" + f.s(ALNUM, 5) + f.pick(" # x", ": y"), REFS)
    return f"smtp:\n  host: smtp.example.org\n  username: mailer\n  password: '{pw}'\n"


@template("yaml-double-quoted")
def yaml_double(f: Fill) -> str:
    pw = f.slot(f.hard("#'&") + f.pick('\\"', "\\\\", "\\t") + f.s(ALNUM, 6), REFS)
    return f'redis:\n  url: redis://cache:6379/0\n  password: "{pw}"\n  timeout: 5\n'


@template("yaml-double-multiline")
def yaml_double_multiline(f: Fill) -> str:
    # A line break inside double quotes folds into a space; "\" at the line end joins.
    a, b = f.hard("#&!"), f.hard("#&!")
    joiner = f.pick(" ", "\\")
    if f.positive:
        f.secrets += [a, b]
        return f'service:\n  name: billing\n  api_secret: "{a}{joiner}\n    {b}"\n  retries: 3\n'
    return (
        'service:\n  name: billing\n  api_secret: "${BILLING_API_SECRET}"\n'
        '  description: "billing service, talks to\n    the ledger over gRPC"\n  retries: 3\n'
    )


@template("yaml-plain-multiline")
def yaml_plain_multiline(f: Fill) -> str:
    # A plain scalar continues on more-indented lines (folded with a space).
    a, b = f.s(ALNUM, 14), f.s(ALNUM + "-_", 14)
    if f.positive:
        f.secrets += [a, b]
        return f"auth:\n  client_id: web-frontend\n  client_secret: {a}\n    {b}\n  scope: openid\n"
    return (
        "auth:\n  client_id: web-frontend\n  client_secret: ${OIDC_CLIENT_SECRET}\n"
        "  description: the frontend client, registered\n    by the platform team\n"
    )


@template("yaml-flow")
def yaml_flow(f: Fill) -> str:
    pw = f.slot(f.hard("#!)&$>"), ["${MQ_PASSWORD}", "changeme", "'{{ mq_password }}'"])
    return f"brokers:\n  - {{host: mq1.internal, user: app, password: {pw}, vhost: /prod}}\n"


@template("yaml-block")
def yaml_block(f: Fill) -> str:
    style = f.pick("|", ">-", "|-", ">")
    pw = f.slot(f.phrase(" "), ["${PASSPHRASE}", "see the vault entry ops/backup"])
    return f"backup:\n  gpg_passphrase: {style}\n    {pw}\n  schedule: '0 3 * * *'\n"


@template("yaml-k8s-stringdata")
def yaml_k8s(f: Fill) -> str:
    pw = f.slot(f.hard("#%&*!:"), ["${DB_PASSWORD}", "<base64-of-password>"])
    tok = f.slot(f.s(ALNUM, 32), ["${API_TOKEN}", "replace-me"])
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\nstringData:\n"
        f'  DB_PASSWORD: "{pw}"\n  API_TOKEN: {tok}\n'
    )


# ---------------------------------------------------------------------------------------------
# TOML, JSON
# ---------------------------------------------------------------------------------------------
@template("toml-basic")
def toml_basic(f: Fill) -> str:
    pw = f.slot(f.hard("#'=") + f.pick('\\"', "\\\\", "\\u00e9") + f.s(ALNUM, 5), REFS)
    return f'[database]\nurl = "postgres://db:5432/app"\nuser = "app"\npassword = "{pw}"\n'


@template("toml-literal")
def toml_literal(f: Fill) -> str:
    pw = f.slot(f.hard('\\#"', n_hard=2), REFS)
    return f"[smtp]\nhost = 'smtp.example.org'\npassword = '{pw}'  # rotated yearly\n"


@template("toml-multiline")
def toml_multiline(f: Fill) -> str:
    quote = f.pick('"""', "'''")
    pw = f.slot(f.hard("#=&'"), ["${SIGNING_KEY}", "changeme"])
    return f"[signing]\nalgorithm = 'HS256'\nsecret = {quote}\n{pw}{quote}\n"


@template("json-escapes")
def json_escapes(f: Fill) -> str:
    pw = f.slot(
        f.hard("#&") + f.pick('\\"', "\\\\", "\\/", "\\u0026", "\\u00fc") + f.s(ALNUM, 6),
        ["${DB_PASSWORD}", "", "<secret>"],
    )
    return (
        '{\n  "ConnectionStrings": {"Default": "Server=db;Database=app"},\n'
        f'  "Database": {{"User": "app", "Password": "{pw}", "Timeout": 30}}\n}}\n'
    )


@template("json-two-on-line")
def json_two(f: Fill) -> str:
    a = f.slot(f.hard("#,:}"), ["${CLIENT_SECRET}", ""])
    b = f.slot(f.s(B64URL, 40), ["${REFRESH_TOKEN}", ""])
    return f'{{"client_id":"web","client_secret":"{a}","refresh_token":"{b}"}}\n'


# ---------------------------------------------------------------------------------------------
# INI, .properties, .env
# ---------------------------------------------------------------------------------------------
@template("ini")
def ini_file(f: Fill) -> str:
    pw = f.slot(f.hard(";#&$)"), ["%(DB_PASSWORD)s", "${DB_PASSWORD}", "changeme"])
    return f"[client]\nhost = db.internal\nuser = backup\npassword = {pw}\nport = 3306\n"


@template("ini-passphrase")
def ini_passphrase(f: Fill) -> str:
    pw = f.slot(f.phrase(" "), ["%(passphrase)s", "<passphrase>"])
    return f"[gpg]\nkey_id = 0x{f.hex(16).upper()}\npassphrase = {pw}\n"


@template("properties-escapes")
def props_escapes(f: Fill) -> str:
    # \: and \= are escaped separators, kept in the value's text.
    pw = f.slot(f.hard("!#") + f.pick("\\:", "\\=", "\\\\") + f.s(ALNUM, 6), REFS)
    return (
        "spring.datasource.url=jdbc:postgresql://db:5432/app\n"
        "spring.datasource.username=app\n"
        f"spring.datasource.password={pw}\n"
    )


@template("properties-continued")
def props_continued(f: Fill) -> str:
    a, b = f.s(ALNUM, 16), f.s(ALNUM, 16)
    sep = f.pick("=", ": ", " ")
    if f.positive:
        f.secrets += [a, b]
        return f"app.name=billing\napp.jwt.secret{sep}{a}\\\n    {b}\napp.port=8080\n"
    return (
        "app.name=billing\napp.jwt.secret=${JWT_SECRET}\napp.description=billing service \\\n"
        "    for the ledger\n"
    )


@template("properties-spaced")
def props_spaced(f: Fill) -> str:
    sep = f.pick(" : ", " = ", " ")
    pw = f.slot(f.hard("#!;&"), ["${MAIL_PASSWORD}", "changeme"])
    return f"mail.smtp.host = smtp.example.org\nmail.smtp.password{sep}{pw}\n"


@template("dotenv-double")
def dotenv_double(f: Fill) -> str:
    pw = f.slot(f.hard("# ;&'") + f.pick('\\"', "$$", "\\\\") + f.s(ALNUM, 5), REFS)
    return f'APP_ENV=production\nDB_HOST=db\nDB_PASSWORD="{pw}"\nDB_PORT=5432\n'


@template("dotenv-single")
def dotenv_single(f: Fill) -> str:
    pw = f.slot(f.hard('# $"\\&'), REFS)
    return f"APP_ENV=production\nSMTP_PASSWORD='{pw}'\n"


@template("dotenv-unquoted-hash")
def dotenv_hash(f: Fill) -> str:
    # compose: "#" is a comment only after whitespace, so "a#b" is all value.
    pw = f.slot(f.hard("#", n_hard=1) + f.pick("", ";x", "&y"), REFS[:3])
    return f"REDIS_HOST=cache\nREDIS_PASSWORD={pw} # rotated 2026-01\n"


@template("dotenv-export-passphrase")
def dotenv_export(f: Fill) -> str:
    pw = f.slot(f.phrase(f.pick(" ", "-")), ["$(pass show backup/passphrase)", "${PASSPHRASE}"])
    return f'# .envrc (direnv)\nexport BORG_REPO=ssh://backup@nas/./repo\nexport BORG_PASSPHRASE="{pw}"\n'


@template("dotenv-non-ascii")
def dotenv_non_ascii(f: Fill) -> str:
    pw = f.slot(f.hard(NON_ASCII), REFS[:3])
    q = f.pick("", '"')
    return f"LDAP_BIND_DN=cn=admin,dc=example,dc=org\nLDAP_BIND_PASSWORD={q}{pw}{q}\n"


# ---------------------------------------------------------------------------------------------
# Shell words
# ---------------------------------------------------------------------------------------------
@template("shell-backslash")
def shell_backslash(f: Fill) -> str:
    # Unquoted, "\$" and "\!" keep the character: the word runs on.
    pw = f.slot(f.hard("", n_hard=0) + f.pick("\\$", "\\!", "\\&", "\\;") + f.s(ALNUM, 6), SH_REFS)
    cmd = f.pick("psql -h db -U app app", "pg_dump -h db app > app.sql")
    form = f.pick("prefix", "export")
    if form == "prefix":
        return f"#!/bin/sh\nPGPASSWORD={pw} {cmd}\n"
    return f"#!/bin/sh\nexport PGPASSWORD={pw}\n{cmd}\n"


@template("shell-ansi-c")
def shell_ansi_c(f: Fill) -> str:
    pw = f.slot(f.hard("#!") + f.pick("\\'", "\\x21", "\\n") + f.s(ALNUM, 5), SH_REFS)
    if pw.startswith(('"', "$")):
        return f"export API_SECRET={pw}\n"
    return f"export API_SECRET=$'{pw}'\n./deploy.sh\n"


@template("shell-adjacent-quotes")
def shell_adjacent(f: Fill) -> str:
    a, b = f.hard('"$#', n_hard=1), f.hard("'#!", n_hard=1)
    if f.positive:
        # One word of two quoted pieces: the secret is the pieces (the quotes are syntax).
        f.secrets += [a, b]
        return f"#!/bin/bash\nexport ADMIN_PASSWORD='{a}'\"{b}\"\n./bootstrap --admin\n"
    return '#!/bin/bash\nexport ADMIN_PASSWORD="$(vault kv get -field=pw secret/admin)"\n'


@template("shell-flag-quoted")
def shell_flag_quoted(f: Fill) -> str:
    pw = f.slot(f.hard("#;&) $", n_hard=2), ['"$MYSQL_PWD"', '"${DB_PASSWORD}"'])
    q = f.pick("'", '"') if " " in pw or any(c in pw for c in "#;&)$") else ""
    if not f.positive:
        q = ""
    if q == '"':
        pw2 = pw.replace("$", "\\$")
        if f.positive:
            f.secrets[-1] = pw2
        pw = pw2
    flag = f.pick("--password ", "--password=", "-p ")
    tool = f.pick("mysqldump --user=root", "influx --username admin", "rabbitmqadmin -u admin")
    return f"{tool} {flag}{q}{pw}{q} --host db.internal\n"


@template("shell-dash-value")
def shell_dash_value(f: Fill) -> str:
    # A value that starts with "-" after a flag that takes one.
    pw = f.slot(f.hard("~.!_", lead="-"), ['"$AZ_PASSWORD"', '"$SP_SECRET"'])
    tool = f.pick(
        "az login --service-principal -u 7c1e0b6e-4a6b-4f0c-9a51-2a1d7f3e9b10 -p",
        "az login -u ops@example.org -p",
        "docker login registry.example.org -u ci -p",
    )
    return f"{tool} {pw} --tenant example.onmicrosoft.com\n"


@template("shell-env-flag")
def shell_env_flag(f: Fill) -> str:
    pw = f.slot(f.hard("#;&)"), ["$PG_PASS", '"${PG_PASS}"'])
    q = f.pick("'", '"')
    return f"docker run -d -e {q}POSTGRES_PASSWORD={pw}{q} -e POSTGRES_USER=app postgres:16\n"


# ---------------------------------------------------------------------------------------------
# HCL, XML, adjacent literals
# ---------------------------------------------------------------------------------------------
@template("hcl-heredoc")
def hcl_heredoc(f: Fill) -> str:
    dash = f.pick("", "-")
    pw = f.slot(
        f.hard('#"$!'), ["${var.db_password}", '${data.vault_generic_secret.db.data["pw"]}']
    )
    return (
        'resource "aws_db_instance" "main" {\n  engine   = "postgres"\n  username = "app"\n'
        f"  password = <<{dash}EOT\n    {pw}\n    EOT\n}}\n"
    )


@template("hcl-escapes")
def hcl_escapes(f: Fill) -> str:
    pw = f.slot(
        f.hard("#!") + f.pick('\\"', "\\\\", "$${x}", "%%{y}") + f.s(ALNUM, 5), ["${var.pw}"]
    )
    return f'provider "postgresql" {{\n  host     = "db"\n  password = "{pw}"\n}}\n'


@template("xml-entities")
def xml_entities(f: Fill) -> str:
    ent = f.pick("&amp;", "&lt;", "&gt;", "&quot;", "&#35;")
    pw = f.slot(f.hard("#!") + ent + f.s(ALNUM, 6), ["${db.password}", "@@DB_PASSWORD@@"])
    return (
        "<configuration>\n  <database>\n    <user>app</user>\n"
        f"    <password>{pw}</password>\n  </database>\n</configuration>\n"
    )


@template("xml-attribute")
def xml_attribute(f: Fill) -> str:
    ent = f.pick("&amp;", "&lt;", "&quot;", ">")
    pw = f.slot(f.hard("#;!") + ent + f.s(ALNUM, 5), ["${DB_PASSWORD}", "#{dbPassword}"])
    form = f.pick("add", "ds")
    if form == "add":
        return f'<appSettings>\n  <add key="DbPassword" value="{pw}" />\n</appSettings>\n'
    return f'<DataSource url="jdbc:h2:mem:test" user="sa" password="{pw}" />\n'


@template("xml-cdata")
def xml_cdata(f: Fill) -> str:
    pw = f.slot(f.hard("<>&]#"), ["${smtp.password}"])
    return f"<mail>\n  <smtpPassword><![CDATA[{pw}]]></smtpPassword>\n</mail>\n"


@template("adjacent-literals")
def adjacent_literals(f: Fill) -> str:
    a, b = f.s(ALNUM, 8), f.s(ALNUM, 12)
    form = f.pick("py", "c", "go", "py-paren")
    if not f.positive:
        return f.pick(
            'SECRET_KEY = os.environ["SECRET_KEY"]\nGREETING = "hello, " "world"\n',
            '#define API_KEY_HEADER "X-" "Api-Key"\n',
            'const apiKey = os.Getenv("API_KEY")\nconst banner = "v1." + "2"\n',
        )
    f.secrets += [a, b]
    if form == "py":
        return f'SECRET_KEY = "{a}" "{b}"\nDEBUG = False\n'
    if form == "c":
        return f'#define API_KEY "{a}" \\\n    "{b}"\n'
    if form == "go":
        return f'const apiKey = "{a}" +\n\t"{b}"\n'
    return f'SECRET_KEY = (\n    "{a}"\n    "{b}"\n)\n'


# ---------------------------------------------------------------------------------------------
# URL userinfo (RFC 3986)
# ---------------------------------------------------------------------------------------------
@template("url-reserved")
def url_reserved(f: Fill) -> str:
    pw = f.slot(f.hard(f.pick(">", "#", "[", "]", "?", "/", ":", "@"), n_hard=1), [""])
    scheme = f.pick("redis", "postgresql", "mongodb", "amqp", "mysql")
    user = f.pick("", "app", "admin")
    if not f.positive:
        return f.pick(
            f"{scheme}://{user or 'app'}@cache.internal:6379/0\n",
            f"{scheme}://{user or 'app'}:${{DB_PASSWORD}}@db.internal/app\n",
            "see https://tools.ietf.org/html/rfc3986#section-3.2.1 for user:password@host\n",
        )
    return f"CACHE_URL={scheme}://{user}:{pw}@cache.internal:6379/0\n"


@template("url-percent")
def url_percent(f: Fill) -> str:
    pw = f.slot(
        f.hard("", n_hard=0) + f.pick("%40", "%2F", "%23", "%3A", "%25") + f.s(ALNUM, 6),
        ["%24%7BDB_PASSWORD%7D"],
    )
    return f'DATABASE_URL = "postgresql://app:{pw}@db.internal:5432/app?sslmode=require"\n'


@template("url-ipv6")
def url_ipv6(f: Fill) -> str:
    pw = f.slot(f.hard("!*~"), ["${PW}"])
    host = f.pick("[::1]", "[2001:db8::10]", "[fe80::1%25eth0]")
    return f"export AMQP_URL='amqp://svc:{pw}@{host}:5672/prod'\n"


# ---------------------------------------------------------------------------------------------
# Markdown, prose, CSV, logs
# ---------------------------------------------------------------------------------------------
@template("markdown-table")
def md_table(f: Fill) -> str:
    pw = f.slot(f.hard("!#@%"), ["stored in Vault at `kv/ops/db`", "see 1Password", "`<ask ops>`"])
    cell = f"`{pw}`" if f.positive and f.rng.random() < 0.6 else pw
    return (
        "## Staging access\n\n| what | value |\n|---|---|\n| host | `db.staging.internal` |\n"
        f"| user | `ops` |\n| DB password | {cell} |\n"
    )


@template("markdown-code-span")
def md_code_span(f: Fill) -> str:
    pw = f.slot(f.hard("!#&;"), ["<the one in 1Password>"])
    if not f.positive:
        return "Log in as `admin`; the password is in 1Password under *staging admin*.\n"
    return f"Log in as `admin` with password `{pw}` and change it after the first login.\n"


@template("prose")
def prose(f: Fill) -> str:
    pw = f.slot(f.hard("!#&%"), ["x"])
    if not f.positive:
        return f.pick(
            "The password is stored in Vault; ask the on-call engineer.\n",
            "Note: the password is required and must be at least 12 characters.\n",
            "The token is rotated every 90 days by the platform team.\n",
        )
    return f.pick(
        f"Hi Sam, the staging DB password is {pw}. Please don't share it.\n",
        f"FYI the new wifi password is {pw}, the old one stops working Monday.\n",
        f"the admin password is now {pw}\n",
    )


@template("prose-comma-field")
def prose_comma(f: Fill) -> str:
    pw = f.slot(f.hard("!#%"), ["<pw>"])
    if not f.positive:
        return "password: see vault, user: bob\n"
    return f"credentials for the demo box -> password: {pw}, user: bob\n"


@template("csv")
def csv_cells(f: Fill) -> str:
    a = f.slot(f.hard(',;" '), ["(in vault)"])
    b = f.slot(f.hard("#!"), ["(in vault)"])
    qa = '"' + a.replace('"', '""') + '"'
    if f.positive:
        f.secrets[-2] = a.replace('"', '""')
    else:
        qa = a
    return (
        f"service,username,password,notes\nbilling,svc_billing,{qa},prod\nledger,svc_ledger,{b},\n"
    )


@template("tsv")
def tsv_cells(f: Fill) -> str:
    a = f.slot(f.hard("#, ;"), ["-"])
    return f"host\tuser\tpassword\nsftp.example.org\tuploader\t{a}\n"


@template("logfmt")
def logfmt(f: Fill) -> str:
    pw = f.slot(f.hard(" #=&"), ["***"])
    q = '"' if any(c in pw for c in " #=") or f.rng.random() < 0.5 else ""
    if f.positive and '"' in pw:
        pw = pw.replace('"', "")
    return (
        f'ts=2026-11-30T10:02:11Z level=debug msg="connecting" user=app password={q}{pw}{q}'
        " host=db.internal\n"
    )


@template("two-on-one-line")
def two_on_line(f: Fill) -> str:
    a = f.slot(f.hard("#!&"), ["$PW"])
    b = f.slot(f.s(ALNUM, 32), ["$TOKEN"])
    form = f.pick("flags", "kv")
    if form == "flags":
        return f"./sync --user app --password '{a}' --api-token {b} --dry-run\n"
    return f"user=app password={a} token={b} region=eu-west-1\n"


@template("wrapped-shell")
def wrapped_shell(f: Fill) -> str:
    # "\" + newline inside double quotes is removed by the shell: one word over two lines.
    a, b = f.s(ALNUM, 12), f.s(ALNUM, 12)
    if not f.positive:
        return 'curl -s -H "Authorization: Bearer $API_TOKEN" \\\n  https://api.example.org/v1/me\n'
    f.secrets += [a, b]
    return f'curl -s -H "Authorization: Bearer {a}\\\n{b}" \\\n  https://api.example.org/v1/me\n'


@template("password-with-quote")
def password_with_quote(f: Fill) -> str:
    pw = f.slot(f.hard("'\""), REFS[:3])
    form = f.pick("py", "yaml", "sh")
    if form == "py":
        esc = pw.replace("'", "\\'")
        if f.positive:
            f.secrets[-1] = esc
        return f"DATABASES['default']['PASSWORD'] = '{esc}'\n"
    if form == "yaml":
        esc = pw.replace("'", "''")
        if f.positive:
            f.secrets[-1] = esc
        return f"password: '{esc}'\n"
    esc = pw.replace('"', '\\"')
    if f.positive:
        f.secrets[-1] = esc
    return f'export DB_PASSWORD="{esc}"\n'


# ---------------------------------------------------------------------------------------------
# Hard negatives: the syntaxes above holding hashes, ids, expressions
# ---------------------------------------------------------------------------------------------
@template("lookalikes")
def lookalikes(f: Fill) -> str:
    if f.positive:
        pw = f.slot(f.hard("#&!"), [])
        return f"password_hash: sha256:{f.hex(64)}\npassword: {pw}\nrequest_id: {f.uuid()}\n"
    return f.pick(
        f"password_hash: sha256:{f.hex(64)}\nrequest_id: {f.uuid()}\n",
        f'{{"password_min_length": 12, "token_ttl": "3600s", "commit": "{f.hex(40)}"}}\n',
        "password = getpass.getpass(prompt='Password: ')\ntoken = session.get('token')\n",
        "| field | type | description |\n|---|---|---|\n| password | string | the user's password |\n",
        "PASSWORD_FILE=/run/secrets/db_password\nTOKEN_URL=https://auth.example.org/token\n",
        "api_key: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  " + f.hex(64) + "\n",
    )


# ---------------------------------------------------------------------------------------------
# Vendor formats
# ---------------------------------------------------------------------------------------------
@template("vendor-yandex-iam")
def yandex_iam(f: Fill) -> str:
    tok = "t1." + f.s(B64URL, f.rng.randint(40, 70)) + "." + f.s(B64URL, 86)
    tok = f.slot(tok, ["$(yc iam create-token)"])
    if not f.positive:
        return f.pick(
            'export YC_TOKEN="$(yc iam create-token)"\n',
            "version: t1.2.3\nhost: t1.example.org\n",
        )
    return f'curl -H "Authorization: Bearer {tok}" https://resource-manager.api.cloud.yandex.net/resource-manager/v1/clouds\n'


@template("vendor-yandex-oauth")
def yandex_oauth(f: Fill) -> str:
    tok = "y0_AgAAAAA" + f.s(B64URL, 48)
    if not f.positive:
        return f.pick("y0_label = 'y0_axis'\n", "YC_OAUTH_TOKEN=${YC_OAUTH_TOKEN}\n")
    f.secrets.append(tok)
    return f.pick(
        f"yc config set token {tok}\n",
        f"oauth = {tok}\n",
        f'headers = {{"Authorization": "OAuth {tok}"}}\n',
    )


@template("vendor-teams-legacy")
def teams_legacy(f: Fill) -> str:
    url = (
        f"https://outlook.office.com/webhook/{f.uuid()}@{f.uuid()}/IncomingWebhook/"
        f"{f.hex(32)}/{f.uuid()}"
    )
    if not f.positive:
        return f.pick(
            "TEAMS_WEBHOOK=https://outlook.office.com/webhook/<id>\n",
            "See https://outlook.office.com/mail/inbox for the message.\n",
        )
    f.secrets.append(url[len("https://outlook.office.com/webhook/") :])
    return f'notify:\n  teams_url: "{url}"\n'


@template("vendor-facebook-explorer")
def facebook_explorer(f: Fill) -> str:
    tok = "EAACEdEose0cBA" + f.s(ALNUM, f.rng.randint(100, 180))
    if not f.positive:
        return f.pick(
            "graph_api_version = 'v19.0'\nFB_ACCESS_TOKEN=${FB_ACCESS_TOKEN}\n", "EAACEdEose0cBA\n"
        )
    f.secrets.append(tok)
    return f"curl 'https://graph.facebook.com/v19.0/me?access_token={tok}'\n"


@template("vendor-discord-mfa")
def discord_mfa(f: Fill) -> str:
    tok = "mfa." + f.s(B64URL, 84)
    if not f.positive:
        return f.pick("mfa.enabled = true\nmfa.methods = ['totp']\n", "user.mfa.required: true\n")
    f.secrets.append(tok)
    return f"DISCORD_USER_TOKEN={tok}\n"


# Added with the second part (vendor formats), committed before their rules.
@template("vendor-facebook-explorer-short")
def facebook_explorer_short(f: Fill) -> str:
    # Graph API Explorer tokens are shorter in many docs and answers than page tokens.
    tok = "EAACEdEose0cBA" + f.s(ALNUM, f.rng.randint(40, 85))
    if not f.positive:
        return f.pick(
            "// app id EAACEdEose0cBA is the Graph API Explorer\n",
            "access_token = request.args.get('access_token')  # EAAC...\n",
        )
    f.secrets.append(tok)
    return f.pick(
        f"FB.api('/me', {{access_token: '{tok}'}});\n",
        f"graph = facebook.GraphAPI('{tok}')\n",
        f"https://graph.facebook.com/me/feed?access_token={tok}&limit=5\n",
    )


@template("vendor-yandex-bare")
def yandex_bare(f: Fill) -> str:
    iam = "t1." + f.s(B64URL, f.rng.randint(40, 70)) + "." + f.s(B64URL, 86)
    oauth = "y0_AgAAAAA" + f.s(B64URL, 48)
    if not f.positive:
        return f.pick(
            "yc config set token $(cat ~/.yc-token)\n",
            '{"iamToken": "${YC_IAM}", "expiresAt": "2026-12-01T10:00:00Z"}\n',
            "release t1.4.0 fixes y0_offset handling\n",
        )
    tok = f.pick(iam, oauth)
    f.secrets.append(tok)
    return f.pick(
        f'{{"iamToken": "{tok}", "expiresAt": "2026-12-01T10:00:00Z"}}\n',
        f"yc compute instance list --token {tok}\n",
        f'provider "yandex" {{\n  token     = "{tok}"\n  folder_id = "b1g8"\n}}\n',
    )


def build() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    out: list[dict[str, object]] = []
    for cat, fn in TEMPLATES:
        for positive, copies in ((True, 5), (False, 4)):
            for _ in range(copies):
                f = Fill(rng, positive)
                text = fn(f)
                secrets = [s for s in dict.fromkeys(f.secrets) if s]
                if positive:
                    assert secrets and all(s in text for s in secrets), (cat, text, secrets)
                else:
                    assert not secrets, (cat, text)
                out.append(
                    {"category": cat, "positive": positive, "text": text, "secrets": secrets}
                )
    return out


def main() -> None:
    cases = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    pos = sum(1 for c in cases if c["positive"])
    print(f"{OUT.name}: {len(cases)} cases ({pos} positive, {len(cases) - pos} negative)")


if __name__ == "__main__":
    main()
