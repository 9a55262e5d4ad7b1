"""The classifier's rule tables, read once from the packaged ``data/commands.toml``.

The walker (:mod:`gitgate.safety.classify.walker`) holds no command names of its own beyond the
shell's syntax: what is read-only, what is denied, which options run programs, which files
are secret, all live in the data file, typed and checked here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["AllowSpec", "DenyRule", "OptionValues", "Tables", "tables"]


@dataclass(frozen=True, slots=True)
class AllowSpec:
    """How one read-only command's arguments are judged (see the comment in the data file)."""

    operands: str = "files"  # none | files | names | text | variables
    max_operands: int | None = None
    options: str = "known"  # known | any
    flags: frozenset[str] = frozenset()
    valued: frozenset[str] = frozenset()
    letters: str = ""
    numeric: bool = False
    pattern_first: bool = False
    approve_options: dict[str, str] = field(default_factory=dict)
    # a first operand that is a verb which changes something (`vale sync`): verb = why
    approve_verbs: dict[str, str] = field(default_factory=dict)
    deny_options: dict[str, str] = field(default_factory=dict)
    unbounded_options: frozenset[str] = frozenset()
    subcommands: frozenset[str] = frozenset()
    read_verbs: frozenset[str] = frozenset()
    numeric_operands: bool = False
    requires: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class InlinePython:
    """What a read-only ``python -c`` program may use (``[inline_python]``)."""

    modules: frozenset[str]  # importable with -I/-P (the repository off the import path)
    preloaded: frozenset[str]  # importable without: built in or loaded at start-up
    builtins: frozenset[str]
    calls: frozenset[str]  # dotted functions ("json.load", "math.*")
    file_readers: frozenset[str]  # functions whose first argument is a file read
    env_getters: frozenset[str]  # functions whose first argument names a variable read
    methods: frozenset[str]  # methods of values (str, dict, DataFrame...) that only read
    blocked: frozenset[str]  # module attributes that print secrets (os.environ)


@dataclass(frozen=True, slots=True)
class InlineScript:
    """What a read-only one-line program of one language may use (``[inline_scripts.LANG]``)."""

    code_flags: frozenset[str]  # the option whose value is the program (-e, -p, -r)
    options: frozenset[str]  # other options that change nothing it can do
    module_flags: tuple[str, ...]  # -r, -M: loads a library named after it
    libraries: frozenset[str]  # libraries (and node's built-in modules) it may load
    names: frozenset[str]  # globals and keywords
    readers: frozenset[str]  # calls whose one literal argument is a file read
    env: frozenset[str]  # accessors of one environment variable
    member_blocklist: tuple[str, ...]  # member names (globs) that write, run or escape


@dataclass(frozen=True, slots=True)
class DenyRule:
    """A built-in deny rule on arguments (``git push`` with ``--force``)."""

    words: tuple[str, ...]
    any: tuple[str, ...]
    unless: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class QueryRule:
    """A kind of text a client is handed that is denied (``[[queries.GROUP.rules]]``)."""

    patterns: tuple[re.Pattern[str], ...]
    reason: str


@dataclass(frozen=True, slots=True)
class QueryGroup:
    """Clients and the options that carry their text (``"*"``: the operands), with the kinds
    of text denied to them (``[queries.GROUP]``: SQL statements, inline code, dumped tables)."""

    clients: dict[str, tuple[str, ...]]
    rules: tuple[QueryRule, ...]


@dataclass(frozen=True, slots=True)
class SqlClient:
    """A database client's command line (``[sql_clients.NAME]``)."""

    query: frozenset[str]
    hosts: frozenset[str]
    lists: frozenset[str]
    flags: frozenset[str]
    valued: frozenset[str]
    host_operands: bool


