"""Unit tests of where a secret value ends (issue 10, fourth round, ``secrets_tune3``).

Each mechanism gets positives (the whole value is covered, not a prefix of it) and the
negatives it must leave alone. Values are random at import time (seeded), so no
credential-shaped literal lives here.
"""

from __future__ import annotations

import random
import string

import pytest
from tests.secretutil import covered

from gitgate.safety.redaction import find_secrets, redact

_rng = random.Random(20261201)
ALNUM = string.ascii_letters + string.digits


def rnd(n: int) -> str:
    while True:
        v = "".join(_rng.choice(ALNUM) for _ in range(n))
        if (
            any(c.isdigit() for c in v)
            and any(c.isupper() for c in v)
            and any(c.islower() for c in v)
        ):
            return v


def pw(inner: str = "") -> str:
    """A generated password with ``inner`` characters inside it."""
    return rnd(6) + inner + rnd(6) + "!"


def a_p(n: int) -> str:
    return rnd(n)


P1, P2, P3 = pw("''"), pw('""'), pw("\\")
K1, K2 = rnd(24), rnd(20)
B1, B2, B3 = rnd(60), rnd(60), rnd(60)
S1 = f"{rnd(4)}! {rnd(5)}# {rnd(4)}%"
Q1, Q2 = pw(";&"), pw("#;&%")

POSITIVES = [
    # doubled quotes: YAML single-quoted, SQL, PowerShell, C# verbatim
    (f"smtp:\n  password: '{P1}'\n", P1),
    (f"ALTER USER app WITH PASSWORD '{P1}';\n", P1),
    (f"$password = '{P1}'\n", P1),
    (f'var password = @"{P2}";\n', P2),
    # shell single quotes keep a trailing backslash
    (f"export DB_PASSWORD='{K1}\\'\nexport DB_USER=app\n", K1 + "\\"),
    # backslash-newline continues a double-quoted string
    (f'export API_TOKEN="{K1}\\\n{K2}"\n', K2),
    # JSON inside a string, with an escaped quote in the value
    (f'payload = "{{\\"password\\": \\"{K1}\\\\\\"{K2}\\"}}"\n', f'{K1}\\\\\\"{K2}'),
    # triple quotes (Python, TOML multi-line, Java text block)
    (f'SECRET_KEY = """{K1}{K2}"""\n', K1 + K2),
    (f'[db]\npassword = """\n{P3}"""\n', P3),
    (f'String token = """\n    {K1}\n    """;\n', K1),
    # parenthesised implicit concatenation
    (f'API_KEY = (\n    "{K1}"\n    "{K2}"\n)\n', K2),
    # .properties: the rest of the line, and backslash continuations
    (f"spring.datasource.password={Q2}\nspring.datasource.username=app\n", Q2),
    (f"app.api.secret={K1}\\\n    {K2}\napp.api.url=https://x.example\n", K2),
    # .env: ; & | glued in a value, a literal \n
    (f"ADMIN_PASSWORD={Q1}\nDB_HOST=db\n", Q1),
    (f"SMTP_PASSWORD={K1[:6]}\\n{K2[:6]}\nSMTP_HOST=mail\n", f"{K1[:6]}\\n{K2[:6]}"),
    # YAML block scalars of several lines, also in a Kubernetes Secret
    (f"tls:\n  private_key: |\n    {B1}\n    {B2}\n    {B3}\n  cert_file: /x\n", B3),
    (f"client_secret: >-\n  {K1}\n  {K2}\nclient_id: web\n", K2),
    (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\nstringData:\n"
        f"  key.pem: |\n    {B1}\n    {B2}\n  other: {K1}\n",
        B2,
    ),
    # Dockerfile legacy ENV: the rest of the line
    (f"FROM debian\nENV DB_PASSWORD {S1}\nRUN ./setup\n", S1),
    # curl -u quoted, spaces and operators inside
    (f"curl -u 'admin:{S1}' https://api.example.net\n", S1),
    (f'curl --user "ci:{Q1}" https://api.example.net\n', Q1),
    # URL and DSN passwords with / and @
    (
        f"REDIS_URL=redis://default:{K1[:8]}/{K2[:8]}+@redis.internal:6379/0\n",
        f"{K1[:8]}/{K2[:8]}+",
    ),
    (f'dsn := "app:{pw("@")}@tcp(db:3306)/shop"\n', None),
    # here-string and chpasswd heredoc
    (f'docker login -u ci --password-stdin registry.example.net <<< "{P3}"\n', P3),
    (f"chpasswd <<EOF\ndeploy:{K1}\nEOF\n", K1),
    # ODBC braces, YAML flow mapping, Go struct literal, a closing bracket inside a value
    (f'"Driver={{ODBC Driver 18}};Server=db;Uid=app;Pwd={{{Q1}}};"\n', Q1),
    (f"db: {{user: app, password: {K1[:8]}*{K2[:6]}}}\n", f"{K1[:8]}*{K2[:6]}"),
    (f'cfg := Config{{Password: "{K1}", Host: "db"}}\n', K1),
    (f"auth ok user=svc password={K1[:6]}){K2[:6]} ip=10.0.0.7\n", f"{K1[:6]}){K2[:6]}"),
    # a glued name ending in "pass"
    (f'{{"user": "app", "dbpass": "{S1}"}}', S1),
]


