"""Start-up: what each command imports, the lazy CLI's help, and bashlex's loaded tables.

These tests check WHAT is imported or rebuilt, never how long it takes (that is
benchmarks/bench_startup.py).
"""

from __future__ import annotations

import importlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from tests.gitutil import imported_modules

from gitgate.cli import _base, main
from gitgate.cli.safety_cmds import may_be_in_repository
from gitgate.errors import GitgateError
from gitgate.safety.classify import bashlex_tables
from gitgate.store.gitstore import GitStore

CORPORA = Path(__file__).resolve().parents[2] / "benchmarks" / "corpora"


def _env(**extra: str) -> dict[str, str]:
    """The environment for a child Python that imports this very copy of gitgate."""
    import gitgate

    src = str(Path(gitgate.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


# Runs the CLI as the console script does, then reports what the process loaded.
PROBE = """
import json, sys
from gitgate.cli import main
try:
    main(sys.argv[1:], prog_name="gitgate")
except SystemExit:
    pass
parser = sys.modules.get("bashlex.parser")
rebuilt = None
if parser is not None:
    # PLY fills each production's LR items only when it builds the tables.
    rebuilt = any(p.lr_items for p in parser.yaccparser.productions)
print(json.dumps({
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("pygit2", "bashlex", "gitgate")),
    "tables_rebuilt": rebuilt,
}), file=sys.stderr)
"""


def _probe(cwd: Path, *args: str, stdin: str = "") -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    report: dict[str, object] = json.loads(proc.stderr.strip().splitlines()[-1])
    return report


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory with no repository at or above it (else the test says nothing)."""
    path = tmp_path / "outside"
    path.mkdir()
    if may_be_in_repository(str(path)):
        pytest.skip(f"{tmp_path} is inside a git repository or a git directory")
    return path


@pytest.mark.parametrize(
    "args",
    [["--help"], ["classify", "--", "ls"], ["check-path", "x"], ["redact"]],
    ids=["help", "classify", "check-path", "redact"],
)
def test_light_commands_do_not_load_git(outside: Path, args: list[str]) -> None:
    report = _probe(outside, *args, stdin="password=hunter2hunter2\n")
    modules = report["modules"]
    assert isinstance(modules, list)
    assert "pygit2" not in modules
    assert "gitgate.store.gitstore" not in modules and "gitgate.workflow" not in modules
    if args[0] != "classify":
        assert not any(m.startswith("bashlex") for m in modules)


def test_classify_loads_bashlex_tables_instead_of_rebuilding(outside: Path) -> None:
    report = _probe(outside, "classify", "--json", "--", "ls", "-la", "|", "wc", "-l")
    assert "bashlex.parser" in report["modules"]  # type: ignore[operator]
    assert report["tables_rebuilt"] is False


def test_help_loads_no_command_module(outside: Path) -> None:
    modules = _probe(outside, "--help")["modules"]
    assert isinstance(modules, list)
    assert [m for m in modules if m.startswith("gitgate.cli.") and m != "gitgate.cli._base"] == []


def _python_imports(args: list[str], cwd: Path) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=cwd,
        input="",
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return imported_modules(proc.stderr)


def test_hook_process_loads_neither_cli_nor_classifier(tmp_path: Path) -> None:
    # Observed from outside: the hook ends its process with os._exit (no teardown). What the
    # interpreter's own start imports (site, .pth files) is not the hook's doing.
    start = _python_imports(["-c", "pass"], tmp_path)
    modules = _python_imports(["-m", "gitgate", "hook", "pre-receive"], tmp_path) - start
    assert "gitgate.server.hook" in modules
    for heavy in (
        "click",
        "bashlex",
        "pygit2",
        "gitgate.workflow",
        "gitgate.export.bundle",
        "gitgate.safety.classify",
        # what the hook does without (docs/ARCHITECTURE.md, "Start-up")
        "typing",
        "inspect",
        "tomllib",
        "threading",
    ):
        assert heavy not in modules


# -- the lazy group ----------------------------------------------------------------------------


def _load_all() -> None:
    for name in _base.COMMANDS:
        _base.load_command_modules(name)


def test_every_command_is_in_the_table_with_its_real_short_help() -> None:
    _load_all()
    assert set(main.commands) == set(_base.COMMANDS)
    for name, lazy in _base.COMMANDS.items():
        real = main.commands[name]
        stub = click.Command(name, help=lazy.short_help)
        assert not real.hidden and real.short_help is None, name
        for limit in range(10, 200, 7):
            assert stub.get_short_help_str(limit) == real.get_short_help_str(limit), (name, limit)
        first_paragraph = " ".join((real.help or "").split("\n\n")[0].split())
        assert lazy.short_help == first_paragraph, name


def test_propose_command_is_there_when_propose_is_loaded_lazily() -> None:
    ctx = click.Context(main)
    propose = main.get_command(ctx, "propose")
    assert isinstance(propose, click.Group)
    assert {"patch", "write", "create", "delete", "command"} <= set(propose.commands)


def test_help_is_the_same_before_and_after_loading_every_command() -> None:
    # In a fresh process, so nothing is loaded before the first --help.
    probe = (
        "from click.testing import CliRunner\n"
        "from gitgate.cli import main, _base\n"
        "first = CliRunner().invoke(main, ['--help'], terminal_width=W).output\n"
        "[_base.load_command_modules(n) for n in _base.COMMANDS]\n"
        "second = CliRunner().invoke(main, ['--help'], terminal_width=W).output\n"
        "assert 'Commands:' in first and first == second, (first, second)\n"
    )
    for width in (50, 80, 140):
        subprocess.run(
            [sys.executable, "-c", probe.replace("W", str(width))],
            check=True,
            capture_output=True,
            env=_env(),
        )


def test_an_unknown_command_is_still_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_public_api_names_resolve() -> None:
    import gitgate

    for name in gitgate.__all__:
        assert getattr(gitgate, name) is not None
    with pytest.raises(AttributeError):
        gitgate.no_such_name  # noqa: B018


# -- may_be_in_repository against git's own discovery -------------------------------------------


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _discovers(path: Path) -> bool:
    try:
        GitStore.open(path)
    except GitgateError:
        return False
    return True


@pytest.mark.parametrize("seed", range(12))
def test_fast_repository_check_never_misses_a_repository(tmp_path: Path, seed: int) -> None:
    """Random layouts: wherever git finds a repository, the fast check says 'maybe'."""
    rng = random.Random(seed)
    root = tmp_path / "root"
    dirs = [root]
    root.mkdir()
    for i in range(12):
        parent = rng.choice(dirs)
        child = parent / f"d{i}"
        child.mkdir()
        dirs.append(child)
    for directory in rng.sample(dirs[1:], 3):
        kind = rng.choice(["work", "bare", "gitfile", "link"])
        target = directory / "r"
        if kind == "work":
            _git("init", "-q", str(target), cwd=tmp_path)
            (target / "sub" / "deeper").mkdir(parents=True)
            dirs += [target / "sub", target / "sub" / "deeper"]
        elif kind == "bare":
            _git("init", "-q", "--bare", str(target), cwd=tmp_path)
            dirs += [target, target / "refs"]
        elif kind == "gitfile":
            real = tmp_path / f"gitdir{seed}-{len(dirs)}"
            _git("init", "-q", "--separate-git-dir", str(real), str(target), cwd=tmp_path)
            dirs.append(target)
        else:
            other = tmp_path / f"elsewhere{len(dirs)}"
            _git("init", "-q", str(other), cwd=tmp_path)
            (other / "inner").mkdir()
            target.symlink_to(other / "inner")
            dirs.append(target)
    for directory in dirs:
        if _discovers(directory):
            assert may_be_in_repository(str(directory)), directory
    for directory in dirs:  # and it is not just always 'maybe'
        if not may_be_in_repository(str(directory)):
            assert not _discovers(directory)
    if not may_be_in_repository(str(tmp_path)):
        assert not may_be_in_repository(str(root))


def test_fast_repository_check_is_unsure_when_it_cannot_know(tmp_path: Path) -> None:
    assert may_be_in_repository(str(tmp_path / "does-not-exist"))
    os.environ["GIT_DIR"] = str(tmp_path)
    try:
        assert may_be_in_repository(str(tmp_path))
    finally:
        del os.environ["GIT_DIR"]


# -- bashlex tables ------------------------------------------------------------------------------

# Builds bashlex's tables the slow way (no packaged file, an empty cache) in a fresh process.
BUILD = """
import json, sys
from pathlib import Path
from gitgate.safety.classify import bashlex_tables as bt
bt.PACKAGED = Path("/nonexistent/bashlex_tables.json")
bt.import_bashlex()
import bashlex.parser, bashlex.yacc
key = bt._grammar_key(bashlex.yacc, bashlex.parser)[0]
print(json.dumps({"source": bt.source, "cached": bt._read(bt.cache_path(key))}))
"""


def _build_in_child(cache: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", BUILD],
        capture_output=True,
        text=True,
        check=True,
        env=_env(XDG_CACHE_HOME=str(cache)),
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_packaged_tables_are_exactly_what_bashlex_builds(tmp_path: Path) -> None:
    built = _build_in_child(tmp_path / "cache")
    assert built["source"] == "built"
    packaged = json.loads(bashlex_tables.PACKAGED.read_text())
    assert built["cached"] == packaged, (
        "bashlex changed: run `python -m gitgate.safety.classify.bashlex_tables` to refresh the file"
    )


def test_a_miss_writes_a_private_cache_that_the_next_start_uses(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _build_in_child(cache)
    files = list((cache / "gitgate").glob("bashlex-tables-*.json"))
    assert len(files) == 1
    again = _build_in_child(cache)
    assert again["source"] == "cache"
    files[0].chmod(0o666)  # writable by others: not trusted, built again
    assert _build_in_child(cache)["source"] == "built"


PARSE_ALL = """
import json, sys
from pathlib import Path
from gitgate.safety.classify import bashlex_tables as bt
if sys.argv[1] == "built":
    bt.PACKAGED = Path("/nonexistent/bashlex_tables.json")
bashlex = bt.import_bashlex()
out = []
for text in json.loads(sys.stdin.read()):
    try:
        out.append([node.dump() for node in bashlex.parse(text)])
    except Exception as exc:
        out.append(type(exc).__name__ + ": " + str(exc))
print(json.dumps({"source": bt.source, "parses": out}))
"""


def _corpus_commands() -> list[str]:
    commands = []
    for name in ("commands_tune.tsv", "commands_eval.tsv", "commands_probe.tsv"):
        for line in (CORPORA / name).read_text().splitlines():
            if line and not line.startswith("#"):
                commands.append(line.split("\t", 2)[-1])
    return commands


def _random_commands(rng: random.Random, count: int) -> list[str]:
    pieces = [
        "ls", "-la", "|", "&&", "||", ";", "echo", "$(", ")", "`", "'", '"', "x", "${a}",
        "for i in 1 2; do", "done", "if true; then", "fi", "(", "{", "}", ">", "<", "2>&1",
        "<<EOF\nhi\nEOF\n", "\n", "#c", "a=b", "!", "case x in x) y;; esac", "while :; do",
    ]  # fmt: skip
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))) for _ in range(count)]


def test_loaded_tables_parse_like_rebuilt_ones(tmp_path: Path) -> None:
    """The fast path against the slow one on the command corpora and random shell text."""
    texts = _corpus_commands() + _random_commands(random.Random(14), 400)
    env = _env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    results = {}
    for mode in ("packaged", "built"):
        proc = subprocess.run(
            [sys.executable, "-c", PARSE_ALL, mode],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        results[mode] = json.loads(proc.stdout)
    assert results["packaged"]["source"] == "packaged"
    assert results["built"]["source"] == "built"
    assert results["packaged"]["parses"] == results["built"]["parses"]
    assert any(isinstance(p, list) for p in results["built"]["parses"])  # not all errors


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t["action"][0].update({"x": 10**6}),  # a shift to no state
        lambda t: t["action"][0].update({"x": -(10**6)}),  # a reduce by no production
        lambda t: t["productions"][1].__setitem__(2, "p_no_such_action"),
        lambda t: t["goto"].pop(),
        lambda t: t["action"][1].update({"x": "1"}),
    ],
)
def test_damaged_tables_are_refused(damage: object) -> None:
    import bashlex.parser
    import bashlex.yacc

    key, pinfo = bashlex_tables._grammar_key(bashlex.yacc, bashlex.parser)
    tables = json.loads(bashlex_tables.PACKAGED.read_text())
    bashlex_tables._parser_from(bashlex.yacc, tables, pinfo, bashlex.parser)  # intact: fine
    assert callable(damage)
    damage(tables)
    with pytest.raises((ValueError, KeyError)):
        bashlex_tables._parser_from(bashlex.yacc, tables, pinfo, bashlex.parser)
    importlib.import_module("bashlex")  # still importable as ever


def test_a_command_split_over_modules_is_whole_whichever_module_came_first() -> None:
    """`propose` is registered by proposals.py and `propose command` by run_cmds.py: a process
    that imported proposals.py itself (the MCP server does) still gets `propose command`."""
    script = (
        "import gitgate.cli.proposals\n"
        "from gitgate.cli import main\n"
        "main(['propose', 'command', '--help'], prog_name='gitgate')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage: gitgate propose command" in proc.stdout
