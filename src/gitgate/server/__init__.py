"""Server-side enforcement: the pre-receive ``hook``, its pure rules (``hookrules``), and
``hookinstall`` (installing it the way each forge runs hooks)."""
