"""Built-in deny rules (from ``[deny]`` in the data file), writes, and variable assignments."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

from gitgate.safety.classify.allowed import (
    SECRET_HUNT,
    first_operand,
    git_history_search,
    harmless_template,
    is_local_url,
    ps_bsd_words,
    remote_urls,
)
from gitgate.safety.classify.model import (
    API_VALUED,
    Finding,
    Word,
    approve,
    argv_text,
    deny,
    short,
)
from gitgate.safety.classify.paths import risky_glob, secret_reason, startup_file
from gitgate.safety.classify.queries import denied_statement
from gitgate.safety.classify.tables import tables


def in_order(rest: list[str], parts: Sequence[str]) -> bool:
    """Whether ``parts`` appear in ``rest`` in this order (not necessarily adjacent)."""
    position = 0
    for part in parts:
        try:
            position = rest.index(part, position) + 1
        except ValueError:
            return False
    return True


# -- built-in deny rules ---------------------------------------------------------------------


def baseline_deny(name: str, words: list[Word]) -> Finding | None:
    """The built-in deny rules; ``name`` is the lower-cased basename."""
    data = tables()
    text = argv_text(words)
    args = [word.text for word in words[1:]]
    if name in data.always_deny and not _lists_only(name, args):
        return deny(f"{text!r}: {name} {data.always_deny[name]}")
    if name.startswith("mkfs"):
        return deny(f"{text!r}: formats a filesystem")
    if name in data.system_packages:
        operand = first_operand(args) or (args[0] if args else None)  # dpkg -l, rpm -qa
        if operand is None or operand not in data.system_packages_harmless:
            return deny(f"{text!r}: the system package manager changes the machine")
    for rule in data.rules_by_name.get(name, ()):
        if _deny_rule_matches(rule, name, args):
            return deny(f"{text!r}: {rule.reason}")
    for check in (
        _deny_env_dump,
        _deny_kill,
        _deny_dd,
        _deny_network_shell,
        _deny_system_change,
        _deny_upload,
        _deny_kill_by_name,
        _deny_permission_change,
        _deny_container_environment,
        _deny_outbound_copy,
        _deny_whole_tree_upload,
        _deny_kubectl_secret_values,
        _deny_key_body_search,
        _deny_staging_secret,
        _deny_secret_hunt,
        _deny_history_hunt,
        _deny_option_named_files,
        _deny_secret_endpoint,
        _deny_host_checks_off,
        _deny_tls_off_remote,
        _deny_insecure_option,
        _deny_forge_api,
        denied_statement,
    ):
        reason = check(name, args)
        if reason is not None:
            return deny(f"{text!r}: {reason}")
    return None


def _lists_only(name: str, args: list[str]) -> bool:
    """``iptables -L -n``, ``ufw status``, ``nft list ruleset``: a firewall's rules read, not
    changed ([deny.listing]: the words that make such a command a listing). Still held:
    reading them needs root, and the rules are the host's, not the repository's."""
    listing = tables().deny_listing.get(name)
    if not listing or not args:
        return False
    words: list[str] = []
    for index, arg in enumerate(args):
        if arg in ("-t", "--table") or (index and args[index - 1] in ("-t", "--table")):
            continue  # iptables -t nat -L: a table's name
        words.append(arg)
    if not words or words[0] not in listing and not words[0].startswith("-"):
        return False
    # every option must be a listing one or only shape the output; any other may change
    # something (`firewall-cmd --set-default-zone=trusted --state`)
    return any(w in listing for w in words) and all(
        w in listing or w in _LISTING_FLAGS or w.startswith("--zone=") or not w.startswith("-")
        for w in words
    )


_LISTING_FLAGS = frozenset(["-n", "-v", "-x", "--line-numbers", "-w", "--numeric", "--verbose"])


def _word_hits(pattern: str, args: list[str]) -> bool:
    for arg in args:
        low = arg.lower()
        if fnmatchcase(low, pattern.lower()) or low.startswith(pattern.lower() + "="):
            return True
        if (
            len(pattern) == 2
            and pattern.startswith("-")
            and re.fullmatch(r"-[a-zA-Z]+", arg)
            and pattern[1] in arg[1:]
        ):
            return True
        if _abbreviates_long_option(low, pattern.lower()):
            return True  # git push --forc, git reset --har: getopt takes unique prefixes
    return False


def _abbreviates_long_option(arg: str, pattern: str) -> bool:
    """``--forc`` for ``--force``: a long option cut short (five characters at least), as
    GNU getopt and git's parse-options accept."""
    option = arg.split("=", 1)[0]
    return (
        pattern.startswith("--")
        and option.startswith("--")
        and len(option) >= 5
        and len(option) < len(pattern)
        and not any(c in pattern for c in "*?[")
        and pattern.startswith(option)
        # `--export` of `--export-secret-keys`, `--force` of `--force-with-lease`: a prefix
        # ending where a word of the longer option ends is an option of its own
        and pattern[len(option)] != "-"
    )


def _deny_rule_matches(rule: Any, name: str, args: list[str]) -> bool:
    if rule.words[0] != name:
        return False
    lowered = [arg.lower() for arg in args]
    if not in_order(lowered, rule.words[1:]):
        return False
    if rule.any and not any(_word_hits(p, args) for p in rule.any):
        return False
    return not any(_word_hits(p, args) for p in rule.unless)


def _deny_env_dump(name: str, args: list[str]) -> str | None:
    if name == "ps" and any("e" in word for word in ps_bsd_words(args)):
        return "ps e prints every process's environment (secrets)"
    if name == "export" and (not args or args == ["-p"]):
        return "prints the exported environment (secrets)"
    if name == "set" and (not args or args in (["-o", "posix"], ["--"])):
        return "prints every shell variable (secrets)"
    if name in ("declare", "typeset") and not args:
        return "prints every shell variable (secrets)"
    if name == "printenv":
        names = [arg for arg in args if not arg.startswith("-")]
        if not names:
            return "printenv prints the environment (secrets)"
        secret = next((n for n in names if tables().secret_variable.search(n)), None)
        if secret is not None:
            return f"printenv {secret} prints a secret"
    if name == "export":
        for arg in args:
            key, equals, value = arg.partition("=")
            if equals and runs_programs(key, value):
                return f"exports {key}: makes tools run programs"
            if equals and _turns_tls_off(key, value, dynamic=False):
                return f"exports {key}: turns TLS verification off"
    return None


