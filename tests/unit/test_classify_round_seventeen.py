"""Seventeenth session: tools whose repository configuration runs code (cargo's rustc wrapper,
Poetry's project plugins, Composer's plugins), decompressors and archive listings, and the
version queries of more system tools.

Each read-only form comes with the forms of it that are not."""

from __future__ import annotations

import pytest

from gitgate import classify_command


def _decision(command: str) -> str:
    return classify_command(command).decision


# -- repository configuration that runs code -------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        # cargo resolves the graph with the rustc (or wrapper) .cargo/config.toml names
        "cargo tree",
        "cargo tree -d | head -40",
        "cargo tree -i serde -e features",
        "cargo metadata --format-version 1 | jq '.packages | length'",
        # Poetry 2 starts the plugins under the project's .poetry/plugins for any command
        "poetry --version",
        "poetry show --tree",
        "poetry check --lock",
        "poetry env info --path",
        # Composer runs the plugins installed under vendor/
        "composer --version",
        "composer show --locked --direct",
    ],
)
def test_tools_that_run_the_repositorys_configured_programs_need_a_human(command: str) -> None:
    assert _decision(command) == "approve"


@pytest.mark.parametrize(
    "command",
    [
        "cargo metadata --no-deps --format-version 1 | jq -r '.packages[].name'",
        "cargo metadata --format-version 1 --no-deps",
        "cargo locate-project --workspace",
        "cargo read-manifest",
        "cargo verify-project",
        "cargo --version",
        "poetry --no-plugins show --tree",
        "poetry show pydantic --no-plugins",
        "poetry --no-plugins --version",
        "composer show --no-plugins --locked --direct",
        "composer validate --no-plugins --no-check-publish",
        "composer licenses --no-plugins",
    ],
)
def test_the_same_tools_without_the_code_they_would_load_are_allowed(command: str) -> None:
    assert _decision(command) == "allow"


@pytest.mark.parametrize(
    "command",
    [
        "cargo metadata --no-deps --manifest-path ../other/Cargo.toml",
        "poetry --no-plugins run pytest",
        "poetry --no-plugins install",
        "composer install --no-plugins",
        "composer --no-plugins update",
        "cargo locate-project --workspace && cargo build",
    ],
)
def test_switching_plugins_off_does_not_make_a_change_read_only(command: str) -> None:
    assert _decision(command) != "allow"


# -- decompressors and archive listings ------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "xzcat logs/old.log.xz | grep -c ERROR",
        "bzcat logs/app.log.bz2 | head -50",
        "zstdcat logs/app.log.zst | tail -n 20",
        "lz4cat data/dump.lz4 | head -c 100",
        "zstd -dc logs/app.log.zst | tail -n 50",
        "zstd -l dist/bundle.tar.zst",
        "zstd -t dist/bundle.tar.zst",
        "xz -l dist/app.tar.xz",
        "xz -dc dist/app.tar.xz | tar -t",
        "bzip2 -t data/dump.bz2",
        "bzip2 -dc data/dump.bz2 | head",
        "lz4 -dc data/dump.lz4 | head -c 1000",
        "brotli -dc public/app.js.br | head -c 500",
        "cabextract -l vendor/driver.cab",
        "ar t build/libfoo.a",
        "ar tv build/libfoo.a",
        "rpm2cpio vendor/agent-1.0.rpm | cpio -t",
        "cpio -it < initramfs.cpio",
        "dpkg-deb -c dist/tool_1.2.3_amd64.deb",
        "dpkg-deb --info dist/tool_1.2.3_amd64.deb",
        "dpkg-deb --ctrl-tarfile dist/tool_1.2.3_amd64.deb | tar -t",
    ],
)
def test_reading_compressed_files_of_the_repository_is_allowed(command: str) -> None:
    assert _decision(command) == "allow"


@pytest.mark.parametrize(
    "command",
    [
        "xz -d dist/app.tar.xz",
        "xz dist/app.tar",
        "zstd -d logs/app.log.zst",
        "zstd -dc logs/app.log.zst -o out.log",
        "zstd -dc --rm logs/app.log.zst",
        "bzip2 -d data/dump.bz2",
        "lz4 -d data/dump.lz4 out.bin",
        "brotli -d public/app.js.br",
        "cabextract vendor/driver.cab",
        "ar x build/libfoo.a",
        "ar rcs build/libfoo.a foo.o",
        "cpio -i < initramfs.cpio",
        "cpio -id < initramfs.cpio",
        "cpio -o > out.cpio",
        "dpkg-deb -x dist/tool.deb out/",
        "dpkg-deb -R dist/tool.deb out/",
        "dpkg-deb --build pkg/",
        "xzcat /var/log/syslog.2.xz",
    ],
)
def test_decompressing_to_files_or_reading_outside_is_not_allowed(command: str) -> None:
    assert _decision(command) != "allow"


@pytest.mark.parametrize(
    "command",
    [
        "xzcat .env.xz",
        "bzcat secrets/.env.bz2",
        "zstdcat id_rsa.zst",
        "xz -dc credentials.json.xz",
        "ar p build/keys.a server.key",
        "xzcat backups/kaggle.json.xz",
        "zstd -dc service-account.json.zst",
    ],
)
def test_decompressing_a_credential_store_is_denied(command: str) -> None:
    assert _decision(command) == "deny"


# -- version queries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "tofu version",
        "terragrunt --version",
        "tflint --version",
        "opa version",
        "pre-commit --version",
        "shellcheck --version",
        "ffmpeg -version",
        "dot -V",
        "pandoc --version",
        "rclone version",
        "just --version",
        "pyenv --version",
        "rbenv --version",
        "hyperfine --version",
        "rclone sync --help",
    ],
)
def test_version_and_usage_queries_of_system_tools_are_allowed(command: str) -> None:
    assert _decision(command) == "allow"


@pytest.mark.parametrize(
    "command",
    [
        # the words after a recipe, a launcher's program or a manager's exec go to a program
        "just build --help",
        "hyperfine 'make' --help",
        "pyenv exec python --help",
        "rbenv exec bundle --help",
        "strace ls --help",
        # not the version query itself
        "rclone version --check",
        "tofu apply",
        "terragrunt run-all apply",
        "pre-commit run --all-files",
        # tools whose version query reads the project's configuration or reaches the network
        "mvn --version",
        "bazel --version",
    ],
)
def test_forms_next_to_version_queries_are_not_allowed(command: str) -> None:
    assert _decision(command) != "allow"
