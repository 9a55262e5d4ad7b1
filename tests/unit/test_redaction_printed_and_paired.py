"""Secret classes the twelfth round's probes left unfound (issue 10, thirteenth round).

Each mechanism has positives and the negatives that bound it; every value here is ours.
"""

from __future__ import annotations

import pytest

from gitgate.safety.redaction import find_secrets, redact


def found(text: str) -> list[str]:
    return [text[f.start : f.end] for f in find_secrets(text)]


# -- a command in a transcript prints a secret: the next line is it ---------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "$ kubectl get secret db -o jsonpath='{.data.password}' | base64 -d\nTeal=Harbor4471$ \n",
            "Teal=Harbor4471",
        ),
        ("$ pass show db/prod\nWinter2031?\n$ ls\n", "Winter2031?"),
        (
            "dev@box:~/app$ vault kv get -field=password secret/db\nxK2m-Lp9q_Vr7s\n",
            "xK2m-Lp9q_Vr7s",
        ),
        (
            "PS C:\\src> heroku config:get STRIPE_KEY -a shop\nq8Jd2LmZr5Tv9NwXc3Hb\n",
            "q8Jd2LmZr5Tv9NwXc3Hb",
        ),
        (
            "% security find-generic-password -s deploy -w\nOrchid#Lantern58\n",
            "Orchid#Lantern58",
        ),
    ],
)
def test_a_secret_a_transcript_prints_is_found(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "$ echo aGVsbG8gd29ybGQ= | base64 -d\nhello world\n",  # decodes no secret
        "$ echo c29tZXRoaW5nLWxvbmdlcg== | base64 -d\nsomething-longer\n",  # no secret words
        # a comment in a script: the next line is code, not output
        "# kubectl get secret api -o jsonpath='{.data.token}' | base64 -d\ntoken_b64 = read()\n",
        "$ export TOKEN=$(gh auth token)\n$ gh api user\n",  # into a variable
        "$ gh auth token > /tmp/t\n$ wc -c /tmp/t\n",  # into a file
        "$ pass show db/prod\n<your password>\n",  # a placeholder in docs
        "$ gh auth token\nError: not logged in\n",  # prose, not a token
    ],
)
def test_output_that_is_no_secret_is_left_alone(text: str) -> None:
    assert redact(text) == text


# -- a user name then its password, as credentials are handed over in chat ----------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "[09:41] dana: creds -> user: demo-admin / pass: Quartz_Cobalt3674\n",
            "Quartz_Cobalt3674",
        ),
        ("login=ops, pwd=Xk29_Lamp\n", "Xk29_Lamp"),
        ("username: svc | password: Ember_Slate902\n", "Ember_Slate902"),
    ],
)
def test_a_password_after_its_user_name_is_found(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        'db = Database(user: "admin", password: secretValue123)\n',  # named call arguments
        "connect(user=u, password=pw)\n",
        "user: alice / pass: ********\n",  # masked
    ],
)
def test_named_arguments_after_a_user_are_still_code(text: str) -> None:
    assert redact(text) == text


# -- names, fallbacks and files the keyword rules did not know --------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("binddn cn=svc,dc=example,dc=org\nbindpw Xk29LampQ!zz\n", "Xk29LampQ!zz"),
        ('ldap:\n  bindpw: "QA-Ysz+Qb64l@Umf"\n', "QA-Ysz+Qb64l@Umf"),
        ("ldap_default_authtok = Vireo-Thistle-0417\n", "Vireo-Thistle-0417"),
        (
            "define( 'NONCE_SALT',       '*6%+6T 6EHW>-RMAGQ*B+|w9V/?u<1enf,(f({9_2_.~>EODCn' );",
            "*6%+6T 6EHW>-RMAGQ*B+|w9V/?u<1enf,(f({9_2_.~>EODCn",
        ),
        (
            '$apiKey = if ($env:PARTNER_KEY) { $env:PARTNER_KEY } else { "ndRDIdMtHWIyrbZv4nNtIDbHvr2PqL1b" }',
            "ndRDIdMtHWIyrbZv4nNtIDbHvr2PqL1b",
        ),
        (
            'const SIGNING_KEY: [u8; 32] = *b"Qm9vW2xhc3RfY2hhbmNlX2tleV8xMjM0";',
            "Qm9vW2xhc3RfY2hhbmNlX2tleV8xMjM0",
        ),
        (
            'var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes("ujUNtJb002P0nDQlG3wGsqfXItt4EwAI"));',
            "ujUNtJb002P0nDQlG3wGsqfXItt4EwAI",
        ),
        (
            "http.https://github.com/.extraheader=AUTHORIZATION: basic"
            " eC1hY2Nlc3MtdG9rZW46Z2hzX1AxZVNiQ3hldkhzcW5DeUlH\n",
            "eC1hY2Nlc3MtdG9rZW46Z2hzX1AxZVNiQ3hldkhzcW5DeUlH",
        ),
        ("Authorization: Token token=Xk29LampQzz8s7Lm2pQw\n", "Xk29LampQzz8s7Lm2pQw"),
        (
            "diff --git a/config/master.key b/config/master.key\nnew file mode 100600\n"
            "--- /dev/null\n+++ b/config/master.key\n@@ -0,0 +1 @@\n"
            "+aa83453d06785925a81c059b95a8f5f8\n\\ No newline at end of file\n",
            "aa83453d06785925a81c059b95a8f5f8",
        ),
    ],
)
def test_names_fallbacks_and_key_files(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "SALT_ROUNDS = 10\n",
        "salt = bcrypt.gensalt(rounds=12)\n",
        "rootpw {SSHA}\n",
        'req["Authorization"] = "Bearer #{access_token}"\n',  # Ruby interpolation
        'headers = { "Authorization" => "Bearer #{ENV.fetch("API_TOKEN")}" }\n',
        'auth = "Token token=#{api_key}"\n',
        '$key = if ($env:PARTNER_KEY) { $env:PARTNER_KEY } else { "" }\n',
        "+++ b/config/master.key.example\n@@ -0,0 +1 @@\n+put-your-master-key-here\n",
        "+++ b/docs/master.key.md\n@@ -1 +1 @@\n+The master.key file holds the key.\n",
    ],
)
def test_their_lookalikes_are_left_alone(text: str) -> None:
    assert redact(text) == text
