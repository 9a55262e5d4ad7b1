"""Round 16, second round: enterprise stores the catalogue lacked (blind paths probe 11).

Each store comes with a neighbour that stays safe."""

from __future__ import annotations

import pytest

from gitgate import check_path, is_exportable


@pytest.mark.parametrize(
    "path",
    [
        "src/Contoso.LegacyWeb/AppSettingsSecrets.config",
        "src/main/resources/azureauth.properties",
        "security/fips-keystore.bcfks",
        "vault/VAULT.dat",
        "wp-config-local.php",
        "wp-config-production.php",
        "scripts/creds/sqlsvc.cred.xml",
        "creds.clixml",
        "secure/credential.xml",
        "AppData/Roaming/Microsoft/Crypto/RSA/S-1-5-21-1-2-3-1001/7a3f0e2b_8f1e2d3c",
        "ProgramData/Microsoft/Crypto/RSA/MachineKeys/6d7f1e2a_8f1e2d3c",
        "AppData/Roaming/Microsoft/Crypto/Keys/de7cf8a7901d2ad13e5c67c29e5d1662_x",
    ],
)
def test_enterprise_stores_are_refused_and_not_exported(path: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert not is_exportable(path), path


@pytest.mark.parametrize(
    "path",
    [
        "wp-config-sample.php",
        "src/Contoso.Web/Web.config",
        "src/main/resources/application.properties",
        "docs/credential-rotation.md",
        "certs/codesign.cer",
        "src/Crypto/RSA/RsaSigner.cs",
    ],
)
def test_their_neighbours_stay_safe(path: str) -> None:
    assert check_path(path).safe, check_path(path).reason
    assert is_exportable(path)