# Processes whose end takes the machine, the session or the gate down with them.
_VITAL_PROCESSES = frozenset(
    [
        "init",
        "systemd",
        "sshd",
        "dockerd",
        "containerd",
        "kubelet",
        "xorg",
        "gnome-shell",
        "gnome-session",
        "plasmashell",
        "launchd",
        "loginwindow",
        "gitgate",
        "git-daemon",
    ]
)
_USER_WIDE = ("-u", "-U", "--uid", "--euid", "--user", "-G", "--group", "-s", "--session")


def _deny_kill_by_name(name: str, args: list[str]) -> str | None:
    """``pkill -f 'manage.py runserver'`` stops a dev server (a human decides);
    ``pkill -u root``, ``pkill .``, ``killall sshd`` stop what the machine needs."""
    if name not in ("pkill", "killall"):
        return None
    if any(arg in _USER_WIDE or arg.startswith(("--uid=", "--user=", "--euid=")) for arg in args):
        return "kills every process of a user or group"
    patterns = [arg for arg in args if not arg.startswith("-")]
    for pattern in patterns:
        if pattern.strip("^$.*") == "" or pattern.lower().strip("^$") in _VITAL_PROCESSES:
            return f"kills {pattern!r}: every process, or one the machine needs"
    return None


# setuid/setgid (4xxx, 2xxx, +s) or writable by others (xx2, xx6, xx7, o+w, a=rw).
_SPECIAL_MODE_RE = re.compile(
    r"[0-7]?[2-7][0-7]{3}|[0-7]{0,3}[2367]"
    r"|[ugoa]*[+=][rwxXt]*s[rwxXst]*"
    r"|[ug]*[oa][ugoa]*[+=][rxXst]*w[rwxXst]*"
)


# chmod 000, 0200, a-r, u-rw, a=: a mode that takes the owner's read permission away locks
# the files (and, recursively, the repository) away: destruction in all but name.
_LOCKS_OWNER_OUT = re.compile(r"0?[0-3][0-7]{2}|[au]*-[wx]*r[rwx]*|[au]*=[wx]*")


def _deny_permission_change(name: str, args: list[str]) -> str | None:
    """``chmod +x scripts/run.sh`` in the repository needs a human; setuid/setgid or
    world-writable modes, a credential store's mode and anything outside the repository are
    denied (those are privilege escalation or weakening, not development)."""
    if name != "chmod":
        return None
    words = [arg for arg in args if not arg.startswith("-") or re.fullmatch(r"-[rwxXst]+", arg)]
    if not words:
        return None
    mode, operands = words[0], words[1:]
    if any(_SPECIAL_MODE_RE.fullmatch(part) for part in mode.split(",")):
        return f"sets the mode {mode}: setuid/setgid or writable by everyone"
    if _LOCKS_OWNER_OUT.fullmatch(mode):
        return f"sets the mode {mode}: the owner can no longer read the files"
    for operand in operands:
        normal = posixpath.normpath(operand)
        if normal.startswith(("/", "~", "$")) or normal == ".." or normal.startswith("../"):
            return f"changes permissions outside the repository ({operand})"
        if secret_reason(normal):
            return f"changes the permissions of {secret_reason(normal)}"
        if normal == ".git" or normal.startswith(".git/"):
            return "changes the permissions of git's own files (hooks run programs)"
    return None


_SCP_VALUED = frozenset(["-e", "-i", "-P", "-F", "-o", "-J", "-c", "-l"])
_RSYNC_VALUED = frozenset(["-e", "--rsh", "--rsync-path", "--exclude", "--include", "--filter"])
_REMOTE_OPERAND = re.compile(r"(?:[\w.-]+@)?[\w.-]+:(?!//)|rsync://|[\w.-]+::")


_SECRET_KINDS = frozenset(["secret", "secrets"])
_VALUE_FORMATS = ("yaml", "json", "jsonpath", "go-template", "template", "custom-columns")


def _deny_kubectl_secret_values(name: str, args: list[str]) -> str | None:
    """``kubectl get secret x -o yaml`` (or jsonpath, go-template…) prints the values;
    ``kubectl get secrets`` lists names and types only (a human still looks first)."""
    if name != "kubectl" or "get" not in args:
        return None
    operands = [a for a in args if not a.startswith("-")]
    kinds = {part.split("/")[0].split(".")[0] for op in operands for part in op.split(",")}
    if not kinds & _SECRET_KINDS:
        return None
    for index, arg in enumerate(args):
        value = arg.partition("=")[2] if arg.startswith(("-o=", "--output=")) else ""
        if arg in ("-o", "--output") and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("-o") and not arg.startswith(("-o=", "--")) and len(arg) > 2:
            value = arg[2:]
        if value.lower().startswith(_VALUE_FORMATS):
            template = value.partition("=")[2]
            if template and harmless_template(template):
                return None  # -o jsonpath='{.metadata.name}': a name, no value
            return "prints Kubernetes secrets' values"
    return None


_SEARCHERS = frozenset(["grep", "egrep", "fgrep", "rg", "ag", "ack", "git"])
# A PEM or PGP header ("PRIVATE KEY", "BEGIN OPENSSH … KEY"), not a `private_key` variable.
_KEY_HEADER = re.compile(
    r"(?i)private(?:[\s.*+?]|\\s)+key|begin(?:[\s.*+?]|\\s)+(?:\w+(?:[\s.*+?]|\\s)+){0,3}key"
)
_AFTER_CONTEXT = re.compile(r"-[A-Za-z]*[AC]\d*|--(?:after-)?context(?:=\d+)?|-\d+")