@dataclass(frozen=True, slots=True)
class SqlRead:
    """The read-only statement grammar of those clients (``[sql_read]``)."""

    starts: re.Pattern[str]
    denied: re.Pattern[str]
    psql_meta: tuple[re.Pattern[str], ...]
    whole_people: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class MongoRead:
    """What ``mongosh --eval`` may call to stay a read (``[mongo_read]``)."""

    calls: frozenset[str]
    commands: frozenset[str]
    denied: re.Pattern[str]
    flags: frozenset[str]
    valued: frozenset[str]


@dataclass(frozen=True, slots=True)
class InlinePowerShell:
    """What a read-only PowerShell one-liner may use (``[inline_powershell]``)."""

    cmdlets: dict[str, str]
    listers: frozenset[str]
    pattern_first: frozenset[str]
    filters: frozenset[str]
    local_only: frozenset[str]
    switches: frozenset[str]
    methods: frozenset[str]
    variables: frozenset[str]
    environment: frozenset[str]
    static_members: frozenset[str]
    operators: frozenset[str]


@dataclass(frozen=True, slots=True)
class PatternGrammar:
    """Where a pattern-first command's pattern is (see ``[pattern_commands]``)."""

    valued: str
    long_valued: frozenset[str]
    two_valued: frozenset[str]
    text: frozenset[str]
    file: frozenset[str]


@dataclass(frozen=True, slots=True)
class OptionValues:
    """What the values of one command's options are (see ``[option_values]``): free text,
    files whose contents are read, files written. An option in none of them takes no value
    as far as the file checks know, so the word after it is judged as a path."""

    text: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()

    def role(self, option: str) -> str | None:
        """``text``, ``reads``, ``writes`` or None for the option spelled ``option``."""
        if option in self.text:
            return "text"
        if option in self.reads:
            return "reads"
        if option in self.writes:
            return "writes"
        return None


@dataclass(frozen=True, slots=True)
class Carried:
    """A command another program runs (see ``[carried_commands]``): options whose value is
    a shell line, and what the operands after the key are (``shell``: shell lines, joined
    and each alone; ``argv``: a command; ``""``: nothing run)."""

    shell_options: tuple[str, ...]
    operands: str


