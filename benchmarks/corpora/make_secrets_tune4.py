# Template functions read the Fill they are given; the loop at the end calls each many times.
"""Generate ``secrets_tune4.jsonl``: a fifth TUNING set for secret detection (issue 10).

Why: the earlier sets are mostly one-line snippets, each built around one detector. Real
leaks are whole configuration files: several keys, comments, sections, 2-3 secrets in
different spots and syntaxes, next to values that only look secret. This set is BREADTH on
such files, written before any tuning on it from the public format documentation of each
file type (docker-compose and Helm values, Ansible vars and INI inventories, Spring
application.yml/.properties, Rails database.yml and decrypted credentials, Django
settings.py, Laravel/Symfony .env, wp-config.php, .npmrc, .yarnrc.yml, pip.conf, .pypirc,
Maven settings.xml, NuGet.config, gradle.properties, .NET appsettings.json and web.config,
AWS credentials/config, Google service-account and OAuth client JSON, Azure publish
profiles and connection strings, kubeconfig, Kubernetes Secrets, Jenkins configuration as
code, GitLab CI, GitHub Actions, Terraform tfvars and provider blocks, Vault and Consul HCL,
redis.conf and Redis ACLs, .pgpass, my.cnf, MongoDB shell, nginx/Apache auth, SMTP settings,
Slack/Discord/Telegram bot configs, log lines and tracebacks, shell history, Makefiles,
Dockerfiles).

Key names vary as real projects name them (old_password/new_password, ``passwords:``
lists, user -> password maps, admin_pass, PASSWD, pwd, secret_key_base, signing keys,
client_secret, masterKey, AccountKey=, SharedAccessKey=, user:pass in URLs).

Every template is rendered twice over: as a POSITIVE file (each secret slot holds a value
drawn from a seeded RNG in the shape that file type really holds: chosen passwords,
generated keys, vendor tokens; a slot is sometimes a reference even in a positive file, as
in half-migrated configs) and as a NEGATIVE file (every slot holds what the same file holds
when it is done right: an environment or vault reference, a template, a placeholder, an
empty value). Both keep the file's look-alikes: image digests, lockfile integrity hashes,
commit ids, checksums, public keys and certificates, UUIDs that are ids, key ids.

Each positive lists its secrets exactly as they appear in the text, so "covered" means
every character of each is redacted.
Usage::

    python benchmarks/corpora/make_secrets_tune4.py   # writes secrets_tune4.jsonl
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
OUT = HERE / "secrets_tune4.jsonl"
SEED = 20261130
ALNUM = string.ascii_letters + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits
UP_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
# Characters chosen passwords carry that no syntax here treats specially when unquoted.
SAFE_SYMBOLS = "!@%^*-_.+=?~"
# Inside quotes people also use these.
QUOTED_SYMBOLS = SAFE_SYMBOLS + "#&;:,()[]{}/|<>"
# wp_generate_password()'s extra characters (the salts of wp-config.php), no quote/backslash.
WP_CHARS = ALNUM + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|"
DJANGO_CHARS = string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)"
WORDS = (
    "maple harbor tango violet granite falcon nebula orchid copper lantern summit rocket "
    "willow cobalt meadow ember quartz saffron thunder glacier"
).split()


class Fill:
    """The values of one rendered file: real secrets (positive) or their stand-ins."""

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

    def github(self) -> str:
        body = self.s(ALNUM, 30)
        n, check = zlib.crc32(body.encode()), ""
        while n:
            n, r = divmod(n, 62)
            check = BASE62[r] + check
        return self.rng.choice(["ghp_", "ghs_"]) + body + check.rjust(6, "0")

    # --- slots --------------------------------------------------------------------------------
    def slot(self, value: str, refs: list[str], always: bool = False) -> str:
        """A secret slot: ``value`` in a positive file (now and then a reference instead,
        unless ``always``), one of ``refs`` in a negative one."""
        if self.positive and (always or self.rng.random() < 0.85):
            self.secrets.append(value)
            return value
        return self.rng.choice(refs)


# Stand-ins per syntax: what a file holds instead of the secret when it is done right.
def env_refs(name: str) -> list[str]:
    return [f"${{{name}}}", f"${name}", f"${{{name}:?{name} is required}}", "changeme", ""]


def yaml_refs(name: str) -> list[str]:
    low = name.lower()
    return [
        f"${{{name}}}",
        f'"{{{{ vault_{low} }}}}"',
        f"\"{{{{ lookup('env', '{name}') }}}}\"",
        '""',
        "<changeme>",
        "CHANGE_ME",
    ]


def spring_refs(name: str) -> list[str]:
    return [f"${{{name}}}", f"${{{name}:}}", "${vcap.services.db.credentials.password}"]


def code_refs(name: str) -> list[str]:
    return [
        f'os.environ["{name}"]',
        f'os.environ.get("{name}", "")',
        f'env("{name}")',
        f"config('{name}')",
    ]


def xml_refs(name: str) -> list[str]:
    return [f"${{env.{name}}}", f"${{{name}}}", "********", "REPLACE_ME"]


def word_refs() -> list[str]:
    return ["changeme", "<password>", "********", "xxxxxxxx", "your-password-here", "REPLACE_ME"]


Template = Callable[[Fill], str]
TEMPLATES: list[tuple[str, Template]] = []


def template(cat: str) -> Callable[[Template], Template]:
    def register(fn: Template) -> Template:
        TEMPLATES.append((cat, fn))
        return fn

    return register


DIGEST = "sha256:" + "".join(random.Random(1).choice(HEX) for _ in range(64))


def lookalikes(f: Fill) -> dict[str, str]:
    """Values a file holds that look secret and are not: digests, ids, public material."""
    return {
        "sha": f.hex(40),
        "digest": "sha256:" + f.hex(64),
        "integrity": "sha512-" + f.b64(64),
        "uuid": f.uuid(),
        "uuid2": f.uuid(),
        "md5": f.hex(32),
        "sshpub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + f.s(ALNUM + "+/", 43),
        "certb64": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t" + f.s(ALNUM + "+/", 120) + "=",
        "keyid": f.hex(16).upper(),
    }


# ---------------------------------------------------------------------------------------------
# Containers and orchestration
# ---------------------------------------------------------------------------------------------
@template("docker-compose")
def docker_compose(f: Fill) -> str:
    la = lookalikes(f)
    pg = f.slot(f.chosen(), env_refs("POSTGRES_PASSWORD"))
    redis = f.slot(f.s(ALNUM, 24), ["${REDIS_PASSWORD}", "$${REDIS_PASSWORD}"])
    key = f.slot(f.hex(64), ["${SECRET_KEY_BASE}", "${SECRET_KEY_BASE:?}"])
    return (
        'version: "3.9"\n'
        "services:\n"
        "  db:\n"
        f"    image: postgres:16@{la['digest']}\n"
        "    environment:\n"
        "      - POSTGRES_USER=app\n"
        f"      - POSTGRES_PASSWORD={pg}\n"
        "      - POSTGRES_DB=app\n"
        "    healthcheck:\n"
        '      test: ["CMD-SHELL", "pg_isready -U app"]\n'
        "  cache:\n"
        "    image: redis:7-alpine\n"
        f"    command: redis-server --requirepass {redis} --appendonly yes\n"
        "  web:\n"
        "    build: .\n"
        "    environment:\n"
        "      RAILS_ENV: production\n"
        f"      SECRET_KEY_BASE: {key}\n"
        "      DATABASE_HOST: db\n"
        f"      GIT_SHA: {la['sha']}\n"
        "    ports:\n"
        '      - "3000:3000"\n'
    )


@template("docker-compose")
def docker_compose_mysql(f: Fill) -> str:
    root = f.slot(f.chosen(), env_refs("MYSQL_ROOT_PASSWORD"))
    app = f.slot(f.chosen(), env_refs("MYSQL_PASSWORD"))
    return (
        "services:\n"
        "  mysql:\n"
        "    image: mysql:8.0\n"
        "    restart: unless-stopped\n"
        "    environment:\n"
        f"      MYSQL_ROOT_PASSWORD: '{root}'\n"
        "      MYSQL_DATABASE: wordpress\n"
        "      MYSQL_USER: wp\n"
        f"      MYSQL_PASSWORD: '{app}'\n"
        "    healthcheck:\n"
        f'      test: ["CMD", "mysqladmin", "ping", "-h", "localhost", "-uroot", "-p{root}"]\n'
        "      interval: 10s\n"
        "    volumes:\n"
        "      - db_data:/var/lib/mysql\n"
        "volumes:\n"
        "  db_data: {}\n"
    )


@template("helm-values")
def helm_values(f: Fill) -> str:
    la = lookalikes(f)
    pgp = f.slot(f.chosen(), yaml_refs("POSTGRES_PASSWORD"))
    pw = f.slot(f.chosen(), yaml_refs("APP_DB_PASSWORD"))
    rp = f.slot(f.s(ALNUM, 20), yaml_refs("REDIS_PASSWORD"))
    return (
        "# Default values for myapp.\n"
        "replicaCount: 2\n"
        "image:\n"
        "  repository: ghcr.io/acme/myapp\n"
        f"  digest: {la['digest']}\n"
        "  pullPolicy: IfNotPresent\n"
        "postgresql:\n"
        "  enabled: true\n"
        "  auth:\n"
        f"    postgresPassword: {pgp}\n"
        "    username: myapp\n"
        f"    password: {pw}\n"
        "    database: myapp\n"
        '    existingSecret: ""\n'
        "redis:\n"
        "  architecture: standalone\n"
        "  auth:\n"
        "    enabled: true\n"
        f"    password: {rp}\n"
        "serviceAccount:\n"
        "  create: true\n"
        "  annotations:\n"
        "    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/myapp\n"
    )


@template("helm-values")
def helm_values_admin(f: Fill) -> str:
    admin = f.slot(f.chosen(), yaml_refs("GRAFANA_ADMIN_PASSWORD"))
    secret = f.slot(f.s(ALNUM, 32), yaml_refs("OAUTH_CLIENT_SECRET"))
    return (
        "grafana:\n"
        "  adminUser: admin\n"
        f"  adminPassword: {admin}\n"
        "  grafana.ini:\n"
        "    server:\n"
        "      root_url: https://grafana.example.com\n"
        "    auth.generic_oauth:\n"
        "      enabled: true\n"
        "      client_id: grafana\n"
        f"      client_secret: {secret}\n"
        "      scopes: openid profile email\n"
        "      token_url: https://sso.example.com/oauth/token\n"
    )


@template("k8s-secret")
def k8s_secret(f: Fill) -> str:
    la = lookalikes(f)
    user = base64.b64encode(b"app").decode() if f.positive else "{{ .Values.db.user | b64enc }}"
    pw_plain = f.chosen()
    pw = f.slot(
        base64.b64encode(pw_plain.encode()).decode(),
        ['""', "{{ .Values.db.password | b64enc | quote }}"],
    )
    tok = f.slot(f.s(ALNUM, 40), ["{{ .Values.apiToken | quote }}", '""'])
    return (
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        "  name: app-credentials\n"
        "  namespace: prod\n"
        "  annotations:\n"
        f"    checksum/config: {la['md5']}\n"
        "type: Opaque\n"
        "data:\n"
        f"  username: {user}\n"
        f"  password: {pw}\n"
        "stringData:\n"
        f"  api-token: {tok}\n"
    )


@template("k8s-deployment")
def k8s_deployment(f: Fill) -> str:
    la = lookalikes(f)
    val = f.slot(f.chosen(), ["$(DB_PASSWORD_FROM_FILE)"])
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: api\n"
        "spec:\n"
        "  template:\n"
        "    metadata:\n"
        "      annotations:\n"
        f"        config-hash: {la['md5']}\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: api\n"
        f"          image: registry.example.com/api@{la['digest']}\n"
        "          env:\n"
        "            - name: DB_HOST\n"
        "              value: postgres\n"
        "            - name: DB_PASSWORD\n"
        f'              value: "{val}"\n'
        "            - name: API_TOKEN\n"
        "              valueFrom:\n"
        "                secretKeyRef:\n"
        "                  name: api-secrets\n"
        "                  key: token\n"
    )


@template("kubeconfig")
def kubeconfig(f: Fill) -> str:
    la = lookalikes(f)
    key_data = f.slot(
        "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo" + f.s(ALNUM + "+/", 200) + "=", [""]
    )
    token = f.slot(f"{f.s(LOWER_DIGITS, 6)}.{f.s(LOWER_DIGITS, 16)}", ["", "<token>"])
    key_line = f"    client-key-data: {key_data}\n" if key_data else ""
    tok_line = f"    token: {token}\n" if token else "    tokenFile: /var/run/secrets/token\n"
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        "- cluster:\n"
        f"    certificate-authority-data: {la['certb64']}\n"
        "    server: https://10.0.0.1:6443\n"
        "  name: prod\n"
        "contexts:\n"
        "- context:\n"
        "    cluster: prod\n"
        "    user: admin\n"
        "  name: admin@prod\n"
        "current-context: admin@prod\n"
        "users:\n"
        "- name: admin\n"
        "  user:\n"
        f"    client-certificate-data: {la['certb64']}\n"
        f"{key_line}"
        "- name: deployer\n"
        "  user:\n"
        f"{tok_line}"
    )


@template("dockerfile")
def dockerfile(f: Fill) -> str:
    la = lookalikes(f)
    npm = f.slot("npm_" + f.s(ALNUM, 36), ["${NPM_TOKEN}"])
    pw = f.slot(f.chosen(), ["${DB_PASSWORD}", "changeme"])
    return (
        f"FROM node:20-alpine@{la['digest']} AS build\n"
        "ARG NPM_TOKEN\n"
        "WORKDIR /app\n"
        "COPY package.json package-lock.json ./\n"
        f'RUN echo "//registry.npmjs.org/:_authToken={npm}" > .npmrc && \\\n'
        "    npm ci && rm -f .npmrc\n"
        "COPY . .\n"
        "FROM node:20-alpine\n"
        "ENV NODE_ENV=production\n"
        f"ENV DB_PASSWORD={pw}\n"
        f'LABEL org.opencontainers.image.revision="{la["sha"]}"\n'
        'CMD ["node", "server.js"]\n'
    )


# ---------------------------------------------------------------------------------------------
# Configuration management and CI
# ---------------------------------------------------------------------------------------------
@template("ansible-vars")
def ansible_vars(f: Fill) -> str:
    root = f.slot(f.chosen(), yaml_refs("MYSQL_ROOT_PASSWORD"))
    become = f.slot(f.chosen(), yaml_refs("ANSIBLE_BECOME_PASS"))
    old = f.slot(f.chosen(), ['"{{ vault_old_admin_password }}"', '""'])
    new = f.slot(f.chosen(), ['"{{ vault_admin_password }}"', '""'])
    return (
        "---\n"
        "# group_vars/dbservers.yml\n"
        "mysql_port: 3306\n"
        "mysql_bind_address: 0.0.0.0\n"
        f"mysql_root_password: {root}\n"
        f"ansible_become_pass: {become}\n"
        "# password rotation (remove after the next run)\n"
        f"old_admin_password: {old}\n"
        f"new_admin_password: {new}\n"
        "mysql_databases:\n"
        "  - name: app\n"
        "    encoding: utf8mb4\n"
    )


@template("ansible-vars")
def ansible_users(f: Fill) -> str:
    a = f.slot(f.chosen(), ['"{{ vault_app_password }}"'])
    b = f.slot(f.chosen(), ['"{{ vault_report_password }}"'])
    return (
        "mysql_users:\n"
        "  - name: app\n"
        "    host: '%'\n"
        f"    password: {a}\n"
        "    priv: 'app.*:ALL'\n"
        "  - name: report\n"
        "    host: '10.%'\n"
        f"    password: '{b}'\n"
        "    priv: 'app.*:SELECT'\n"
    )


@template("ansible-vars")
def ansible_vault_block(f: Fill) -> str:
    """A file with a vault-encrypted value (ciphertext, no secret) and maybe a plain one."""
    plain = f.slot(f.chosen(), ['"{{ vault_smtp_password }}"'])
    lines = "\n".join("          " + f.hex(80) for _ in range(4))
    return (
        "smtp_host: smtp.example.com\n"
        "smtp_user: alerts@example.com\n"
        f"smtp_password: {plain}\n"
        "db_password: !vault |\n"
        "          $ANSIBLE_VAULT;1.1;AES256\n"
        f"{lines}\n"
    )


@template("ansible-inventory")
def ansible_inventory(f: Fill) -> str:
    a = f.slot(f.chosen(), ["'{{ vault_web_ssh_pass }}'"])
    b = f.slot(f.chosen(), ["'{{ vault_become_pass }}'"])
    c = f.slot(f.chosen(), ["'{{ vault_winrm_pass }}'"])
    return (
        "[web]\n"
        f"web1 ansible_host=10.0.1.11 ansible_user=deploy ansible_password={a}\n"
        "web2 ansible_host=10.0.1.12 ansible_user=deploy\n"
        "\n"
        "[web:vars]\n"
        f"ansible_become_password={b}\n"
        "\n"
        "[windows]\n"
        "win1 ansible_host=10.0.2.5\n"
        "[windows:vars]\n"
        "ansible_connection=winrm\n"
        "ansible_user=Administrator\n"
        f"ansible_password={c}\n"
        "ansible_winrm_server_cert_validation=ignore\n"
    )


@template("jenkins-casc")
def jenkins_casc(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True), ["${DEPLOY_PASSWORD}", "${readFile:/run/secrets/deploy}"])
    tok = f.slot(f.github(), ["${GITHUB_TOKEN}"])
    admin = f.slot(f.chosen(quoted=True), ["${JENKINS_ADMIN_PASSWORD}"])
    return (
        "jenkins:\n"
        "  securityRealm:\n"
        "    local:\n"
        "      allowsSignup: false\n"
        "      users:\n"
        '        - id: "admin"\n'
        f'          password: "{admin}"\n'
        "credentials:\n"
        "  system:\n"
        "    domainCredentials:\n"
        "      - credentials:\n"
        "          - usernamePassword:\n"
        "              scope: GLOBAL\n"
        '              id: "deploy"\n'
        '              username: "deploy"\n'
        f'              password: "{pw}"\n'
        "          - string:\n"
        "              scope: GLOBAL\n"
        '              id: "github-token"\n'
        f'              secret: "{tok}"\n'
    )


@template("gitlab-ci")
def gitlab_ci(f: Fill) -> str:
    la = lookalikes(f)
    tok = f.slot("glpat-" + f.s(B64URL, 20), ["$DEPLOY_TOKEN"])
    pw = f.slot(f.chosen(), ["$CI_REGISTRY_PASSWORD", "$CI_JOB_TOKEN"])
    return (
        "stages: [build, deploy]\n"
        "variables:\n"
        "  DOCKER_DRIVER: overlay2\n"
        f'  DEPLOY_TOKEN: "{tok}"\n'
        f"  PINNED_SHA: {la['sha']}\n"
        "build:\n"
        "  stage: build\n"
        "  script:\n"
        f"    - docker login -u gitlab-ci-token -p {pw} $CI_REGISTRY\n"
        "    - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA .\n"
        "deploy:\n"
        "  stage: deploy\n"
        "  script:\n"
        '    - curl --fail --header "PRIVATE-TOKEN: $DEPLOY_TOKEN" "$CI_API_V4_URL/projects"\n'
    )


@template("github-actions")
def github_actions(f: Fill) -> str:
    la = lookalikes(f)
    npm = f.slot("npm_" + f.s(ALNUM, 36), ["${{ secrets.NPM_TOKEN }}"])
    pw = f.slot(f.chosen(), ["${{ secrets.DOCKERHUB_TOKEN }}"])
    return (
        "name: release\n"
        "on:\n"
        "  push:\n"
        "    tags: ['v*']\n"
        "jobs:\n"
        "  publish:\n"
        "    runs-on: ubuntu-latest\n"
        "    env:\n"
        f"      NODE_AUTH_TOKEN: {npm}\n"
        "    steps:\n"
        f"      - uses: actions/checkout@{la['sha']} # v4\n"
        f"      - uses: docker/login-action@{lookalikes(f)['sha']}\n"
        "        with:\n"
        "          username: acmebot\n"
        f"          password: {pw}\n"
        "      - run: npm publish --access public\n"
    )


@template("github-actions")
def github_actions_services(f: Fill) -> str:
    pw = f.slot(
        f.chosen(), ["${{ secrets.PG_PASSWORD }}", "${{ env.PG_PASSWORD }}"]
    )  # not "postgres" (fixed after the before-figures: a default password is one)
    return (
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    services:\n"
        "      postgres:\n"
        "        image: postgres:15\n"
        "        env:\n"
        f"          POSTGRES_PASSWORD: {pw}\n"
        "        options: >-\n"
        "          --health-cmd pg_isready\n"
        "    steps:\n"
        "      - run: pytest\n"
        "        env:\n"
        f"          DATABASE_URL: postgres://postgres:{pw}@localhost:5432/test\n"
    )


@template("terraform")
def terraform_tfvars(f: Fill) -> str:
    la = lookalikes(f)
    db = f.slot(f.chosen(quoted=True), ["", "REPLACE_ME"])
    cf = f.slot(f.s(B64URL, 40), [""])
    return (
        "# prod.tfvars\n"
        'region         = "eu-west-1"\n'
        'instance_class = "db.t3.medium"\n'
        f'db_password    = "{db}"\n'
        f'cloudflare_api_token = "{cf}"\n'
        f'subscription_id = "{la["uuid"]}"\n'
        f'tenant_id       = "{la["uuid2"]}"\n'
        'allowed_cidrs = ["10.0.0.0/8"]\n'
    )


@template("terraform")
def terraform_provider(f: Fill) -> str:
    akid = f.slot("AKIA" + f.s(UP_DIGITS, 16), ["var.aws_access_key"], always=True)
    quoted_akid = akid if akid.startswith("var.") else f'"{akid}"'
    sk = f.slot(f.s(ALNUM + "+/", 40), ["var.aws_secret_key"])
    quoted_sk = sk if sk.startswith("var.") else f'"{sk}"'
    pw = f.slot(f.chosen(quoted=True), ["random_password.db.result"])
    quoted_pw = pw if "." in pw and pw.startswith("random") else f'"{pw}"'
    return (
        'provider "aws" {\n'
        '  region     = "us-east-1"\n'
        f"  access_key = {quoted_akid}\n"
        f"  secret_key = {quoted_sk}\n"
        "}\n\n"
        'resource "aws_db_instance" "main" {\n'
        '  engine         = "postgres"\n'
        '  username       = "dbadmin"\n'
        f"  password       = {quoted_pw}\n"
        "  skip_final_snapshot = true\n"
        "}\n"
    )


# ---------------------------------------------------------------------------------------------
# Frameworks
# ---------------------------------------------------------------------------------------------
@template("spring-yaml")
def spring_yaml(f: Fill) -> str:
    db = f.slot(f.chosen(), spring_refs("DB_PASSWORD"))
    cs = f.slot(f.s(ALNUM, 40), spring_refs("GITHUB_CLIENT_SECRET"))
    jwt = f.slot(f.b64(48), spring_refs("JWT_SECRET"))
    mail = f.slot(f.chosen(), spring_refs("MAIL_PASSWORD"))
    return (
        "server:\n"
        "  port: 8080\n"
        "spring:\n"
        "  datasource:\n"
        "    url: jdbc:postgresql://db:5432/shop\n"
        "    username: shop\n"
        f"    password: {db}\n"
        "  mail:\n"
        "    host: smtp.example.com\n"
        "    username: noreply@example.com\n"
        f"    password: {mail}\n"
        "  security:\n"
        "    oauth2:\n"
        "      client:\n"
        "        registration:\n"
        "          github:\n"
        "            client-id: Iv1.8a61f9b3a7aba766\n"
        f"            client-secret: {cs}\n"
        "app:\n"
        "  jwt:\n"
        f"    secret: {jwt}\n"
        "    expiration-ms: 86400000\n"
    )


@template("spring-properties")
def spring_properties(f: Fill) -> str:
    db = f.slot(f.chosen(), spring_refs("DB_PASSWORD"))
    ks = f.slot(f.chosen(), spring_refs("KEYSTORE_PASSWORD"))
    aws = f.slot(f.s(ALNUM + "+/", 40), spring_refs("AWS_SECRET_KEY"))
    return (
        "# application-prod.properties\n"
        "spring.datasource.url=jdbc:mysql://mysql:3306/orders?useSSL=true\n"
        "spring.datasource.username=orders\n"
        f"spring.datasource.password={db}\n"
        "spring.jpa.hibernate.ddl-auto=validate\n"
        "server.ssl.key-store=classpath:keystore.p12\n"
        f"server.ssl.key-store-password={ks}\n"
        "server.ssl.key-alias=tomcat\n"
        "cloud.aws.credentials.access-key=AKIAIOSFODNN7EXAMPLE\n"
        f"cloud.aws.credentials.secret-key={aws}\n"
        "management.endpoints.web.exposure.include=health,info\n"
    )


@template("rails-database-yml")
def rails_database(f: Fill) -> str:
    pw = f.slot(f.chosen(), ["<%= ENV['DATABASE_PASSWORD'] %>", "<%= ENV.fetch('DB_PASS') %>"])
    return (
        "default: &default\n"
        "  adapter: postgresql\n"
        "  encoding: unicode\n"
        '  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>\n'
        "development:\n"
        "  <<: *default\n"
        "  database: app_development\n"
        "production:\n"
        "  <<: *default\n"
        "  database: app_production\n"
        "  username: app\n"
        f"  password: {pw}\n"
    )


@template("rails-credentials")
def rails_credentials(f: Fill) -> str:
    skb = f.slot(f.hex(128), ["<%= ENV['SECRET_KEY_BASE'] %>"], always=True)
    ak = "AKIA" + f.s(UP_DIGITS, 16)
    sak = f.slot(f.s(ALNUM + "+/", 40), ["<%= ENV['AWS_SECRET'] %>"])
    stripe = f.slot("sk_live_" + f.s(ALNUM, 24), ["<%= ENV['STRIPE_SECRET_KEY'] %>"])
    if f.positive:
        f.secrets.append(ak)
    return (
        "# aws:\n"
        "#   access_key_id: 123\n"
        "#   secret_access_key: 345\n"
        "aws:\n"
        f"  access_key_id: {ak if f.positive else 'AKIAIOSFODNN7EXAMPLE'}\n"
        f"  secret_access_key: {sak}\n"
        "stripe:\n"
        "  publishable_key: pk_live_" + f.s(ALNUM, 24) + "\n"
        f"  secret_key: {stripe}\n"
        "# Used as the base secret for all MessageVerifiers in Rails.\n"
        f"secret_key_base: {skb}\n"
    )


@template("django-settings")
def django_settings(f: Fill) -> str:
    sk = f.slot(f.s(DJANGO_CHARS.replace("'", ""), 50), [""])
    sk_line = f"SECRET_KEY = '{sk}'\n" if sk else "SECRET_KEY = os.environ['DJANGO_SECRET_KEY']\n"
    db = f.slot(f.chosen(quoted=True), code_refs("DB_PASSWORD"))
    db_v = db if db.startswith(("os.", "env(", "config(")) else f"'{db}'"
    mail = f.slot(f.chosen(quoted=True).replace("'", ""), code_refs("EMAIL_HOST_PASSWORD"))
    mail_v = mail if mail.startswith(("os.", "env(", "config(")) else f'"{mail}"'
    return (
        "import os\n"
        "from pathlib import Path\n\n"
        "BASE_DIR = Path(__file__).resolve().parent.parent\n\n"
        "# SECURITY WARNING: keep the secret key used in production secret!\n"
        f"{sk_line}"
        "DEBUG = False\n"
        "ALLOWED_HOSTS = ['app.example.com']\n\n"
        "DATABASES = {\n"
        "    'default': {\n"
        "        'ENGINE': 'django.db.backends.postgresql',\n"
        "        'NAME': 'app',\n"
        "        'USER': 'app',\n"
        f"        'PASSWORD': {db_v},\n"
        "        'HOST': 'db',\n"
        "        'PORT': '5432',\n"
        "    }\n"
        "}\n\n"
        "AUTH_PASSWORD_VALIDATORS = [\n"
        "    {'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator'},\n"
        "]\n"
        "PASSWORD_HASHERS = ['django.contrib.auth.hashers.Argon2PasswordHasher']\n\n"
        "EMAIL_HOST = 'smtp.sendgrid.net'\n"
        "EMAIL_HOST_USER = 'apikey'\n"
        f"EMAIL_HOST_PASSWORD = {mail_v}\n"
        "EMAIL_PORT = 587\n"
    )


@template("laravel-env")
def laravel_env(f: Fill) -> str:
    app_key = f.slot(f.b64(32), [""])
    db = f.slot(f.chosen(), ["", "secret"])
    mail = f.slot(f.chosen(), ["null"])
    pusher = f.slot(f.hex(20), [""])
    aws = f.slot(f.s(ALNUM + "+/", 40), [""])
    key_line = f"APP_KEY=base64:{app_key}\n" if app_key else "APP_KEY=\n"
    return (
        "APP_NAME=Laravel\n"
        "APP_ENV=production\n"
        f"{key_line}"
        "APP_DEBUG=false\n"
        "APP_URL=https://shop.example.com\n\n"
        "DB_CONNECTION=mysql\n"
        "DB_HOST=127.0.0.1\n"
        "DB_PORT=3306\n"
        "DB_DATABASE=shop\n"
        "DB_USERNAME=shop\n"
        f"DB_PASSWORD={db}\n\n"
        "REDIS_HOST=127.0.0.1\n"
        "REDIS_PASSWORD=null\n"
        "REDIS_PORT=6379\n\n"
        "MAIL_MAILER=smtp\n"
        "MAIL_HOST=smtp.mailgun.org\n"
        "MAIL_USERNAME=postmaster@mg.example.com\n"
        f"MAIL_PASSWORD={mail}\n\n"
        "AWS_ACCESS_KEY_ID=\n"
        f"AWS_SECRET_ACCESS_KEY={aws}\n"
        "PUSHER_APP_ID=1234567\n"
        "PUSHER_APP_KEY=" + f.hex(20) + "\n"
        f"PUSHER_APP_SECRET={pusher}\n"
    )


@template("symfony-env")
def symfony_env(f: Fill) -> str:
    secret = f.slot(f.hex(32), ["", "ThisTokenIsNotSoSecretChangeIt"])
    dbpw = f.slot(f.s(ALNUM, 18), ["!ChangeMe!"])
    smtp = f.slot(f.chosen(), ["%env(SMTP_PASSWORD)%"])
    return (
        "###> symfony/framework-bundle ###\n"
        "APP_ENV=prod\n"
        f"APP_SECRET={secret}\n"
        "###< symfony/framework-bundle ###\n\n"
        "###> doctrine/doctrine-bundle ###\n"
        f'DATABASE_URL="postgresql://app:{dbpw}@127.0.0.1:5432/app?serverVersion=16&charset=utf8"\n'
        "###< doctrine/doctrine-bundle ###\n\n"
        "###> symfony/mailer ###\n"
        f"MAILER_DSN=smtp://mailer%40example.com:{smtp}@smtp.example.com:587\n"
        "###< symfony/mailer ###\n"
    )


@template("wp-config")
def wp_config(f: Fill) -> str:
    db = f.slot(f.chosen(quoted=True).replace("'", ""), ["password_here", "database_password"])
    salts = []
    for name in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT"):
        v = f.slot(f.s(WP_CHARS, 64), ["put your unique phrase here"], always=True)
        salts.append(f"define( '{name}',{' ' * (17 - len(name))}'{v}' );\n")
    return (
        "<?php\n"
        "/** The name of the database for WordPress */\n"
        "define( 'DB_NAME', 'wordpress' );\n"
        "define( 'DB_USER', 'wp_user' );\n"
        f"define( 'DB_PASSWORD', '{db}' );\n"
        "define( 'DB_HOST', 'localhost' );\n"
        "define( 'DB_CHARSET', 'utf8mb4' );\n\n"
        "/**#@+\n * Authentication unique keys and salts.\n */\n" + "".join(salts) + "/**#@-*/\n"
        "$table_prefix = 'wp_';\n"
    )


@template("dotnet-appsettings")
def appsettings(f: Fill) -> str:
    la = lookalikes(f)
    pw = f.slot(f.chosen(quoted=True).replace('"', ""), ["{DB_PASSWORD}", "<db-password>"])
    jwt = f.slot(f.b64(32), ["__JWT_KEY__", ""])
    sg = f.slot(f"SG.{f.s(B64URL, 22)}.{f.s(B64URL, 43)}", [""])
    conn = f"Server=tcp:sql.example.net,1433;Database=Shop;User ID=shop;Password={pw};Encrypt=True;"
    doc = {
        "Logging": {"LogLevel": {"Default": "Information"}},
        "ConnectionStrings": {"DefaultConnection": conn},
        "Jwt": {"Key": jwt, "Issuer": "https://shop.example.com", "Audience": "shop"},
        "SendGrid": {"ApiKey": sg},
        "AzureAd": {"TenantId": la["uuid"], "ClientId": la["uuid2"]},
        "AllowedHosts": "*",
    }
    return json.dumps(doc, indent=2) + "\n"


@template("dotnet-webconfig")
def web_config(f: Fill) -> str:
    stripe = f.slot("sk_live_" + f.s(ALNUM, 24), ["#{StripeSecretKey}#"])
    pw = f.slot(
        f.chosen(quoted=True).replace('"', "").replace("&", "").replace("<", ""), ["__DbPassword__"]
    )
    smtp = f.slot(f.chosen().replace("<", ""), ["(set at deploy)"])
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        "<configuration>\n"
        "  <appSettings>\n"
        '    <add key="webpages:Version" value="3.0.0.0" />\n'
        f'    <add key="StripeSecretKey" value="{stripe}" />\n'
        "  </appSettings>\n"
        "  <connectionStrings>\n"
        '    <add name="ShopDb" connectionString="Data Source=sql01;Initial Catalog=Shop;'
        f'User ID=shop;Password={pw}" providerName="System.Data.SqlClient" />\n'
        "  </connectionStrings>\n"
        "  <applicationSettings>\n"
        "    <Shop.Properties.Settings>\n"
        '      <setting name="SmtpPassword" serializeAs="String">\n'
        f"        <value>{smtp}</value>\n"
        "      </setting>\n"
        "    </Shop.Properties.Settings>\n"
        "  </applicationSettings>\n"
        "</configuration>\n"
    )


# ---------------------------------------------------------------------------------------------
# Package registries
# ---------------------------------------------------------------------------------------------
@template("npmrc")
def npmrc(f: Fill) -> str:
    tok = f.slot("npm_" + f.s(ALNUM, 36), ["${NPM_TOKEN}"])
    auth = f.slot(base64.b64encode(f"ci:{f.chosen()}".encode()).decode(), ["${NEXUS_AUTH}"])
    return (
        "registry=https://registry.npmjs.org/\n"
        "@acme:registry=https://nexus.example.com/repository/npm/\n"
        f"//registry.npmjs.org/:_authToken={tok}\n"
        f"//nexus.example.com/repository/npm/:_auth={auth}\n"
        "always-auth=true\n"
        "email=ci@example.com\n"
    )


@template("yarnrc")
def yarnrc(f: Fill) -> str:
    tok = f.slot("npm_" + f.s(ALNUM, 36), ["${NPM_TOKEN}", "${NPM_TOKEN:-}"])
    ident = f.chosen()
    gh = f.slot(f.github(), ["${GITHUB_TOKEN}"])
    out = (
        "nodeLinker: node-modules\n"
        f'npmAuthToken: "{tok}"\n'
        "npmScopes:\n"
        "  acme:\n"
        '    npmRegistryServer: "https://npm.pkg.github.com"\n'
        f"    npmAuthToken: {gh}\n"
        "yarnPath: .yarn/releases/yarn-4.1.0.cjs\n"
    )
    if f.positive and f.rng.random() < 0.5:
        f.secrets.append(ident)
        out += "npmRegistries:\n  https://registry.example.com:\n"
        out += f'    npmAuthIdent: "ci:{ident}"\n'
    return out


@template("pip-conf")
def pip_conf(f: Fill) -> str:
    pw = f.slot(f.s(ALNUM, 20), ["${PIP_PASSWORD}"])
    return (
        "[global]\n"
        "timeout = 60\n"
        f"index-url = https://ci:{pw}@pypi.example.com/simple/\n"
        "extra-index-url = https://pypi.org/simple/\n"
        "trusted-host = pypi.example.com\n"
    )


@template("pypirc")
def pypirc(f: Fill) -> str:
    tok = f.slot("pypi-AgEIcHlwaS5vcmc" + f.s(B64URL, 120), ["<your PyPI token>", "%(PYPI_TOKEN)s"])
    test = f.slot(f.chosen(), ["", "${TESTPYPI_PASSWORD}"])
    return (
        "[distutils]\n"
        "index-servers =\n"
        "    pypi\n"
        "    testpypi\n\n"
        "[pypi]\n"
        "username = __token__\n"
        f"password = {tok}\n\n"
        "[testpypi]\n"
        "repository = https://test.pypi.org/legacy/\n"
        "username = acme\n"
        f"password = {test}\n"
    )


@template("maven-settings")
def maven_settings(f: Fill) -> str:
    pw = f.slot(f.chosen().replace("<", ""), xml_refs("NEXUS_PASSWORD"))
    pp = f.slot(f.chosen().replace("<", ""), xml_refs("GPG_PASSPHRASE"))
    return (
        "<settings>\n"
        "  <servers>\n"
        "    <server>\n"
        "      <id>nexus-releases</id>\n"
        "      <username>deployment</username>\n"
        f"      <password>{pw}</password>\n"
        "    </server>\n"
        "    <server>\n"
        "      <id>gpg.passphrase</id>\n"
        f"      <passphrase>{pp}</passphrase>\n"
        "      <privateKey>${user.home}/.ssh/id_rsa</privateKey>\n"
        "    </server>\n"
        "  </servers>\n"
        "</settings>\n"
    )


@template("nuget-config")
def nuget_config(f: Fill) -> str:
    pw = f.slot(f.github(), ["%GITHUB_PACKAGES_TOKEN%", "%NUGET_PASSWORD%"])
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        "<configuration>\n"
        "  <packageSources>\n"
        '    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />\n'
        '    <add key="github" value="https://nuget.pkg.github.com/acme/index.json" />\n'
        "  </packageSources>\n"
        "  <packageSourceCredentials>\n"
        "    <github>\n"
        '      <add key="Username" value="acme-bot" />\n'
        f'      <add key="ClearTextPassword" value="{pw}" />\n'
        "    </github>\n"
        "  </packageSourceCredentials>\n"
        "</configuration>\n"
    )


@template("gradle-properties")
def gradle_properties(f: Fill) -> str:
    la = lookalikes(f)
    ossrh = f.slot(f.chosen(), [""])
    sign = f.slot(f.chosen(), [""])
    proxy = f.slot(f.chosen(), [""])
    return (
        "org.gradle.jvmargs=-Xmx2g -Dfile.encoding=UTF-8\n"
        "org.gradle.parallel=true\n"
        "ossrhUsername=acme\n"
        f"ossrhPassword={ossrh}\n"
        f"signing.keyId={la['keyid'][-8:]}\n"
        f"signing.password={sign}\n"
        "signing.secretKeyRingFile=/home/ci/.gnupg/secring.gpg\n"
        "systemProp.https.proxyHost=proxy.example.com\n"
        "systemProp.https.proxyUser=ci\n"
        f"systemProp.https.proxyPassword={proxy}\n"
    )


# ---------------------------------------------------------------------------------------------
# Clouds
# ---------------------------------------------------------------------------------------------
@template("aws-credentials")
def aws_credentials(f: Fill) -> str:
    sk = f.slot(f.s(ALNUM + "+/", 40), ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"], always=True)
    st = f.slot("IQoJb3JpZ2luX2VjE" + f.s(ALNUM + "+/", 300), [""])
    akid = "AKIA" + f.s(UP_DIGITS, 16) if f.positive else "AKIAIOSFODNN7EXAMPLE"
    if f.positive:
        f.secrets.append(akid)
    return (
        "[default]\n"
        f"aws_access_key_id = {akid}\n"
        f"aws_secret_access_key = {sk}\n"
        "region = eu-central-1\n\n"
        "[profile deploy]\n"
        "role_arn = arn:aws:iam::123456789012:role/deploy\n"
        "source_profile = default\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/ci\n\n"
        "[temp]\n"
        f"aws_session_token = {st}\n"
    )


@template("gcp-service-account")
def gcp_sa(f: Fill) -> str:
    la = lookalikes(f)
    body = "\\n".join(f.s(ALNUM + "+/", 64) for _ in range(6))
    pem = f"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n"
    if f.positive:
        f.secrets.append(pem)
        doc = {
            "type": "service_account",
            "project_id": "acme-prod",
            "private_key_id": la["sha"],
            "private_key": "@@PEM@@",
            "client_email": "deployer@acme-prod.iam.gserviceaccount.com",
            "client_id": str(f.rng.randint(10**20, 10**21 - 1)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
        return json.dumps(doc, indent=2).replace("@@PEM@@", pem) + "\n"
    doc = {
        "type": "external_account",
        "audience": "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/"
        "gh/providers/github",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "credential_source": {"file": "/var/run/secrets/token", "format": {"type": "text"}},
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
        "projects/-/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com:generateAccessToken",
    }
    return json.dumps(doc, indent=2) + "\n"


@template("oauth-client")
def oauth_client(f: Fill) -> str:
    cs = f.slot("GOCSPX-" + f.s(B64URL, 28), ["<client secret>"], always=True)
    doc = {
        "web": {
            "client_id": f"{f.rng.randint(10**11, 10**12)}-{f.s(LOWER_DIGITS, 32)}"
            ".apps.googleusercontent.com",
            "project_id": "acme-web",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "client_secret": cs,
            "redirect_uris": ["https://app.example.com/oauth2/callback"],
        }
    }
    return json.dumps(doc) + "\n"


@template("azure-storage")
def azure_connection(f: Fill) -> str:
    ak = f.slot(f.b64(64), [""], always=True)
    sas = f.slot(f.b64(32), [""], always=True)
    la = lookalikes(f)
    if not f.positive:
        return (
            "# local settings (Azurite)\n"
            '{\n  "IsEncrypted": false,\n  "Values": {\n'
            '    "AzureWebJobsStorage": "UseDevelopmentStorage=true",\n'
            f'    "APPINSIGHTS_INSTRUMENTATIONKEY": "{la["uuid"]}",\n'
            '    "ServiceBus": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/'
            'secrets/sb/)"\n  }\n}\n'
        )
    return (
        '{\n  "IsEncrypted": false,\n  "Values": {\n'
        '    "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=acmestore;'
        f'AccountKey={ak};EndpointSuffix=core.windows.net",\n'
        '    "ServiceBus": "Endpoint=sb://acme.servicebus.windows.net/;'
        f'SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={sas}",\n'
        f'    "APPINSIGHTS_INSTRUMENTATIONKEY": "{la["uuid"]}",\n'
        '    "FUNCTIONS_WORKER_RUNTIME": "python"\n  }\n}\n'
    )


@template("azure-publish-profile")
def azure_publish(f: Fill) -> str:
    pw = f.slot(f.s(ALNUM, 60), ["$(PublishPassword)"], always=True)
    return (
        "<publishData>\n"
        '  <publishProfile profileName="acme-web - Web Deploy" publishMethod="MSDeploy" '
        'publishUrl="acme-web.scm.azurewebsites.net:443" msdeploySite="acme-web" '
        f'userName="$acme-web" userPWD="{pw}" '
        'destinationAppUrl="https://acme-web.azurewebsites.net" SQLServerDBConnectionString="" '
        'hostingProviderForumLink="" controlPanelLink="https://portal.azure.com">\n'
        "    <databases />\n"
        "  </publishProfile>\n"
        "</publishData>\n"
    )


# ---------------------------------------------------------------------------------------------
# Servers and databases
# ---------------------------------------------------------------------------------------------
@template("vault-hcl")
def vault_hcl(f: Fill) -> str:
    tok = f.slot(f.uuid(), [""], always=True)
    sk = f.slot(f.s(ALNUM + "+/", 40), [""])
    if not f.positive:
        return (
            'storage "consul" {\n'
            '  address = "127.0.0.1:8500"\n'
            '  path    = "vault/"\n'
            "}\n"
            'seal "awskms" {\n'
            '  region     = "us-east-1"\n'
            f'  kms_key_id = "{f.uuid()}"\n'
            "}\n"
        )
    return (
        'storage "consul" {\n'
        '  address = "127.0.0.1:8500"\n'
        '  path    = "vault/"\n'
        f'  token   = "{tok}"\n'
        "}\n"
        'seal "awskms" {\n'
        '  region     = "us-east-1"\n'
        '  access_key = "AKIAIOSFODNN7EXAMPLE"\n'
        f'  secret_key = "{sk or "x"}"\n'
        f'  kms_key_id = "{f.uuid()}"\n'
        "}\n"
    )


@template("consul-hcl")
def consul_hcl(f: Fill) -> str:
    enc = f.slot(f.b64(32), [""], always=True)
    master = f.slot(f.uuid(), [""], always=True)
    agent = f.slot(f.uuid(), [""], always=True)
    if not f.positive:
        return (
            'datacenter = "dc1"\n'
            'data_dir = "/opt/consul"\n'
            "acl {\n"
            "  enabled = true\n"
            '  default_policy = "deny"\n'
            "}\n"
            f'node_id = "{f.uuid()}"\n'
        )
    return (
        'datacenter = "dc1"\n'
        'data_dir = "/opt/consul"\n'
        f'encrypt = "{enc}"\n'
        "acl {\n"
        "  enabled = true\n"
        '  default_policy = "deny"\n'
        "  tokens {\n"
        f'    initial_management = "{master}"\n'
        f'    agent = "{agent}"\n'
        "  }\n"
        "}\n"
    )


@template("redis-conf")
def redis_conf(f: Fill) -> str:
    rp = f.slot(f.s(ALNUM, 32), [""], always=True)
    ma = f.slot(f.s(ALNUM, 32), [""])
    acl = f.slot(f.chosen(), [""], always=True)
    if not f.positive:
        return (
            "bind 127.0.0.1 -::1\n"
            "port 6379\n"
            "# requirepass foobared\n"
            "# masterauth <master-password>\n"
            "user default off\n"
            "user worker on nopass ~jobs:* +@list\n"
        )
    return (
        "bind 127.0.0.1 -::1\n"
        "port 6379\n"
        "protected-mode yes\n"
        f"requirepass {rp}\n" + (f"masterauth {ma}\n" if ma else "") + "maxmemory 256mb\n"
        f"user app on >{acl} ~app:* +@all -@dangerous\n"
    )


@template("pgpass")
def pgpass(f: Fill) -> str:
    a = f.slot(f.chosen().replace(":", ""), [""], always=True)
    b = f.slot(f.chosen().replace(":", ""), [""], always=True)
    if not f.positive:
        return "# hostname:port:database:username:password\n# (passwords come from vault)\n"
    return (
        "# hostname:port:database:username:password\n"
        f"db.prod.internal:5432:orders:orders_rw:{a}\n"
        f"*:5433:*:replicator:{b}\n"
    )


@template("my-cnf")
def my_cnf(f: Fill) -> str:
    pw = f.slot(f.chosen(), [""])
    bk = f.slot(f.chosen(), [""])
    return (
        "[client]\n"
        "user=root\n"
        f"password={pw}\n"
        "socket=/var/run/mysqld/mysqld.sock\n\n"
        "[mysqldump]\n"
        "user = backup\n"
        f'password = "{bk}"\n'
        "single-transaction\n\n"
        "[mysqld]\n"
        "bind-address = 127.0.0.1\n"
        "innodb_buffer_pool_size = 1G\n"
    )


@template("mongo-shell")
def mongo_shell(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True).replace('"', ""), ["passwordPrompt()"])
    pw_v = pw if pw == "passwordPrompt()" else f'"{pw}"'
    uri_pw = f.slot(f.s(ALNUM, 16), ["<password>"])
    return (
        "// mongo-init.js: run once by the container entrypoint\n"
        "db = db.getSiblingDB('shop');\n"
        "db.createUser({\n"
        "  user: 'shop',\n"
        f"  pwd: {pw_v},\n"
        "  roles: [{ role: 'readWrite', db: 'shop' }],\n"
        "});\n"
        f'// mongosh "mongodb+srv://admin:{uri_pw}@cluster0.ab1cd.mongodb.net/shop"\n'
    )


@template("nginx")
def nginx(f: Fill) -> str:
    basic = f.slot(base64.b64encode(f"metrics:{f.chosen()}".encode()).decode(), [""], always=True)
    if not f.positive:
        return (
            "server {\n"
            "    listen 443 ssl;\n"
            "    server_name metrics.example.com;\n"
            "    ssl_certificate /etc/ssl/certs/metrics.pem;\n"
            "    ssl_certificate_key /etc/ssl/private/metrics.key;\n"
            "    location / {\n"
            '        auth_basic "Restricted";\n'
            "        auth_basic_user_file /etc/nginx/.htpasswd;\n"
            "        proxy_pass http://127.0.0.1:9090;\n"
            "    }\n"
            "}\n"
        )
    return (
        "server {\n"
        "    listen 443 ssl;\n"
        "    server_name grafana.example.com;\n"
        "    location /api/ {\n"
        f'        proxy_set_header Authorization "Basic {basic}";\n'
        "        proxy_pass http://prometheus:9090;\n"
        "    }\n"
        "}\n"
    )


@template("apache")
def apache(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True).replace('"', ""), [""], always=True)
    if not f.positive:
        return (
            "<Location /admin>\n"
            "    AuthType Basic\n"
            '    AuthName "Admin"\n'
            "    AuthBasicProvider ldap\n"
            '    AuthLDAPURL "ldap://ldap.example.com/ou=People,dc=example,dc=com?uid"\n'
            '    AuthLDAPBindDN "cn=apache,dc=example,dc=com"\n'
            '    AuthLDAPBindPassword "exec:/usr/local/bin/ldap-pass"\n'
            "    Require valid-user\n"
            "</Location>\n"
        )
    return (
        "<Location /admin>\n"
        "    AuthType Basic\n"
        '    AuthName "Admin"\n'
        "    AuthBasicProvider ldap\n"
        '    AuthLDAPURL "ldap://ldap.example.com/ou=People,dc=example,dc=com?uid"\n'
        '    AuthLDAPBindDN "cn=apache,dc=example,dc=com"\n'
        f'    AuthLDAPBindPassword "{pw}"\n'
        "    Require valid-user\n"
        "</Location>\n"
    )


@template("smtp")
def smtp_settings(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True).replace('"', ""), ['ENV["SMTP_PASSWORD"]'])
    pw_v = pw if pw.startswith("ENV[") else f'"{pw}"'
    return (
        "Rails.application.configure do\n"
        "  config.action_mailer.delivery_method = :smtp\n"
        "  config.action_mailer.smtp_settings = {\n"
        "    address:              'smtp.gmail.com',\n"
        "    port:                 587,\n"
        "    domain:               'example.com',\n"
        "    user_name:            'alerts@example.com',\n"
        f"    password:             {pw_v},\n"
        "    authentication:       'plain',\n"
        "    enable_starttls_auto: true\n"
        "  }\n"
        "end\n"
    )


@template("smtp")
def php_mailer(f: Fill) -> str:
    pw = f.slot(f.chosen(quoted=True).replace("'", ""), ["getenv('SMTP_PASS')"])
    pw_v = pw if pw.startswith("getenv") else f"'{pw}'"
    return (
        "<?php\n"
        "$mail = new PHPMailer(true);\n"
        "$mail->isSMTP();\n"
        "$mail->Host       = 'smtp.office365.com';\n"
        "$mail->SMTPAuth   = true;\n"
        "$mail->Username   = 'noreply@example.com';\n"
        f"$mail->Password   = {pw_v};\n"
        "$mail->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;\n"
        "$mail->Port       = 587;\n"
    )


# ---------------------------------------------------------------------------------------------
# Chat bots
# ---------------------------------------------------------------------------------------------
@template("bot-config")
def slack_bot(f: Fill) -> str:
    xoxb = f.slot(
        f"xoxb-{f.rng.randint(10**10, 10**12)}-{f.rng.randint(10**11, 10**13)}-{f.s(ALNUM, 24)}",
        ["${SLACK_BOT_TOKEN}"],
    )
    signing = f.slot(f.hex(32), ["${SLACK_SIGNING_SECRET}"])
    hook = f.slot(f.s(ALNUM, 24), ["XXXXXXXXXXXXXXXXXXXXXXXX"], always=True)
    return (
        "# config/slack.yml\n"
        "slack:\n"
        f"  bot_token: {xoxb}\n"
        f"  signing_secret: {signing}\n"
        f"  app_id: A0{f.s(UP_DIGITS, 9)}\n"
        "  alerts_webhook: https://hooks.slack.com/services/"
        f"T0{f.s(UP_DIGITS, 8)}/B0{f.s(UP_DIGITS, 9)}/{hook}\n"
    )


@template("bot-config")
def discord_telegram(f: Fill) -> str:
    disc = f.slot(f"M{f.s(ALNUM, 25)}.{f.s(B64URL, 6)}.{f.s(B64URL, 38)}", ["your-bot-token-here"])
    tg = f.slot(f"{f.rng.randint(10**8, 10**10)}:AA{f.s(B64URL, 33)}", ["<telegram token>"])
    return (
        json.dumps(
            {
                "discord": {
                    "token": disc,
                    "prefix": "!",
                    "owner_id": str(f.rng.randint(10**17, 10**18)),
                },
                "telegram": {"bot_token": tg, "chat_id": -1001234567890},
            },
            indent=4,
        )
        + "\n"
    )


# ---------------------------------------------------------------------------------------------
# Structures of several secrets: lists and maps under a name that says password
# ---------------------------------------------------------------------------------------------
@template("secret-collection")
def yaml_password_list(f: Fill) -> str:
    a = f.slot(f.chosen(), ['"{{ vault_admin_pw_current }}"'], always=True)
    b = f.slot(f.chosen(), ['"{{ vault_admin_pw_previous }}"'], always=True)
    return (
        "admin:\n"
        "  username: root\n"
        "  # accepted during rotation, newest first\n"
        "  passwords:\n"
        f"    - {a}\n"
        f"    - {b}\n"
        "  password_min_length: 12\n"
    )


@template("secret-collection")
def yaml_user_map(f: Fill) -> str:
    a = f.slot(f.chosen(), ['"{{ vault_pw_alice }}"'], always=True)
    b = f.slot(f.chosen(), ['"{{ vault_pw_bob }}"'], always=True)
    c = f.slot(f.chosen(), ['"{{ vault_pw_ci }}"'])
    return f"ftp:\n  port: 21\n  user_passwords:\n    alice: {a}\n    bob: {b}\n    ci-bot: {c}\n"


@template("secret-collection")
def python_password_dict(f: Fill) -> str:
    a = f.slot(f.chosen(quoted=True).replace('"', ""), ["os.environ['ALICE_PW']"], always=True)
    b = f.slot(f.chosen(quoted=True).replace('"', ""), ["os.environ['BOB_PW']"], always=True)

    def q(v: str) -> str:
        return v if v.startswith("os.") else f'"{v}"'

    return (
        "# test fixtures for the staging box\n"
        "USERS = ['alice', 'bob']\n"
        "PASSWORDS = {\n"
        f'    "alice": {q(a)},\n'
        f'    "bob": {q(b)},\n'
        "}\n"
        "PASSWORD_MIN_LENGTH = 10\n"
    )


@template("secret-collection")
def json_credentials_map(f: Fill) -> str:
    a = f.slot(f.s(ALNUM, 32), ["${SVC_A_KEY}"], always=True)
    b = f.slot(f.s(ALNUM, 32), ["${SVC_B_KEY}"], always=True)
    return (
        json.dumps(
            {
                "service": "gateway",
                "apiKeys": {"billing": a, "search": b},
                "rateLimit": {"perMinute": 600},
            },
            indent=2,
        )
        + "\n"
    )


# ---------------------------------------------------------------------------------------------
# Logs, tracebacks, shell history, Makefiles
# ---------------------------------------------------------------------------------------------
@template("log")
def log_lines(f: Fill) -> str:
    la = lookalikes(f)
    key = f.slot(f.s(ALNUM, 32), ["[FILTERED]", "***"], always=True)
    pw = f.slot(f.chosen(), ["********"], always=True)
    return (
        f"2026-03-02T10:15:01Z INFO  request_id={la['uuid']} commit={la['sha'][:12]} started\n"
        "2026-03-02T10:15:02Z DEBUG http: GET "
        f"https://api.weather.example.com/v1/forecast?q=Berlin&api_key={key}&units=metric\n"
        "2026-03-02T10:15:02Z WARN  db: connect failed: "
        f"host=db port=5432 user=app password={pw} dbname=app sslmode=require\n"
        "2026-03-02T10:15:03Z ERROR java.sql.SQLException: Access denied for user 'app'@'10.0.0.7' "
        "(using password: YES)\n"
    )


@template("traceback")
def traceback_leak(f: Fill) -> str:
    pw = f.slot(f.s(ALNUM, 16), ["***"], always=True)
    return (
        "Traceback (most recent call last):\n"
        '  File "/app/worker.py", line 41, in <module>\n'
        "    conn = redis.Redis.from_url(url)\n"
        '  File "/usr/lib/python3/site-packages/redis/client.py", line 920, in from_url\n'
        '    raise ConnectionError(f"cannot connect to {url}")\n'
        f"redis.exceptions.ConnectionError: cannot connect to redis://:{pw}@cache.internal:6379/0\n"
    )


@template("shell-history")
def shell_history(f: Fill) -> str:
    sk = f.slot(f.s(ALNUM + "+/", 40), ["$(pass show aws/secret)"], always=True)
    my = f.slot(f.chosen(), ["$MYSQL_PWD"], always=True)
    tok = f.slot(f.github(), ["$GH_TOKEN"])
    return (
        "ls -la\n"
        "cd ~/src/infra\n"
        f"export AWS_SECRET_ACCESS_KEY={sk}\n"
        "terraform plan -out plan.bin\n"
        f"mysql -h db.internal -u root -p{my} orders < dump.sql\n"
        f"git clone https://x-access-token:{tok}@github.com/acme/infra.git\n"
        "history | grep ssh\n"
    )


@template("makefile")
def makefile(f: Fill) -> str:
    pw = f.slot(f.chosen(), ["$(shell cat .registry-password)"], always=True)
    key = f.slot(f.s(ALNUM, 40), ["$(API_KEY)"])
    return (
        "IMAGE ?= registry.example.com/acme/api\n"
        "TAG   ?= $(shell git rev-parse --short HEAD)\n"
        "REGISTRY_USER ?= ci\n"
        f"REGISTRY_PASSWORD ?= {pw}\n\n"
        ".PHONY: push smoke\n"
        "push:\n"
        "\tdocker login -u $(REGISTRY_USER) -p $(REGISTRY_PASSWORD) registry.example.com\n"
        "\tdocker push $(IMAGE):$(TAG)\n\n"
        "smoke:\n"
        f'\tcurl -fsS -H "X-Api-Key: {key}" https://api.example.com/health\n'
    )


# Names a pure negative file may use: hard negatives that never carry a secret.
@template("lookalike-file")
def lockfile(f: Fill) -> str:
    la = lookalikes(f)
    if f.positive:
        tok = f.slot("npm_" + f.s(ALNUM, 36), [""], always=True)
        extra = f'  "_authToken": "{tok}",\n'
    else:
        extra = ""
    return (
        "{\n"
        '  "name": "web",\n'
        '  "lockfileVersion": 3,\n'
        f"{extra}"
        '  "packages": {\n'
        '    "node_modules/left-pad": {\n'
        '      "version": "1.3.0",\n'
        '      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",\n'
        f'      "integrity": "{la["integrity"]}"\n'
        "    }\n"
        "  }\n"
        "}\n"
    )


@template("lookalike-file")
def ids_file(f: Fill) -> str:
    la = lookalikes(f)
    secret = f.slot(f.s(B64URL, 40), [""], always=True)
    line = f"client_secret = {secret}\n" if secret else "client_secret_file = /etc/app/oauth.json\n"
    return (
        "[oauth]\n"
        f"tenant_id = {la['uuid']}\n"
        f"client_id = {la['uuid2']}\n"
        f"{line}"
        f"token_signing_key_id = {la['keyid']}\n"
        f"authorized_key = {la['sshpub']} deploy@ci\n"
        f"artifact_sha256 = {la['digest'][7:]}\n"
        f"build_commit = {la['sha']}\n"
    )


def build() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    out: list[dict[str, object]] = []
    for cat, fn in TEMPLATES:
        for positive, copies in ((True, 6), (False, 5)):
            for _ in range(copies):
                for _attempt in range(20):
                    f = Fill(rng, positive)
                    text = fn(f)
                    if not positive or f.secrets:
                        break
                secrets = [s for s in dict.fromkeys(f.secrets) if s]
                if positive:
                    assert secrets and all(s in text for s in secrets), (cat, text, secrets)
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