def _deny_key_body_search(name: str, args: list[str]) -> str | None:
    """``grep -A 30 'BEGIN RSA PRIVATE KEY'``: the lines after a key's header are the key.
    The header alone (which files hold one) is a fair question; its context is not."""
    if name not in _SEARCHERS or (name == "git" and "grep" not in args):
        return None
    if not any(_KEY_HEADER.search(arg) for arg in args if not arg.startswith("-")):
        return None
    if any(_AFTER_CONTEXT.fullmatch(arg) and not re.fullmatch(r"-\d+", arg) for arg in args):
        return "prints the lines after a private key's header: the key itself"
    if any(re.fullmatch(r"-\d+", arg) for arg in args):
        return "prints the lines around a private key's header: the key itself"
    return None


# A pattern written to catch a secret's value, not a word: a key name followed by = or :,
# a vendor prefix, a PEM header, a character class of token letters.
_TOKEN_SHAPED = re.compile(
    r"(?i)(?:api.?key|secret.?key|access.?key|passw(?:or)?d|token)\\?s?\*?\s*[=:]"
    r"|\b(?:AKIA|ASIA|ghp_|gho_|github_pat_|glpat-|xox[abprs]-|sk_live|sk-|AIza|SG\.)"
    r"|BEGIN.*PRIVATE|\[A-Za-z0-9"
)
_HIDDEN_TOO = re.compile(
    r"--no-ignore\S*|--unrestricted|-u{1,3}|-[a-zA-Z]*u[a-zA-Z]*|--skip-vcs-ignores"
    r"|--hidden|-\.|--all-types"
)


# Words only a search for secrets' values looks for (not `auth`, `private`: code words too).
_SECRET_WORDS = re.compile(
    r"(?i)secret|passw(?:or)?d|passwd|token|api.?key|access.?key|private.?key|credential"
    r"|extraheader|authorization"
)


def _deny_secret_hunt(name: str, args: list[str]) -> str | None:
    """``rg --hidden --no-ignore API_KEY``, ``grep -rni 'token|secret' .``: a search of every
    file, hidden and ignored ones included, for a secret's name or shape, prints the lines of
    .env and keys that hold one; so does one of a shell's startup files (``grep -i token
    ~/.bashrc``: exported tokens live there)."""
    operands = [a for a in args if not a.startswith("-")]
    if not operands or not any(SECRET_HUNT.search(a) for a in operands[:1]):
        return None
    if name in ("grep", "egrep", "fgrep", "rg", "ag") and any(
        startup_file(path) for path in operands[1:]
    ):
        if _SECRET_WORDS.search(operands[0]) or _TOKEN_SHAPED.search(operands[0]):
            return "searches a shell's startup file for a secret"
    if name in ("grep", "egrep", "fgrep") and not (
        _TOKEN_SHAPED.search(operands[0]) or _SECRET_WORDS.search(operands[0])
    ):
        return None  # grep -rn authenticate .: a word, held like any search of the root
    if name in ("grep", "egrep", "fgrep", "rg") and any(config_file(path) for path in operands[1:]):
        # grep -i password config/application-prod.properties: the lines that hold it
        return "searches a configuration file for a secret's name: prints its value"
    if name in ("rg", "ag"):
        everything = any(_HIDDEN_TOO.fullmatch(a) for a in args)
        roots = operands[1:]
    elif name in ("grep", "egrep", "fgrep"):
        everything = any(re.fullmatch(r"-[a-zA-Z]*[rR][a-zA-Z]*|--recursive", a) for a in args)
        narrowed = [a for a in args if a.startswith(("--exclude", "--include"))]
        aimed = [a for a in narrowed if a.startswith("--include") and _aimed_include(a)]
        everything = everything and (not narrowed or bool(aimed))
        roots = operands[1:]
        if aimed:  # grep -r password config/ --include='*.secret*': the stores, wherever
            return "searches the files named like credential stores for a secret"
    else:
        return None
    if everything and all(root.rstrip("/") in (".", "", "./") for root in roots or ["."]):
        return "searches every file, ignored ones too, for what looks like a secret"
    return None


# -- CI configuration ---------------------------------------------------------------------------


def ci_config_tampering(command: str) -> str | None:
    """``sed -i 's/pull_request:/pull_request_target:/' .github/workflows/ci.yml``, ``echo
    '- run: printenv | curl …' >> .gitlab-ci.yml``: a write to a CI configuration that opens
    it to forks, hands it secrets, sends them out, runs downloaded code or removes a security
    step ([secrets] ci_configs, ci_markers); what the pipeline then runs, it runs with the
    repository's secrets on every push."""
    data = tables()
    for config in data.ci_configs:
        if config not in command:
            continue
        path = re.escape(config)
        written = (
            re.search(rf"(?:>>?|\btee\b(?:\s+-a)?)\s*['\"]?(?:\./)?[\w./-]*{path}", command)
            or re.search(rf"\b(?:sed|gsed|yq|perl|ruby)\b[^;&]*?\s-i\S*\s[^;&]*{path}", command)
            or re.search(rf"\b(?:cp|mv|install|ln)\b[^|;&]*{path}\S*\s*(?:$|[|;&])", command)
        )
        marker = data.ci_markers.search(command) if written else None
        if marker is not None:
            found = short(marker.group(0), 30)
            return (
                f"writes {config} (configuration a build, a pipeline or a tool runs) with "
                f"{found!r}: it runs at the next build, push or start"
            )
    return None


# -- pipelines that hunt secrets ----------------------------------------------------------------