@dataclass(frozen=True, slots=True)
class Tables:
    """Every table the classifier uses."""

    shells: frozenset[str]
    downloaders: frozenset[str]
    launchers: frozenset[str]
    interactive: frozenset[str]
    version_queries: frozenset[str]
    version_only: frozenset[str]
    version_flags: dict[str, str]
    plugin_switches: dict[str, str]
    unbounded: frozenset[str]
    string_only: frozenset[str]
    option_globs: frozenset[str]
    dsn_consumers: frozenset[str]
    name_only: frozenset[str]
    pattern_first: frozenset[str]
    option_values: dict[str, OptionValues]
    readers: frozenset[str]
    git_name_only: frozenset[str]
    subcommand_words: frozenset[str]
    git_patch_options: tuple[str, ...]
    secret_variable: re.Pattern[str]
    harmless_variables: frozenset[str]
    interpreters: dict[str, tuple[str, ...]]
    decoders: dict[str, tuple[str, ...]]
    code_decode: re.Pattern[str]
    code_exec: re.Pattern[str]
    code_env_dump: re.Pattern[str]
    code_shell: re.Pattern[str]
    program_env: dict[str, re.Pattern[str]]
    program_reads: dict[str, re.Pattern[str]]
    always_deny: dict[str, str]
    system_packages: frozenset[str]
    deny_listing: dict[str, frozenset[str]]
    system_packages_harmless: frozenset[str]
    deny_rules: tuple[DenyRule, ...]
    git_exec_config: tuple[str, ...]
    git_redirect_config: tuple[str, ...]
    git_protection_config: tuple[str, ...]
    git_harmless_config: tuple[str, ...]
    exec_options: dict[str, tuple[str, ...]]
    exec_option_programs: dict[str, frozenset[str]]
    env_exec: frozenset[str]
    env_history: frozenset[str]
    env_hook_bypass: frozenset[str]
    env_exec_prefixes: tuple[str, ...]
    env_harmless_values: frozenset[str]
    env_safe_options: dict[str, tuple[re.Pattern[str], ...]]
    env_insecure: frozenset[str]
    env_insecure_safe_values: dict[str, str]
    env_ca_bundles: frozenset[str]
    env_harmless_value_names: frozenset[str]
    env_harmless: frozenset[str]
    env_harmless_prefixes: tuple[str, ...]
    secret_locations: tuple[str, ...]
    secret_endpoints: tuple[str, ...]
    secret_sources: tuple[str, ...]
    insecure_options: tuple[str, ...]
    forge_endpoints: tuple[str, ...]
    forge_grants: tuple[str, ...]
    ci_configs: tuple[str, ...]
    ci_markers: re.Pattern[str]
    forge_fields: tuple[str, ...]
    credential_file_variables: dict[str, str]
    home_secrets: tuple[str, ...]
    home_readable: frozenset[str]
    startup_files: tuple[str, ...]
    runners: dict[str, frozenset[str]]
    token_hosts: dict[str, tuple[str, ...]]
    wrappers: dict[str, tuple[str, ...]]
    carried: dict[str, Carried]
    loaded_at_start: tuple[str, ...]
    raw_devices: re.Pattern[str]
    harmless_sinks: frozenset[str]
    harmless_sources: frozenset[str]
    system_dirs: tuple[str, ...]
    allow: dict[str, AllowSpec]
    subcommands: dict[str, frozenset[str]]
    samples: tuple[str, ...]
    secret_names: tuple[str, ...]
    secret_name_res: tuple[re.Pattern[str] | None, ...]  # by component count - 1
    rules_by_name: dict[str, tuple[DenyRule, ...]]
    query_groups: tuple[QueryGroup, ...]
    sql_clients: dict[str, SqlClient]
    sql_read: SqlRead
    mongo_read: MongoRead
    inline_powershell: InlinePowerShell
    pattern_grammar: dict[str, PatternGrammar]
    inline_python: InlinePython
    inline_scripts: dict[str, InlineScript]


def _strings(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"commands.toml: {key} must be a list of strings")
    return tuple(value)


def _mapping(data: dict[str, Any], key: str) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"commands.toml: {key} must map strings to strings")
    return {str(k): v for k, v in value.items()}


def _allow_spec(name: str, data: dict[str, Any]) -> AllowSpec:
    operands = str(data.get("operands", "files"))
    options = str(data.get("options", "known"))
    kinds = ("none", "files", "names", "text", "variables")
    if operands not in kinds or options not in ("known", "any"):
        raise ValueError(f"commands.toml: bad [allow.{name}]")
    maximum = data.get("max_operands")
    return AllowSpec(
        operands=operands,
        max_operands=int(maximum) if maximum is not None else None,
        options=options,
        flags=frozenset(_strings(data, "flags")),
        valued=frozenset(_strings(data, "valued")),
        letters=str(data.get("letters", "")),
        numeric=bool(data.get("numeric", False)),
        pattern_first=bool(data.get("pattern_first", False)),
        approve_options=_mapping(data, "approve_options"),
        approve_verbs=_mapping(data, "approve_verbs"),
        deny_options=_mapping(data, "deny_options"),
        unbounded_options=frozenset(_strings(data, "unbounded_options")),
        subcommands=frozenset(_strings(data, "subcommands")),
        read_verbs=frozenset(_strings(data, "read_verbs")),
        numeric_operands=bool(data.get("numeric_operands", False)),
        requires=frozenset(_strings(data, "requires")),
    )


def _option_programs(data: dict[str, Any]) -> dict[str, frozenset[str]]:
    """``[exec_option_programs]``: per "command option", the harmless values; a value
    naming a group (``@pagers``) stands for that group's list."""
    groups = {k: v for k, v in data.items() if k.startswith("@")}
    table: dict[str, frozenset[str]] = {}
    for key in data:
        if key.startswith("@"):
            continue
        expanded: list[str] = []
        for value in _strings(data, key):
            expanded.extend(groups.get(value, [value]))
        table[key.lower() if key.startswith("git -c") else key] = frozenset(expanded)
    return table


