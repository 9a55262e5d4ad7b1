"""Errors gitgate raises on purpose, and the exit codes the CLI maps them to.

Every error a user can cause is a :class:`GitgateError` carrying a one-line message and an
optional hint saying what to do next. The CLI boundary (``gitgate.cli``) is the only place that
turns them into output and exit codes; library callers catch them like any exception.
"""

from __future__ import annotations

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