# Outputs where a search for a secret's name or shape finds live secrets, not code that
# handles them: command lines (`ps -ef | grep -i password`), every patch ever committed
# (`git log -p --all | grep token`), packets, a process's memory (`strings core.123`),
# process managers' and containers' settings. ([secret_sources]: the command's first words.)
def _secret_source(argv: list[str]) -> str | None:
    if not argv:
        return None
    name = argv[0].rsplit("/", 1)[-1].lower()
    words = [name, *(a for a in argv[1:] if not a.startswith("-"))]
    for source in tables().secret_sources:
        parts = source.split()
        if words[: len(parts)] == parts:
            return source
    if name == "git" and len(words) > 1 and words[1] in ("log", "whatchanged", "show"):
        patches = words[1] == "show" or any(
            a in tables().git_patch_options or a.startswith("-U") for a in argv[1:]
        )
        return f"git {words[1]} -p" if patches else None
    return None


_FILTERS = frozenset(["grep", "egrep", "fgrep", "rg", "ag", "awk", "gawk", "sed", "perl"])


def _hunted(argv: list[str]) -> bool:
    """Whether a filter stage looks for a secret's name or shape (``grep -iE 'token|pass'``)."""
    name = argv[0].rsplit("/", 1)[-1].lower() if argv else ""
    if name == "git" and argv[1:2] == ["grep"]:
        return _hunted(argv[1:])  # … | xargs git grep -F 'BEGIN OPENSSH PRIVATE KEY'
    if name not in _FILTERS:
        return False
    texts = [a for a in argv[1:] if a not in ("--", "-e") and not re.fullmatch(r"-[a-zA-Z]+", a)]
    # `pass` alone is a password's prefix here: what is searched is a secret source's output
    return any(
        _SECRET_WORDS.search(t) or _TOKEN_SHAPED.search(t) or _PASS_WORD.search(t) for t in texts
    )


_PASS_WORD = re.compile(r"(?i)(?<![a-z])pass(?![a-z])")


# Stages that print a remote's URL, and filters that keep its user-information part (the
# token of `https://oauth2:TOKEN@host/…`): `git remote -v | grep -o 'oauth2:[^@]*'`.
_REMOTE_URL_SOURCES = (
    ("git", "remote", "-v"), ("git", "remote", "get-url"), ("git", "ls-remote", "--get-url"),
    ("git", "config", "--get"), ("git", "config", "--get-regexp"), ("git", "config", "-l"),
    ("git", "config", "--list"), ("git", "remote", "show"),
)  # fmt: skip
_USERINFO = re.compile(r"\[\^@\]|-d\s*'?@|\[[^\]]*@[^\]]*\]|\\1.*@|oauth2|x-access-token|://\(")


def _keeps_userinfo(argv: list[str]) -> bool:
    joined = " ".join(argv[1:])
    return _USERINFO.search(joined) is not None or _hunted(argv)


def pipeline_secret_hunt(stages: list[list[str]]) -> str | None:
    """Why a pipeline is a hunt for live secrets, or None: a source whose output holds them
    (above) followed by a filter that looks for one, or a remote's URL cut down to its
    credentials. A search of the repository's files for a word stays a search."""
    for index, argv in enumerate(stages[:-1]):
        later = stages[index + 1 :]
        source = _secret_source(argv)
        if source is not None and any(_hunted(stage) for stage in later):
            if source in ("git rev-list", "git for-each-ref"):
                return "searches every revision's files for a secret"
            return f"searches what {source!r} prints (live secrets) for a secret"
        words = tuple(a for a in argv if a not in ("-q",))
        if any(words[: len(s)] == s for s in _REMOTE_URL_SOURCES) and any(
            _keeps_userinfo(stage) for stage in later
        ):
            return "takes the credentials out of a remote's URL"
    return None


def _aimed_include(option: str) -> bool:
    """``--include='*.env*'``: a file-name filter that picks credential stores."""
    pattern = option.partition("=")[2].strip("'\"")
    return bool(pattern) and (risky_glob(pattern) is not None or secret_reason(pattern) is not None)


# Configuration files by extension or name: where a secret's name is followed by its value.
_CONFIG_FILE = re.compile(
    r"(?i)(?:\.(?:properties|ya?ml|json|ini|conf|cfg|toml|xml|env|config|tfvars|hcl|plist)"
    r"|(?:^|/)(?:\.?env(?:\.\w+)?|settings\.py|config\.\w+|application[\w.-]*))$"
)


def config_file(path: str) -> bool:
    """Whether ``path`` names a configuration file (a glob of them included)."""
    return _CONFIG_FILE.search(path) is not None and not path.startswith("-")


def _deny_secret_endpoint(name: str, args: list[str]) -> str | None:
    """``curl localhost:8080/actuator/env``, ``curl localhost:8001/api/v1/…/secrets``: a
    service's own endpoint that answers with its secrets ([secrets] endpoints)."""
    if name not in ("curl", "wget", "http", "https", "xh"):
        return None
    for arg in args:
        if "://" not in arg and not arg.startswith(("localhost", "127.")):
            continue
        path = "/" + arg.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0].lower()
        if any(fnmatchcase(path, pattern) for pattern in tables().secret_endpoints):
            return f"asks a service for its secrets ({arg})"
    return None


def _deny_option_named_files(name: str, args: list[str]) -> str | None:
    """``touch -- '--checkpoint-action=exec=sh x.sh'``: a file named like an option that runs
    a program waits for a later ``tar cf x *`` to read its name as that option."""
    if name not in ("touch", "mkdir", "mkfifo", "ln", "cp", "mv", "install"):
        return None
    programs = {o.rstrip("=") for options in tables().exec_options.values() for o in options}
    after = args[args.index("--") + 1 :] if "--" in args else []
    for arg in after:
        option = arg.partition("=")[0]
        if option in programs and (option.startswith("--") or "=" in arg or len(option) == 2):
            return f"creates a file named {arg!r}: a wildcard a tool expands runs it as an option"
    return None


# Operands of git grep that name old revisions: commits, HEAD~N, and the object name the walk
# reads in place of `$(git rev-list --all)`.
_OLD_REVISION = re.compile(r"[0-9a-f]{7,40}|HEAD[~^]\d*|[\w./-]+@\{\d+\}")


