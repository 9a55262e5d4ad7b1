"""Classes of secret stores a tenth independent probe (dotfiles repositories) found accepted.

Round 16: chezmoi, yadm, stow, bare-repository dotfiles and home-manager trees. Three kinds of
class:

* names a dotfile manager gives a file (chezmoi's ``private_dot_ssh/encrypted_private_id_rsa.age``,
  yadm's ``.aws/credentials##class.Work``): judged as spelt and as the file they install
  (``[sources]`` in the catalogue, :func:`pathpolicy._installed_path`);
* look-alike spellings of ``.git`` beyond the Cyrillic and full-width ones (``.gİt``, small
  capitals): :func:`gitgate.safety.lookalike.fold` reads them as ASCII;
* stores of a home directory the catalogue lacked (cookie jars and session stores, local
  vaults, REPL and session histories, Ansible Vault files, age identities, signify keys,
  yadm's archive, Subversion's caches, git's credential-cache socket, XDG mail configurations,
  stream keys): catalogue entries, tested on cousins of the probe's rows.

The safe paths are the ordinary neighbours a dotfiles repository is made of; the
configuration files the same round shared (``.azure/config``, ``.aws/cli/alias``...) are
checked next to the ones kept refused on purpose (docs/SENSITIVE.md, round 16).
"""

from __future__ import annotations

import pytest

from gitgate import check_path, is_exportable
from gitgate.safety.lookalike import fold, lookalike_problem
from gitgate.safety.pathpolicy import catalogue_entry, export_exclusion_reason, is_sensitive_name


def entry_of(path: str) -> str | None:
    """The catalogue entry whose pattern refuses ``path`` (through any reading of it)."""
    rule = is_sensitive_name(path)
    if rule is None:
        return None
    found = catalogue_entry(rule.split(", ", 1)[0])
    return found.name if found is not None else None


