"""The files a command reads: which of its words name files, and how each is judged."""

from __future__ import annotations

import re

from gitgate.safety.classify.denies import judge_write_target
from gitgate.safety.classify.model import (
    PYTHON_NAME,
    Ctx,
    Finding,
    Word,
    deny,
)
from gitgate.safety.classify.paths import holds_secrets, join_cwd, judge_path, secret_reason
from gitgate.safety.classify.tables import tables

# -- arguments: the files a command reads ------------------------------------------------------


def argument_findings(name: str, words: list[Word], ctx: Ctx) -> list[Finding]:
    """Deny reading secret files; anything outside the repository or a device needs a human."""
    data = tables()
    if name in data.string_only or name in ("cd", "pushd", "popd", "export"):
        return []
    spec = data.allow.get(name)
    text_operands = spec is not None and spec.operands in ("none", "text")
    contents = (name in data.readers or PYTHON_NAME.fullmatch(name) is not None) and (
        name not in data.name_only
    )
    if name == "git" and contents:
        contents = _git_reads_contents([word.text for word in words[1:]])
    findings: list[Finding] = []
    recursive = _reads_recursively(name, [word.text for word in words[1:]])
    for shown, path, is_option_value in path_candidates(name, words[1:]):
        if text_operands and not is_option_value:
            if secret_reason(path, ctx.rules.sensitive) is None:
                continue
        found = judge_path(
            f"{name} {shown}", path, ctx.cwd[0], contents=contents, extra=ctx.rules.sensitive
        )
        if found is not None and found.decision != "deny" and contents and recursive:
            place = join_cwd(ctx.cwd[0], path)
            holds = holds_secrets(place) if place is not None else None
            if holds is not None:
                found = deny(f"{name} {shown!r} reads every file under it: {holds}")
        if found is not None:
            findings.append(found)
    if name == "tee":
        for word in words[1:]:
            if not word.text.startswith("-"):
                findings.extend(judge_write_target(word.text, f"tee {word.text}"))
    if name in ("cp", "mv", "ln", "install", "rsync"):
        operands = [word.text for word in words[1:] if not word.text.startswith("-")]
        if len(operands) >= 2:
            target = operands[-1]
            written = judge_write_target(target, f"{name} ... {target}")
            if name == "mv" and target.startswith("/dev/"):
                written = [deny(f"mv to {target} destroys the file")]
            findings.extend(written)
    return findings


def _git_reads_contents(args: list[str]) -> bool:
    """Whether this git command prints file contents (show, diff, log -p) or only names."""
    data = tables()
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in ("-C", "-c", "--git-dir", "--work-tree") else 1
    sub = args[index] if index < len(args) else ""
    if sub in data.git_name_only:
        return False
    if sub in ("log", "whatchanged", "shortlog"):
        return any(
            arg == option
            or (option.startswith("-") and len(option) == 2 and arg.startswith(option))
            or arg.startswith(option + "=")
            for arg in args[index + 1 :]
            for option in data.git_patch_options
        )
    return True


_ALWAYS_RECURSIVE = frozenset(["rg", "ag", "ack", "tar", "bsdtar", "7z", "cpio", "rsync", "rclone"])
_ALWAYS_RECURSIVE |= frozenset(["restic", "borg", "duplicity", "zip", "scp", "git"])


def _reads_recursively(name: str, args: list[str]) -> bool:
    """Whether the command reads whole directory trees (grep -r, cp -a, tar, rg)."""
    if name in _ALWAYS_RECURSIVE:
        return True
    for arg in args:
        if arg in ("--recursive", "--dereference-recursive", "--archive"):
            return True
        if re.fullmatch(r"-[a-zA-Z]+", arg) and any(c in arg[1:] for c in "rRa"):
            return name not in ("ls", "du", "sort", "tail", "head", "wc", "cat")
    return False