def _inline_python(data: dict[str, Any]) -> InlinePython:
    preloaded = frozenset(_strings(data, "preloaded"))
    readers = frozenset(_strings(data, "file_readers"))
    getters = frozenset(_strings(data, "env_getters"))
    return InlinePython(
        modules=frozenset(_strings(data, "modules")) | preloaded,
        preloaded=preloaded,
        builtins=frozenset(_strings(data, "builtins")),
        calls=frozenset(_strings(data, "calls")) | readers | getters,
        file_readers=readers,
        env_getters=getters,
        methods=frozenset(_strings(data, "methods")),
        blocked=frozenset(_strings(data, "blocked")),
    )


def _inline_scripts(data: dict[str, Any]) -> dict[str, InlineScript]:
    common = data.get("common", {})
    scripts: dict[str, InlineScript] = {}
    for name, spec in data.items():
        if name == "common":
            continue
        scripts[name] = InlineScript(
            code_flags=frozenset(_strings(spec, "code_flags")),
            options=frozenset(_strings(spec, "options")),
            module_flags=_strings(spec, "module_flags"),
            libraries=frozenset(_strings(spec, "libraries")),
            names=frozenset(_strings(spec, "names")),
            readers=frozenset(_strings(spec, "readers")),
            env=frozenset(_strings(spec, "env")),
            member_blocklist=_strings(common, "member_blocklist")
            + _strings(spec, "member_blocklist"),
        )
    for alias, name in (("nodejs", "node"), ("rscript", "r")):
        if name in scripts:
            scripts.setdefault(alias, scripts[name])
    return scripts


def _deny_rule(data: dict[str, Any]) -> DenyRule:
    words = tuple(str(data["rule"]).lower().split())
    if not words or not isinstance(data.get("reason"), str):
        raise ValueError(f"commands.toml: bad deny rule {data!r}")
    return DenyRule(words, _strings(data, "any"), _strings(data, "unless"), data["reason"])


def _query_rule(data: dict[str, Any]) -> QueryRule:
    patterns = tuple(
        re.compile(p, re.IGNORECASE | re.MULTILINE) for p in _strings(data, "patterns")
    )
    if not patterns or not isinstance(data.get("reason"), str):
        raise ValueError(f"commands.toml: bad query rule {data!r}")
    return QueryRule(patterns, data["reason"])


def _query_group(data: dict[str, Any]) -> QueryGroup:
    clients = {str(k): tuple(str(o) for o in v) for k, v in dict(data["clients"]).items()}
    return QueryGroup(clients, tuple(_query_rule(rule) for rule in data["rules"]))


def _sql_client(data: dict[str, Any]) -> SqlClient:
    return SqlClient(
        query=frozenset(_strings(data, "query")),
        hosts=frozenset(_strings(data, "hosts")),
        lists=frozenset(_strings(data, "lists")),
        flags=frozenset(_strings(data, "flags")),
        valued=frozenset(_strings(data, "valued")),
        host_operands=bool(data.get("host_operands", False)),
    )


def _sql_read(data: dict[str, Any]) -> SqlRead:
    return SqlRead(
        starts=re.compile(str(data["starts"])),
        denied=re.compile(str(data["denied"])),
        psql_meta=tuple(re.compile(p) for p in _strings(data, "psql_meta")),
        whole_people=re.compile(str(data["whole_people"])),
    )


def _inline_powershell(data: dict[str, Any]) -> InlinePowerShell:
    def lower(key: str) -> frozenset[str]:
        return frozenset(item.lower() for item in _strings(data, key))

    return InlinePowerShell(
        cmdlets={str(k).lower(): str(v) for k, v in dict(data["cmdlets"]).items()},
        listers=lower("listers"),
        pattern_first=lower("pattern_first"),
        filters=lower("filters"),
        local_only=lower("local_only"),
        switches=lower("switches"),
        methods=lower("methods"),
        variables=lower("variables"),
        environment=lower("environment"),
        static_members=lower("static_members"),
        operators=lower("operators"),
    )


