"""The safety engines, pure (no git): what an actor may write, run, or leak.

``pathpolicy`` (paths and export exclusions), ``classify/`` (shell commands), ``redaction``
and ``secretscan`` (secrets), ``checks`` (all of them over a proposal's contents). Their rule
tables are data beside them in ``data/``, read through ``datacopy``.
"""
