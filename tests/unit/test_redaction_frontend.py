"""Secret classes of frontend, mobile, desktop, payments and web3 code.

Each class has its positives and, beside them, the near twins that bound it: Google keys in a
client configuration (Firebase's web config, google-services.json, an Android manifest, the
Maps JavaScript loader, NEXT_PUBLIC_ variables) beside the same key in a server's setting;
Supabase's anon key beside its service-role key; client keys made to ship (PostHog, RevenueCat,
Paddle, Adyen, Facebook's client token, Segment's snippet) beside the secrets someone put in a
shipped variable; wallets' private keys and seed phrases beside addresses, transaction hashes
and the development chains' published keys. Values are random at import time (seeded), so no
credential-shaped literal lives here.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest
from tests.secretutil import covered, secret_makers

from gitgate.safety import tokentable
from gitgate.safety.redaction import find_secrets

_rng = random.Random(20251201)
rnd, chosen = secret_makers(_rng)
HEX = "0123456789abcdef"
URLSAFE = string.ascii_letters + string.digits + "-_"
BIP39 = sorted(tokentable.load_bip39())


def b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def jwt(claims: dict[str, object]) -> str:
    return f"{b64url({'alg': 'HS256', 'typ': 'JWT'})}.{b64url(claims)}.{rnd(43, URLSAFE)}"


def phrase(n: int) -> str:
    return " ".join(_rng.choice(BIP39) for _ in range(n))


GOOGLE = "AIza" + rnd(35, URLSAFE)
ANON = jwt({"iss": "supabase", "ref": rnd(20, string.ascii_lowercase), "role": "anon"})
SERVICE = jwt({"iss": "supabase", "ref": rnd(20, string.ascii_lowercase), "role": "service_role"})
DEMO = jwt({"iss": "supabase-demo", "role": "service_role", "exp": 1983812996})
KEY64 = rnd(64, HEX)
HEX32 = rnd(32, HEX)
SEED12, SEED24 = phrase(12), phrase(24)
PW = chosen()
ALCHEMY = rnd(32, URLSAFE)
BYTES64 = "[" + ",".join(str(_rng.randrange(256)) for _ in range(64)) + "]"
MINISIGN_SECRET = base64.b64encode(
    b"untrusted comment: rsign encrypted secret key\nRWRTY0Iy" + rnd(140).encode() + b"\n"
).decode()
MINISIGN_PUBLIC = base64.b64encode(
    b"untrusted comment: minisign public key: 1F19D8DFD796CCDC\nRWT" + rnd(50).encode() + b"\n"
).decode()
MINISIGN_SIGNATURE = base64.b64encode(
    b"untrusted comment: signature from tauri secret key\nRUR" + rnd(80).encode() + b"\n"
).decode()
COOKIE = rnd(180, string.ascii_letters + string.digits + "+/")

# a development chain's funded account (Hardhat's, Anvil's, Ganache's): published, per the table
HARDHAT_0 = min(v for v in tokentable.load_published() if len(v) == 64)


def found(text: str) -> list[str]:
    return [text[f.start : f.end] for f in find_secrets(text)]


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        # a Google key in a server's configuration is a secret (not a client's)
        (f'cfg = {{"firebase_api_key": "{GOOGLE}", "retries": 3}}', [GOOGLE]),
        (f"GOOGLE_MAPS_API_KEY={GOOGLE}", [GOOGLE]),
        # Supabase: the service-role key, also in a variable shipped by mistake
        (f"SUPABASE_SERVICE_ROLE_KEY={SERVICE}", [SERVICE]),
        (f"EXPO_PUBLIC_SUPABASE_SERVICE_ROLE_KEY={SERVICE}", [SERVICE]),
        # a secret in a variable the bundler ships: still a secret
        (f"NEXT_PUBLIC_ALGOLIA_ADMIN_KEY={HEX32}", [HEX32]),
        # Next.js's own server-side variables ("NEXT_" is no pagination "next")
        (f"NEXT_SERVER_ACTIONS_ENCRYPTION_KEY={rnd(43)}=", None),
        # an Android manifest's meta-data pair naming a secret
        (
            f'<meta-data android:name="com.acme.PAYMENTS_SECRET" android:value="sk_{rnd(32)}"/>',
            None,
        ),
        # an .env auth value with a scheme word and symbols glued inside
        (f"WEBHOOK_AUTH=Bearer {rnd(10)}#{rnd(6)}@{rnd(6)}", None),
        # wallets: private keys in the forms web3 tools take them
        (f'const account = privateKeyToAccount("0x{KEY64}")', ["0x" + KEY64]),
        (f'acct = Account.from_key("{KEY64}")', [KEY64]),
        (f'const signer = new ethers.Wallet("0x{KEY64}", provider);', ["0x" + KEY64]),
        (f'  sepolia: {{ url: RPC, accounts: ["0x{KEY64}"] }},', ["0x" + KEY64]),
        (f'const DEPLOYER_KEY = "{KEY64}";', [KEY64]),
        (f"BTC_WIF=K{rnd(51)}", None),
        # seed phrases: under a name, in a call, printed by a tool or from a file
        (f'const mnemonic = "{SEED12}";', [SEED12]),
        (f"export const RELAYER_SEED_PHRASE =\n  '{SEED24}';", [SEED24]),
        (f"accounts: {{ mnemonic: '{SEED12}', count: 10 }}", [SEED12]),
        (f'const wallet = Wallet.fromPhrase("{SEED12}")', [SEED12]),
        (f"$ cast wallet new-mnemonic\nPhrase:\n{SEED12}\n", [SEED12]),
        (f"$ cat .secret\n{SEED24}\n", [SEED24]),
        # secret files printed in a transcript: a keystore password, a Solana keypair
        (f"$ cat keystore/password.txt\n{PW}\n$ geth --unlock 0 --password x", [PW]),
        (f"$ cat ~/.config/solana/id.json\n{BYTES64}\n", [BYTES64]),
        (f"const kp = Keypair.fromSecretKey(Uint8Array.from({BYTES64}));", [BYTES64]),
        # RPC endpoints carry the project's key in their path
        (f"MAINNET_RPC_URL=https://eth-mainnet.g.alchemy.com/v2/{ALCHEMY}", [ALCHEMY]),
        (f'url: "wss://polygon-mainnet.infura.io/ws/v3/{HEX32}"', [HEX32]),
        (f"INFURA_PROJECT_ID={HEX32}", [HEX32]),
        # a Basic credential joined from two literals (an IPFS gateway's project id and secret)
        (f"Buffer.from('{HEX32}' + ':' + '{KEY64[:32]}').toString('base64')", [KEY64[:32]]),
        # Tauri's updater signing key (minisign's secret key file, in base64)
        (f"TAURI_SIGNING_PRIVATE_KEY: {MINISIGN_SECRET}", [MINISIGN_SECRET]),
        (f"$ cat ~/.tauri/app.key\n{MINISIGN_SECRET}\n", [MINISIGN_SECRET]),
        # fastlane's Apple ID session: a cookie jar in YAML
        (
            "FASTLANE_SESSION='---\n- !ruby/object:HTTP::Cookie\n  name: myacinfo\n"
            f'  value: {COOKIE}\n  domain: apple.com\n  path: "/"\n\'',
            [COOKIE],
        ),
    ],
)
def test_frontend_and_web3_secrets_are_found_and_covered(
    text: str, secrets: list[str] | None
) -> None:
    assert found(text), text
    for secret in secrets or []:
        assert covered(text, secret), (secret, text)


@pytest.mark.parametrize(
    "text",
    [
        # Google keys in a client configuration: Firebase web config, google-services.json,
        # GoogleService-Info.plist, FlutterFire, an Android manifest, the Maps JS loader,
        # Expo's app config and variables inlined into browser bundles
        (
            f'const firebaseConfig = {{\n  apiKey: "{GOOGLE}",\n  authDomain: "app-1.firebaseapp'
            '.com",\n  projectId: "app-1",\n  messagingSenderId: "1234"\n};'
        ),
        f'{{"client": [{{"api_key": [{{ "current_key": "{GOOGLE}" }}]}}]}}',
        (
            '<plist version="1.0">\n<dict>\n\t<key>API_KEY</key>\n'
            f"\t<string>{GOOGLE}</string>\n\t<key>GCM_SENDER_ID</key>\n\t<string>1</string>"
        ),
        f"FirebaseOptions(\n    apiKey: '{GOOGLE}',\n    appId: '1:2:android:3',\n)",
        f'<meta-data android:name="com.google.android.geo.API_KEY" android:value="{GOOGLE}" />',
        f'<script src="https://maps.googleapis.com/maps/api/js?key={GOOGLE}&callback=init">',
        f'"ios": {{ "config": {{ "googleMapsApiKey": "{GOOGLE}" }} }}',
        f"NEXT_PUBLIC_FIREBASE_API_KEY={GOOGLE}",
        # keys made to ship: Supabase's anon key, the CLI's demo keys, PostHog, RevenueCat's
        # SDK keys, Paddle's client-side tokens, Adyen's client keys, Facebook's client token
        f"NEXT_PUBLIC_SUPABASE_ANON_KEY={ANON}",
        f"createClient('https://x.supabase.co', '{ANON}')",
        f"SUPABASE_SERVICE_ROLE_KEY={DEMO}",
        f"VITE_POSTHOG_KEY=phc_{rnd(43)}",
        f"# the app ships only its public SDK key: appl_{rnd(27)}",
        f'Paddle.Initialize({{ token: "live_{rnd(27, HEX)}" }});',
        f"clientKey: 'live_{rnd(32, string.ascii_uppercase + string.digits)}',",
        f'<meta-data android:name="com.facebook.sdk.ClientToken" android:value="{HEX32}" />',
        f'<script>\n  analytics._writeKey="{rnd(32)}";analytics.load("x");\n</script>',
        f"VITE_ALGOLIA_SEARCH_KEY={HEX32}",
        # identifiers: an address, a purchase's app account token, a transaction hash
        json.dumps({"contracts": {"Token": "0x" + rnd(40, HEX + "ABCDEF")}}),
        json.dumps({"appAccountToken": "0f8fad5b-d9cb-469f-a165-70867728950e"}),
        f'deployTx: "0x{KEY64}"',
        f"bytes32 public constant MINTER_ROLE = 0x{KEY64};",
        # published development keys and phrases, and the Android debug keystore's password
        f'accounts: ["0x{HARDHAT_0}"]',
        f"PRIVATE_KEY=0x{HARDHAT_0}",
        'MNEMONIC="test test test test test test test test test test test junk"',
        "mnemonic: abandon abandon abandon abandon abandon abandon abandon abandon abandon "
        "abandon abandon about",
        "keytool -list -keystore ~/.android/debug.keystore -storepass android -keypass android",
        "signingConfigs {\n  debug {\n    storeFile file('debug.keystore')\n"
        "    storePassword 'android'\n    keyAlias 'androiddebugkey'\n  }\n}",
        "DB URL: postgresql://postgres:postgres@127.0.0.1:54322/postgres",
        # Stripe's documentation keys
        "const stripe = require('stripe')('sk_test_BQokikJOvBiI2HlWgH4olfQ2');",
        # minisign's public key and signatures (their comments say so)
        f'"pubkey": "{MINISIGN_PUBLIC}"',
        f'"signature": "{MINISIGN_SIGNATURE}"',
        # an instruction's mnemonic, prose of common words, a file that is not a secret's
        '{"mnemonic": "vpbroadcastd", "operands": 2}',
        "seed phrase tips: the words are shown once and never again so write them down",
        "$ cat README.md\nRun make to build\n",
        "$ cat id.json\n" + json.dumps({"name": "x"}) + "\n",
    ],
)
def test_frontend_and_web3_near_twins_are_not_flagged(text: str) -> None:
    assert find_secrets(text) == [], [(f.kind, text[f.start : f.end]) for f in find_secrets(text)]


def test_android_debug_password_is_a_secret_away_from_the_debug_keystore() -> None:
    text = "keytool -list -keystore release.jks -storepass android"
    assert found(text) == ["android"]


def test_bip39_word_list_is_the_standard_one() -> None:
    import hashlib

    words = sorted(tokentable.load_bip39())
    assert len(words) == 2048
    digest = hashlib.sha256(("\n".join(words) + "\n").encode()).hexdigest()
    assert digest == "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"


def test_a_published_near_entry_without_words_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "t.toml"
    source.write_text('[[published]]\nvendor = "x"\nwhy = "y"\nvalues = ["a"]\nnear = []\n')
    with pytest.raises(ValueError, match="near"):
        tokentable.load_published_near(source, tmp_path / "missing.json")
