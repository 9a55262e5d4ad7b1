"""Errors gitgate raises on purpose, and the exit codes the CLI maps them to.

Every error a user can cause is a :class:`GitgateError` carrying a one-line message and an
optional hint saying what to do next. The CLI boundary (``gitgate.cli``) is the only place that
turns them into output and exit codes; library callers catch them like any exception.
"""

from __future__ import annotations

import errno
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``gitgate`` command (documented in README.md)."""

    OK = 0
    ERROR = 1  # a user mistake or a refused operation: see the message
    USAGE = 2  # bad command-line usage (click)
    INTERNAL = 3  # a bug in gitgate: please report it
    DENIED = 4  # a command was classified ``deny`` and refused
    PENDING = 5  # the command needs approval: a proposal was created instead
    INTERRUPTED = 130


class GitgateError(Exception):
    """Base class of every error gitgate reports to a user.

    Args:
        message: one line saying what went wrong.
        hint: optional next step for the user.
    """

    exit_code: ExitCode = ExitCode.ERROR
    code: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_json(self) -> dict[str, object]:
        """Machine-readable form used by ``--json`` output."""
        out: dict[str, object] = {"error": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class NotAGitgateRepo(GitgateError):
    """The repository has no gitgate policy yet."""

    code = "not-initialised"


class NotARepository(GitgateError):
    """The path is not a git repository."""

    code = "not-a-repository"


class UnknownProposal(GitgateError):
    """No proposal matches the given id or prefix."""

    code = "unknown-proposal"


class AmbiguousProposal(GitgateError):
    """More than one proposal matches the given prefix."""

    code = "ambiguous-proposal"


class NotAnApprover(GitgateError):
    """The actor is not named as an approver in the policy."""

    code = "not-an-approver"


class SelfApproval(GitgateError):
    """The requester of a proposal tried to approve it."""

    code = "self-approval"


class AlreadyDecided(GitgateError):
    """The proposal is no longer pending."""

    code = "already-decided"


class StaleProposal(GitgateError):
    """The proposal is not the exact commit the approver reviewed (``approve --commit``)."""

    code = "stale-proposal"


class PatchDoesNotApply(GitgateError):
    """A patch could not be applied to its base."""

    code = "patch-does-not-apply"


class UnsafePath(GitgateError):
    """A proposal touches a path the path policy refuses."""

    code = "unsafe-path"


class SecretDetected(GitgateError):
    """A proposal adds content that contains a secret (push protection)."""

    code = "secret-detected"


class ConcurrentUpdate(GitgateError):
    """A ref moved while gitgate was updating it; nothing was changed."""

    code = "concurrent-update"


class PolicyError(GitgateError):
    """The policy file is missing, malformed or refuses the operation."""

    code = "policy"


class CommandDenied(GitgateError):
    """A command was classified ``deny``."""

    code = "command-denied"
    exit_code = ExitCode.DENIED


class GitError(GitgateError):
    """A git operation failed for a reason outside gitgate's control."""

    code = "git"


class EnvironmentFault(GitgateError):
    """The OS, the disk or the repository failed under gitgate (not a bug in gitgate)."""

    code = "environment"


_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free space, then run `gitgate doctor`",
    errno.EDQUOT: "the disk quota is exceeded: free space, then run `gitgate doctor`",
    errno.EROFS: "the repository is on a read-only file system",
    errno.EACCES: "check the repository's owner and permissions (run gitgate as its owner)",
    errno.EPERM: "check the repository's owner and permissions (run gitgate as its owner)",
}


_OS_TEXTS = {
    "No space left": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
}


def environment_fault(exc: BaseException) -> EnvironmentFault | None:
    """Describe an error of the environment (OS, disk, corrupt repository), or None.

    libgit2's errors arrive as ``pygit2.GitError`` (or a KeyError/ValueError from pygit2);
    gitgate's record parsers raise ``RecordError`` (a ValueError) for a corrupt entry.
    """
    if isinstance(exc, OSError):
        code = exc.errno or next((c for m, c in _OS_TEXTS.items() if m in str(exc)), 0)
        hint = _OS_HINTS.get(code, "run `gitgate doctor` to check the repository")
        return EnvironmentFault(f"{exc.strerror or exc}", hint=hint)
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    text = str(exc)
    if "owned by" in text or "dubious ownership" in text or "safe.directory" in text:
        return EnvironmentFault(
            f"the repository belongs to another user: {text}",
            hint="run gitgate as the repository's owner (e.g. `sudo -u git gitgate …`), or "
            "mark it safe: `git config --global --add safe.directory PATH`",
        )
    if module.startswith(("pygit2", "_pygit2")):
        if "unsupported extension" in text and "refstorage" in text.lower():
            # libgit2 (and so pygit2) has no reftable backend yet; git >= 2.45 can write one.
            return EnvironmentFault(
                f"this repository keeps its refs in the reftable format, which libgit2 cannot "
                f"read yet: {text}",
                hint="convert it to the files format with `git refs migrate --ref-format=files` "
                "(git >= 2.46), or clone it with `git clone --ref-format=files`",
            )
        if "mandatory extension" in text and "'link'" in text:
            # git's split index (core.splitIndex): libgit2 reads no split index.
            return EnvironmentFault(
                f"this repository's index is split (core.splitIndex), which libgit2 cannot "
                f"read: {text}",
                hint="join it with `git update-index --no-split-index` and set "
                "`git config core.splitIndex false`",
            )
        if "unsupported extension" in text:
            return EnvironmentFault(
                f"git: {text}",
                hint="the repository uses a git feature libgit2 does not support; use one "
                "without that extension (see `git config --list | grep extensions`)",
            )
        # libgit2 reports OS faults as text, not errno.
        for marker, code in _OS_TEXTS.items():
            if marker in text:
                return EnvironmentFault(f"git: {text}", hint=_OS_HINTS[code])
        return EnvironmentFault(
            f"git: {text}",
            hint="the repository may be damaged: check it with `git fsck`, then `gitgate doctor`",
        )
    if name == "RecordError":
        return EnvironmentFault(
            f"a gitgate record is corrupt: {text}",
            hint="run `gitgate audit verify` to find it, then `gitgate doctor`",
        )
    return None
