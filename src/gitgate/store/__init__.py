"""Access to git: the only package that reads or writes a repository.

``gitstore`` (pygit2, and the git CLI where libgit2 cannot) reads and writes; ``gitread``
reads through git's plumbing without pygit2 (the hook); ``gitobjects`` holds the value types
and raw-object parsers both share (pure).
"""
