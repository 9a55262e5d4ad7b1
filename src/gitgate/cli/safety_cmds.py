"""CLI commands (placeholder; filled by its owner)."""