def assert_refused(path: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert not is_exportable(path), path


def assert_shared(path: str) -> None:
    verdict = check_path(path)
    assert verdict.safe, (path, verdict.reason)
    assert is_exportable(path), (path, export_exclusion_reason(path))
    assert is_sensitive_name(path) is None, path


# --------------------------------------------------------------------------------------------
# Dotfile managers' source names
# --------------------------------------------------------------------------------------------

# (source path, the catalogue entry of the file it installs): names no pattern refuses as
# spelt, so the entry is the installed file's
SOURCE_NAMES = [
    # chezmoi: dot_, attribute prefixes in any order, in every component
    ("dot_gitcookies", "git-credentials"),
    ("private_dot_pgpass", "postgresql"),
    ("readonly_private_dot_my.cnf", "mysql"),
    ("dot_config/private_rclone/private_rclone.conf", "rclone"),
    ("private_dot_aws/private_sso/cache/0a1b2c.json", "aws"),
    ("private_dot_kube/private_config", "kubeconfig"),
    ("private_dot_docker/private_config.json", "docker"),
    ("dot_terraform.d/private_credentials.tfrc.json", "terraform-credentials"),
    ("private_dot_gnupg/pubring.kbx", "gnupg"),
    ("dot_local/share/private_keyrings/login.keyring", "os-keyrings"),
    ("private_dot_config/private_hub", "forge-clis"),
    ("dot_zhistory", "shell-history"),
    ("exact_private_dot_password-store/email/work.gpg", "password-manager-databases"),
    ("home/dot_vault_pass.txt", "secret-managers"),
    ("modify_private_dot_netrc", "netrc"),
    ("create_private_dot_npmrc", "package-registry-rc"),
    ("symlink_dot_env", "dotenv"),
    # encrypted copies: .age and .asc are copy suffixes, whatever the prefixes
    ("encrypted_private_dot_pypirc.age", "package-registry-rc"),
    ("private_dot_ssh/encrypted_private_id_ecdsa.age", "ssh-private-keys"),
    ("private_dot_config/gh/encrypted_hosts.yml.asc", "forge-clis"),
    ("dot_local/share/encrypted_private_atuin/key.age", "shell-history"),
    # under a chezmoi source directory kept in the tree, or a stow package
    (".local/share/chezmoi/dot_s3cfg", "aws"),
    ("chezmoi/dot_kube/private_config", "kubeconfig"),
    # upper case and full-width spellings of the prefixes read the same
    ("DOT_pgpass", "postgresql"),
    ("Private_Dot_Netrc", "netrc"),
    ("\uff44\uff4f\uff54_netrc", "netrc"),
    # yadm alternates: "##condition" cut from any component
    (".pgpass##class.Work", "postgresql"),
    (".ssh/id_rsa##hostname.laptop", "ssh-private-keys"),
    (".config/gcloud##os.Linux/credentials.db", "gcloud"),
    (".docker/config.json##template", "docker"),
    (".kube/config##os.Darwin,arch.arm64", "kubeconfig"),
    # both at once (a chezmoi tree copied into a yadm one)
    ("private_dot_netrc##os.Linux", "netrc"),
]


@pytest.mark.parametrize(("path", "entry"), SOURCE_NAMES, ids=[p for p, _ in SOURCE_NAMES])
def test_source_names_are_judged_as_the_file_they_install(path: str, entry: str) -> None:
    assert_refused(path)
    assert entry_of(path) == entry, (path, is_sensitive_name(path))
    # the command classifier asks about them outside the repository too
    assert is_sensitive_name("~/.local/share/chezmoi/" + path) is not None


def test_the_reason_names_the_installed_file() -> None:
    verdict = check_path("private_dot_config/private_gh/private_hosts.yml")
    assert verdict.reason == (
        "sensitive file (gh/hosts.yml, as the dotfile '.config/gh/hosts.yml' this source name "
        "installs): may hold secrets"
    )
    assert export_exclusion_reason(".android/adbkey##class.Work") == (
        "sensitive file (/adbkey, as the dotfile '.android/adbkey' this source name installs)"
    )


@pytest.mark.parametrize(
    "path",
    [
        "dot_git/hooks/pre-commit",  # chezmoi installs it into a .git directory
        "private_dot_git/config",
        "dot_g\u0130t/config",  # and read as people read it
        ".git##os.Linux/hooks/post-checkout",
        "dot_./x",  # installs "../x"
        "dot_../x",
    ],
)
def test_source_names_of_hostile_paths_are_refused(path: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert "the file this dotfile source name installs" in verdict.reason, verdict.reason
    assert not is_exportable(path)


@pytest.mark.parametrize(
    "path",
    [
        "dot_bashrc",
        "dot_zshrc.tmpl",
        "private_dot_config/nvim/init.lua",
        "exact_dot_config/exact_nvim/lua/plugins/lsp.lua",
        "dot_config/private_fish/config.fish",
        "dot_local/bin/executable_git-credential-helper",
        "symlink_dot_tmux.conf.tmpl",
        "run_once_before_10-install-packages.sh.tmpl",
        ".chezmoiscripts/run_onchange_after_dconf.sh",
        "dot_config/Code/User/modify_settings.json",
        "empty_dot_hushlogin",
        "literal_run_me.md",
        "literal_dot_netrc",  # chezmoi installs it as "dot_netrc": no netrc
        "remove_dot_old-tool",
        "private_dot_ssh/id_ecdsa.pub",
        "private_dot_ssh/private_id_ecdsa.pub.tmpl",  # a template of a public key
        "private_dot_ssh/config.d/work.tmpl",  # templates are judged as templates
        "private_dot_aws/credentials.tmpl",
        "dot_docker/config.json.tmpl",
        "dot_config/chezmoi/chezmoi.toml.tmpl",
        ".gitconfig##template",
        ".config/alacritty/alacritty.toml##os.Darwin",
        ".config/yadm/alt/.zshrc##class.Work",
        "##notes.md",  # a marker with nothing before it is a name
        "bash/.bashrc",
        "nvim/.config/nvim/init.lua",
        "src/dot_product.rs",
        "docs/private_notes.md",
    ],
)
def test_ordinary_source_names_stay_shared(path: str) -> None:
    assert_shared(path)


@pytest.mark.parametrize(
    "path",
    [
        "private_key",  # the spelt name is judged too: vagrant's key
        "private_dot_ssh/private_id_ed25519.tmpl",  # a template of a key is refused
        "private_dot_ssh/encrypted_private_id_ed25519",
        "dot_netrc.tmpl",  # netrc shares .example/.sample/.template, not .tmpl
        "private_dot_gnupg/private_gpg-agent.conf",  # .gnupg/ whole, as for .gnupg/gpg-agent.conf
        ".ssh/config##os.Darwin",  # .ssh/config stays refused
    ],
)
def test_source_names_keep_the_catalogue_choices(path: str) -> None:
    assert_refused(path)


# --------------------------------------------------------------------------------------------
# Look-alike spellings of .git
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        ".g\u0130t",  # capital I with a dot above (Turkish)
        ".\u0262\u026a\u1d1b",  # small capitals G, I, T
        ".\u0262it",
        ".gi\u1d1b",
        ".g\u026at",
        ".\u0260it",  # g with hook
        ".gi\u0288",  # t with retroflex hook
        ".g\u00edt",  # i with acute
        ".gi\u0163",  # t with cedilla
        ".gi\u0074\u0307",  # t with a combining dot (NFD)
        ".\u0120\u0130\u0162",  # capitals with marks
        ".g\ua7aet",  # capital letter small capital I
        ".\u0262\u026a\u1d1b\u00b7",  # and the trailing dot read as one
    ],
)
def test_look_alike_spellings_of_dotgit_are_refused(name: str) -> None:
    for path in (f"{name}/config", f"{name}/hooks/pre-commit", f"sub/{name}/HEAD"):
        verdict = check_path(path)
        assert not verdict.safe, path
        assert "git's own directory" in verdict.reason, verdict.reason
        assert not is_exportable(path)


