"""``python -m gitgate``: the same CLI as the ``gitgate`` script (the hook runs this)."""

from gitgate.cli import main

if __name__ == "__main__":
    main(prog_name="gitgate")
