"""Round 17: credential stores of desktop, embedded, IoT, firmware and game-development
repositories and of app signing (blind paths probe 13).

Each class is a catalogue entry: firmware key material (ESP-IDF's raw keys and
esp_secure_cert, keys in DER and as text, NXP HAB/SB key-encryption keys, STM32 SBSFU keys,
Xilinx and Intel FPGA key files, Matter factory data), source files that by their SDK's
convention hold a device's credentials (secrets.h, credentials.h, a CircuitPython board's
secrets.py,
FreeRTOS' and Azure IoT's headers, LoRaWAN keys, Tasmota and WLED overrides), signing-key
passwords (CST's key_pass.txt, OpenSSL pass files, keystore passwords), game engines' and
stores' keys and logins (Unreal's crypto keys, Steam, Godot, PlayFab, snapcraft, Perforce,
Plastic, OBS, Copr, packagecloud), and the stores of embedded Linux images and home and maker
devices (overlay shadow files, Raspberry Pi's userconf.txt, Home Assistant's .storage,
Node-RED, OctoPrint, Moonraker, Zigbee2MQTT, Mosquitto, Tailscale, OpenWrt, ConnMan, Azure
IoT Edge). Public halves, certificates and verification keys under the names their tools give
them are shared (imgtool's *_pub.pem, AOSP's *.x509.pem, NXP CST's crts/, AWS IoT's root CA),
and keymaps, key bindings, keyframes and code named after keys stay ordinary files.
"""

from __future__ import annotations

import pytest

from gitgate import check_path, is_exportable
from gitgate.safety.pathpolicy import catalogue_entry, is_sensitive_name

