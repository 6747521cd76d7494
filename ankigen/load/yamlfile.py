"""Reading one catalogue file's YAML into :class:`Value`s that keep the line each starts on.

Only a regular file of at most 5 MB that lies in its catalogue folder is read at all (see
:func:`read_catalogue_file`). Its text is composed with PyYAML's *safe* composer and converted
to :class:`Value`s, refusing what would make a small file large or a deep one crash: more than
:data:`MAX_NODES` values (an alias bomb), an alias inside its own anchor, nesting deeper than
:data:`MAX_NESTING`, duplicate keys and merge keys. What this module knows is YAML, not the
catalogue format: that is :mod:`ankigen.load.catalogue`'s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ankigen.errors import CatalogueError, Location, Problem
from ankigen.plumbing.files import FileTooLarge, NotARegularFile, read_regular_file

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000  # YAML values in one file, counting every use of an alias
MAX_NESTING = 50  # YAML lists and mappings inside each other


@dataclass(frozen=True)
class Value:
    """A YAML value with the line it starts on: str for scalars, list or dict otherwise."""

    data: str | list[Value] | dict[str, Value]
    line: int
    tag: str  # "str", "int", "float", "bool", "null", "seq" or "map"

    def kind(self) -> str:
        """What the value is, in words for an error message."""
        return _KINDS[self.tag]


_KINDS = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "null": "empty",
    "seq": "a list",
    "map": "a mapping",
}


def shown(value: Value, limit: int = 60) -> str:
    """A value as a message quotes it: text cut to ``limit`` characters (a megabyte of it would
    flood the terminal), anything else in words."""
    if not isinstance(value.data, str):
        return value.kind()
    text = value.data
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def read_yaml(path: Path, folder: Path, draft: str | None) -> tuple[Value | None, list[Problem]]:
    """The YAML of the catalogue file ``path`` found in ``folder`` (or of ``draft``, the text to
    read in its place), with the problems met reading it, in the order met. The value is None
    when the file cannot be read as a whole; a duplicate or merge key is left out of its mapping
    and reported, the rest of the file still read."""
    reader = _Reader(path)
    return reader.read(folder, draft), reader.problems


def read_catalogue_file(path: Path, folder: Path) -> bytes:
    """The bytes of the catalogue file ``path`` found in ``folder``, or a :class:`CatalogueError`
    at the file for one that is not read: a symbolic link out of the folder (its text would be
    echoed in the messages) or to nothing, what is not a regular file (a FIFO would block, a link
    to /dev/zero never end), or a file over 5 MB (refused before it is read)."""
    real = Path(os.path.realpath(path))
    if path.is_symlink() and not real.exists():
        raise _unread(path, "the file is a symbolic link to nothing (a missing file or a loop)")
    if not real.is_relative_to(os.path.realpath(folder)):
        raise _unread(path, "the file is a symbolic link to a file outside the catalogue folder")
    try:
        return read_regular_file(path, MAX_FILE_BYTES)
    except NotARegularFile:
        message = "the file is not a regular file (a FIFO, a device or a socket)"
    except FileTooLarge as error:
        message = f"the file is {error.size / 1e6:.1f} MB; a catalogue file may be at most 5 MB"
    except OSError as error:
        message = f"cannot read the file: {error.strerror or error}"
    raise _unread(path, message)


def _unread(path: Path, message: str) -> CatalogueError:
    return CatalogueError([Problem(message, Location(path))])


class _TooLarge(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class _Reader:
    """Reads one file's YAML, collecting its problems instead of stopping at the first."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    nodes: int = 0
    open_nodes: set[int] = field(default_factory=set)  # being converted: an alias cycle shows

    def problem(self, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(message, Location(self.path, line)))

    def read(self, folder: Path, draft: str | None) -> Value | None:
        text = self._text(folder, draft)
        if text is None:
            return None
        node = self._compose(text)
        if node is None:
            return None
        try:
            return self._convert(node, depth=0)
        except _TooLarge as error:
            self.problem(str(error), error.line)
            return None

    def _text(self, folder: Path, draft: str | None) -> str | None:
        """The file's text, or None once its problem is reported."""
        try:
            raw = (
                draft.encode("utf-8")
                if draft is not None
                else read_catalogue_file(self.path, folder)
            )
        except CatalogueError as error:
            self.problems.extend(error.problems)
            return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            bad_line = raw[: error.start].count(b"\n") + 1
            self.problem(f"the file is not UTF-8 text (byte {error.start})", bad_line)
            return None
        if not text.strip():
            self.problem("the file is empty")
            return None
        return text

    def _compose(self, text: str) -> yaml.Node | None:
        """The text's node tree, or None once its problem is reported."""
        try:
            node = _compose_yaml(text)
        except yaml.MarkedYAMLError as error:
            self.problem(*_syntax_error(error))
            return None
        except yaml.YAMLError as error:
            self.problem(f"YAML error: {error}")
            return None
        except RecursionError:  # PyYAML's own composer recurses once per level of nesting
            self.problem("the YAML is nested too deeply")
            return None
        if node is None:  # only comments or a document marker
            self.problem("the file is empty")
        return node

    def _convert(self, node: yaml.Node, depth: int) -> Value:
        """Our value for a YAML node, counting nodes (alias bombs) and nesting, and refusing alias
        cycles (an anchor used inside its own node)."""
        self.nodes += 1
        line = node.start_mark.line + 1
        if self.nodes > MAX_NODES:
            raise _TooLarge(
                f"the file expands to more than {MAX_NODES} values (too many aliases?)", line
            )
        if id(node) in self.open_nodes:
            raise _TooLarge("an alias refers to a node that contains it", line)
        if depth > MAX_NESTING:
            raise _TooLarge(f"the YAML is nested more than {MAX_NESTING} levels deep", line)
        self.open_nodes.add(id(node))
        try:
            return self._convert_node(node, depth, line)
        finally:
            self.open_nodes.discard(id(node))

    def _convert_node(self, node: yaml.Node, depth: int, line: int) -> Value:
        if isinstance(node, yaml.ScalarNode):
            # The resolver's tag keeps YAML 1.1's reading of a scalar (yes is a bool, 1_000 an
            # int) for the format's type checks; the text itself is kept as written.
            tag = node.tag.rsplit(":", 1)[-1]
            return Value(
                node.value, line, tag if tag in ("int", "float", "bool", "null") else "str"
            )
        if isinstance(node, yaml.SequenceNode):
            return Value([self._convert(item, depth + 1) for item in node.value], line, "seq")
        assert isinstance(node, yaml.MappingNode)
        mapping: dict[str, Value] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem("a key must be a plain name", key_line)
                continue
            key = key_node.value
            if key == "<<":
                self.problem("merge keys ('<<') are not supported; write the keys out", key_line)
                continue
            if key in mapping:
                self.problem(f"duplicate key '{key}' (first on line {mapping[key].line})", key_line)
                continue
            mapping[key] = self._convert(value_node, depth + 1)
        return Value(mapping, line, "map")