def _deny_history_hunt(name: str, args: list[str]) -> str | None:
    """``git log -p --all -S 'BEGIN RSA PRIVATE KEY'``: the patches that added or removed a
    secret print the secret, whatever was done with it since; ``git grep password
    $(git rev-list --all)`` searches every revision's files for one."""
    if name != "git":
        return None
    sub = next((a for a in args if not a.startswith("-")), "")
    if sub == "grep":
        rest = args[args.index("grep") + 1 :]
        operands = [a for a in rest if not a.startswith("-")]
        if (
            operands
            and (_SECRET_WORDS.search(operands[0]) or _TOKEN_SHAPED.search(operands[0]))
            and ("--all" in args or any(_OLD_REVISION.fullmatch(a) for a in operands[1:]))
        ):
            return "searches old revisions' files for what looks like a secret"
        return None
    if sub not in ("log", "show", "whatchanged"):
        return None
    return git_history_search(args[args.index(sub) + 1 :])


def _deny_staging_secret(name: str, args: list[str]) -> str | None:
    """``git add -f .env``: a credential store staged for a commit is on its way to every
    clone (a gitignored one forced in on purpose)."""
    if name != "git" or "add" not in args:
        return None
    after = args[args.index("add") + 1 :]
    for arg in after:
        if not arg.startswith("-"):
            secret = secret_reason(arg.removeprefix("./"))
            if secret is not None:
                return f"stages {arg!r} for a commit: {secret}"
    return None


def _deny_outbound_copy(name: str, args: list[str]) -> str | None:
    """``scp FILE host:``, ``rsync -a src/ host:/x``: files leave for another host
    (exfiltration). Fetching (``scp host:/var/log/app.log ./logs/``) and local copies
    (``rsync -av src/ build/``) need a human."""
    if name not in ("scp", "rsync"):
        return None
    operands: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in (_SCP_VALUED if name == "scp" else _RSYNC_VALUED):
            skip = True  # the option's value, not a source or a target
        elif not arg.startswith("-"):
            operands.append(arg)
    if len(operands) < 2:
        return None
    *sources, target = operands
    if _REMOTE_OPERAND.match(target) and any(not _REMOTE_OPERAND.match(s) for s in sources):
        return f"copies local files to another host ({target}): exfiltration"
    return None


# Cloud storage clients that upload: the repository root as a source sends all of it, its .env,
# keys and .git included (`aws s3 sync . s3://bucket`); a build directory is a deploy.
_UPLOADERS = frozenset(["aws", "gsutil", "gcloud", "rclone", "azcopy", "az", "s3cmd", "mc", "b2"])
_STORE_URL = re.compile(r"(?:s3|gs|az|abfss?|wasbs?|b2|r2|oss|cos)://|[\w-]+:(?!//)\S*$|https://")
_WHOLE_TREE = frozenset(
    [".", "./", "$PWD", "${PWD}", "$(pwd)", "`pwd`", "..", "../", "~", "~/", "/"]
)


def _deny_whole_tree_upload(name: str, args: list[str]) -> str | None:
    if name not in _UPLOADERS:
        return None
    # `az storage blob upload-batch --source .` (not `gcloud run deploy --source .`, a build)
    named = [a.split("=", 1)[1] for a in args if a.startswith("--source=")]
    named += [v for o, v in zip(args, args[1:], strict=False) if o in ("--source", "-s")]
    if name in ("az", "azcopy") and "upload-batch" in args and any(s in _WHOLE_TREE for s in named):
        return _WHOLE_UPLOAD
    # `aws s3 sync . s3://b`: the source comes before the destination (not `sync s3://b .`)
    roots = [i for i, a in enumerate(args) if a in _WHOLE_TREE]
    stores = [i for i, a in enumerate(args) if a not in _WHOLE_TREE and _STORE_URL.search(a)]
    if roots and stores and roots[0] < stores[-1]:
        return _WHOLE_UPLOAD
    return None


_WHOLE_UPLOAD = "uploads the whole repository (.env, keys and history included) to another host"


def _deny_container_environment(name: str, args: list[str]) -> str | None:
    """``docker inspect app`` prints the container's Config.Env (its secrets); a --format
    that reads other fields does not."""
    if name not in ("docker", "podman", "nerdctl"):
        return None
    operands = [a for a in args if not a.startswith("-")]
    if operands[:1] != ["inspect"] and operands[:2] != ["container", "inspect"]:
        return None
    formats = [
        a.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
        for i, a in enumerate(args)
        if a in ("-f", "--format") or a.startswith(("--format=", "-f="))
    ]
    if not formats or any(
        "env" in f.lower() or f.strip() in ("{{json .}}", "json") for f in formats
    ):
        return "prints the container's environment (secrets)"
    return None


def _deny_kill(name: str, args: list[str]) -> str | None:
    if name != "kill":
        return None
    targets = args[1:] if args and args[0].startswith("-") and args[0] != "--" else args
    if args[:1] == ["-s"] or args[:1] == ["-n"]:
        targets = args[2:]
    if any(target in ("1", "-1", "0", "--1") for target in targets if target != "--"):
        return "kills init, the process group or every process"
    return None


# Commands that move, relink or change every operand, and those that change only their last.
_CHANGES_EVERY_OPERAND = frozenset(["mv", "chmod", "chown", "chgrp", "chattr", "setfacl"])
_CHANGES_LAST_OPERAND = frozenset(["cp", "install", "ln", "rsync"])


def _deny_system_change(name: str, args: list[str]) -> str | None:
    """``mv /etc /tmp/x``, ``cp evil /usr/bin/ls``: moving or overwriting a system path."""
    if name not in _CHANGES_EVERY_OPERAND and name not in _CHANGES_LAST_OPERAND:
        return None
    operands = [arg for arg in args if not arg.startswith("-")]
    if name in _CHANGES_LAST_OPERAND:
        operands = operands[-1:] if len(operands) > 1 else []
    for operand in operands:
        if not operand.startswith("/"):
            continue
        normal = posixpath.normpath(operand)
        if normal == "/" or (normal + "/").startswith(tables().system_dirs):
            return f"changes the system path {operand}"
    return None