def path_candidates(name: str, args: list[Word]) -> list[tuple[str, str, bool]]:
    """(word, path, is an option value) for a command's words that may name files.

    Patterns (``grep PATTERN``), messages (``-m MSG``) and formats are skipped; option values
    (``--file=X``, ``-f X`` of pattern commands), ``@file`` (curl), ``dd`` operands
    (``if=X``) and revision paths (``HEAD:.env``) are included.
    """
    data = tables()
    texts = [word.text for word in args]
    pattern_index, file_values = _pattern_positions(name, texts)
    candidates: list[tuple[str, str, bool]] = []
    skip_next = False
    for index, word in enumerate(args):
        text = word.text
        if index == pattern_index:
            continue
        if index in file_values:
            candidates.append((text, text, True))
            continue
        if skip_next:
            skip_next = False
            continue
        if text in data.text_options:
            skip_next = True
            continue
        if text.startswith("-") and len(text) > 1:
            option, equals, value = text.partition("=")
            if equals and option not in data.text_options:
                candidates.extend((text, v, True) for v in _value_paths(value))
            elif (
                not equals and text.startswith("-") and not text.startswith("--") and len(text) > 2
            ):
                attached = text[2:]
                if "/" in attached or attached.startswith((".", "~", "@")):
                    candidates.extend((text, v, True) for v in _value_paths(attached))
            continue
        for expanded in expand_braces(text) if not word.dynamic else [text]:
            candidates.extend((text, v, False) for v in _value_paths(expanded))
        if "=" in text and not text.startswith("="):
            candidates.extend((text, v, True) for v in _value_paths(text.partition("=")[2]))
        if ":" in text and "://" not in text:  # git show HEAD:.env, scp host:path, -v src:dst
            candidates.append((text, text.rsplit(":", 1)[1], False))
            candidates.append((text, text.split(":", 1)[0], False))
    return candidates


_BRACE = re.compile(r"\{([^{}]*,[^{}]*)\}")


def expand_braces(text: str, limit: int = 64) -> list[str]:
    """``a{b,c}d`` -> ``abd``, ``acd`` (what bash does before running the command)."""
    results = [text]
    for _ in range(4):  # nested or repeated groups: a few rounds, bounded
        expanded: list[str] = []
        changed = False
        for item in results:
            match = _BRACE.search(item)
            if match is None:
                expanded.append(item)
                continue
            changed = True
            for choice in match.group(1).split(","):
                expanded.append(item[: match.start()] + choice + item[match.end() :])
        results = expanded[:limit]
        if not changed:
            break
    return results


def _value_paths(value: str) -> list[str]:
    """The paths a value may name: itself, ``@file`` (curl -d @.env), ``name=@file`` (-F)."""
    if "://" in value:
        return []
    paths = [value]
    if value.startswith("@") and len(value) > 1:
        paths.append(value[1:])
    for marker in ("=@", "=<", "@"):
        if marker in value[1:]:
            paths.append(value.split(marker, 1)[1].split(";", 1)[0])
            break
    return paths


def _pattern_positions(name: str, args: list[str]) -> tuple[int | None, set[int]]:
    """For pattern-first commands: the pattern's index and the indexes of file values."""
    grammar = tables().pattern_grammar.get(name)
    if grammar is None:
        return None, set()
    files: set[int] = set()
    pattern_given = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        option, equals, _ = arg.partition("=")
        if arg in grammar.two_valued:
            if arg in grammar.file:
                files.add(index + 2)
            index += 3
            continue
        if arg.startswith("--"):
            if option in grammar.text or option in grammar.file:
                pattern_given = pattern_given or option in grammar.text or name not in ("jq",)
            if option in grammar.file and not equals:
                files.add(index + 1)
            if option in grammar.long_valued and not equals:
                index += 1
            index += 1
            continue
        for position, letter in enumerate(arg[1:], start=1):
            if letter in grammar.valued:
                flag = "-" + letter
                if flag in grammar.text or flag in grammar.file:
                    pattern_given = True
                if position == len(arg) - 1:
                    if flag in grammar.file:
                        files.add(index + 1)
                    index += 1
                break
        index += 1
    if pattern_given or index >= len(args):
        return None, files
    return index, files


def pattern_operand(name: str, args: list[str]) -> str | None:
    """The pattern or program operand of a pattern-first command (grep PATTERN), or None."""
    position, _files = _pattern_positions(name, args)
    return args[position] if position is not None and position < len(args) else None