def _syntax_error(error: yaml.MarkedYAMLError) -> tuple[str, int | None]:
    """A YAML syntax error's message and line."""
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else None
    column = f" (column {mark.column + 1})" if mark else ""
    what = error.problem or error.context or "invalid YAML"
    if "\t" in what or "'\\t'" in what:
        what += "; indent with spaces, not tabs"
    return f"YAML syntax error: {what}{column}", line


def _compose_yaml(text: str) -> yaml.Node | None:
    """The YAML's node tree, composed by libyaml where PyYAML was built with it (about ten
    times faster on the bundled catalogue: 8 ms against 90 ms). Text libyaml rejects is composed
    again by PyYAML's own parser, so an author always reads its messages, which name the problem
    more plainly (and which the error tests pin down)."""
    if _LIBYAML_LIMITS_NESTING:
        try:
            return yaml.compose(text, Loader=yaml.CSafeLoader)
        except (yaml.YAMLError, RecursionError):
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _libyaml_limits_nesting() -> bool:
    """Whether PyYAML has libyaml, at 0.2.5 or later: libyaml composes in C, out of reach of
    Python's recursion limit, and only since 0.2.5 does it refuse to nest more than 1000 deep
    (so that a file of a million '[' is an error, not a crashed process)."""
    try:
        from yaml import _yaml
    except ImportError:
        return False
    version: tuple[int, ...] = _yaml.get_version()
    return bool(getattr(yaml, "__with_libyaml__", False)) and version >= (0, 2, 5)


_LIBYAML_LIMITS_NESTING = _libyaml_limits_nesting()