@pytest.mark.parametrize(
    ("text", "read_as"),
    [
        (".g\u0130t", ".gIt"),
        (".\u0262\u026a\u1d1b", ".git"),
        ("\u0280\u1d0d -\u0280\ua730", "rm -rf"),  # small capitals read lower-case
        ("caf\u00e9", "cafe"),
        ("cafe\u0301", "cafe"),
        ("\u0260\u0288", "gt"),
        ("\u0237q", "jq"),  # dotless j
        ("\u65e5\u672c", "\u65e5\u672c"),  # letters with no ASCII twin read as themselves
        ("\u00df", "\u00df"),
    ],
)
def test_fold_reads_latin_variants_as_ascii(text: str, read_as: str) -> None:
    assert fold(text) == read_as


def test_fold_does_not_change_what_counts_as_a_look_alike() -> None:
    # Accented letters are ordinary text for the classifier; small capitals are not.
    assert lookalike_problem("caf\u00e9 r\u00e9sum\u00e9") is None
    assert lookalike_problem(".g\u0130t") is None
    assert lookalike_problem(".\u0262\u026a\u1d1b") is not None


def test_marks_are_read_as_the_letter_they_sit_on() -> None:
    # The reading is the same for every rule: an export leaves "B\u00fcild/" out as build
    # output, as it leaves out a Cyrillic-spelt "bu\u0456ld/".
    for path in ("a/B\u00fcild/x", "a/Bu\u0308ild/x", "a/bu\u0456ld/x"):
        assert export_exclusion_reason(path) == (
            "build output (build/), spelt with look-alike letters"
        ), path
    assert check_path(".\u00e9nv").reason == (
        "sensitive file (.env, spelt with look-alike letters): may hold secrets"
    )


@pytest.mark.parametrize(
    "path",
    [
        ".config/espanso/match/fran\u00e7ais.yml",
        ".config/espanso/match/franc\u0327ais.yml",  # NFD
        "Documents/R\u00e9sum\u00e9.md",
        ".ssh/cl\u00e9_serveur.pub",
        ".config/fish/functions/u\u0308bersetze.fish",
        ".gitignore",
        ".github/workflows/ci.yml",
        ".gitkeep",
        ".g\u00eftignore",  # reads .gitignore: no rule
        "\u00e9git/README.md",
    ],
)
def test_accented_names_stay_shared(path: str) -> None:
    assert_shared(path)


# --------------------------------------------------------------------------------------------
# Stores of a home directory
# --------------------------------------------------------------------------------------------