# (path, the catalogue entry whose pattern refuses it)
REFUSED = [
    # firmware key material
    ("fw/keys/nvs_key_partition.bin", "firmware-key-material"),
    ("provisioning/out/hmac_key_0.bin", "firmware-key-material"),
    ("factory/ds_key_block2.bin", "firmware-key-material"),
    ("fw/build-out/esp_secure_cert_partition.bin", "firmware-key-material"),
    ("tools/esp_secure_cert_data/esp_secure_cert.bin", "firmware-key-material"),
    ("imx8/cst/keys/SRK3_sha256_4096_65537_v3_ca_key.der", "firmware-key-material"),
    ("nrf/dac_key.der", "firmware-key-material"),
    ("efr32/app-encrypt-key.txt", "firmware-key-material"),
    ("imx/encrypted/dek.bin", "firmware-key-material"),
    ("lpc55/keys/sbkek.bin", "firmware-key-material"),
    ("rt1170/keys/otpmk.bin", "firmware-key-material"),
    ("psoc/keys/user_kek.txt", "firmware-key-material"),
    ("stm32wb/Binary/ECCKEY.txt", "firmware-key-material"),
    ("stm32l4/Binary/OEM_KEY_COMPANY1_key_AES_GCM.bin", "firmware-key-material"),
    ("zynqmp/bootgen/efuse.nky", "firmware-key-material"),
    ("agilex/keys/aes_root.ekp", "firmware-key-material"),
    ("nrf/factory_data.hex", "firmware-key-material"),
    ("esp32/nvs_factory_data.bin", "firmware-key-material"),
    # sources that hold a device's credentials
    ("sketch/include/secrets.h", "device-credential-sources"),
    ("circuitpython-projects/clock/secrets.py", "device-credential-sources"),
    ("micropython/pico-w/secrets.py", "device-credential-sources"),
    ("src/config/credentials.h", "device-credential-sources"),
    ("firmware/wifi_secrets.h", "device-credential-sources"),
    ("freertos/aws_clientcredential.h", "device-credential-sources"),
    ("azure-sdk/iot_configs.h", "device-credential-sources"),
    ("ttn-node/include/lorawan_keys.h", "device-credential-sources"),
    ("pelion/mbed_cloud_dev_credentials.c", "device-credential-sources"),
    ("tasmota/user_config_override.h", "device-credential-sources"),
    ("wled00/my_config.h", "device-credential-sources"),
    # passwords of signing keys
    ("cst/keys/key_pass.txt", "signing-key-passwords"),
    ("release/keystore.pass.txt", "signing-key-passwords"),
    ("android/app/upload_storepass", "signing-key-passwords"),
    ("swupdate/keys/passout", "signing-key-passwords"),
    ("swupdate/keys/passin.txt", "signing-key-passwords"),
    # game engines, game stores, app stores
    ("Racer/Config/DefaultCrypto.ini", "game-and-store-credentials"),
    ("Racer/Saved/Cooked/Windows/Racer/Metadata/Crypto.json", "game-and-store-credentials"),
    ("Racer/Tools/CryptoKeys/Crypto.json", "game-and-store-credentials"),
    ("steamcmd/config/config.vdf", "game-and-store-credentials"),
    ("sda/maFiles/manifest.json", "game-and-store-credentials"),
    ("Game/export.gdkey", "game-and-store-credentials"),
    ("Assets/Resources/PlayFabSharedSettings.asset", "game-and-store-credentials"),
    ("ci/snapcraft-store-login", "game-and-store-credentials"),
    ("home/.config/snapcraft/snapcraft.cfg", "game-and-store-credentials"),
    ("home/p4tickets.txt", "game-and-store-credentials"),
    ("home/.plastic4/client.conf", "game-and-store-credentials"),
    ("home/.oscrc", "game-and-store-credentials"),
    ("home/.config/copr", "game-and-store-credentials"),
    ("home/.packagecloud", "game-and-store-credentials"),
    # embedded Linux images, home and maker devices
    ("yocto/meta-x/recipes-core/base-files/files/shadow", "device-and-home-automation-stores"),
    ("rpi/boot/userconf.txt", "device-and-home-automation-stores"),
    ("home/.platformio/appstate.json", "device-and-home-automation-stores"),
    ("home/.particle/particle.config.json", "device-and-home-automation-stores"),
    ("ha/.storage/auth_provider.homeassistant", "device-and-home-automation-stores"),
    ("ha/.storage/core.config_entries", "device-and-home-automation-stores"),
    ("ha/.cloud/production_auth.json", "device-and-home-automation-stores"),
    ("nodered/data/flows_gateway_cred.json", "device-and-home-automation-stores"),
    ("nodered/data/.config.runtime.json", "device-and-home-automation-stores"),
    ("nodered/data/.sessions.json", "device-and-home-automation-stores"),
    ("home/.octoprint/users.yaml", "device-and-home-automation-stores"),
    ("printer_data/config/moonraker.secrets", "device-and-home-automation-stores"),
    ("z2m/coordinator_backup.json", "device-and-home-automation-stores"),
    ("broker/mosquitto/pwfile", "device-and-home-automation-stores"),
    ("robot/tailscale_authkey", "device-and-home-automation-stores"),
    ("tuya/tinytuya.json", "device-and-home-automation-stores"),
    ("openhab/userdata/jsondb/users.json", "device-and-home-automation-stores"),
    ("openwrt/files/etc/config/wireless", "device-and-home-automation-stores"),
    (
        "rootfs/var/lib/connman/wifi_abc_managed_psk/settings",
        "device-and-home-automation-stores",
    ),
    ("edge/etc/aziot/config.toml", "device-and-home-automation-stores"),
    ("edge/etc/iotedge/config.yaml", "device-and-home-automation-stores"),
]

# Copies, archives, encodings, case, look-alike letters and editor files of the same stores.
SPELLINGS = [
    "sketch/include/Secrets.H",
    "sketch/include/secrets.h.bak",
    "sketch/include/.secrets.h.swp",
    "#secrets.h#",
    "sketch/include/secrets.h.",
    "Racer/Config/DEFAULTCRYPTO.INI",
    "Racer/Config/DefaultCrypto.ini~",
    "fw/keys/nvs_key_partition.bin.gz",
    "Game/export.gdkey.zip",
    "android/release.jks.b64",
    "android/app/upload.keystore.base64",
    "sda/maFiles.tar.gz",  # an archive of the maFiles directory
    "tools/esp_secure_cert_data.zip",
    # look-alike letters (Cyrillic е and і)
    "sketch/include/sеcrets.h",
    "Racer/Config/DefaultCrypto.іni",
    # non-canonical spellings stay refused whatever the name
    "./sketch/include/secrets.h",
    "sketch\\include\\secrets.h",
]