def _deny_dd(name: str, args: list[str]) -> str | None:
    if name != "dd":
        return None
    for arg in args:
        key, _, value = arg.partition("=")
        if key == "of" and posixpath.normpath(value or ".").startswith("/dev/"):
            if value not in tables().harmless_sinks:
                return f"writes the device {value}"
        if key == "if" and tables().raw_devices.match(posixpath.normpath(value or ".")):
            return f"reads the raw device {value}"
    return None


def _deny_network_shell(name: str, args: list[str]) -> str | None:
    if name in ("nc", "ncat", "netcat"):
        for arg in args:
            if arg in ("-e", "-c", "--exec", "--sh-exec", "--lua-exec") or (
                arg.startswith("-") and not arg.startswith("--") and ("e" in arg or "c" in arg)
            ):
                return "netcat executing a program: a reverse shell"
    if name == "socat" and any(
        arg.lower().startswith(("exec:", "system:")) or ",exec:" in arg.lower() for arg in args
    ):
        return "socat executing a program: a reverse shell"
    return None


# Options that send a FILE's contents (curl `-d @F`, `-F x=@F`, `-T F`; wget --post-file).
_CURL_FILE_DATA = (
    "-d",
    "--data",
    "--data-binary",
    "--data-raw",
    "--data-ascii",
    "--data-urlencode",
    "--json",
    "-F",
    "--form",
    "--form-string",
)
_CURL_UPLOAD = ("-T", "--upload-file")
_WGET_UPLOAD = ("--post-file", "--body-file")


def _sent_files(name: str, args: list[str]) -> list[str]:
    """The files a curl/wget command line sends as its request body."""
    sent: list[str] = []
    if name == "curl":
        args = _split_curl_clusters(args)
    for index, arg in enumerate(args):
        option, equals, attached = arg.partition("=")
        following = args[index + 1] if index + 1 < len(args) else ""
        if name == "curl" and (
            arg in _CURL_DATA_OR_UPLOAD or (equals and option in _CURL_DATA_OR_UPLOAD)
        ):
            value = attached if equals else following
            if arg in _CURL_UPLOAD or option in _CURL_UPLOAD:
                sent.append(value)
            elif "@" in value or "<" in value:
                sent.append(re.split(r"[@<]", value, maxsplit=1)[1].split(";")[0])
        elif name == "wget" and option in _WGET_UPLOAD:
            sent.append(attached if equals else following)
    return [path for path in sent if path]  # "-": what the pipeline feeds it


_CURL_DATA_OR_UPLOAD = _CURL_FILE_DATA + _CURL_UPLOAD
# curl's short options that take a value: in a cluster (-sT, -sSd@f) the value is the rest
# of the cluster, or the next argument.
_CURL_VALUED_LETTERS = frozenset("dTFHoOuXAeEKbcrmwxyYzCPQtU")


def _split_curl_clusters(args: list[str]) -> list[str]:
    """``-sT -`` as ``-s -T -``, ``-sd@f`` as ``-s -d @f``: curl reads a cluster of short
    options letter by letter, and the first that takes a value ends it."""
    out: list[str] = []
    for arg in args:
        if not (arg.startswith("-") and not arg.startswith("--") and len(arg) > 2):
            out.append(arg)
            continue
        for index, letter in enumerate(arg[1:], start=1):
            out.append("-" + letter)
            if letter in _CURL_VALUED_LETTERS:
                if arg[index + 1 :]:
                    out.append(arg[index + 1 :])
                break
    return out


def _deny_upload(name: str, args: list[str]) -> str | None:
    """Sending a file to another host is exfiltration, whatever the file: the repository's
    code is as much the owner's as its secrets. Uploads to this machine need a human."""
    if name not in ("curl", "wget"):
        return None
    sent = _sent_files(name, args)
    if not sent:
        return None
    urls = [a for a in args if re.match(r"(?i)[a-z][a-z0-9+.-]*://", a)]
    if urls and all(is_local_url(url) for url in urls):
        return None
    return f"sends {sent[0]!r} to another host (exfiltration)"


def judge_write_target(target: str, what: str) -> list[Finding]:
    """Findings for a redirection or ``tee`` writing ``target``."""
    data = tables()
    if target in data.harmless_sinks:
        return []
    normal = posixpath.normpath(target) if target else target
    if data.raw_devices.match(normal):
        return [deny(f"{what!r} writes a raw device")]
    sensitive = secret_reason(normal) or secret_reason(target)
    if sensitive:
        return [deny(f"{what!r} overwrites {sensitive}")]
    if normal.startswith(data.system_dirs):
        return [deny(f"{what!r} overwrites a system file")]
    startup = startup_file(normal)
    if startup is not None:
        runs = "what it holds runs at every later shell, session or tool start"
        return [deny(f"{what!r} writes {startup}: {runs}")]
    if any(fnmatchcase(normal.lower(), pattern) for pattern in data.loaded_at_start):
        return [deny(f"{what!r} writes code Python loads at every start (persistence)")]
    if normal == ".git" or normal.startswith(".git/") or "/.git/" in normal:
        return [deny(f"{what!r} writes git's own files (hooks and config run programs)")]
    return [approve(f"{what!r} writes a file")]


