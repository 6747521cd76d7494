"""``ankigen new``: add one rule to a catalogue file, proved before anything is written.

The new rule is appended to the file's ``rules:`` list with ruamel.yaml's round-trip mode, which
keeps the file's comments, quotes, blank lines and indentation; every line of the file keeps its
own line ending, and the new lines take the file's usual one. A change ruamel cannot make as a
pure insertion (a ``rules:`` list in flow style, an indentation it cannot reproduce) is refused
with the rule to paste by hand. The file with the new rule is then read by the real loader,
together with the other files of its folder, so every check of ``ankigen check`` applies: the
id's form and uniqueness, the expressions' syntax, the helpers of the file's ``define:``. Only
when the loader accepts it and its derivative is proved is the file replaced (atomically); a
refused rule leaves it byte for byte unchanged.

Two ``ankigen new`` at once in one folder take turns (a lock on the folder, held from reading the
file to writing it), so neither loses the other's rule, nor can they add one id to two files. A
``--file`` that is a symbolic link is refused rather than replaced by a copy: the rename that
writes the file atomically would replace the link, and the loader reads a link only within its
catalogue folder, where the target is in most cases read already.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from ankigen.errors import (
    AnkigenError,
    CatalogueError,
    Location,
    NotProvedError,
    OutputError,
    Problem,
    RuleNotProvedError,
    RuleNotWrittenError,
    RuleRefusedError,
    UsageError,
)
from ankigen.load.catalogue import load_catalogue
from ankigen.load.rules import VARIABLE_UNUSED
from ankigen.load.shapes import WHOLE_NUMBER
from ankigen.load.yamlfile import read_catalogue_file
from ankigen.plumbing.files import write_atomically
from ankigen.plumbing.resources import schema_file
from ankigen.records import Checked, Rule, Status, Verdict

NEW_FILE_LAYOUT = (2, 4, 2)  # ruamel's (mapping, sequence, offset): "rules:\n  - id: ..."
LOCK_WAIT = 60.0  # seconds to wait for another ankigen new in the same folder


@dataclass(frozen=True)
class NewRule:
    """The fields of a rule to add, as the author typed them."""

    id: str
    name: str
    function: str
    derivative: str
    context: str
    variable: str = "x"
    tags: tuple[str, ...] = ()
    assume: tuple[str, ...] = ()
    source: str | None = None
    shapes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ("A", ("m", "n")): A is [m, n]


@dataclass(frozen=True)
class AddedRule:
    """What ``add_rule`` wrote: the file, the rule as loaded from it, and its verdict."""

    path: Path
    rule: Rule
    verdict: Verdict
    created: bool


def add_rule(path: Path, new: NewRule, deck: str | None = None, timeout: float = 10.0) -> AddedRule:
    """Append ``new`` to the catalogue file ``path`` (created with ``deck`` if it does not exist),
    or raise without touching the file if the rule is refused or not proved."""
    if path.suffix != ".yaml":
        raise UsageError(f"{path}: a catalogue file must end in .yaml (other files are not read)")
    if path.is_symlink():
        raise UsageError(
            f"{path}: the file is a symbolic link; give --file the file it points to, "
            f"{os.path.realpath(path)}, so that the link is not replaced by a copy"
        )
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent}: no such catalogue folder")
    with _folder_locked(path.parent):
        original = _read(path)
        if original is None:
            if deck is None:
                raise UsageError(f"{path}: no such file; give --deck to create it")
            text = _dump(_new_file(deck, new, path), NEW_FILE_LAYOUT)
        else:
            text = _appended(path, original, new, deck)
        draft = _Draft(path, original or "", text, new.id.strip())
        try:
            rule = _load_rule(path, text, new.id)
        except CatalogueError as error:
            raise draft.not_written(error) from None
        from ankigen.verify.prove import verify_rules  # sympy: only once the rule has loaded

        (verdict,) = verify_rules((rule,), timeout=timeout, jobs=1)
        if not verdict.proved:
            from ankigen.build import CheckReport

            unproved = CheckReport((Checked(rule, verdict),)).error()
            raise draft.not_written(unproved, _field_of_verdict(verdict))
        _write(path, text, original)
    return AddedRule(path, rule, verdict, created=original is None)


@contextlib.contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for ``ankigen new``, waiting at most :data:`LOCK_WAIT` seconds.

    The lock is ``flock`` on the folder itself: it covers a file not created yet and the other
    files whose ids the new rule must not repeat, it leaves no file behind, and the system drops
    it when its process ends, however it ends. (A lock on the file would not do: the atomic
    rename gives the file a new inode, which a third writer could lock meanwhile.)
    """
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError as error:
        raise OutputError(f"{folder}: cannot lock the folder: {error.strerror}") from None
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OutputError(
                        f"{folder}: another ankigen new has been adding a rule in this folder "
                        f"for {LOCK_WAIT:.0f} s; try again once it is done"
                    ) from None
                time.sleep(0.05)
            except OSError as error:
                raise OutputError(f"{folder}: cannot lock the folder: {error.strerror}") from None
        yield
    finally:
        os.close(handle)  # releases the lock