@pytest.mark.parametrize("text, secret", POSITIVES)
def test_whole_value_is_covered(text: str, secret: str | None) -> None:
    if secret is None:  # the DSN case: its password is the part between "app:" and "@tcp("
        secret = text[text.index("app:") + 4 : text.index("@tcp(")]
    assert covered(text, secret), (text, find_secrets(text))
    assert secret not in redact(text)


NEGATIVES = [
    "password = ''  # set at deploy time\n",
    "SELECT * FROM users WHERE password = '' OR name = ''\n",
    '{"password": "\\"\\"", "note": "empty"}',
    "spring.datasource.password=${DB_PASSWORD}\n",
    "password.hint=Your password must\\\n    contain a digit\n",
    'password_help = """Enter the password\nyou were sent by email."""\n',
    "description: |\n  The token is rotated every day\n  by the operator job.\n",
    "private_key: |\n  ${PRIVATE_KEY}\n",
    'API_KEY = (\n    os.environ["API_KEY"]\n)\n',
    "ENV DB_PASSWORD_FILE /run/secrets/db\n",
    "DB_PASSWORD=$DB_PASS && ./start.sh\n",
    'curl -u "$CI_USER:$CI_PASSWORD" https://ci.example.net/job\n',
    "curl -u 'admin:<password>' https://api.example.net\n",
    "https://git.example.net:8443/users/@alice\n",
    "pip install git+ssh://github.com:acme/tools.git@v1.2.0\n",
    "see http://localhost:8080/@fs/src/main.ts for the module\n",
    'docker login -u ci --password-stdin registry.example.net <<< "$CI_TOKEN"\n',
    "chpasswd <<EOF\ndeploy:$(openssl rand -base64 12)\nEOF\n",
    'conn = "Driver={ODBC Driver 18};Server=db;Uid=app;Pwd={0};"\n',
    "db: {user: app, password: null}\n",
    "const cfg = { db: {user: app, password: dbPassword} };\n",
    'print(f"{password}")\n',
    "'{password:>12}'.format(password=x)\n",
    "ALTER USER app WITH PASSWORD '';\n",
    "./migrate --db-password=your password here --host db\n",
    "DB_PASSWORD=abc\\nDB_USER=x",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_not_a_secret(text: str) -> None:
    assert find_secrets(text) == [], text


def test_crlf_and_eof_do_not_change_the_extent() -> None:
    value = pw("#")
    for text in (
        f"db:\r\n  user: app\r\n  password: {value}\r\n",
        f"db.user=app\r\ndb.password={value}",
        f"[db]\r\npassword = {value}",
        f"db:\n\tpassword: |\n\t\t{value}\n",
    ):
        assert covered(text, value), text


def test_block_scalar_stops_at_the_next_key() -> None:
    text = f"token: |\n  {K1}\nname: visible-name\n"
    assert "visible-name" in redact(text)
    assert K1 not in redact(text)


def test_extent_is_bounded_on_hostile_input() -> None:
    # A huge block or continued properties value: bounded work, and still covered at its head.
    text = "private_key: |\n" + "".join(f"  {rnd(60)}\n" for _ in range(2000))
    found = find_secrets(text)
    assert found and found[0].start == text.index("  ") + 2
    text = "a.secret=" + "\\\n".join(rnd(20) for _ in range(500)) + "\n"
    assert find_secrets(text)


def test_a_key_line_ends_a_block_or_a_continued_value() -> None:
    # A block scalar's content never starts another entry; stopping there also keeps a text
    # of nested "password: |" heads from making every head read all the following lines.
    text = f"password: |\n  {K1}\n  visible: keep-me\n"
    assert K1 not in redact(text) and "keep-me" in redact(text)
    text = f"app.secret={K1}\\\nother.name=keep-me\n"
    assert K1 not in redact(text) and "keep-me" in redact(text)
    nested = "root:\n" + "  password: |\n" * 2000
    assert find_secrets(nested) == []


V = pw("&;#")


@pytest.mark.parametrize(
    "text",
    [
        f'set "DB_PASSWORD={V}"\n',  # cmd: the quotes hold the whole assignment
        f"smtp:\n  password: &smtp_pw {V}\n",  # a YAML anchor before the value
        f"password: !!str {V}\n",  # a YAML core tag
        f"<Password><![CDATA[{V}]]></Password>\n",
        f"my $password = '{V}';\n",  # Perl
        f"conn = 'host=db user=app password={V} sslmode=require'\n",  # libpq conninfo
        f"bind_pw = {V}\n",
        f"LDAP_PW={V}\n",
        f'bindPw: "{V}"\n',
    ],
)
def test_more_value_syntaxes(text: str) -> None:
    assert covered(text, V), (text, find_secrets(text))


@pytest.mark.parametrize(
    "text",
    [
        "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  36383764623136\n",  # ciphertext
        "DbPassword: !Ref DbPasswordParam\n",  # CloudFormation: names another value
        "password: *smtp_pw\n",  # an alias
        "password: &smtp_pw\n",
        "x = 'password=' + pw\n",
        "pw_hash = abc\n",
        "hide_pw = true\n",
        "use_pw: yes\n",
        'set "DB_PASSWORD=%DB_PASSWORD%"\n',
        "<Password><![CDATA[${DB_PASSWORD}]]></Password>\n",
    ],
)
def test_more_value_syntaxes_negatives(text: str) -> None:
    assert find_secrets(text) == [], text


def test_query_string_values_still_end_at_ampersand() -> None:
    # In a URL query "&" separates parameters (a password there must be %-encoded).
    secret = rnd(12)
    text = f"jdbc:postgresql://db/app?user=app&password={secret}&ssl=true\n"
    assert covered(text, secret) and "ssl=true" in redact(text)


def test_a_regex_under_a_secret_name_is_not_a_secret() -> None:
    assert find_secrets("    cl_pw = r'([0-9a-f]{64})'\n") == []
    assert find_secrets("password_re = '(?:[A-Za-z0-9]+)'\n") == []
    secret = pw("[")  # a bracket alone is fine in a password
    assert covered(f"password = '{secret}'\n", secret)


@pytest.mark.parametrize(
    "text",
    [
        "assert f(password=pw)==expected\n",
        "r = call(token=tok)+1\n",
        "x = [dict(secret=s)].pop()\n",
    ],
)
def test_a_closing_bracket_of_code_does_not_join_the_value(text: str) -> None:
    assert find_secrets(text) == [], text


@pytest.mark.parametrize(
    "text",
    ["PASSWORD=secret|base64 -d\n", "DB_PASSWORD=$DB_PASS&&./start.sh\n", "TOKEN=$X;echo done\n"],
)
def test_shell_operators_after_a_reference_are_not_a_value(text: str) -> None:
    assert find_secrets(text) == [], text


@pytest.mark.parametrize(
    "template",
    [
        "ALTER USER a IDENTIFIED BY '{v}';\n",
        'CREATE USER b IDENTIFIED BY "{v}";\n',
        "CREATE USER x IDENTIFIED WITH mysql_native_password BY '{v}'\n",
        "The password is {v}.\n",  # prose outside a comment: a password-shaped word
        "* **Password:** {v}\n",  # a Markdown label
    ],
)
def test_sql_identified_by_prose_and_markdown_labels(template: str) -> None:
    text = template.format(v=V)
    assert covered(text, V), (text, find_secrets(text))


def test_sql_identified_by_an_unquoted_word_ends_at_the_semicolon() -> None:
    secret = pw("#")
    text = f"CREATE USER scott IDENTIFIED BY {secret};\nSELECT 1;\n"
    assert covered(text, secret) and "SELECT 1" in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "GRANT ALL ON *.* TO 'u'@'%' IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9';\n",
        "ALTER USER x IDENTIFIED EXTERNALLY;\n",
        "The caller is identified by the token header.\n",
        "CREATE USER x IDENTIFIED BY '${DB_PASSWORD}'\n",
        "The password is incorrect.\n",
        "The password is stored in vault.\n",
        "the token was rotated yesterday\n",
        "* **Password:** see the wiki\n",
        "password is required\n",
        "The secret is base64url-encoded.\n",
    ],
)
def test_sql_prose_and_markdown_negatives(text: str) -> None:
    assert find_secrets(text) == [], text