def _glob_res(patterns: Iterable[str]) -> tuple[re.Pattern[str] | None, ...]:
    """One regex per number of path components (1, 2, 3) matching any of ``patterns``."""
    groups: list[list[str]] = [[], [], []]
    for pattern in patterns:
        groups[min(pattern.count("/"), 2)].append(fnmatch.translate(pattern))
    return tuple(re.compile("|".join(group)) if group else None for group in groups)


def _by_name(rules: tuple[DenyRule, ...]) -> dict[str, tuple[DenyRule, ...]]:
    grouped: dict[str, list[DenyRule]] = {}
    for rule in rules:
        grouped.setdefault(rule.words[0], []).append(rule)
    return {name: tuple(found) for name, found in grouped.items()}


def _with_grammars(
    values: dict[str, OptionValues], grammars: dict[str, PatternGrammar]
) -> dict[str, OptionValues]:
    """Pattern-first commands' option values from their grammar: a `file` option is read;
    every other valued option (pattern, count, colour) is text, unless the command's own
    ``[option_values]`` entry gives it another role (grep --include=GLOB names files read)."""
    merged = dict(values)
    for name, grammar in grammars.items():
        own = values.get(name, OptionValues())
        valued = {"-" + letter for letter in grammar.valued} | grammar.long_valued
        reads = own.reads | grammar.file
        merged[name] = OptionValues(
            text=own.text | frozenset(valued - reads - own.writes), reads=reads, writes=own.writes
        )
    return merged


def _pattern_grammars(data: dict[str, Any]) -> dict[str, PatternGrammar]:
    grammars = {
        name: PatternGrammar(
            valued=str(spec.get("valued", "")),
            long_valued=frozenset(_strings(spec, "long_valued")),
            two_valued=frozenset(_strings(spec, "two_valued")),
            text=frozenset(_strings(spec, "text")),
            file=frozenset(_strings(spec, "file")),
        )
        for name, spec in data.items()
    }
    for alias, name in (("egrep", "grep"), ("fgrep", "grep"), ("ack", "grep")):
        grammars[alias] = grammars[name]
    for alias in ("gawk", "mawk", "nawk"):
        grammars[alias] = grammars["awk"]
    return grammars


def _program_env(data: dict[str, Any]) -> dict[str, re.Pattern[str]]:
    patterns = {name: re.compile(str(text)) for name, text in data.items()}
    for alias, name in (("gawk", "awk"), ("mawk", "awk"), ("nawk", "awk")):
        if name in patterns:
            patterns.setdefault(alias, patterns[name])
    return patterns


def _option_values(data: dict[str, Any]) -> dict[str, OptionValues]:
    values: dict[str, OptionValues] = {}
    for name, spec in data.items():
        if not isinstance(spec, dict) or set(spec) - {"text", "reads", "writes"}:
            raise ValueError(f"commands.toml: bad [option_values.{name}]")
        text, reads, writes = (frozenset(_strings(spec, k)) for k in ("text", "reads", "writes"))
        if text & reads or text & writes or reads & writes:
            raise ValueError(f"commands.toml: [option_values.{name}] gives an option two roles")
        values[name] = OptionValues(text, reads, writes)
    return values


def _carried(key: str, spec: Any) -> Carried:
    if not isinstance(spec, dict) or set(spec) - {"shell_options", "operands"}:
        raise ValueError(f"commands.toml: bad [carried_commands] entry {key!r}")
    operands = str(spec.get("operands", ""))
    if operands not in ("", "shell", "argv"):
        raise ValueError(f"commands.toml: [carried_commands] {key!r}: operands {operands!r}")
    return Carried(_strings(spec, "shell_options"), operands)