# --- writing YAML ---------------------------------------------------------------------------------


def _rule_map(new: NewRule) -> CommentedMap:
    """The rule as the bundled catalogue writes one: keys in the README's order, prose quoted."""
    rule = CommentedMap()
    rule["id"] = new.id.strip()
    rule["name"] = new.name.strip()
    if new.shapes:
        rule["shapes"] = _flow_map(
            {name: _flow(list(map(_dimension, dims))) for name, dims in new.shapes}
        )
    rule["function"] = new.function.strip()
    rule["derivative"] = new.derivative.strip()
    if new.variable.strip() != "x":
        rule["variable"] = new.variable.strip()
    rule["context"] = DoubleQuotedScalarString(new.context.strip())
    if new.tags:
        rule["tags"] = _flow([tag.strip() for tag in new.tags])
    if new.assume:
        rule["assume"] = _flow([DoubleQuotedScalarString(a.strip()) for a in new.assume])
    if new.source and new.source.strip():
        rule["source"] = DoubleQuotedScalarString(new.source.strip())
    return rule


def _flow(items: list[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _flow_map(items: dict[str, CommentedSeq]) -> CommentedMap:
    mapping = CommentedMap(items)
    mapping.fa.set_flow_style()
    return mapping


def _dimension(text: str) -> str | int:
    """A whole number as a YAML int (``[2, n]``); anything else as text, for the loader to judge."""
    return int(text) if WHOLE_NUMBER.fullmatch(text) else text


def _new_file(deck: str, new: NewRule, path: Path) -> CommentedMap:
    """A new catalogue file holding the rule, headed by the modeline that lets an editor check it
    against the schema (as the bundled files are)."""
    data = CommentedMap()
    data.yaml_set_start_comment(f"yaml-language-server: $schema={_schema_reference(path)}")
    data["deck"] = DoubleQuotedScalarString(deck.strip())
    data["rules"] = CommentedSeq([_rule_map(new)])
    return data


def _yaml(layout: tuple[int, int, int]) -> YAML:
    yaml = YAML()  # round-trip: comments, quotes and order survive
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(data: Any, layout: tuple[int, int, int]) -> str:
    out = io.StringIO()
    _yaml(layout).dump(data, out)
    return out.getvalue()


def _appended(path: Path, original: str, new: NewRule, deck: str | None) -> str:
    """The file's text with the rule appended to its ``rules:`` list, all else kept as it was,
    each line with its own line ending."""
    try:
        data, layout = _round_trip(original.replace("\r\n", "\n"))
    except YAMLError as error:
        load_catalogue([path.parent])  # raises the loader's located message, if it has one
        raise UsageError(f"{path}: cannot read the file: {error}") from None
    rules = data.get("rules") if isinstance(data, CommentedMap) else None
    if not isinstance(rules, CommentedSeq):
        load_catalogue([path.parent])
        raise UsageError(f"{path}: cannot add a rule: the file has no 'rules:' list")
    if rules.fa.flow_style() or not rules:  # an empty list can only be written '[]
        raise _by_hand(
            path,
            "the file's 'rules:' list is in flow style ([...]), which ankigen new would have to "
            "rewrite",
            new,
            flow=True,
        )
    if layout is None:
        raise _by_hand(
            path, "ankigen new cannot add a rule without rewriting the file's layout", new
        )
    if deck is not None and str(data.get("deck", "")).strip() != deck.strip():
        raise UsageError(
            f"{path}: the file's deck is {str(data.get('deck'))!r}; --deck is for a new file"
        )
    spaced = _rules_spaced(original, rules)
    rules.append(_rule_map(new))
    if spaced:
        rules.yaml_set_comment_before_after_key(len(rules) - 1, before="\n")
    text = _inserted(original, _dump(data, layout))
    if text is None:
        raise _by_hand(path, "ankigen new cannot add a rule without changing other lines", new)
    return text


def _by_hand(path: Path, why: str, new: NewRule, *, flow: bool = False) -> UsageError:
    """The refusal to rewrite a file, with the rule to paste in by hand."""
    if flow:
        rule = CommentedSeq([_rule_map(new)])
        rule.fa.set_flow_style()
        text = _dump(rule, NEW_FILE_LAYOUT).strip()[1:-1]  # {id: ..., ...} without the [ ]
    else:
        text = _dump(CommentedSeq([_rule_map(new)]), NEW_FILE_LAYOUT).rstrip()
    problem = Problem(f"{why}; add the rule by hand:", Location(path), more=tuple(text.split("\n")))
    return UsageError([problem])


def _round_trip(text: str) -> tuple[Any, tuple[int, int, int] | None]:
    """The file's data and the indentation with which ruamel writes it back exactly (None if no
    indentation tried does)."""
    expected = text if text.endswith("\n") else text + "\n"
    _, sequence, offset = load_yaml_guess_indent(text)
    guessed = [(mapping, sequence or 4, offset or 0) for mapping in (2, 4)]
    data = None
    for layout in dict.fromkeys([*guessed, NEW_FILE_LAYOUT, (2, 2, 0), (4, 4, 0)]):
        data = _yaml(layout).load(text)
        if _dump(data, layout) == expected:
            return data, layout
    return data, None


def _rules_spaced(text: str, rules: CommentedSeq) -> bool:
    """Whether the file separates its rules with blank lines (then the new one gets one too)."""
    if len(rules) < 2:
        return False
    first, last = rules.lc.item(0)[0], rules.lc.item(len(rules) - 1)[0]
    return any(not line.strip() for line in text.splitlines()[first:last])


def _schema_reference(path: Path) -> str:
    """The schema's path as the modeline of the file ``path`` gives it: relative to the file's
    folder when both lie in one project (``../schema/…`` beside the bundled catalogue), else
    absolute (a relative path through the root would break as soon as either moved)."""
    schema = os.path.realpath(schema_file())
    folder = os.path.realpath(path.parent)
    try:
        shared = os.path.commonpath([schema, folder])
    except ValueError:  # on two Windows drives
        shared = ""
    if shared in ("", os.path.abspath(os.sep)):
        return Path(schema).as_posix()
    return Path(os.path.relpath(schema, folder)).as_posix()


# --- checking with the real loader ----------------------------------------------------------------


@dataclass(frozen=True)
class _Draft:
    """The file's text with the new rule (``text``) beside its text on disk (``original``, ""
    for a new file): what a refusal must be reported against."""

    path: Path
    original: str
    text: str
    rule_id: str

    def not_written(self, error: AnkigenError, field: str | None = None) -> RuleNotWrittenError:
        """``error``, found in the draft, as the author must read it: the file was not changed,
        so a problem in the new rule's lines is reported at the file without a line (that line
        exists in no file) and says the rule was not written; a problem below them gets its
        line in the file as it is. ``field`` is the field at fault, when the lines do not say
        (a refuted claim); otherwise it is the field of the problem's line, if all problems
        lie in the new rule."""
        first, last = self._new_lines()
        problems, fields = [], []
        for problem in error.problems:
            where = problem.location
            line = where.line if where is not None and where.path == self.path else None
            if line is not None and first <= line <= last:
                fields.append(self._field_at(line, problem.message))
                message = f"rule '{self.rule_id}' was not written: {problem.message}"
                problems.append(Problem(message, Location(self.path), None, problem.more))
                continue
            fields.append(None)
            if line is not None and line > last:
                problem = replace(problem, location=Location(self.path, line - (last - first + 1)))
            problems.append(problem)
        if field is None and fields and None not in fields:
            field = fields[0]
        kind = RuleNotProvedError if isinstance(error, NotProvedError) else RuleRefusedError
        return kind(problems, field)

    def _new_lines(self) -> tuple[int, int]:
        """The first and last line (1-based) of ``text`` that are not in ``original``: the new
        rule's, which ankigen new inserts in one place (the whole file, for a new one)."""
        old, new = self.original.splitlines(), self.text.splitlines()
        head = 0
        while head < len(old) and old[head] == new[head]:
            head += 1
        return head + 1, head + len(new) - len(old)

    def _field_at(self, line: int, message: str) -> str | None:
        """The field written on ``line`` of the draft (the one the loader found at fault)."""
        if message.startswith(VARIABLE_UNUSED):
            return "variable"  # reported at the function when the variable is x by default
        if "needs shapes:" in message:
            return "shapes"  # '@' in a rule without shapes: the shapes are what is missing
        match = _KEY.match(self.text.splitlines()[line - 1])
        key = match.group(1) if match else None
        return key if key in _FIELDS else None


_KEY = re.compile(r"\s*(?:-\s+)?([A-Za-z_]+):")
_FIELDS = frozenset({"deck", *(f.name for f in fields(NewRule))})


def _field_of_verdict(verdict: Verdict) -> str:
    """The field to fix when a rule loads but is not proved: the claim, or the function when
    the function itself has no value anywhere."""
    return (
        "function"
        if verdict.status == Status.INVALID and "function" in verdict.detail[:20]
        else ("derivative")
    )


def _load_rule(path: Path, text: str, rule_id: str) -> Rule:
    """The new rule as the loader reads it from ``text`` in place of the file, beside the other
    files of its folder."""
    catalogue = load_catalogue([path.parent], {path: text})
    return next(r for r in catalogue.rules if r.id == rule_id.strip())


# --- files ----------------------------------------------------------------------------------------


def _read(path: Path) -> str | None:
    """The file's text (line endings as they are), or None if there is no file; read as the
    loader reads it (a regular file, at most 5 MB), and refused with the loader's message."""
    if not path.exists():
        return None
    raw = read_catalogue_file(path, path.parent)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: cannot read the file: not UTF-8 text") from None


def _inserted(original: str, text: str) -> str | None:
    """``text``, which ruamel wrote with LF line endings, in the line endings of ``original``:
    the lines kept from it end as they did, and the inserted lines in the file's usual ending
    (CRLF where most lines end so, else LF). None if ``text`` is not ``original`` with lines
    inserted in one place: then ruamel changed a line that the author wrote."""
    old, new = _lines(original), _lines(text)
    head = 0
    while head < min(len(old), len(new)) and old[head][0] == new[head][0]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail][0] == new[-1 - tail][0]:
        tail += 1
    if head + tail != len(old):
        return None
    endings = [ending for _, ending in old]
    usual = "\r\n" if endings.count("\r\n") > endings.count("\n") else "\n"
    lines = [
        *old[:head],
        *((content, usual) for content, _ in new[head : len(new) - tail]),
        *old[len(old) - tail :],
    ]
    return "".join(
        content + (ending or (usual if number < len(lines) - 1 else ""))
        for number, (content, ending) in enumerate(lines)
    )


def _lines(text: str) -> list[tuple[str, str]]:
    """The lines of ``text`` as (content, ending), the ending "\\r\\n", "\\n" or "" (last line)."""
    *ended, last = text.split("\n")
    lines = [(line[:-1], "\r\n") if line.endswith("\r") else (line, "\n") for line in ended]
    return [*lines, (last, "")] if last else lines


def _write(path: Path, text: str, original: str | None) -> None:
    """Replace ``path`` atomically, keeping its permissions."""
    mode = path.stat().st_mode & 0o777 if original is not None else 0o644
    write_atomically(path, text.encode("utf-8"), what="file", mode=mode)