# (path, the catalogue entry whose pattern refuses it); cousins of the probe's rows
STORES = [
    # git's credential-cache daemon
    (".git-credential-cache/socket", "git-credentials"),
    ("home/.cache/git/credential/socket", "git-credentials"),
    # mail clients' XDG configurations
    (".config/msmtp/config", "mail-clients"),
    (".config/mpop/config", "mail-clients"),
    (".config/isyncrc", "mail-clients"),
    (".config/fetchmail/fetchmailrc", "mail-clients"),
    (".config/offlineimap/config", "mail-clients"),
    (".config/himalaya/config.toml", "mail-clients"),
    # browsers' session stores, account tokens, logins backups, journals; cookie jars
    (".librewolf/x1y2.default/logins-backup.json", "browser-sessions-and-cookie-jars"),
    (".thunderbird/p.default/signedInUser.json", "browser-sessions-and-cookie-jars"),
    (
        ".mozilla/firefox/p.dev-edition-default/sessionstore.jsonlz4",
        "browser-sessions-and-cookie-jars",
    ),
    (
        ".mozilla/firefox/p.default/sessionstore-backups/recovery.jsonlz4",
        "browser-sessions-and-cookie-jars",
    ),
    (".mozilla/firefox/p.default/webappsstore.sqlite", "browser-sessions-and-cookie-jars"),
    (".mozilla/firefox/p.default/cookies.sqlite-wal", "browser-sessions-and-cookie-jars"),
    (
        ".config/BraveSoftware/Brave-Browser/Default/Cookies-journal",
        "browser-sessions-and-cookie-jars",
    ),
    (".config/microsoft-edge/Default/Login Data-journal", "browser-sessions-and-cookie-jars"),
    (".config/falkon/profiles/default/browsedata.db", "browser-sessions-and-cookie-jars"),
    (".w3m/passwd", "browser-sessions-and-cookie-jars"),
    (".config/w3m/cookie", "browser-sessions-and-cookie-jars"),
    ("home/alice/.lynx_cookies", "browser-sessions-and-cookie-jars"),
    # local vaults and secure storage
    (
        "Library/Group Containers/2BUA8C4S2C.com.1password/Library/Application Support/1Password/Data/1password.sqlite",
        "local-vaults-and-secure-storage",
    ),
    ("AppData/Local/1Password/data/1Password10.sqlite", "local-vaults-and-secure-storage"),
    (".cache/rbw/default.json", "local-vaults-and-secure-storage"),
    (
        "Library/Application Support/JetBrains/Toolbox/.securestorage",
        "local-vaults-and-secure-storage",
    ),
    # REPL and session histories
    (".julia/logs/repl_history.jl", "session-and-repl-histories"),
    (
        ".bash_sessions/1A2B3C4D-0000-1111-2222-333344445555.historynew",
        "session-and-repl-histories",
    ),
    (".local/state/zsh/history", "session-and-repl-histories"),
    (".local/state/python/history", "session-and-repl-histories"),
    (".local/state/lesshst", "session-and-repl-histories"),
    (".local/state/nvim/shada/main.shada", "session-and-repl-histories"),
    (".emacs.d/eshell/history", "session-and-repl-histories"),
    (".lein/repl-history", "other-histories"),
    # Ansible Vault files
    ("inventories/prod/group_vars/webservers/vault.yml", "ansible-vault-files"),
    ("host_vars/db01.example.com/vault.yaml", "ansible-vault-files"),
    ("group_vars/all/vault", "ansible-vault-files"),
    ("roles/postgres/vars/vault.yml", "ansible-vault-files"),
    ("playbooks/prod.vault.yml", "ansible-vault-files"),
    # age identities
    (".config/chezmoi/key.txt", "age-sops-keys"),
    ("dotfiles/keys.txt.age", "age-sops-keys"),
    ("identity.age", "age-sops-keys"),
    # signify and usign secret keys
    ("etc/signify/openbsd-76-base.sec", "signing-secret-keys"),
    ("openwrt/key-build", "signing-secret-keys"),
    # yadm's encrypted archive
    (".config/yadm/files.gpg", "dotfile-manager-secrets"),
    (".yadm/files.gpg", "dotfile-manager-secrets"),
    # Subversion's caches wherever a configuration directory keeps them
    ("AppData/Roaming/Subversion/auth/svn.ssl.client-passphrase/0123abcd", "other-vcs"),
    ("svn-config/auth/svn.simple/0123abcd", "other-vcs"),
    # stream keys and media API secrets
    (
        "Library/Application Support/obs-studio/basic/profiles/Stream/service.json",
        "media-and-streaming-tokens",
    ),
    (
        "AppData/Roaming/obs-studio/plugin_config/obs-websocket/config.json",
        "media-and-streaming-tokens",
    ),
    (".config/spotify-tui/.spotify_token_cache.json", "media-and-streaming-tokens"),
    (".config/spotifyd/spotifyd.conf", "media-and-streaming-tokens"),
]


