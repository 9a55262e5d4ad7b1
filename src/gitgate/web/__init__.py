"""``gitgate serve``: the approver's review pages and the approvals JSON API.

- :mod:`gitgate.web.auth` decides who is acting (local token, reverse-proxy header or a token
  file), keeps browser sessions and checks CSRF tokens and origins. Pure: no git, no Starlette.
- :mod:`gitgate.web.diffview` cuts a (redacted) ``git diff`` into per-file sections and
  highlights them with pygments. Pure.
- :mod:`gitgate.web.app` is the Starlette application: pages, JSON API, server-sent events.

Starlette, uvicorn, Jinja2 and pygments are the optional extra ``gitgate-approvals[serve]``; nothing
outside this package imports them.
"""
