"""Tree edits and the checks they pass: the bridge between the store and the pure checks.

An *edit* maps a tree path to its new entry (None: deleted). Proposals of every kind, the
result of an approved command, and pushed pending branches (the hook) all become edits and all
pass :func:`check_edits` — one gate, whatever the way in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from gitgate.errors import UnsafePath
from gitgate.policy import Policy
from gitgate.safety.checks import (
    NewContent,
    SecretHit,
    check_paths,
    check_symlinks,
    find_added_secrets,
    refuse_secrets,
)
from gitgate.store.gitobjects import (
    MODE_BLOB,
    MODE_EXEC,
    MODE_GITLINK,
    MODE_LINK,
    MODE_TREE,
    TreeEntry,
)

if TYPE_CHECKING:
    from gitgate.store.gitobjects import RepoReader

Edits = Mapping[str, TreeEntry | None]


def edits_between(store: RepoReader, old_tree: str, new_tree: str) -> dict[str, TreeEntry | None]:
    """The edits that turn ``old_tree`` into ``new_tree`` (renames as delete + add).

    Every changed path, from the walk that skips equal subtrees (and leaves wide directories
    to git): no rename detection, stats or patch text, which an edit list does not use.
    """
    return {p: store.tree_entry(new_tree, p) for p in store.changed_paths(old_tree, new_tree)}


def check_edits(
    store: RepoReader, base_tree: str, edits: Edits, policy: Policy, *, allow_secret: bool
) -> list[SecretHit]:
    """Refuse unsafe paths, escaping symlinks and (unless allowed) added secrets.

    Returns the secrets that were found and allowed, for the audit log.

    Raises:
        UnsafePath / SecretDetected.
    """

    def was_symlink(path: str) -> bool:
        entry = store.tree_entry(base_tree, path)
        return entry is not None and entry.mode == MODE_LINK

    def will_be_symlink(path: str) -> bool:
        if path in edits:
            entry = edits[path]
            return entry is not None and entry.mode == MODE_LINK
        return was_symlink(path)

    # A deleted path is judged against the tree before the change, a written path against the
    # tree after it: deleting files under a directory that becomes a symlink writes nothing
    # through the link, and files written where a symlink was removed land in a real directory.
    deleted = sorted(p for p, e in edits.items() if e is None)
    written = sorted(p for p, e in edits.items() if e is not None)
    extra = policy.sensitive_paths
    check_paths(deleted, extra_sensitive=extra, is_symlink=was_symlink)
    check_paths(written, extra_sensitive=extra, is_symlink=will_be_symlink)
    links = [
        NewContent(p, e.mode, store.read_blob(e.oid))
        for p, e in edits.items()
        if e is not None and e.mode == MODE_LINK
    ]
    check_symlinks(links)
    _refuse_new_gitlinks(store, base_tree, edits)
    hits = find_added_secrets(_contents(store, base_tree, edits))
    if not allow_secret:
        refuse_secrets(hits)
    return hits


def _contents(store: RepoReader, base_tree: str, edits: Edits) -> list[NewContent]:
    out: list[NewContent] = []
    for path, entry in sorted(edits.items()):
        if entry is None or entry.mode not in (MODE_BLOB, MODE_EXEC):
            continue
        old = store.tree_entry(base_tree, path)
        old_data = store.read_blob(old.oid) if old and old.mode != MODE_TREE else None
        out.append(NewContent(path, entry.mode, store.read_blob(entry.oid), old_data))
    return out


def _refuse_new_gitlinks(store: RepoReader, base_tree: str, edits: Edits) -> None:
    # A submodule entry makes clones fetch another repository; adding one needs .gitmodules,
    # which is refused anyway, so a new gitlink can only be a smuggled embedded repository.
    for path, entry in edits.items():
        if entry is None or entry.mode != MODE_GITLINK:
            continue
        old = store.tree_entry(base_tree, path)
        if old is None or old.mode != MODE_GITLINK:
            raise UnsafePath(f"unsafe path {path!r}: adds a submodule (embedded repository)")
