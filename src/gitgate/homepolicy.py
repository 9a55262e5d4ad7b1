"""Where a repository's policy lives: its home branch and the ``.gitgate.toml`` committed there.

The home branch is the one pinned in git config (``gitgate.branch``, set by ``gitgate init``
and ``gitgate hook install``), else the first of HEAD's branch, ``main`` and ``master`` that
carries a policy. Read through any :class:`~gitgate.store.gitobjects.RepoReader`: ``Gate`` reads it
with libgit2; ``classify`` and ``check-path`` inside a repository read it through git's
plumbing (``gitread``), so they answer without importing pygit2. (The pre-receive hook looks
only at the pinned branch: see ``hook.load_home``.)
"""

from __future__ import annotations

from gitgate.errors import NotAGitgateRepo
from gitgate.policy import POLICY_PATH

TYPE_CHECKING = False  # without importing typing: docs/ARCHITECTURE.md, "Start-up"
if TYPE_CHECKING:
    from gitgate.store.gitobjects import RepoReader

CONFIG_BRANCH = "gitgate.branch"  # the one place every reader of the policy looks first


def home_branch(store: RepoReader) -> str:
    """The branch whose policy configures gitgate in this repository.

    Raises:
        NotAGitgateRepo: when no branch is pinned and none of the candidates has a policy.
    """
    configured = store.config_get(CONFIG_BRANCH)
    if configured:
        return configured
    for candidate in (store.head_branch(), "main", "master"):
        if candidate and policy_text(store, candidate) is not None:
            return candidate
    raise NotAGitgateRepo(
        "this repository is not set up for gitgate",
        hint="run `gitgate init --approver you@example.com` (or `gitgate init` in a clone)",
    )


def policy_text(store: RepoReader, branch: str) -> bytes | None:
    """The policy file's bytes at the tip of ``branch``, or None."""
    tip = store.resolve(f"refs/heads/{branch}")
    return store.read_path(tip, POLICY_PATH) if tip else None
