"""The audit log as gitgate's journal: replay (pure), the commit point and roll-forward, and a
derived index of proposals. See docs/ARCHITECTURE.md, "The journal"."""