@pytest.mark.parametrize(
    "template",
    [
        '"password":\n  "{v}"\n',  # pretty-printed JSON with the value on its own line
        "password =\n    '{v}'\n",
        "db:\n  password:\n    {v}\n",  # a YAML plain scalar on the next line
        'password = (\n    "{v}"\n)\n',  # black's wrapping of a long string
    ],
)
def test_value_on_the_next_line(template: str) -> None:
    text = template.format(v=V)
    assert covered(text, V), (text, find_secrets(text))


@pytest.mark.parametrize(
    "text",
    [
        "db:\n  password:\n    nested: x\n",
        "password:\n  - a\n  - b\n",
        "password:\nuser: x\n",
        "def f(password=\n    None):\n",
        'password:\n  "${DB_PASSWORD}"\n',
        "password:\n  # comment\n",
        "token =\n    get_token()\n",
        'password = ("a", "b")\n',
    ],
)
def test_value_on_the_next_line_negatives(text: str) -> None:
    assert find_secrets(text) == [], text


def test_a_docstring_after_a_colon_is_not_a_value() -> None:
    text = '    def match(self) -> ConfigAuthorization:\n        """Return config instance."""\n'
    assert find_secrets(text) == []
    text = 'class Token:\n    """Holds a token."""\n'
    assert find_secrets(text) == []


@pytest.mark.parametrize(
    "text",
    [
        'def dlopen(self, name):\n    """Load a library identified by \'name\'."""\n',
        "    Returns the style of a node identified by ``nodeId``.\n",
        'return f"The HMAC key is {len(key)} bytes long"\n',
        "to grant read access to all users identified\nby URI and a user identified by their ID\n",
    ],
)
def test_identified_by_and_is_in_docstrings_are_prose(text: str) -> None:
    assert find_secrets(text) == [], text


def test_identified_by_in_a_statement_over_two_lines() -> None:
    text = f"CREATE USER 'app'@'%'\n  IDENTIFIED BY '{V}';\n"
    assert covered(text, V)