def judge_assignments(assignments: list[Word], *, has_command: bool) -> list[Finding]:
    """Variable assignments: pager, loader and GIT_* variables run programs (deny);
    locale settings pass; anything else needs a human."""
    findings: list[Finding] = []
    for word in assignments:
        name, _, value = word.text.partition("=")
        name = name.rstrip("+")
        where = "for the command" if has_command else "in the shell"
        if name.upper() in tables().env_history:
            findings.append(deny(f"sets {short(word.raw, 40)!r}: hides commands from the history"))
        elif name.upper() in tables().env_hook_bypass and _bypasses(name.upper(), value):
            findings.append(deny(f"sets {short(word.raw, 40)!r}: skips the repository's hooks"))
        elif _turns_tls_off(name, value, dynamic=word.dynamic):
            findings.append(deny(f"sets {short(word.raw, 40)!r}: turns TLS verification off"))
        elif name.upper() in ("GIT_SSH_COMMAND", "RSYNC_RSH") and host_checks_off(value):
            findings.append(deny(f"sets {short(word.raw, 40)!r}: {_HOST_CHECKS_OFF}"))
        elif runs_programs(name, value, dynamic=word.dynamic):
            findings.append(deny(f"sets {short(word.raw, 40)!r} {where}: makes tools run programs"))
        elif word.dynamic or not (
            _harmless_env(name)
            or _safe_options_only(name, value)
            or _emptied(name, value)
            or (not has_command and _shell_local(name))
        ):
            findings.append(approve(f"sets {short(word.raw, 40)!r} {where}"))
    return findings


def _bypasses(name: str, value: str) -> bool:
    """HUSKY=0 and SKIP=mypy skip hooks; HUSKY=1 keeps them. A *_SKIP_* name's "1" skips."""
    value = value.strip("'\"")
    if "SKIP" in name and name != "SKIP":
        return value.lower() not in ("", "0", "false", "no")
    return value not in ("", "1")


def _shell_local(name: str) -> bool:
    """``f=README.md``: a lower-case shell variable no tool reads from the environment (not
    exported, not a proxy setting); what its later uses read is judged there."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name.endswith("proxy"):
        return False
    upper = name.upper()
    data = tables()
    return not (
        upper in data.env_exec
        or upper.startswith(data.env_exec_prefixes)
        or upper in data.env_history
        or upper in data.env_insecure
        or upper in data.env_hook_bypass
    )


def _emptied(name: str, value: str) -> bool:
    """``LD_PRELOAD= ls``, ``PYTHONPATH= python3 …``: a loader variable set to nothing."""
    upper = name.upper()
    data = tables()
    loader = upper in data.env_exec or upper.startswith(data.env_exec_prefixes)
    return loader and value.strip("'\"") == "" and upper not in ("IFS", "HOME", "PATH")


def runs_programs(name: str, value: str, *, dynamic: bool = False) -> bool:
    """Whether setting the variable ``name`` makes a tool run a program or load code."""
    data = tables()
    upper = name.upper()
    if name in data.env_harmless or upper.startswith(data.env_harmless_prefixes):
        return False  # GIT_TERMINAL_PROMPT=0, LANG=C, GIT_TRACE=1: harmless whatever the value
    if upper in data.env_harmless_value_names and not dynamic:
        if value.strip() in data.env_harmless_values:
            return False
    if not dynamic and _safe_options_only(name, value):
        return False  # NODE_OPTIONS=--max-old-space-size=4096: a limit, not code to load
    if not dynamic and value.strip("'\"") == "" and upper != "IFS":
        return False  # LD_PRELOAD= ls: emptied, it loads nothing
    if not dynamic and upper in ("GIT_SSH_COMMAND", "GIT_SSH") and harmless_ssh_command(value):
        return False  # GIT_SSH_COMMAND='ssh -i ~/.ssh/deploy_key': a key, no program
    return upper in data.env_exec or upper.startswith(data.env_exec_prefixes)


# ssh options that only choose a key, a port or host-key handling: no command of its own
# (ProxyCommand, LocalCommand, PKCS11Provider and friends would run one).
_SSH_SAFE_OPTIONS = re.compile(
    r"(?i)(?:IdentitiesOnly|StrictHostKeyChecking|UserKnownHostsFile|IdentityFile|Port|User"
    r"|ConnectTimeout|BatchMode|LogLevel|ServerAliveInterval|ServerAliveCountMax|"
    r"PasswordAuthentication|PubkeyAuthentication|HostKeyAlgorithms|PubkeyAcceptedKeyTypes"
    r"|PubkeyAcceptedAlgorithms|GlobalKnownHostsFile|AddKeysToAgent)=\S+"
)


# `-o StrictHostKeyChecking=no`, `-o UserKnownHostsFile=/dev/null`: ssh then talks to
# whichever host answers, a machine in the middle included (it gets the keys' signatures,
# the pushed code, the fetched code's trust).
_HOST_CHECKS_OFF_OPTION = re.compile(
    r"(?i)(?:-o\s*)?['\"]?(?:StrictHostKeyChecking\s*=?\s*['\"]?(?:no|off|false)\b"
    r"|UserKnownHostsFile\s*=?\s*['\"]?/dev/null\b)"
)
_HOST_CHECKS_OFF = "turns ssh's host-key verification off (a machine in the middle is trusted)"


def host_checks_off(text: str) -> bool:
    """Whether an ssh option, or an ssh command line, switches host-key verification off."""
    return _HOST_CHECKS_OFF_OPTION.search(text) is not None


def ssh_option_runs_nothing(value: str) -> bool:
    """``ConnectTimeout=3``, ``BatchMode=yes``: an ``ssh -o`` option that chooses a key, a
    port or a timeout and runs no program (ProxyCommand, LocalCommand would)."""
    return _SSH_SAFE_OPTIONS.fullmatch(value.strip()) is not None


_INSECURE_FLAGS = {
    "curl": re.compile(r"--insecure|-k|-[a-zA-Z]*k[a-zA-Z]*"),
    "wget": re.compile(r"--no-check-certificate"),
    "http": re.compile(r"--verify=(?:no|false)"),
    "https": re.compile(r"--verify=(?:no|false)"),
    "xh": re.compile(r"--verify=(?:no|false)|--insecure|-k"),
}


def _deny_tls_off_remote(name: str, args: list[str]) -> str | None:
    """``curl -k https://api.example.com``: certificates unchecked on the way to another host,
    so a machine in the middle reads the request (its token) and writes the answer. A local
    service's self-signed certificate (``curl -sk https://localhost:8443``) stays allowed."""
    flags = _INSECURE_FLAGS.get(name)
    if flags is None or not any(flags.fullmatch(a) for a in args):
        return None
    remote = remote_urls(args)
    if remote:
        return f"turns TLS verification off for {short(remote[0], 40)} (a machine in the middle)"
    return None