def load_tables(text: str) -> Tables:
    """Parse the data file's text into :class:`Tables` (raises ValueError when malformed)."""
    import tomllib  # here: the packaged tables are read from their JSON copy

    return tables_from_data(tomllib.loads(text))


def tables_from_data(data: dict[str, Any]) -> Tables:
    """:class:`Tables` from the parsed data file (raises ValueError when malformed)."""
    names, deny, env, secrets = data["names"], data["deny"], data["environment"], data["secrets"]
    decode = data["decode"]
    rules = tuple(_deny_rule(rule) for rule in deny.get("rules", []))
    return Tables(
        shells=frozenset(_strings(names, "shells")),
        downloaders=frozenset(_strings(names, "downloaders")),
        launchers=frozenset(_strings(names, "launchers")),
        interactive=frozenset(_strings(names, "interactive")),
        version_queries=frozenset(_strings(names, "version_queries")),
        version_only=frozenset(_strings(names, "version_only")),
        version_flags={str(k): str(v) for k, v in names["version_flags"].items()},
        plugin_switches={str(k): str(v) for k, v in names["plugin_switches"].items()},
        unbounded=frozenset(_strings(names, "unbounded")),
        string_only=frozenset(_strings(names, "string_only")),
        option_globs=frozenset(_strings(names, "option_globs")),
        dsn_consumers=frozenset(_strings(names, "dsn_consumers")),
        name_only=frozenset(_strings(names, "name_only")),
        pattern_first=frozenset(_strings(names, "pattern_first")),
        option_values=_with_grammars(
            _option_values(data.get("option_values", {})),
            _pattern_grammars(data["pattern_commands"]),
        ),
        readers=frozenset(_strings(names, "readers")),
        git_name_only=frozenset(_strings(names, "git_name_only")),
        subcommand_words=frozenset(_strings(names, "subcommand_words")),
        git_patch_options=_strings(names, "git_patch_options"),
        secret_variable=re.compile(str(names["secret_variable"])),
        harmless_variables=frozenset(_strings(names, "harmless_variables")),
        interpreters={k: tuple(v) for k, v in data["interpreters"].items()},
        decoders={k: tuple(v) for k, v in decode["commands"].items()},
        code_decode=re.compile(str(decode["code_decode"])),
        code_exec=re.compile(str(decode["code_exec"])),
        code_env_dump=re.compile(str(decode["code_env_dump"]), re.MULTILINE),
        code_shell=re.compile(str(decode["code_shell"])),
        program_env=_program_env(data.get("program_env", {})),
        program_reads=_program_env(data.get("program_reads", {})),
        always_deny=_mapping(deny, "always"),
        system_packages=frozenset(_strings(deny["system_packages"], "names")),
        deny_listing={k: frozenset(v) for k, v in deny.get("listing", {}).items()},
        system_packages_harmless=frozenset(_strings(deny["system_packages"], "harmless")),
        deny_rules=rules,
        git_exec_config=_strings(data["git"], "exec_config"),
        git_redirect_config=_strings(data["git"], "redirect_config"),
        git_protection_config=_strings(data["git"], "protection_config"),
        git_harmless_config=_strings(data["git"], "harmless_config"),
        exec_options={k: tuple(v) for k, v in data["exec_options"].items()},
        exec_option_programs=_option_programs(data.get("exec_option_programs", {})),
        env_exec=frozenset(_strings(env, "exec")),
        env_history=frozenset(_strings(env, "history")),
        env_hook_bypass=frozenset(_strings(env, "hook_bypass")),
        env_exec_prefixes=_strings(env, "exec_prefixes"),
        env_harmless_values=frozenset(_strings(env, "harmless_values")),
        env_insecure=frozenset(_strings(env, "insecure")),
        env_insecure_safe_values={
            str(k).upper(): str(v) for k, v in dict(env.get("insecure_safe_values", {})).items()
        },
        env_ca_bundles=frozenset(_strings(env, "ca_bundles")),
        env_safe_options={
            str(k).upper(): tuple(re.compile(str(p)) for p in v)
            for k, v in dict(env.get("safe_options", {})).items()
        },
        env_harmless_value_names=frozenset(_strings(env, "harmless_value_names")),
        env_harmless=frozenset(_strings(env, "harmless")),
        env_harmless_prefixes=_strings(env, "harmless_prefixes"),
        secret_locations=_strings(secrets, "locations"),
        secret_endpoints=_strings(secrets, "endpoints"),
        secret_sources=_strings(secrets, "sources"),
        insecure_options=_strings(secrets, "insecure_options"),
        forge_endpoints=_strings(secrets, "forge_endpoints"),
        forge_grants=_strings(secrets, "forge_grants"),
        ci_configs=_strings(secrets, "ci_configs"),
        ci_markers=re.compile("|".join(f"(?:{m})" for m in _strings(secrets, "ci_markers")), re.I),
        forge_fields=_strings(secrets, "forge_fields"),
        credential_file_variables={str(k): str(v) for k, v in secrets["file_variables"].items()},
        home_secrets=tuple(name.lower() for name in _strings(secrets, "home")),
        home_readable=frozenset(name.lower() for name in _strings(secrets, "home_readable")),
        startup_files=tuple(name.lower() for name in _strings(secrets, "startup_files")),
        runners={
            name: frozenset(str(sub) for sub in subs)
            for name, subs in dict(data.get("runners", {})).items()
        },
        token_hosts={
            str(k): tuple(str(h) for h in v) for k, v in dict(data.get("token_hosts", {})).items()
        },
        wrappers={
            str(k): tuple(str(o) for o in v) for k, v in dict(data.get("wrappers", {})).items()
        },
        carried={
            str(k): _carried(str(k), v) for k, v in dict(data.get("carried_commands", {})).items()
        },
        loaded_at_start=tuple(name.lower() for name in _strings(secrets, "loaded_at_start")),
        raw_devices=re.compile(str(secrets["raw_devices"])),
        harmless_sinks=frozenset(_strings(secrets, "harmless_sinks")),
        harmless_sources=frozenset(_strings(secrets, "harmless_sources")),
        system_dirs=_strings(secrets, "system_dirs"),
        allow={name: _allow_spec(name, spec) for name, spec in data["allow"].items()},
        subcommands={k: frozenset(v) for k, v in data["subcommands"].items()},
        samples=_strings(secrets, "samples"),
        secret_names=tuple(name.lower() for name in _strings(secrets, "names")),
        secret_name_res=_glob_res(name.lower() for name in _strings(secrets, "names")),
        rules_by_name=_by_name(rules),
        query_groups=tuple(_query_group(group) for group in data["queries"].values()),
        sql_clients={str(k): _sql_client(v) for k, v in data["sql_clients"].items()},
        sql_read=_sql_read(data["sql_read"]),
        inline_powershell=_inline_powershell(data["inline_powershell"]),
        mongo_read=MongoRead(
            calls=frozenset(_strings(data["mongo_read"], "calls")),
            commands=frozenset(_strings(data["mongo_read"], "commands")),
            denied=re.compile(str(data["mongo_read"]["denied"])),
            flags=frozenset(_strings(data["mongo_read"], "flags")),
            valued=frozenset(_strings(data["mongo_read"], "valued")),
        ),
        pattern_grammar=_pattern_grammars(data["pattern_commands"]),
        inline_python=_inline_python(data["inline_python"]),
        inline_scripts=_inline_scripts(data.get("inline_scripts", {})),
    )


@lru_cache(maxsize=1)
def tables() -> Tables:
    """The packaged tables (read and checked once per process)."""
    from gitgate.safety import datacopy  # the TOML through its JSON copy: ~30 ms less a start

    return tables_from_data(datacopy.load("commands"))
