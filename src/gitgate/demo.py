"""``gitgate demo``: the whole flow on a throw-away repository, explained step by step.

It drives the same :class:`~gitgate.workflow.Gate` API the CLI uses, and prints the CLI
command a person would type for each step, so the output doubles as a tutorial.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gitgate import render
from gitgate.errors import GitgateError
from gitgate.export.review import review_bundle
from gitgate.store.gitstore import MODE_BLOB, GitStore, Identity, RefUpdate, TreeEntry
from gitgate.workflow import Gate

AGENT = "agent@bots.example"
APPROVER = "alice@example.com"

README = b"""# demo service

A tiny service managed through gitgate.

Port: 8080
"""

PATCH_TEMPLATE = """diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -2,4 +2,4 @@

 A tiny service managed through gitgate.

-Port: 8080
+Port: 9090
"""

Say = Callable[[str], None]


def make_demo_repository(path: Path) -> GitStore:
    """A new repository with one commit on ``main`` (a README)."""
    store = GitStore.init_repository(path)
    blob = store.write_blob(README)
    tree = store.update_tree(None, {"README.md": TreeEntry(MODE_BLOB, blob)})
    who = Identity("demo", "demo@example.com")
    commit = store.create_commit(tree, [], "Initial commit\n", who, 1_700_000_000)
    store.update_refs([RefUpdate("refs/heads/main", commit, None)], reason="demo", who=who)
    store.sync_checkout("main", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", commit)
    return store


def run_demo(path: Path, say: Say) -> None:
    """Walk the whole flow in a new repository at ``path``, explaining each step."""
    store = make_demo_repository(path)
    gate = Gate(store=store)
    _step(say, "1. An engineer sets up gitgate: policy committed, audit log started.")
    _cmd(say, f"gitgate init --protect main --approver {APPROVER}")
    result = gate.init(["main"], [APPROVER], actor=APPROVER)
    say(f"   policy commit {result.policy_commit[:12]} on {result.branch}")

    _step(say, "2. An automated agent proposes a patch and a file write. Nothing on main moves.")
    _cmd(say, f"GITGATE_ACTOR={AGENT} gitgate propose patch port.diff -m 'Move to port 9090'")
    patch = gate.propose_patch(PATCH_TEMPLATE, message="Move to port 9090", actor=AGENT)
    say(f"   {patch.id}")
    _cmd(say, f"GITGATE_ACTOR={AGENT} gitgate propose write config/app.env --from -")
    try:
        gate.propose_write(
            "config/app.env", "API_TOKEN=ghp_" + "x1Y2z3" * 5 + "2iDbNP\n", actor=AGENT
        )
    except GitgateError as err:
        say(f"   error: {err.message}")
        say("   (push protection: content that looks like a secret is refused)")
    _cmd(say, f"GITGATE_ACTOR={AGENT} gitgate propose write config/app.toml --from -")
    write = gate.propose_write(
        "config/app.toml", 'log_level = "debug"\n', message="Turn on debug logs", actor=AGENT
    )
    say(f"   {write.id}")

    _step(say, "3. The approver lists and reviews what waits.")
    _cmd(say, "gitgate list")
    _print(say, render.proposal_table(gate.list()))
    _cmd(say, f"gitgate show {patch.id}")
    _print(say, render.proposal_detail(gate.get(patch.id)))

    _step(say, "4. The agent is not an approver, so it cannot approve; the approver decides.")
    _cmd(say, f"GITGATE_ACTOR={AGENT} gitgate approve {patch.id}")
    try:
        gate.approve(patch.id, actor=AGENT)
    except GitgateError as err:
        say(f"   error: {err.message}")
    _cmd(say, f"gitgate approve {patch.id}")
    decision = gate.approve(patch.id, actor=APPROVER)
    say(f"   {patch.id} {decision.proposal.status}: merged as {decision.proposal.result['merge']}")
    _cmd(say, f"gitgate reject {write.id} --reason 'debug logs leak request bodies'")
    gate.reject(write.id, "debug logs leak request bodies", actor=APPROVER)
    say(f"   {write.id} rejected (its commit stays under refs/gitgate/archive/{write.id})")

    _step(say, "5. A reviewer without access to the repository gets one verifiable file.")
    bundle = path / f"review-{patch.id}.tar.gz"  # left untracked in the demo repository
    _cmd(say, f"gitgate export {patch.id} -o {bundle}")
    exported = gate.export(patch.id, bundle, actor=APPROVER)
    say(f"   wrote {exported.path.name}: {exported.bundled} file(s), sha256 {exported.sha256}")
    _cmd(say, f"gitgate review {bundle}   # needs no repository")
    review = review_bundle(bundle)
    say(
        f"   verified: manifest, patch and {exported.bundled} file(s) match"
        if review.ok
        else "\n".join(f"   problem: {p}" for p in review.problems)
    )

    _step(say, "6. Every step is in the append-only audit log, and it verifies.")
    _cmd(say, "gitgate audit log")
    for entry in gate.audit():
        say("   " + render.audit_line(entry))
    _cmd(say, "gitgate audit verify")
    report = gate.verify_audit()
    say(
        f"   audit log OK: {report.entries} entries, {report.proposals} proposals"
        if report.ok
        else "\n".join(f"   problem: {p}" for p in report.problems)
    )
    _step(say, f"Done. The repository is at {path}; try `gitgate -C {path} list`.")


def _step(say: Say, text: str) -> None:
    say("")
    say(text)


def _cmd(say: Say, text: str) -> None:
    say(f"$ {text}")


def _print(say: Say, text: str) -> None:
    for line in text.splitlines():
        say("   " + line)
