"""``python -m gitgate``: the same CLI as the ``gitgate`` script (the hook runs this)."""

import sys

if __name__ == "__main__":
    if sys.argv[1:3] == ["hook", "pre-receive"]:
        # Every push runs this: skip the CLI's imports (click, bashlex, the workflow), and
        # keep the collector off while importing (hook.main freezes what it made, turns it on).
        import gc

        gc.disable()
        from gitgate.server.hook import leave
        from gitgate.server.hook import main as run_hook

        leave(run_hook(sys.argv[3:]))
    from gitgate.cli import main

    main(prog_name="gitgate")
