# Template functions read the Fill they are given; the loop at the end calls each many times.
"""Generate ``secrets_tune5.jsonl``: a sixth TUNING set for secret detection (issue 10).

Why: the earlier sets are one-line snippets (tune2), span fidelity (tune3) and whole
configuration files (tune4). None holds much SOURCE CODE, scripts or tool invocations, which
is where many real leaks are: a credential hard-coded in a client constructor, a builder
call, a struct literal or a constant; a password on a command line in a script or a CI log.
This set is BREADTH on that material, written before any tuning on it from the public
documentation of languages, client libraries and tools:

* source code in Go, Rust, Java, Kotlin, C#, Swift, JavaScript/TypeScript, PHP, Ruby,
  Python, Scala, Elixir, Dart, C/C++, PowerShell, Bash, Lua, R and SQL: client constructors
  and builders (AWS SDKs' static credentials, database drivers, HTTP clients, SMTP clients),
  ``.setPassword("…")``, struct literals (``Password: "…"``), named arguments, maps and
  hashes, constants, here-docs and concatenated strings;
* SQL user management (``CREATE USER … IDENTIFIED BY``, ``ALTER ROLE … PASSWORD``, SQL
  Server's ``CREATE LOGIN … WITH PASSWORD =``, MySQL's ``SET PASSWORD FOR``);
* tool invocations (``docker run -e``, ``docker login -p``, ``kubectl create secret
  --from-literal``, ``mysql -p…``, ``psql postgresql://…``, ``az login -p``, ``sshpass -p``,
  ``htpasswd -b``, ``openssl … pass:…``, ``curl -u``, ``-H 'X-Api-Key: …'``,
  ``gh auth login --with-token <<<``);
* CI logs and stack traces that leak a credential, Jupyter notebook JSON, HTTP request
  captures and HAR entries;
* vendor token formats the token table did not have (from gitleaks' rules and GitHub secret
  scanning's documented patterns).

Every template is rendered as a POSITIVE (each secret slot holds a value drawn from a seeded
RNG; now and then a slot is a reference even in a positive, as in half-migrated code) and as
a NEGATIVE: the same code done right (environment lookups, secret managers, configuration
reads, CI secret references, prompts, clearly fake test fixtures, placeholders). Both keep
the code's look-alikes: hashes, ids, public keys, variable names (``password =
password_input``), function parameters, header NAMES, length constants.

Each positive lists its secrets exactly as they appear in the text, so "covered" means every
character of each is redacted.

Usage::

    python benchmarks/corpora/make_secrets_tune5.py   # writes secrets_tune5.jsonl
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "secrets_tune5.jsonl"
SEED = 20261201
ALNUM = string.ascii_letters + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits
UP_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
# Characters chosen passwords carry that no syntax here treats specially when unquoted.
SAFE_SYMBOLS = "!@%^*-_.+=?~"
# Inside quotes people also use these (no quote, backslash or "$": every language here keeps
# them literal in a string, and shells keep them in single quotes).
QUOTED_SYMBOLS = SAFE_SYMBOLS + "#&;:,()[]/|<>"
WORDS = (
    "maple harbor tango violet granite falcon nebula orchid copper lantern summit rocket "
    "willow cobalt meadow ember quartz saffron thunder glacier"
).split()


class Fill:
    """The values of one rendered snippet: real secrets (positive) or their stand-ins."""

    def __init__(self, rng: random.Random, positive: bool) -> None:
        self.rng = rng
        self.positive = positive
        self.secrets: list[str] = []

    # --- drawing ------------------------------------------------------------------------------
    def s(self, alpha: str, n: int) -> str:
        """n characters of alpha, with a lower, an upper and a digit when alpha has them."""
        rng = self.rng
        while True:
            v = "".join(rng.choice(alpha) for _ in range(n))
            kinds = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
            if all(set(k) & set(v) for k in kinds if set(k) & set(alpha)):
                return v

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice(HEX) for _ in range(n))

    def b64(self, nbytes: int) -> str:
        return base64.b64encode(self.rng.randbytes(nbytes)).decode()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def chosen(self, quoted: bool = False) -> str:
        """A password a person chose or a generator made, in the shapes people use."""
        rng = self.rng
        sym = QUOTED_SYMBOLS if quoted else SAFE_SYMBOLS
        form = rng.randrange(7)
        w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
        if form == 0:
            return f"{w1.capitalize()}{w2.capitalize()}{rng.randint(10, 9999)}{rng.choice(sym)}"
        if form == 1:
            return f"{w1}{rng.choice(sym)}{w2.capitalize()}{rng.randint(1, 99)}"
        if form == 2:
            season = rng.choice(["Winter", "Summer", "Spring", "Autumn"])
            return f"{season}{rng.randint(2019, 2026)}{rng.choice(sym)}"
        if form == 3:
            return self.s(ALNUM + sym, rng.randint(14, 26))
        if form == 4:
            return self.b64(rng.choice([18, 24, 32]))  # openssl rand -base64 N
        if form == 5:
            return self.s(ALNUM, rng.randint(12, 20))  # pwgen -s
        return f"{w1}-{w2}-{rng.choice(WORDS)}-{rng.randint(1, 99)}"  # a diceware-ish phrase

    def aws_id(self) -> str:
        return "AKIA" + self.s(UP_DIGITS, 16)

    def aws_secret(self) -> str:
        return self.s(ALNUM + "+/", 40)

    def github(self) -> str:
        body = self.s(ALNUM, 30)
        n, check = zlib.crc32(body.encode()), ""
        while n:
            n, r = divmod(n, 62)
            check = BASE62[r] + check
        return self.rng.choice(["ghp_", "ghs_"]) + body + check.rjust(6, "0")

    def api_key(self) -> str:
        """A generic generated API key in one of the common alphabets."""
        form = self.rng.randrange(4)
        if form == 0:
            return self.hex(32)
        if form == 1:
            return self.s(ALNUM, 32)
        if form == 2:
            return self.s(B64URL, 43)
        return self.uuid()

    # --- slots --------------------------------------------------------------------------------
    def slot(self, value: str, refs: list[str], always: bool = False) -> str:
        """A secret slot: ``value`` in a positive (now and then a reference instead, unless
        ``always``), one of ``refs`` in a negative."""
        if self.positive and (always or self.rng.random() < 0.85):
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


def q(v: str, quote: str = '"') -> str:
    """A value written as a string literal, unless it is a reference expression."""
    return v if v.startswith("\x00") else f"{quote}{v}{quote}"


def ref(expr: str) -> str:
    """A reference expression (code, not a literal): marked so ``q`` leaves it unquoted."""
    return "\x00" + expr


def clean(text: str) -> str:
    return text.replace("\x00", "")


# Stand-ins per language: what the same code holds when it is done right. Placeholders are
# literals (quoted by ``q``); the rest are expressions.
def go_refs(name: str) -> list[str]:
    return [ref(f'os.Getenv("{name}")'), ref("cfg.Password"), "", "changeme", ref("secret")]


def rust_refs(name: str) -> list[str]:
    return [ref(f'&std::env::var("{name}")?'), ref("&config.password"), "<your-password>"]


def java_refs(name: str) -> list[str]:
    return [
        ref(f'System.getenv("{name}")'),
        ref(f'props.getProperty("{name.lower().replace("_", ".")}")'),
        ref('secrets.get("db-password")'),
        "changeit" if name.endswith("STORE_PASSWORD") else "${" + name + "}",
    ]


def cs_refs(name: str) -> list[str]:
    return [
        ref(f'Environment.GetEnvironmentVariable("{name}")'),
        ref(f'configuration["{name.title().replace("_", ":")}"]'),
        ref("options.Value.Password"),
    ]


def js_refs(name: str) -> list[str]:
    return [ref(f"process.env.{name}"), ref(f"process.env['{name}']"), ref("config.password")]


def php_refs(name: str) -> list[str]:
    return [ref(f"getenv('{name}')"), ref(f"$_ENV['{name}']"), ref(f"env('{name}')")]


def rb_refs(name: str) -> list[str]:
    return [
        ref(f'ENV["{name}"]'),
        ref(f"ENV.fetch('{name}')"),
        ref(f"Rails.application.credentials.dig(:{name.lower()})"),
    ]


def py_refs(name: str) -> list[str]:
    return [
        ref(f'os.environ["{name}"]'),
        ref(f'os.getenv("{name}")'),
        ref("settings.password"),
        ref('getpass.getpass("Password: ")'),
    ]


def shell_refs(name: str) -> list[str]:
    return [
        f"${name}",
        f"${{{name}}}",
        f"${{{{ secrets.{name} }}}}",
        f'"$(cat /run/secrets/{name.lower()})"',
    ]


# ---------------------------------------------------------------------------------------------
# Go
# ---------------------------------------------------------------------------------------------
@template("go")
def go_aws_static(f: Fill) -> str:
    kid = f.slot(f.aws_id(), [ref('os.Getenv("AWS_ACCESS_KEY_ID")')])
    sk = f.slot(
        f.aws_secret(), [ref('os.Getenv("AWS_SECRET_ACCESS_KEY")')], always=kid[0] != "\x00"
    )
    return (
        "package main\n\n"
        'import (\n\t"context"\n\t"github.com/aws/aws-sdk-go-v2/config"\n'
        '\t"github.com/aws/aws-sdk-go-v2/credentials"\n)\n\n'
        "func loadConfig(ctx context.Context) (aws.Config, error) {\n"
        "\treturn config.LoadDefaultConfig(ctx,\n"
        '\t\tconfig.WithRegion("eu-west-1"),\n'
        "\t\tconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(\n"
        f'\t\t\t{q(kid)}, {q(sk)}, "")),\n'
        "\t)\n}\n"
    )


@template("go")
def go_struct_literals(f: Fill) -> str:
    db = f.slot(f.chosen(quoted=True), go_refs("DB_PASSWORD"))
    rd = f.slot(f.s(ALNUM, 24), go_refs("REDIS_PASSWORD"))
    field = f.pick("Password", "Passwd")
    return (
        "func openStores() (*sql.DB, *redis.Client, error) {\n"
        "\tcfg := mysql.Config{\n"
        '\t\tUser:   "orders",\n'
        f"\t\t{field}: {q(db)},\n"
        '\t\tNet:    "tcp",\n'
        '\t\tAddr:   "db.internal:3306",\n'
        '\t\tDBName: "orders",\n'
        "\t}\n"
        '\tdb, err := sql.Open("mysql", cfg.FormatDSN())\n'
        "\trdb := redis.NewClient(&redis.Options{\n"
        '\t\tAddr:     "cache.internal:6379",\n'
        f"\t\tPassword: {q(rd)},\n"
        "\t\tDB:       0,\n"
        "\t})\n"
        "\treturn db, rdb, err\n}\n"
    )


@template("go")
def go_constants(f: Fill) -> str:
    key = f.slot(f.api_key(), go_refs("WEATHER_API_KEY"), always=True)
    sec = f.slot(f.s(B64URL, 48), go_refs("JWT_SIGNING_SECRET"))
    return (
        "package client\n\n"
        "const (\n"
        '\tbaseURL        = "https://api.weather.example.com/v2"\n'
        '\tapiKeyHeader   = "X-Api-Key"\n'
        "\tminPasswordLen = 12\n"
        ")\n\n"
        f"var apiKey = {q(key)}\n"
        f"var jwtSecret = []byte({q(sec)})\n\n"
        "func (c *Client) do(req *http.Request) (*http.Response, error) {\n"
        "\treq.Header.Set(apiKeyHeader, apiKey)\n"
        "\treturn c.http.Do(req)\n}\n"
    )


@template("go")
def go_basic_auth(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), go_refs("REGISTRY_PASSWORD"), always=True)
    tok = f.slot(f.s(ALNUM, 40), go_refs("API_TOKEN"))
    return (
        "func push(ctx context.Context, url string, body io.Reader) error {\n"
        "\treq, _ := http.NewRequestWithContext(ctx, http.MethodPut, url, body)\n"
        f'\treq.SetBasicAuth("deployer", {q(pw)})\n'
        f'\treq.Header.Set("Authorization", "Bearer "+{q(tok)})\n'
        "\tresp, err := http.DefaultClient.Do(req)\n"
        "\tif err != nil {\n\t\treturn err\n\t}\n"
        "\treturn resp.Body.Close()\n}\n"
    )


# ---------------------------------------------------------------------------------------------
# Rust
# ---------------------------------------------------------------------------------------------
@template("rust")
def rust_reqwest(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), rust_refs("SERVICE_PASSWORD"))
    key = f.slot(f.api_key(), rust_refs("API_KEY"), always=True)
    return (
        "use reqwest::blocking::Client;\n\n"
        f"const API_KEY: &str = {q(key)};\n"
        'const USER_AGENT: &str = "inventory-sync/1.4";\n\n'
        "fn fetch(client: &Client, url: &str) -> reqwest::Result<String> {\n"
        "    client\n"
        "        .get(url)\n"
        f'        .basic_auth("sync", Some({q(pw)}))\n'
        '        .header("X-Api-Key", API_KEY)\n'
        "        .send()?\n"
        "        .text()\n"
        "}\n"
    )


@template("rust")
def rust_sqlx(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), rust_refs("PGPASSWORD"), always=True)
    return (
        "let options = PgConnectOptions::new()\n"
        '    .host("db.internal")\n'
        "    .port(5432)\n"
        '    .username("ledger")\n'
        f"    .password({q(pw)})\n"
        '    .database("ledger");\n'
        "let pool = PgPoolOptions::new().max_connections(5).connect_with(options).await?;\n"
    )


# ---------------------------------------------------------------------------------------------
# Java / Kotlin / Scala
# ---------------------------------------------------------------------------------------------
@template("java")
def java_jdbc(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), java_refs("DB_PASSWORD"), always=True)
    pw2 = f.slot(f.chosen(quoted=True), java_refs("REPORTING_PASSWORD"))
    return (
        "public final class Db {\n"
        '    private static final String URL = "jdbc:postgresql://db.internal:5432/shop";\n'
        "    private static final int PASSWORD_MIN_LENGTH = 12;\n\n"
        "    public static Connection open() throws SQLException {\n"
        f'        return DriverManager.getConnection(URL, "shop", {q(pw)});\n'
        "    }\n\n"
        "    public static DataSource reporting() {\n"
        "        HikariConfig config = new HikariConfig();\n"
        '        config.setJdbcUrl("jdbc:mysql://reports.internal:3306/reports");\n'
        '        config.setUsername("reporter");\n'
        f"        config.setPassword({q(pw2)});\n"
        "        return new HikariDataSource(config);\n"
        "    }\n}\n"
    )


@template("java")
def java_aws_builder(f: Fill) -> str:
    kid = f.slot(f.aws_id(), [ref('System.getenv("AWS_ACCESS_KEY_ID")')], always=True)
    sk = f.slot(f.aws_secret(), [ref('System.getenv("AWS_SECRET_ACCESS_KEY")')], always=True)
    return (
        "S3Client s3 = S3Client.builder()\n"
        "        .region(Region.EU_CENTRAL_1)\n"
        "        .credentialsProvider(StaticCredentialsProvider.create(\n"
        f"                AwsBasicCredentials.create({q(kid)}, {q(sk)})))\n"
        "        .build();\n"
    )


@template("java")
def java_mongo_mail(f: Fill) -> str:
    mpw = f.slot(f.chosen(quoted=True), java_refs("MONGO_PASSWORD"))
    spw = f.slot(f.s(ALNUM, 16), java_refs("SMTP_PASSWORD"), always=True)
    return (
        "MongoCredential credential = MongoCredential.createCredential(\n"
        f'        "catalog", "admin", {q(mpw)}.toCharArray());\n'
        "\n"
        "Properties props = new Properties();\n"
        'props.put("mail.smtp.host", "smtp.example.com");\n'
        'props.put("mail.smtp.auth", "true");\n'
        "Session session = Session.getInstance(props, new Authenticator() {\n"
        "    @Override\n"
        "    protected PasswordAuthentication getPasswordAuthentication() {\n"
        f'        return new PasswordAuthentication("alerts@example.com", {q(spw)});\n'
        "    }\n"
        "});\n"
    )


@template("kotlin")
def kotlin_consts(f: Fill) -> str:
    key = f.slot(f.api_key(), [ref("BuildConfig.MAPS_API_KEY")], always=True)
    sec = f.slot(
        f.s(ALNUM, 40), [ref('System.getenv("CLIENT_SECRET")'), ref("BuildConfig.CLIENT_SECRET")]
    )
    return (
        "object ApiConfig {\n"
        '    const val BASE_URL = "https://api.example.com/"\n'
        f"    const val API_KEY = {q(key)}\n"
        f"    private val clientSecret = {q(sec)}\n"
        '    const val CLIENT_ID = "android-app"\n'
        "}\n\n"
        "val client = OkHttpClient.Builder()\n"
        "    .addInterceptor { chain ->\n"
        "        chain.proceed(chain.request().newBuilder()\n"
        '            .header("X-Api-Key", ApiConfig.API_KEY).build())\n'
        "    }\n"
        "    .build()\n"
    )


@template("kotlin")
def kotlin_gradle(f: Fill) -> str:
    pw = f.slot(
        f.chosen(quoted=True),
        [
            ref('System.getenv("SIGNING_STORE_PASSWORD")'),
            ref('providers.gradleProperty("storePassword").get()'),
        ],
        always=True,
    )
    kpw = f.slot(f.chosen(quoted=True), [ref('System.getenv("SIGNING_KEY_PASSWORD")')])
    return (
        "android {\n"
        "    signingConfigs {\n"
        '        create("release") {\n'
        '            storeFile = file("release.keystore")\n'
        f"            storePassword = {q(pw)}\n"
        '            keyAlias = "upload"\n'
        f"            keyPassword = {q(kpw)}\n"
        "        }\n"
        "    }\n"
        "}\n"
    )


@template("scala")
def scala_slick(f: Fill) -> str:
    pw = f.slot(
        f.chosen(quoted=True),
        [ref('sys.env("DB_PASSWORD")'), ref('config.getString("db.password")')],
        always=True,
    )
    tok = f.slot(f.s(ALNUM, 36), [ref('sys.env("SLACK_TOKEN")')])
    return (
        "object Main extends App {\n"
        "  val db = Database.forURL(\n"
        '    url = "jdbc:postgresql://db.internal/events",\n'
        '    user = "events",\n'
        f"    password = {q(pw)},\n"
        '    driver = "org.postgresql.Driver")\n'
        f"  val notifierToken = {q(tok)}\n"
        "}\n"
    )


# ---------------------------------------------------------------------------------------------
# C# / Swift / Dart
# ---------------------------------------------------------------------------------------------
@template("csharp")
def csharp_clients(f: Fill) -> str:
    spw = f.slot(f.chosen(quoted=True), cs_refs("SMTP_PASSWORD"), always=True)
    key = f.slot(f.api_key(), cs_refs("PAYMENTS_API_KEY"))
    return (
        "public class Mailer\n{\n"
        f"    private const string ApiKey = {q(key)};\n"
        "    private const int MaxRetries = 3;\n\n"
        '    public SmtpClient Create() => new SmtpClient("smtp.example.com", 587)\n'
        "    {\n"
        "        EnableSsl = true,\n"
        f'        Credentials = new NetworkCredential("mailer@example.com", {q(spw)}),\n'
        "    };\n}\n"
    )


@template("csharp")
def csharp_connstring(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True).replace(";", "").replace("'", ""), ["{0}"], always=True)
    tail = "" if pw != "{0}" else ', Environment.GetEnvironmentVariable("SQL_PASSWORD")'
    pre = "string.Format(" if tail else ""
    post = ")" if tail else ""
    cs = f.slot(f.s(ALNUM, 20), cs_refs("REDIS_PASSWORD"))
    return (
        "var builder = WebApplication.CreateBuilder(args);\n"
        "builder.Services.AddDbContext<AppDb>(options =>\n"
        f'    options.UseSqlServer({pre}"Server=tcp:sql.internal,1433;Database=app;User Id=app;Password={pw};Encrypt=True;"{tail}{post}));\n'
        "builder.Services.AddStackExchangeRedisCache(o =>\n"
        "{\n"
        "    o.ConfigurationOptions = new ConfigurationOptions\n"
        "    {\n"
        '        EndPoints = { "cache.internal:6380" },\n'
        f"        Password = {q(cs)},\n"
        "        Ssl = true,\n"
        "    };\n"
        "});\n"
    )


@template("swift")
def swift_config(f: Fill) -> str:
    key = f.slot(
        f.api_key(),
        [
            ref('ProcessInfo.processInfo.environment["API_KEY"] ?? ""'),
            ref('Bundle.main.object(forInfoDictionaryKey: "API_KEY") as? String ?? ""'),
        ],
        always=True,
    )
    sec = f.slot(f.s(B64URL, 40), [ref('try Keychain.read("client_secret")')])
    return (
        "import Foundation\n\n"
        "enum Config {\n"
        '    static let baseURL = URL(string: "https://api.example.com")!\n'
        f"    static let apiKey = {q(key)}\n"
        f"    static let clientSecret = {q(sec)}\n"
        "}\n\n"
        'var request = URLRequest(url: Config.baseURL.appendingPathComponent("v1/items"))\n'
        'request.setValue(Config.apiKey, forHTTPHeaderField: "X-Api-Key")\n'
    )


@template("dart")
def dart_client(f: Fill) -> str:
    key = f.slot(
        f.api_key(),
        [ref("const String.fromEnvironment('API_KEY')"), ref("dotenv.env['API_KEY']!")],
        always=True,
    )
    tok = f.slot(f.s(ALNUM, 40), ["\x00'Bearer $token'"])
    auth = f"'Bearer {tok}'" if not tok.startswith("\x00") else tok
    return (
        "import 'package:http/http.dart' as http;\n\n"
        f"const apiKey = {q(key, chr(39))};\n\n"
        "Future<http.Response> fetchItems(String token) {\n"
        "  return http.get(\n"
        "    Uri.parse('https://api.example.com/v1/items'),\n"
        f"    headers: {{'Authorization': {auth}, 'X-Api-Key': apiKey}},\n"
        "  );\n}\n"
    )


# ---------------------------------------------------------------------------------------------
# JavaScript / TypeScript
# ---------------------------------------------------------------------------------------------
@template("javascript")
def js_s3_client(f: Fill) -> str:
    kid = f.slot(f.aws_id(), [ref("process.env.AWS_ACCESS_KEY_ID")], always=True)
    sk = f.slot(f.aws_secret(), [ref("process.env.AWS_SECRET_ACCESS_KEY")], always=True)
    return (
        'import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";\n\n'
        "const s3 = new S3Client({\n"
        '  region: "us-east-1",\n'
        "  credentials: {\n"
        f"    accessKeyId: {q(kid)},\n"
        f"    secretAccessKey: {q(sk)},\n"
        "  },\n"
        "});\n"
    )


@template("javascript")
def js_pg_pool(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), js_refs("PGPASSWORD"), always=True)
    sess = f.slot(f.s(ALNUM, 32), js_refs("SESSION_SECRET"))
    return (
        "const { Pool } = require('pg');\n"
        "const session = require('express-session');\n\n"
        "const pool = new Pool({\n"
        "  host: 'db.internal',\n"
        "  user: 'api',\n"
        f"  password: {q(pw, chr(39))},\n"
        "  database: 'api',\n"
        "  max: 10,\n"
        "});\n\n"
        "app.use(session({\n"
        f"  secret: {q(sess, chr(39))},\n"
        "  resave: false,\n"
        "  saveUninitialized: false,\n"
        "}));\n"
    )


@template("typescript")
def ts_axios(f: Fill) -> str:
    key = f.slot(f.api_key(), js_refs("CRM_API_KEY"), always=True)
    pw = f.slot(f.chosen(quoted=True), js_refs("CRM_PASSWORD"))
    return (
        "import axios, { AxiosInstance } from 'axios';\n\n"
        "export const crm: AxiosInstance = axios.create({\n"
        "  baseURL: 'https://crm.example.com/api/v3',\n"
        "  timeout: 5000,\n"
        f"  headers: {{ 'X-Api-Key': {q(key, chr(39))}, Accept: 'application/json' }},\n"
        f"  auth: {{ username: 'integration', password: {q(pw, chr(39))} }},\n"
        "});\n"
    )


@template("typescript")
def ts_constants(f: Fill) -> str:
    sec = f.slot(f.s(ALNUM + "-_", 64), js_refs("JWT_SECRET"), always=True)
    hook = f.slot(f.s(ALNUM, 32), js_refs("WEBHOOK_SIGNING_SECRET"))
    return (
        "export const PASSWORD_MIN_LENGTH = 12;\n"
        "export const TOKEN_TTL_SECONDS = 3600;\n"
        f"export const JWT_SECRET = {q(sec)};\n"
        f"const WEBHOOK_SIGNING_SECRET: string = {q(hook)};\n\n"
        "export function sign(payload: object): string {\n"
        "  return jwt.sign(payload, JWT_SECRET, { expiresIn: TOKEN_TTL_SECONDS });\n"
        "}\n"
    )


@template("javascript")
def js_concatenated(f: Fill) -> str:
    a = f.slot(f.s(ALNUM, 20), ["\x00"], always=True)
    b = f.slot(f.s(ALNUM, 20), ["\x00"], always=True)
    if not f.positive:
        return (
            "// The key is assembled at build time from the CI secret.\n"
            "const API_SECRET = process.env.API_SECRET_PART1 +\n"
            "  process.env.API_SECRET_PART2;\n"
            "module.exports = { API_SECRET };\n"
        )
    return (
        "// split so the linter stops complaining about long lines\n"
        f'const API_SECRET = "{a}" +\n'
        f'  "{b}";\n'
        "module.exports = { API_SECRET };\n"
    )


# ---------------------------------------------------------------------------------------------
# PHP / Ruby / Elixir / Lua / R
# ---------------------------------------------------------------------------------------------
@template("php")
def php_pdo_mailer(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), php_refs("DB_PASSWORD"), always=True)
    spw = f.slot(f.chosen(quoted=True), php_refs("SMTP_PASSWORD"))
    return (
        "<?php\n"
        "$dsn = 'mysql:host=db.internal;dbname=shop;charset=utf8mb4';\n"
        f"$pdo = new PDO($dsn, 'shop', {q(pw, chr(39))}, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);\n\n"
        "$mail = new PHPMailer(true);\n"
        "$mail->isSMTP();\n"
        "$mail->Host = 'smtp.example.com';\n"
        "$mail->SMTPAuth = true;\n"
        "$mail->Username = 'shop@example.com';\n"
        f"$mail->Password = {q(spw, chr(39))};\n"
        "$mail->Port = 587;\n"
    )


@template("php")
def php_array_config(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), php_refs("REDIS_PASSWORD"), always=True)
    sk = f.slot("sk_" + f.s(ALNUM, 29), php_refs("FS_SECRET_KEY"))
    return (
        "<?php\n\n"
        "return [\n"
        "    'redis' => [\n"
        "        'host' => '10.0.3.4',\n"
        f"        'password' => {q(pw, chr(39))},\n"
        "        'port' => 6379,\n"
        "    ],\n"
        "    'freemius' => [\n"
        "        'id' => '4211',\n"
        "        'public_key' => 'pk_6f2a9c1d3e5b7a8c9d0e1f2a3b4c5',\n"
        f'        "secret_key" => {q(sk)},\n'
        "    ],\n"
        "];\n"
    )


@template("ruby")
def ruby_clients(f: Fill) -> str:
    kid = f.slot(f.aws_id(), [ref("ENV['AWS_ACCESS_KEY_ID']")], always=True)
    sk = f.slot(f.aws_secret(), [ref("ENV['AWS_SECRET_ACCESS_KEY']")], always=True)
    rpw = f.slot(f.chosen(quoted=True), rb_refs("REDIS_PASSWORD"))
    return (
        "require 'aws-sdk-s3'\n\n"
        f"Aws.config.update(credentials: Aws::Credentials.new({q(kid, chr(39))}, {q(sk, chr(39))}))\n"
        f"$redis = Redis.new(host: 'cache.internal', port: 6379, password: {q(rpw)})\n"
    )


@template("ruby")
def ruby_hash_constants(f: Fill) -> str:
    key = f.slot(f.api_key(), rb_refs("MAILGUN_API_KEY"), always=True)
    pw = f.slot(f.chosen(quoted=True), rb_refs("SMTP_PASSWORD"))
    return (
        "ActionMailer::Base.smtp_settings = {\n"
        "  address: 'smtp.mailgun.org',\n"
        "  port: 587,\n"
        "  user_name: 'postmaster@mg.example.com',\n"
        f"  password: {q(pw, chr(39))},\n"
        "  authentication: :plain,\n"
        "  enable_starttls_auto: true\n"
        "}\n"
        f"MAILGUN_API_KEY = {q(key)}.freeze\n"
    )


@template("elixir")
def elixir_config(f: Fill) -> str:
    pw = f.slot(
        f.chosen(quoted=True),
        [ref('System.get_env("DB_PASSWORD")'), ref('System.fetch_env!("DB_PASSWORD")')],
        always=True,
    )
    kb = f.slot(f.s(ALNUM + "+/", 64), [ref('System.fetch_env!("SECRET_KEY_BASE")')])
    return (
        "import Config\n\n"
        "config :shop, Shop.Repo,\n"
        '  username: "postgres",\n'
        f"  password: {q(pw)},\n"
        '  hostname: "db.internal",\n'
        '  database: "shop_prod",\n'
        "  pool_size: 10\n\n"
        "config :shop, ShopWeb.Endpoint,\n"
        '  url: [host: "shop.example.com", port: 443],\n'
        f"  secret_key_base: {q(kb)}\n"
    )


@template("lua")
def lua_openresty(f: Fill) -> str:
    pw = f.slot(f.s(ALNUM, 24), [ref('os.getenv("REDIS_PASSWORD")')], always=True)
    tok = f.slot(f.s(ALNUM, 32), [ref("ngx.var.upstream_token")])
    return (
        'local redis = require "resty.redis"\n'
        "local red = redis:new()\n"
        "red:set_timeouts(1000, 1000, 1000)\n"
        'local ok, err = red:connect("127.0.0.1", 6379)\n'
        f"local redis_password = {q(pw)}\n"
        "local res, err = red:auth(redis_password)\n"
        f'ngx.req.set_header("Authorization", "Bearer " .. {q(tok)})\n'
    )


@template("r")
def r_dbi(f: Fill) -> str:
    pw = f.slot(
        f.chosen(quoted=True),
        [
            ref('Sys.getenv("DB_PASSWORD")'),
            ref('keyring::key_get("warehouse")'),
            ref('rstudioapi::askForPassword("Database password")'),
        ],
        always=True,
    )
    key = f.slot("sk-proj-" + f.s(B64URL, 48), [""])
    setenv = f'Sys.setenv(OPENAI_API_KEY = "{key}")\n' if key else ""
    return (
        "library(DBI)\n\n"
        "con <- dbConnect(RPostgres::Postgres(),\n"
        '                 host = "warehouse.internal",\n'
        '                 dbname = "analytics",\n'
        '                 user = "analyst",\n'
        f"                 password = {q(pw)})\n"
        f"{setenv}"
        'df <- dbGetQuery(con, "SELECT * FROM daily_sales LIMIT 100")\n'
    )


# ---------------------------------------------------------------------------------------------
# Python / C / PowerShell / Bash
# ---------------------------------------------------------------------------------------------
@template("python")
def python_clients(f: Fill) -> str:
    kid = f.slot(f.aws_id(), [ref('os.environ["AWS_ACCESS_KEY_ID"]')], always=True)
    sk = f.slot(f.aws_secret(), [ref('os.environ["AWS_SECRET_ACCESS_KEY"]')], always=True)
    pw = f.slot(f.chosen(quoted=True), py_refs("PGPASSWORD"))
    return (
        "import boto3\nimport psycopg2\n\n"
        "s3 = boto3.client(\n"
        '    "s3",\n'
        f"    aws_access_key_id={q(kid)},\n"
        f"    aws_secret_access_key={q(sk)},\n"
        ")\n"
        f'conn = psycopg2.connect(host="db.internal", dbname="etl", user="etl", password={q(pw)})\n'
    )


@template("python")
def python_sdk_client(f: Fill) -> str:
    key = f.slot(f.api_key(), py_refs("VENDOR_API_KEY"), always=True)
    pw = f.slot(f.chosen(quoted=True), py_refs("JIRA_PASSWORD"))
    cls = f.pick("Client", "ApiClient", "Vendor")
    return (
        f"from vendor import {cls}\nimport requests\n\n"
        f"client = {cls}(api_key={q(key)}, timeout=30)\n"
        "resp = requests.get(\n"
        '    "https://jira.example.com/rest/api/2/search",\n'
        f'    auth=("bot", {q(pw)}),\n'
        '    params={"jql": "project = OPS"},\n'
        ")\n"
    )


@template("python")
def python_settings_module(f: Fill) -> str:
    sec = f.slot(f.s(ALNUM + "!@#%^&*(-_=+)", 50), py_refs("DJANGO_SECRET_KEY"), always=True)
    tok = f.slot(
        "xoxb-"
        + str(f.rng.randint(10**10, 10**11))
        + "-"
        + str(f.rng.randint(10**12, 10**13))
        + "-"
        + f.s(ALNUM, 24),
        py_refs("SLACK_BOT_TOKEN"),
    )
    return (
        "DEBUG = False\n"
        'ALLOWED_HOSTS = ["app.example.com"]\n'
        f"SECRET_KEY = {q(sec)}\n"
        f"SLACK_BOT_TOKEN = {q(tok)}\n"
        'PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]\n'
        'AUTH_PASSWORD_VALIDATORS = [{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}]\n'
    )


@template("c")
def c_client(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), [ref('getenv("DB_PASSWORD")')], always=True)
    up = f.slot(f.chosen(quoted=True).replace(":", ""), [""])
    key = f.slot(f.api_key(), [""])
    define = f'#define API_KEY "{key}"\n' if key else '#define API_KEY_ENV "API_KEY"\n'
    userpwd = (
        f'    curl_easy_setopt(curl, CURLOPT_USERPWD, "backup:{up}");\n'
        if up
        else "    curl_easy_setopt(curl, CURLOPT_NETRC, CURL_NETRC_REQUIRED);\n"
    )
    return (
        "#include <mysql.h>\n#include <curl/curl.h>\n\n"
        f"{define}"
        "#define MAX_PASSWORD_LEN 128\n\n"
        "int main(void) {\n"
        "    MYSQL *conn = mysql_init(NULL);\n"
        f'    if (!mysql_real_connect(conn, "db.internal", "backup", {q(pw)}, "app", 3306, NULL, 0))\n'
        "        return 1;\n"
        "    CURL *curl = curl_easy_init();\n"
        f"{userpwd}"
        "    return 0;\n}\n"
    )


@template("cpp")
def cpp_constants(f: Fill) -> str:
    sec = f.slot(f.s(ALNUM, 40), [""], always=True)
    pw = f.slot(f.chosen(quoted=True), [""])
    if not f.positive:
        return (
            "namespace config {\n"
            'constexpr std::string_view kApiSecretEnv = "API_SECRET";\n'
            "constexpr int kPasswordMinLength = 12;\n"
            "}  // namespace config\n\n"
            "std::string apiSecret() { return std::getenv(config::kApiSecretEnv.data()); }\n"
            "bool check(const std::string& password) { return password.size() >= 12; }\n"
        )
    pwline = f'static const char* kAdminPassword = "{pw}";\n' if pw else ""
    return (
        "namespace config {\n"
        f'constexpr std::string_view kApiSecret = "{sec}";\n'
        "constexpr int kPasswordMinLength = 12;\n"
        "}  // namespace config\n"
        f"{pwline}"
    )


@template("powershell")
def powershell_creds(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True).replace("'", ""), [""], always=True)
    key = f.slot(f.api_key(), [""])
    if not f.positive:
        return (
            "$password = Read-Host -AsSecureString -Prompt 'Service account password'\n"
            "$cred = New-Object System.Management.Automation.PSCredential('svc-deploy', $password)\n"
            "$apiKey = Get-Secret -Name 'StatusPageApiKey' -AsPlainText\n"
            "$headers = @{ 'X-Api-Key' = $apiKey }\n"
            "Invoke-RestMethod -Uri 'https://status.example.com/api/v1/incidents' -Headers $headers\n"
        )
    head = (
        f"$headers = @{{ 'X-Api-Key' = '{key}' }}\n"
        if key
        else "$headers = @{ 'X-Api-Key' = $env:STATUS_API_KEY }\n"
    )
    return (
        f"$password = ConvertTo-SecureString '{pw}' -AsPlainText -Force\n"
        "$cred = New-Object System.Management.Automation.PSCredential('svc-deploy', $password)\n"
        "Connect-AzAccount -ServicePrincipal -Credential $cred -Tenant 'contoso.onmicrosoft.com'\n"
        f"{head}"
        "Invoke-RestMethod -Uri 'https://status.example.com/api/v1/incidents' -Headers $headers\n"
    )


@template("powershell")
def powershell_vars(f: Fill) -> str:
    tok = f.slot(f.s(LOWER_DIGITS, 52), [ref("$env:AZURE_DEVOPS_PAT")], always=True)
    pw = f.slot(f.chosen(quoted=True).replace("'", ""), [ref("$env:SQL_PASSWORD")])
    pwq = f"'{pw}'" if not pw.startswith("\x00") else pw
    return (
        f"$pat = {q(tok, chr(39))}\n"
        '$b64 = [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes(":$pat"))\n'
        '$headers = @{ Authorization = "Basic $b64" }\n'
        f"Invoke-Sqlcmd -ServerInstance 'sql01' -Username 'deploy' -Password {pwq} -Query 'SELECT 1'\n"
    )


@template("bash")
def bash_deploy(f: Fill) -> str:
    tok = f.slot(f.s(ALNUM, 40), shell_refs("API_TOKEN"), always=True)
    pw = f.slot(f.chosen(), shell_refs("ADMIN_PASSWORD"))
    return (
        "#!/usr/bin/env bash\n"
        "set -euo pipefail\n\n"
        f'export API_TOKEN="{tok}"\n'
        "readonly API_URL=https://deploy.example.com/api\n\n"
        f'curl -fsS -u admin:{pw} "$API_URL/releases" -d @release.json\n'
        'curl -fsS -H "Authorization: Bearer $API_TOKEN" "$API_URL/status"\n'
    )


@template("bash")
def bash_heredoc(f: Fill) -> str:
    pw = f.slot(
        f.chosen(), ["${DB_PASSWORD}", "$(vault kv get -field=password secret/app/db)"], always=True
    )
    key = f.slot(f.s(ALNUM, 32), ["${STRIPE_KEY}"])
    return (
        "#!/bin/sh\n"
        "# write the app's environment file on first boot\n"
        "cat > /etc/app/app.env <<EOF\n"
        "APP_ENV=production\n"
        f"DB_PASSWORD={pw}\n"
        f"PAYMENTS_API_KEY={key}\n"
        "EOF\n"
        "chmod 600 /etc/app/app.env\n"
    )


@template("bash")
def bash_inline_env(f: Fill) -> str:
    pw = f.slot(f.chosen(), ['"$(pass show db/prod)"'], always=True)
    tok = f.slot(f.github(), ['"$(gh auth token)"'])
    return (
        "# nightly export\n"
        f"PGPASSWORD={pw} pg_dump -h db.internal -U backup app | gzip > /backups/app.sql.gz\n"
        f"GITHUB_TOKEN={tok} ./scripts/publish-release.sh v2.3.1\n"
    )


# ---------------------------------------------------------------------------------------------
# SQL
# ---------------------------------------------------------------------------------------------
@template("sql")
def sql_postgres_roles(f: Fill) -> str:
    a = f.slot(f.chosen(quoted=True).replace("'", ""), ["\x00:'app_password'"], always=True)
    b = f.slot(f.chosen(quoted=True).replace("'", ""), ["\x00NULL"])
    return (
        "-- roles for the reporting schema\n"
        f"CREATE ROLE app LOGIN PASSWORD {q(a, chr(39))};\n"
        f"ALTER ROLE reporter WITH PASSWORD {q(b, chr(39))} VALID UNTIL '2027-01-01';\n"
        "GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO reporter;\n"
    )


@template("sql")
def sql_mysql_users(f: Fill) -> str:
    a = f.slot(f.chosen(quoted=True).replace("'", ""), [""], always=True)
    b = f.slot(f.chosen(quoted=True).replace("'", ""), [""])
    if not f.positive:
        return (
            "CREATE USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY RANDOM PASSWORD;\n"
            "CREATE USER 'legacy'@'10.0.%' IDENTIFIED BY PASSWORD '*" + f.hex(40).upper() + "';\n"
            "GRANT SELECT, INSERT, UPDATE ON shop.* TO 'app'@'%';\n"
        )
    second = f"SET PASSWORD FOR 'legacy'@'10.0.%' = '{b}';\n" if b else ""
    return (
        f"CREATE USER 'app'@'%' IDENTIFIED BY '{a}';\n"
        f"{second}"
        "GRANT SELECT, INSERT, UPDATE ON shop.* TO 'app'@'%';\n"
        "FLUSH PRIVILEGES;\n"
    )


@template("sql")
def sql_server_login(f: Fill) -> str:
    a = f.slot(f.chosen(quoted=True).replace("'", ""), [""], always=True)
    if not f.positive:
        return (
            "CREATE LOGIN [CONTOSO\\svc-app] FROM WINDOWS;\n"
            "CREATE USER app FOR LOGIN [CONTOSO\\svc-app];\n"
            "ALTER ROLE db_datareader ADD MEMBER app;\n"
        )
    return (
        f"CREATE LOGIN app WITH PASSWORD = '{a}', CHECK_POLICY = ON;\n"
        "GO\n"
        "CREATE USER app FOR LOGIN app;\n"
        "ALTER ROLE db_datareader ADD MEMBER app;\n"
    )


@template("sql")
def sql_oracle_snowflake(f: Fill) -> str:
    a = f.slot(f.s(ALNUM, 16), [""], always=True)
    b = f.slot(f.chosen(quoted=True).replace("'", ""), [""])
    if not f.positive:
        return (
            "CREATE USER etl IDENTIFIED EXTERNALLY;\n"
            "CREATE USER loader RSA_PUBLIC_KEY='MIIBIjANBgkqh"
            + f.s(ALNUM, 40)
            + "' DEFAULT_ROLE = LOADER;\n"
        )
    sf = (
        f"CREATE USER loader PASSWORD = '{b}' DEFAULT_ROLE = LOADER MUST_CHANGE_PASSWORD = FALSE;\n"
        if b
        else ""
    )
    return f'CREATE USER etl IDENTIFIED BY "{a}" DEFAULT TABLESPACE users;\n{sf}'


# ---------------------------------------------------------------------------------------------
# Tool invocations (READMEs, scripts, runbooks)
# ---------------------------------------------------------------------------------------------
@template("tool-docker")
def docker_cmds(f: Fill) -> str:
    pw = f.slot(f.chosen(), ["\x00"], always=True)
    rpw = f.slot(f.s(ALNUM, 24), ["\x00"])
    if not f.positive:
        return (
            "# the password comes from the environment of the shell\n"
            "docker run -d --name db -e POSTGRES_PASSWORD -e POSTGRES_USER=app postgres:16\n"
            "cat ~/.registry-token | docker login -u ci --password-stdin registry.example.com\n"
            "docker run --env-file ./app.env -p 8080:8080 app:latest\n"
        )
    login = f"docker login -u ci -p {rpw} registry.example.com\n" if rpw != "\x00" else ""
    return (
        f"docker run -d --name db -e POSTGRES_PASSWORD={pw} -e POSTGRES_USER=app postgres:16\n"
        f"{login}"
        "docker run --env-file ./app.env -p 8080:8080 app:latest\n"
    )


@template("tool-kubectl")
def kubectl_secrets(f: Fill) -> str:
    pw = f.slot(f.chosen(), ["\x00"], always=True)
    key = f.slot(f.api_key(), ["\x00"])
    rp = f.slot(f.s(ALNUM, 20), ["\x00"], always=True)
    if not f.positive:
        return (
            "kubectl create secret generic app-db \\\n"
            "  --from-file=password=./secrets/db-password.txt \\\n"
            "  --from-env-file=./secrets/app.env\n"
            "kubectl create secret docker-registry regcred --docker-server=ghcr.io \\\n"
            '  --docker-username=ci --docker-password="$(cat ~/.ghcr-token)"\n'
        )
    extra = f" \\\n  --from-literal=api-key={key}" if key != "\x00" else ""
    return (
        "kubectl create secret generic app-db \\\n"
        f"  --from-literal=username=app --from-literal=password='{pw}'{extra}\n"
        "kubectl create secret docker-registry regcred --docker-server=ghcr.io \\\n"
        f"  --docker-username=ci --docker-password={rp}\n"
    )


@template("tool-db-cli")
def db_clis(f: Fill) -> str:
    my = f.slot(f.chosen(), ["\x00"], always=True)
    pg = f.slot(f.chosen().replace("@", "").replace("?", ""), ["\x00"], always=True)
    rd = f.slot(f.s(ALNUM, 32), ["\x00"])
    if not f.positive:
        return (
            "mysql -h db.internal -uroot -p shop < schema.sql   # prompts for the password\n"
            "psql \"service=prod-readonly\" -c 'select count(*) from orders'\n"
            'REDISCLI_AUTH="$(cat /run/secrets/redis)" redis-cli -h cache.internal ping\n'
        )
    redis = f"redis-cli -h cache.internal -a {rd} ping\n" if rd != "\x00" else ""
    return (
        f"mysql -h db.internal -uroot -p{my} shop < schema.sql\n"
        f"psql \"postgresql://app:{pg}@db.internal:5432/shop?sslmode=require\" -c 'select count(*) from orders'\n"
        f"{redis}"
    )


@template("tool-cloud-cli")
def cloud_clis(f: Fill) -> str:
    sp = f.slot(f.s(ALNUM + "~.-_", 40), ["\x00"], always=True)
    ssh = f.slot(f.chosen(quoted=True).replace("'", ""), ["\x00"])
    if not f.positive:
        return (
            "az login --identity\n"
            "az login --service-principal -u $APP_ID --certificate ./sp.pem --tenant $TENANT_ID\n"
            'SSHPASS="$(cat ~/.pw)" sshpass -e ssh admin@10.0.0.5 uptime\n'
        )
    sshl = f"sshpass -p '{ssh}' ssh admin@10.0.0.5 uptime\n" if ssh != "\x00" else ""
    return (
        "az login --service-principal -u 0f6a3c2e-4b1d-4e8a-9c7f-2d5b8e1a6c30 \\\n"
        f"  -p {sp} --tenant contoso.onmicrosoft.com\n"
        f"{sshl}"
    )


@template("tool-misc-cli")
def misc_clis(f: Fill) -> str:
    ht = f.slot(f.chosen(), ["\x00"], always=True)
    ossl = f.slot(f.chosen(), ["\x00"], always=True)
    if not f.positive:
        return (
            "htpasswd -c /etc/nginx/.htpasswd admin        # prompts twice\n"
            "openssl pkcs12 -export -in cert.pem -inkey key.pem -out bundle.p12 -passout env:P12_PASS\n"
            "openssl rsa -in enc.key -out plain.key -passin file:/run/secrets/keypass\n"
        )
    return (
        f"htpasswd -bc /etc/nginx/.htpasswd admin {ht}\n"
        f"openssl pkcs12 -export -in cert.pem -inkey key.pem -out bundle.p12 -passout pass:{ossl}\n"
        "openssl rsa -in enc.key -out plain.key -passin file:/run/secrets/keypass\n"
    )


@template("tool-curl")
def curl_cmds(f: Fill) -> str:
    key = f.slot(f.api_key(), ["\x00"], always=True)
    pw = f.slot(f.chosen(quoted=True).replace("'", "").replace(":", ""), ["\x00"])
    if not f.positive:
        return (
            "curl -s https://api.example.com/v1/orders \\\n"
            '  --header "X-Api-Key: $ORDERS_API_KEY" \\\n'
            "  --header 'Accept: application/json'\n"
            'curl -u "$JENKINS_USER:$JENKINS_TOKEN" -X POST https://ci.example.com/job/deploy/build\n'
        )
    u = (
        f"curl -u 'deploy:{pw}' -X POST https://ci.example.com/job/deploy/build\n"
        if pw != "\x00"
        else ""
    )
    return (
        "curl -s https://api.example.com/v1/orders \\\n"
        f"  --header 'X-Api-Key: {key}' \\\n"
        "  --header 'Accept: application/json'\n"
        f"{u}"
    )


@template("tool-gh")
def gh_cli(f: Fill) -> str:
    tok = f.slot(f.github(), ["\x00"], always=True)
    if not f.positive:
        return (
            "gh auth login --with-token < ~/.config/ci/gh-token\n"
            'gh secret set NPM_TOKEN --body "$NPM_TOKEN" --repo acme/web\n'
        )
    return (
        f"gh auth login --with-token <<< {tok}\n"
        'gh secret set NPM_TOKEN --body "$NPM_TOKEN" --repo acme/web\n'
    )


@template("tool-gh")
def gh_heredoc_token(f: Fill) -> str:
    tok = f.slot(f.github(), ["\x00"], always=True)
    npm = f.slot("npm_" + f.s(ALNUM, 36), ["\x00"])
    if not f.positive:
        return 'echo "$GH_TOKEN" | gh auth login --with-token\nnpm config set //registry.npmjs.org/:_authToken "${NPM_TOKEN}"\n'
    nl = f"npm config set //registry.npmjs.org/:_authToken {npm}\n" if npm != "\x00" else ""
    return f"gh auth login --with-token <<EOF\n{tok}\nEOF\n{nl}"


# ---------------------------------------------------------------------------------------------
# CI logs, stack traces, notebooks, HTTP captures
# ---------------------------------------------------------------------------------------------
@template("ci-log")
def ci_log(f: Fill) -> str:
    pw = f.slot(f.s(ALNUM, 20), ["***"], always=True)
    npm = f.slot("npm_" + f.s(ALNUM, 36), ["***"])
    return (
        "2026-11-30T09:12:44.1032Z ##[group]Run docker login\n"
        f"2026-11-30T09:12:44.1033Z + docker login -u ci-bot -p {pw} registry.example.com\n"
        "2026-11-30T09:12:44.9120Z WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"
        "2026-11-30T09:12:45.0011Z Login Succeeded\n"
        "2026-11-30T09:12:51.2231Z ##[endgroup]\n"
        f"2026-11-30T09:13:02.5510Z npm verb config //registry.npmjs.org/:_authToken={npm}\n"
        "2026-11-30T09:13:02.5520Z npm http fetch GET 200 https://registry.npmjs.org/left-pad 41ms\n"
    )


@template("ci-log")
def jenkins_console(f: Fill) -> str:
    pw = f.slot(f.chosen(), ["****"], always=True)
    return (
        "Started by user deploy\n"
        "[Pipeline] sh\n"
        f"+ mvn -B deploy -Drepo.user=ci -Drepo.password={pw} -DskipTests\n"
        "[INFO] Scanning for projects...\n"
        "[INFO] BUILD SUCCESS\n"
        "Finished: SUCCESS\n"
    )


@template("stack-trace")
def java_trace(f: Fill) -> str:
    pw = f.slot(f.chosen().replace("&", "").replace("?", ""), ["***"], always=True)
    return (
        'Exception in thread "main" org.postgresql.util.PSQLException: FATAL: password authentication failed for user "app"\n'
        "\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:693)\n"
        "\tat org.postgresql.Driver.connect(Driver.java:270)\n"
        f"Caused by: connecting to jdbc:postgresql://db.internal:5432/app?user=app&password={pw}&ssl=true\n"
        "\tat com.example.Db.open(Db.java:41)\n"
    )


@template("stack-trace")
def python_locals_trace(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True).replace("'", ""), ["********"], always=True)
    key = f.slot(f.s(ALNUM, 32), ["********"])
    return (
        "Traceback (most recent call last):\n"
        '  File "/app/sync.py", line 88, in run\n'
        "    conn = connect(host, user, password)\n"
        "    host = 'db.internal'\n"
        "    user = 'sync'\n"
        f"    password = '{pw}'\n"
        f"    api_key = '{key}'\n"
        'psycopg2.OperationalError: connection to server at "db.internal" (10.0.0.7), port 5432 failed: timeout expired\n'
    )


@template("jupyter")
def notebook(f: Fill) -> str:
    key = f.slot("sk-proj-" + f.s(B64URL, 48), ["\x00"], always=True)
    hf = f.slot("hf_" + f.s(ALNUM, 34), ["\x00"])
    if f.positive:
        src = [f'openai.api_key = "{key}"\n']
        if hf != "\x00":
            src.append(f'os.environ["HF_TOKEN"] = "{hf}"\n')
    else:
        src = [
            'openai.api_key = os.environ["OPENAI_API_KEY"]\n',
            'os.environ["HF_TOKEN"] = getpass.getpass("HF token: ")\n',
        ]
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Embedding experiments\n"]},
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "outputs": [],
                "source": ["import os\n", "import openai\n", *src],
            },
            {
                "cell_type": "code",
                "execution_count": 2,
                "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["1536\n"]}],
                "source": [
                    'emb = openai.embeddings.create(model="text-embedding-3-small", input="hi")\n'
                ],
            },
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


@template("jupyter")
def notebook_db(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True).replace("'", ""), ["\x00"], always=True)
    if f.positive:
        line = f'engine = create_engine("postgresql+psycopg2://analyst:{pw.replace("@", "").replace("/", "").replace("?", "").replace("#", "")}@warehouse:5432/dw")\n'
        f.secrets[-1] = pw.replace("@", "").replace("/", "").replace("?", "").replace("#", "")
    else:
        line = 'engine = create_engine(URL.create("postgresql+psycopg2", username="analyst", password=getpass(), host="warehouse"))\n'
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 3,
                "metadata": {},
                "outputs": [],
                "source": ["from sqlalchemy import create_engine\n", line],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


@template("http-capture")
def http_request(f: Fill) -> str:
    basic = f.slot(base64.b64encode(f"svc:{f.chosen()}".encode()).decode(), ["\x00"], always=True)
    key = f.slot(f.api_key(), ["\x00"])
    pw = f.slot(f.chosen(quoted=True), ["\x00"])
    if not f.positive:
        return (
            "POST /v2/login HTTP/1.1\r\n"
            "Host: api.example.com\r\n"
            "Authorization: Basic [REDACTED]\r\n"
            "X-Api-Key: ${API_KEY}\r\n"
            "Content-Type: application/json\r\n\r\n"
            '{"username": "svc", "password": "<password>"}\r\n'
        )
    kl = f"X-Api-Key: {key}\r\n" if key != "\x00" else ""
    body = (
        json.dumps({"username": "svc", "password": pw}) if pw != "\x00" else '{"username": "svc"}'
    )
    return (
        "POST /v2/login HTTP/1.1\r\n"
        "Host: api.example.com\r\n"
        f"Authorization: Basic {basic}\r\n"
        f"{kl}"
        "Content-Type: application/json\r\n\r\n"
        f"{body}\r\n"
    )


@template("http-capture")
def har_entry(f: Fill) -> str:
    tok = f.slot(f.s(B64URL, 48), ["\x00"], always=True)
    ck = f.slot(f.s(ALNUM, 32), ["\x00"])
    headers = [
        {"name": "Accept", "value": "application/json"},
        {"name": "Authorization", "value": f"Bearer {tok}" if f.positive else "Bearer {{token}}"},
        {"name": "X-Request-Id", "value": f.uuid()},
    ]
    if ck != "\x00":
        headers.append({"name": "Cookie", "value": f"theme=dark; sessionid={ck}"})
    har = {
        "log": {
            "entries": [
                {
                    "request": {
                        "method": "GET",
                        "url": "https://app.example.com/api/me",
                        "headers": headers,
                    },
                    "response": {"status": 200},
                }
            ]
        }
    }
    return json.dumps(har, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------
# Vendor formats not in the token table (gitleaks rules, GitHub secret scanning patterns)
# ---------------------------------------------------------------------------------------------
@template("vendor-format")
def vendor_apify_deno(f: Fill) -> str:
    ap = f.slot("apify_api_" + f.s(ALNUM, 36), ["\x00"], always=True)
    dd = f.slot("ddp_" + f.s(ALNUM, 36), ["\x00"])
    if not f.positive:
        return "const client = new ApifyClient({ token: process.env.APIFY_TOKEN });\n// deploy with: deployctl deploy --token=$DENO_DEPLOY_TOKEN\n"
    tail = (
        f"// deploy with: deployctl deploy --project=shop --token={dd} main.ts\n"
        if dd != "\x00"
        else ""
    )
    return f"const client = new ApifyClient({{ token: '{ap}' }});\n{tail}"


@template("vendor-format")
def vendor_honeycomb_wakatime(f: Fill) -> str:
    hc = f.slot(f.pick("hcaik_", "hcxik_") + "01" + f.s(LOWER_DIGITS, 56), ["\x00"], always=True)
    wk = f.slot("waka_" + f.uuid(), ["\x00"])
    if not f.positive:
        return (
            "from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter\n"
            'exporter = OTLPSpanExporter(endpoint="https://api.honeycomb.io/v1/traces",\n'
            '    headers={"x-honeycomb-team": os.environ["HONEYCOMB_API_KEY"]})\n'
        )
    wl = f"# ~/.wakatime.cfg: api_key = {wk}\n" if wk != "\x00" else ""
    return (
        "from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter\n"
        'exporter = OTLPSpanExporter(endpoint="https://api.honeycomb.io/v1/traces",\n'
        f'    headers={{"x-honeycomb-team": "{hc}"}})\n'
        f"{wl}"
    )


@template("vendor-format")
def vendor_b64_jwt(f: Fill) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    payload = (
        base64.urlsafe_b64encode(json.dumps({"sub": f.uuid(), "role": "service"}).encode())
        .decode()
        .rstrip("=")
    )
    sig = f.s(B64URL, 43)
    jwt = f"{header}.{payload}.{sig}"
    enc = base64.b64encode(jwt.encode()).decode()
    v = f.slot(enc, ["\x00"], always=True)
    if not f.positive:
        return "# kubectl get secret api -o jsonpath='{.data.token}' | base64 -d\ntoken_b64 = os.environ['API_TOKEN_B64']\n"
    return f"# the service token, base64 as kubectl prints it\ntoken_b64 = '{v}'\n"


@template("vendor-format")
def vendor_sidekiq(f: Fill) -> str:
    cred = f.slot(f.hex(8) + ":" + f.hex(8), ["\x00"], always=True)
    if not f.positive:
        return '# .bundle/config is written by CI from the SIDEKIQ_ENT secret\nbundle config set --global enterprise.contribsys.com "$SIDEKIQ_ENT"\n'
    return f'---\nBUNDLE_PATH: "vendor/bundle"\nBUNDLE_ENTERPRISE__CONTRIBSYS__COM: "{cred}"\n'


@template("vendor-format")
def vendor_vercel_gocardless(f: Fill) -> str:
    vc = f.slot(f.pick("vcp_", "vci_", "vca_") + f.s(ALNUM, 56), ["\x00"], always=True)
    gc = f.slot("live_" + f.s(B64URL, 40), ["\x00"])
    if not f.positive:
        return "const vercel = new Vercel({ bearerToken: process.env.VERCEL_TOKEN });\nconst gocardless = require('gocardless-nodejs')(process.env.GC_ACCESS_TOKEN, constants.Environments.Live);\n"
    gl = (
        f"const gocardless = require('gocardless-nodejs')('{gc}', constants.Environments.Live);\n"
        if gc != "\x00"
        else ""
    )
    return f'const vercel = new Vercel({{ bearerToken: "{vc}" }});\n{gl}'


# ---------------------------------------------------------------------------------------------
# Hard negatives that look like the positives (rendered in both modes; positives add one leak)
# ---------------------------------------------------------------------------------------------
@template("lookalike-code")
def params_and_names(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), [""], always=True)
    leak = f'    admin_password = "{pw}"  # TODO remove\n' if pw else ""
    return (
        "def connect(host: str, user: str, password: str, *, api_key: str | None = None):\n"
        "    password = password or password_input\n"
        "    if password != confirm_password:\n"
        '        raise ValueError("passwords do not match")\n'
        f"{leak}"
        '    token = request.headers.get("Authorization", "").removeprefix("Bearer ")\n'
        "    return Client(host=host, user=user, password=password, api_key=api_key)\n"
    )


@template("lookalike-code")
def go_params(f: Fill) -> str:
    tok = f.slot(f.s(ALNUM, 40), [""], always=True)
    leak = f'\tconst fallbackToken = "{tok}"\n' if tok else ""
    return (
        "func Login(ctx context.Context, username, password string) (*Session, error) {\n"
        '\ttoken := r.Header.Get("Authorization")\n'
        f"{leak}"
        '\tsecret, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db")})\n'
        "\tif err != nil {\n\t\treturn nil, err\n\t}\n"
        "\treturn authenticate(ctx, username, password, *secret.SecretString, token)\n}\n"
    )


@template("lookalike-code")
def hashes_and_ids(f: Fill) -> str:
    key = f.slot(f.api_key(), [""], always=True)
    leak = f'    "apiKey": "{key}",\n' if key else ""
    return (
        "{\n"
        f'    "commit": "{f.hex(40)}",\n'
        f'    "sha256": "{f.hex(64)}",\n'
        f'    "requestId": "{f.uuid()}",\n'
        f'    "keyId": "{f.hex(16).upper()}",\n'
        f"{leak}"
        f'    "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{f.s(ALNUM + "+/", 43)} ci@example",\n'
        '    "passwordHash": "$argon2id$v=19$m=65536,t=3,p=4$'
        + f.b64(16).rstrip("=")
        + "$"
        + f.b64(32).rstrip("=")
        + '"\n'
        "}\n"
    )


@template("lookalike-code")
def test_fixtures(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), [""], always=True)
    leak = f'STAGING_ADMIN_PASSWORD = "{pw}"\n' if pw else ""
    return (
        "import pytest\n\n"
        'FAKE_API_KEY = "test-api-key"\n'
        'DUMMY_PASSWORD = "not-a-real-password"\n'
        f"{leak}"
        "@pytest.fixture\n"
        "def client(monkeypatch):\n"
        '    monkeypatch.setenv("API_KEY", "dummy-key-for-tests")\n'
        '    return make_client(password="test")\n'
    )


@template("lookalike-code")
def ci_secret_refs(f: Fill) -> str:
    tok = f.slot(f.s(ALNUM, 36), [""], always=True)
    leak = (
        f"          SONAR_TOKEN: {tok}\n"
        if tok
        else "          SONAR_TOKEN: ${{ secrets.SONAR_TOKEN }}\n"
    )
    return (
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ secrets.NPM_TOKEN }}" | npm login --registry https://npm.pkg.github.com\n'
        "      - name: scan\n"
        "        env:\n"
        "          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n"
        f"{leak}"
        "        run: sonar-scanner -Dsonar.projectKey=acme_web\n"
    )


def build() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    out: list[dict[str, object]] = []
    for cat, fn in TEMPLATES:
        for positive, copies in ((True, 5), (False, 4)):
            for _ in range(copies):
                for _attempt in range(20):
                    f = Fill(rng, positive)
                    text = clean(fn(f))
                    if not positive or f.secrets:
                        break
                secrets = [s for s in dict.fromkeys(f.secrets) if s]
                if positive:
                    assert secrets and all(s in text for s in secrets), (cat, text, secrets)
                else:
                    assert not secrets
                out.append(
                    {"category": cat, "positive": positive, "text": text, "secrets": secrets}
                )
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
