"""Is a ``python -c`` program read-only? A conservative reading of its syntax tree.

An agent's one-liners (``python3 -c 'import sys; print(sys.version)'``, ``json.load(open(
'package.json'))``) are diagnostics as often as not; any other program needs a human. A
program is read-only here only when every statement, name, call and attribute is one the
tables (``[inline_python]`` in ``data/commands.toml``) list, and every file it opens is a
literal path, opened for reading, that the classifier then judges like any other read.

Why imports are strict: ``python -c`` puts the current directory (the repository) first on
``sys.path``, so ``import json`` runs a ``json.py`` the repository holds. Without ``-I`` or
``-P`` only modules that are built in or already loaded at start-up can be imported.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from gitgate.safety.classify.tables import InlinePython, tables

# Interpreter options that change nothing a program can reach (-I/-P keep the repository
# off the import path; -S would leave `os` unloaded, so importable from the repository).
_HARMLESS_FLAGS = frozenset(["-I", "-P", "-E", "-s", "-B", "-u", "-O", "-OO", "-q", "-b", "-bb"])


def python_program(args: list[str]) -> tuple[str, bool] | None:
    """(code, isolated) of ``python [harmless options] -c CODE [argv...]``, or None."""
    for index, arg in enumerate(args):
        if arg == "-c" and index + 1 < len(args):
            code = args[index + 1]
        elif arg.startswith("-c") and len(arg) > 2:
            code = arg[2:]
        elif arg in _HARMLESS_FLAGS:
            continue
        else:
            return None
        flags = set(args[:index])
        return code, bool(flags & {"-I", "-P"})
    return None


_STATEMENTS = (ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.With, ast.Pass)
_OPEN_LIKE_MODES = frozenset(["r", "rb", "rt", "br", "tr"])


class _NotReadOnly(Exception):
    """The program does something the tables do not list (the message says what)."""


@lru_cache(maxsize=256)
def python_reads(code: str, isolated: bool) -> tuple[str, ...] | None:
    """The literal files a read-only ``python -c`` program reads, or None when it is not
    provably read-only (``isolated``: run with ``-I``/``-P``, the repository not on the
    import path)."""
    try:
        tree = ast.parse(code, mode="exec")
    except (SyntaxError, ValueError, RecursionError):
        return None
    checker = _Checker(tables().inline_python, isolated)
    try:
        for statement in tree.body:
            checker.statement(statement)
    except (_NotReadOnly, RecursionError):
        return None
    return tuple(checker.reads)


class _Checker:
    def __init__(self, rules: InlinePython, isolated: bool) -> None:
        self.rules = rules
        self.modules = rules.modules if isolated else rules.preloaded
        self.aliases: dict[str, str] = {}  # local name -> dotted module or function
        self.locals: set[str] = set()
        self.reads: list[str] = []

    # -- statements ----------------------------------------------------------------------

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._import(node)
        elif not isinstance(node, _STATEMENTS):
            raise _NotReadOnly(type(node).__name__)
        elif isinstance(node, ast.Expr):
            self.expr(node.value)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            self.expr(node.value)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                self._bind(target)
        elif isinstance(node, ast.If):
            self.expr(node.test)
            for child in node.body + node.orelse:
                self.statement(child)
        elif isinstance(node, ast.For):
            self.expr(node.iter)
            self._bind(node.target)
            for child in node.body + node.orelse:
                self.statement(child)
        elif isinstance(node, ast.With):
            for item in node.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars)
            for child in node.body:
                self.statement(child)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.ImportFrom):
            if node.level or node.module is None or node.module not in self.modules:
                raise _NotReadOnly(f"from {node.module} import")
            for alias in node.names:
                if alias.name == "*":
                    raise _NotReadOnly("import *")
                dotted = f"{node.module}.{alias.name}"
                if self._blocked(dotted):
                    raise _NotReadOnly(f"from {node.module} import {alias.name}")  # environ
                self.aliases[alias.asname or alias.name] = dotted
            return
        for alias in node.names:
            if alias.name not in self.modules:
                raise _NotReadOnly(f"import {alias.name}")
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top

    def _bind(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            if target.id in self.aliases or target.id in self.rules.builtins:
                raise _NotReadOnly(f"rebinds {target.id}")  # `open = ...`, `json = x`
            self.locals.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element)
        else:
            raise _NotReadOnly("assigns to an attribute or item")

    # -- expressions ---------------------------------------------------------------------

    def expr(self, node: ast.expr) -> None:
        if isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, ast.Constant):
            return
        elif isinstance(node, ast.Name):
            self._name(node.id)
        elif isinstance(node, ast.Attribute):
            self._attribute(node)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            for generator in node.generators:
                self.expr(generator.iter)
                self._bind(generator.target)
                for condition in generator.ifs:
                    self.expr(condition)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                self.expr(part)
        elif isinstance(node, ast.Subscript) and self._environ_item(node):
            return
        elif isinstance(node, ast.BinOp) and _too_big(node):
            raise _NotReadOnly("builds a value too large to print")  # 'a' * 10**9
        elif isinstance(node, _PLAIN_EXPRESSIONS):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child)
                elif not isinstance(child, (ast.expr_context, ast.operator, ast.boolop)):
                    if not isinstance(child, (ast.unaryop, ast.cmpop, ast.keyword)):
                        raise _NotReadOnly(type(child).__name__)
                    if isinstance(child, ast.keyword):
                        self.expr(child.value)
        else:
            raise _NotReadOnly(type(node).__name__)  # lambda, await, walrus, yield

    def _name(self, name: str) -> None:
        if name in self.aliases and self._blocked(self.aliases[name]):
            raise _NotReadOnly(self.aliases[name])
        if name in self.locals or name in self.aliases or name in self.rules.builtins:
            return
        raise _NotReadOnly(f"name {name}")

    def _environ_item(self, node: ast.Subscript) -> bool:
        """``os.environ["HOME"]``: one harmless variable, like ``echo $HOME``."""
        key = node.slice
        return (
            isinstance(node.value, ast.Attribute)
            and self._dotted(node.value) == "os.environ"
            and isinstance(key, ast.Constant)
            and key.value in tables().harmless_variables
        )

    def _attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_") and node.attr not in ("__version__", "__name__", "__file__"):
            raise _NotReadOnly(f"attribute {node.attr}")  # __class__, __globals__, _exit
        dotted = self._dotted(node)
        if dotted is not None and self._blocked(dotted):
            raise _NotReadOnly(dotted)  # os.environ as a whole, sys.modules
        self.expr(node.value)

    def _blocked(self, dotted: str) -> bool:
        return any(dotted == b or dotted.startswith(b + ".") for b in self.rules.blocked)

    def _dotted(self, node: ast.expr) -> str | None:
        """``np.load`` -> ``numpy.load`` (through the import aliases), or None."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id], *reversed(parts)])

    def _call(self, node: ast.Call) -> None:
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise _NotReadOnly("*args")
            self.expr(argument)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise _NotReadOnly("**kwargs")
            self.expr(keyword.value)
        function = node.func
        if isinstance(function, ast.Name) and function.id not in self.aliases:
            self._builtin_call(function.id, node)
            return
        dotted = self._dotted(function)
        if dotted is not None:
            self._module_call(dotted, node)
            return
        if not isinstance(function, ast.Attribute):
            raise _NotReadOnly("calls a computed function")
        if function.attr not in self.rules.methods:
            raise _NotReadOnly(f"method {function.attr}")
        self.expr(function.value)

    def _builtin_call(self, name: str, node: ast.Call) -> None:
        if name in self.locals or name not in self.rules.builtins:
            raise _NotReadOnly(f"calls {name}")
        if name == "range" and any(_constant_int(a, _MAX_COUNT) is None for a in node.args):
            raise _NotReadOnly("loops over a range it cannot bound")
        if name == "open":
            self._opened(node, mode_at=1)

    def _module_call(self, dotted: str, node: ast.Call) -> None:
        if dotted in self.rules.file_readers:
            self._opened(node, mode_at=None)
        elif not any(
            dotted == allowed or (allowed.endswith(".*") and dotted.startswith(allowed[:-1]))
            for allowed in self.rules.calls
        ):
            raise _NotReadOnly(f"calls {dotted}")
        if any(k.arg == "allow_pickle" for k in node.keywords):
            raise _NotReadOnly("unpickles")  # numpy.load(allow_pickle=True) runs code
        if dotted in self.rules.env_getters:
            # os.environ.get('VIRTUAL_ENV') is echo $VIRTUAL_ENV: harmless names only.
            name = getattr(node.args[0], "value", None) if node.args else None
            if name not in tables().harmless_variables:
                raise _NotReadOnly(f"reads the variable {name!r}")

    def _opened(self, node: ast.Call, mode_at: int | None) -> None:
        """``open('x')``, ``pandas.read_csv('x')``: a literal path, opened for reading."""
        if not node.args or not isinstance(node.args[0], ast.Constant):
            raise _NotReadOnly("opens a computed path")
        path = node.args[0].value
        if not isinstance(path, str):
            raise _NotReadOnly("opens a file descriptor")
        if "://" in path:
            raise _NotReadOnly(f"reads {path!r} from the network")  # pandas.read_csv(URL)
        mode: object = "r"
        if mode_at is not None and len(node.args) > mode_at:
            mode = getattr(node.args[mode_at], "value", None)
        for keyword in node.keywords:
            if keyword.arg == "mode":
                mode = getattr(keyword.value, "value", None)
        if mode not in _OPEN_LIKE_MODES:
            raise _NotReadOnly(f"opens {path!r} with mode {mode!r}")
        self.reads.append(path)


_MAX_COUNT = 1_000_000  # a loop, a repetition or a power past this is not a diagnostic


def _constant_int(node: ast.expr, limit: int) -> int | None:
    """The value of a small integer constant (``-5``, ``1000``), or None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _constant_int(node.operand, limit)
        return None if value is None else -value
    if isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) <= limit:
        return node.value
    return None


def _too_big(node: ast.BinOp) -> bool:
    """``10**12``, ``'a' * 10**9``: a power or a repetition that may not end or fit."""
    if isinstance(node.op, ast.Pow):
        base, exponent = _constant_int(node.left, 1000), _constant_int(node.right, 64)
        return base is None or exponent is None or abs(base) ** max(exponent, 0) > _MAX_COUNT
    if isinstance(node.op, ast.Mult):
        sides = (node.left, node.right)
        return any(
            isinstance(side, ast.BinOp) and isinstance(side.op, ast.Pow) for side in sides
        ) or any(
            isinstance(side, ast.Constant) and type(side.value) is int and side.value > _MAX_COUNT
            for side in sides
        )
    return False


_PLAIN_EXPRESSIONS = (
    ast.BinOp,
    ast.BoolOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Starred,
)