@pytest.mark.parametrize(("path", "entry"), STORES, ids=[p for p, _ in STORES])
def test_home_directory_stores_are_refused_and_never_exported(path: str, entry: str) -> None:
    verdict = check_path(path)
    assert not verdict.safe, path
    assert verdict.reason.startswith("sensitive file ("), verdict.reason
    assert not is_exportable(path)
    assert entry_of(path) == entry, (path, is_sensitive_name(path))


@pytest.mark.parametrize(
    "path",
    [
        # encrypted copies of a store: .age joins .gpg, .asc and .pgp
        ".netrc.age",
        "secrets-src/github_token.age",
        ".config/gh/hosts.yml.age",
        ".kube/config.asc",
        # a stow package and a yadm alternate of a store are the store
        "firefox/.mozilla/firefox/p.default/sessionstore.jsonlz4",
        ".local/share/yadm/archive##os.Linux",
    ],
)
def test_copies_and_spellings_of_the_stores_are_refused(path: str) -> None:
    assert_refused(path)


@pytest.mark.parametrize(
    "path",
    [
        # plain configuration the same round shared (no earlier set labels them sensitive)
        ".azure/config",
        ".azure/clouds.config",
        ".aws/cli/alias",
        ".kube/kubectx",
        "secrets/secrets.nix",
        # ordinary neighbours of the new entries
        ".config/chezmoi/chezmoi.toml",
        ".config/sops/age/recipients.txt",
        ".config/yadm/encrypt",
        ".config/yadm/bootstrap",
        ".signify/openbsd-76-base.pub",
        ".minisign/minisign.pub",
        ".mozilla/firefox/p.default/user.js",
        ".mozilla/firefox/profiles.ini",
        ".config/1Password/ssh/agent.toml",
        ".config/rbw/config.json",
        ".julia/config/startup.jl",
        "group_vars/all/main.yml",
        "group_vars/vault.yml",  # the variables of a group named vault
        "roles/vault/tasks/main.yml",
        "roles/vault/templates/vault.hcl.j2",
        ".config/obs-studio/basic/profiles/Untitled/basic.ini",
        ".config/spotify-player/app.toml",
        ".config/msmtp/README.md",
        ".subversion/config",
        ".config/mutt/bindings.muttrc",
        "src/history/mod.rs",
        "docs/session.md",
    ],
)
def test_ordinary_neighbours_are_shared(path: str) -> None:
    assert_shared(path)


@pytest.mark.parametrize(
    "path",
    [
        # labelled sensitive by earlier sets: kept refused (docs/SENSITIVE.md)
        ".ssh/config",
        ".gnupg/gpg.conf",
        ".gnupg/gpg-agent.conf",
        ".gnupg/sshcontrol",
        ".aws/config",
        ".config/gcloud/configurations/config_default",
        ".cloudflared/config.yml",
        ".config/pip/pip.conf",
        ".condarc",
        ".mongorc.js",
        # beside the shared files
        ".azure/azureProfile.json",
        ".azure/msal_token_cache.json",
        ".aws/cli/cache/0a1b2c.json",
        ".kube/kubens/prod",
        "secrets/github-token.age",
        "secrets/secrets.yaml",
        # hostile spellings stay refused whatever the name
        "./.bashrc",
        ".tmux.conf ",
        ".config\\nvim\\init.lua",
        ".gitmodules",
    ],
)
def test_the_catalogue_choices_and_hostile_spellings_stay_refused(path: str) -> None:
    assert_refused(path)