_FORGE_FIELDS = ("-f", "-F", "--field", "--raw-field", "--input", "--form")
_MUTATION = re.compile(r"(?is)\bmutation\b.*\b(?:delete|remove|update\w*protection|transfer)")


def _deny_forge_api(name: str, args: list[str]) -> str | None:
    """``gh api -X PUT repos/o/r/rulesets/42 -f enforcement=disabled``, ``glab api --method
    DELETE projects/:id/protected_branches/main``, a deploy key or a collaborator added, a
    webhook to another host, a ref forced: the repository's protections and access changed
    through the forge's API ([secrets] forge_endpoints, forge_fields)."""
    if name not in ("gh", "glab") or args[:1] != ["api"]:
        return None
    rest = args[1:]
    method = next(
        (rest[i + 1].upper() for i, a in enumerate(rest[:-1]) if a in ("-X", "--method")), None
    )
    method = method or next(
        (a.split("=", 1)[1].upper() for a in rest if a.startswith(("--method=", "-X="))), None
    )
    fields = [rest[i + 1] for i, a in enumerate(rest[:-1]) if a in _FORGE_FIELDS]
    fields += [
        a.split("=", 1)[1] for a in rest if a.startswith(tuple(f + "=" for f in _FORGE_FIELDS))
    ]
    writes = (method or ("POST" if fields else "GET")) != "GET"
    operands = [
        a
        for i, a in enumerate(rest)
        if not a.startswith("-") and (i == 0 or rest[i - 1] not in API_VALUED)
    ]
    endpoint = operands[0].lower() if operands else ""
    if endpoint == "graphql" and any(_MUTATION.search(f) for f in fields):
        return "runs a GraphQL mutation that deletes, transfers or changes protections"
    if not writes:
        return None
    data = tables()
    if any(fnmatchcase(endpoint, pattern) for pattern in data.forge_grants):
        return f"writes {endpoint!r}: grants access or sends the repository's events elsewhere"
    deleting = (method or "") == "DELETE"
    if deleting and any(fnmatchcase(endpoint, pattern) for pattern in data.forge_endpoints):
        return f"deletes {endpoint!r}: one of the repository's protections"
    for field in fields:
        if any(fnmatchcase(field.lower(), pattern) for pattern in data.forge_fields):
            return f"sends {field!r}: weakens a protection or grants access"
    return None


def _deny_insecure_option(name: str, args: list[str]) -> str | None:
    """``cosign verify --insecure-ignore-tlog``, ``helm push --plain-http``, ``skopeo
    --tls-verify=false``: verification switched off ([secrets] insecure_options)."""
    if name in _INSECURE_FLAGS:
        return None  # curl, wget, httpie: judged by the host they reach
    for arg in args:
        if arg == "--":
            break
        low = arg.lower()
        if any(fnmatchcase(low, pattern) for pattern in tables().insecure_options):
            return f"{arg} switches TLS, registry or signature verification off"
    return None


def _deny_host_checks_off(name: str, args: list[str]) -> str | None:
    """``ssh -o StrictHostKeyChecking=no host``, ``scp -o UserKnownHostsFile=/dev/null``,
    ``rsync -e 'ssh -o StrictHostKeyChecking=no'``, ``git -c core.sshCommand='ssh -o …'``."""
    if name not in ("ssh", "scp", "sftp", "rsync", "git", "autossh", "sshfs", "mosh"):
        return None
    options = [a for i, a in enumerate(args) if a.startswith("-o") or (i and args[i - 1] == "-o")]
    carried = [a for a in args if "ssh" in a.lower()]  # rsync -e 'ssh …', core.sshCommand=
    if any(host_checks_off(a) for a in options + carried):
        return _HOST_CHECKS_OFF
    return None


def harmless_ssh_command(value: str) -> bool:
    """``ssh -i KEY -o IdentitiesOnly=yes -p 2222``: ssh itself, given a key, a port or
    host-key handling, and nothing that runs a command."""
    words = value.strip().strip("'\"").split()
    if not words or words[0] not in ("ssh", "/usr/bin/ssh"):
        return False
    index = 1
    while index < len(words):
        word = words[index]
        if word in ("-i", "-p", "-l", "-F") and index + 1 < len(words):
            index += 2
        elif (
            word == "-o"
            and index + 1 < len(words)
            and _SSH_SAFE_OPTIONS.fullmatch(words[index + 1])
        ):
            index += 2
        elif word in ("-q", "-v", "-vv", "-4", "-6", "-T", "-x", "-a", "-C"):
            index += 1
        else:
            return False
    return True


def _turns_tls_off(name: str, value: str, *, dynamic: bool) -> bool:
    data = tables()
    upper = name.upper()
    if upper in data.env_ca_bundles:
        return dynamic or value.strip().strip("'\"") == ""  # an emptied CA bundle: no checks
    if upper not in data.env_insecure:
        return False
    safe = data.env_insecure_safe_values.get(upper)
    return dynamic or safe is None or value.strip().strip("'\"").lower() != safe


def _safe_options_only(name: str, value: str) -> bool:
    """Whether ``value`` of an options variable holds only options that load no code."""
    safe = tables().env_safe_options.get(name.upper(), ())
    options = value.strip().strip("'\"").split()
    return bool(safe and options) and all(any(p.fullmatch(o) for p in safe) for o in options)


def _harmless_env(name: str) -> bool:
    data = tables()
    return (
        name in data.env_harmless
        or name.startswith(data.env_harmless_prefixes)
        or (name.upper() in data.env_harmless_value_names)
    )