# Neighbours that stay shared: public halves, certificates and verification keys under their
# tools' names, templates and samples, code named after keys, keymaps and key bindings.
SHARED = [
    "keys/signature_verification_key.bin",
    "keys/rotpk_hash.bin",
    "keys/avb_pkmd_pub.bin",
    "keys/ecdsa_pub_key.bin",
    "keys/public-key.txt",
    "cst/crts/IMG1_1_sha256_2048_65537_v3_usr_crt.pem",
    "cst/keys/serial",
    "cst/keys/hab4_pki_tree.sh",
    "imgtool/keys/root-ec-p256_pub.pem",
    "boot/keys/enc-ec256-pub.pem",
    "ota/keys/ota-pubkey.pem",
    "mender/keys/artifact-verify-key.pem",
    "aosp/target/product/security/platform.x509.pem",
    "aosp/target/product/security/testkey.x509.pem",
    "linux/certs/signing_key.x509",
    "linux/certs/x509.genkey",
    "certs/AmazonRootCA1.pem",
    "certs/0a1b2c-public.pem.key",
    "dds/certs/maincacert.pem",
    "firmware/platformio.ini",
    "include/secrets.h.example",
    "include/secrets.sample.h",
    "include/credentials_template.h",
    "src/wifi/credentials_manager.c",
    "src/wifi/credentials_manager.h",
    "third_party/grpc/include/grpcpp/security/credentials.h",
    "grpc/src/core/lib/security/credentials/credentials.h",
    "cpython/Lib/secrets.py",
    "docker/models/secrets.py",  # a module of code: only a board's secrets.py is refused
    "lorawan-keys_example.h",
    "tasmota/user_config_override_sample.h",
    "wled00/my_config_sample.h",
    "scripts/keystore_pass.sh",
    "docs/keystore-passwords.md",
    "Config/DefaultEngine.ini",
    "Config/DefaultInput.ini",
    "Content/Paks/Game-Windows.pak",
    "steam/app_build_480.vdf",
    "steam_appid.txt",
    "project.godot",
    "export_presets.cfg",
    "Assets/Resources/PhotonServerSettings.asset",
    "snap/snapcraft.yaml",
    ".snapcraft/travis_snapcraft.cfg",
    "scripts/snapcraft_login_helper.py",
    "board/overlay/etc/passwd",
    "src/render/shadow.cpp",
    "homeassistant/configuration.yaml",
    ".storage/lovelace",
    "node-red/flows.json",
    "node-red/settings.js",
    "printer_data/config/printer.cfg",
    "zigbee2mqtt/data/configuration.yaml",
    "mosquitto/config/mosquitto.conf",
    "openwrt/files/etc/config/network",
    "keyboards/planck/keymaps/default/keymap.c",
    "config/keymap.json",
    "config/keys.ini",
    "game/config/key_bindings.cfg",
    "assets/anim/door_keyframes.json",
]

# What the narrower rules must not let through: the private halves beside shared public ones.
STILL_REFUSED = [
    "dds/certs/mainpubkey.pem",  # Fast DDS: the main *publisher's* private key
    "dds/certs/mainsubkey.pem",
    "ota/keys/ota_privkey.pem",
    "aosp/target/product/security/platform.pk8",
    "cst/keys/SRK1_sha256_4096_65537_v3_ca_key.pem",
    "linux/certs/signing_key.pem",
    "keys/firmware_signing_key.bin",
    "certs/0a1b2c-private.pem.key",
    "firmware/include/credentials.h",
    "mender/keys/private.key",
]


@pytest.mark.parametrize(("path", "entry"), REFUSED)
def test_device_and_signing_stores_are_refused_and_not_exported(path: str, entry: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert verdict.reason.startswith("sensitive file ("), verdict.reason
    assert not is_exportable(path), path
    rule = is_sensitive_name(path)
    found = catalogue_entry(rule) if rule is not None else None
    assert found is not None and found.name == entry, (path, rule)
    assert is_sensitive_name("~/" + path) is not None


@pytest.mark.parametrize("path", SPELLINGS)
def test_other_spellings_of_the_stores_are_refused(path: str) -> None:
    assert not check_path(path).safe, path
    assert not is_exportable(path), path


@pytest.mark.parametrize("path", SHARED)
def test_neighbours_are_shared(path: str) -> None:
    verdict = check_path(path)
    assert verdict.safe, (path, verdict.reason)
    assert is_exportable(path), path
    assert is_sensitive_name(path) is None, path


@pytest.mark.parametrize("path", STILL_REFUSED)
def test_narrower_rules_let_no_key_through(path: str) -> None:
    assert not check_path(path).safe, path
    assert not is_exportable(path), path
