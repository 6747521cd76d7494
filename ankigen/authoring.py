"""``ankigen new``: add one rule to a catalogue file, proved before anything is written.

The new rule is appended to the file's ``rules:`` list with ruamel.yaml's round-trip mode, which
keeps the file's comments, quotes, blank lines and indentation. The file with the new rule is
then read by the real loader, together with the other files of its folder (in a temporary copy),
so every check of ``ankigen check`` applies: the id's form and uniqueness, the expressions'
syntax, the helpers of the file's ``define:``. Only when the loader accepts it and its derivative
is proved is the file replaced (atomically); a refused rule leaves it byte for byte unchanged.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from ankigen.catalogue import catalogue_files, load_catalogue
from ankigen.errors import (
    CatalogueError,
    Location,
    Problem,
    UsageError,
)
from ankigen.files import write_atomically
from ankigen.model import Rule, Verdict

NEW_FILE_LAYOUT = (2, 4, 2)  # ruamel's (mapping, sequence, offset): "rules:\n  - id: ..."


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
    original = _read(path)
    if original is None:
        if deck is None:
            raise UsageError(f"{path}: no such file; give --deck to create it")
        if not path.parent.is_dir():
            raise UsageError(f"{path.parent}: no such catalogue folder")
        text = _dump(_new_file(deck, new), NEW_FILE_LAYOUT)
    else:
        text = _appended(path, original.replace("\r\n", "\n"), new, deck)
    rule = _load_rule(path, text, new.id)
    from ankigen.verify import verify_rules  # sympy: only once the rule has loaded

    (verdict,) = verify_rules((rule,), timeout=timeout, jobs=1)
    if not verdict.proved:
        from ankigen.build import CheckReport

        raise CheckReport((rule,), (verdict,)).error()
    _write(path, text, original)
    return AddedRule(path, rule, verdict, created=original is None)


# --- writing YAML ---------------------------------------------------------------------------------


def _rule_map(new: NewRule) -> CommentedMap:
    """The rule as the bundled catalogue writes one: keys in the README's order, prose quoted."""
    rule = CommentedMap()
    rule["id"] = new.id.strip()
    rule["name"] = new.name.strip()
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


def _flow(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _new_file(deck: str, new: NewRule) -> CommentedMap:
    data = CommentedMap()
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
    """The file's text with the rule appended to its ``rules:`` list, all else kept as it was."""
    try:
        data, layout = _round_trip(original)
    except YAMLError as error:
        load_catalogue([path.parent])  # raises the loader's located message, if it has one
        raise UsageError(f"{path}: cannot read the file: {error}") from None
    rules = data.get("rules") if isinstance(data, CommentedMap) else None
    if not isinstance(rules, CommentedSeq):
        load_catalogue([path.parent])
        raise UsageError(f"{path}: cannot add a rule: the file has no 'rules:' list")
    if layout is None:
        raise UsageError(
            f"{path}: cannot add a rule without rewriting the file's layout; add it by hand:\n"
            + _dump(CommentedSeq([_rule_map(new)]), NEW_FILE_LAYOUT).rstrip()
        )
    if deck is not None and str(data.get("deck", "")).strip() != deck.strip():
        raise UsageError(
            f"{path}: the file's deck is {str(data.get('deck'))!r}; --deck is for a new file"
        )
    spaced = _rules_spaced(original, rules)
    rules.fa.set_block_style()
    rules.append(_rule_map(new))
    if spaced:
        rules.yaml_set_comment_before_after_key(len(rules) - 1, before="\n")
    return _dump(data, layout)


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


# --- checking with the real loader ----------------------------------------------------------------


def _load_rule(path: Path, text: str, rule_id: str) -> Rule:
    """The new rule as the loader reads it from ``text`` beside the other files of its folder;
    every problem is reported at the real files' paths."""
    folder = path.parent
    with tempfile.TemporaryDirectory(prefix="ankigen-new-") as temporary:
        root = Path(temporary)
        for file in catalogue_files([folder]):
            copy = root / file.relative_to(folder)
            copy.parent.mkdir(parents=True, exist_ok=True)
            try:
                copy.write_bytes(file.read_bytes())
            except OSError as error:
                raise UsageError(f"{file}: cannot read the file: {error.strerror}") from None
        (root / path.name).write_text(text, encoding="utf-8")
        try:
            catalogue = load_catalogue([root])
        except CatalogueError as error:
            raise CatalogueError([_moved(p, root, folder) for p in error.problems]) from None
    rule = next(r for r in catalogue.rules if r.id == rule_id.strip())
    return replace(
        rule,
        location=_moved_location(rule.location, root, folder),
        derivative_location=_moved_location(rule.derivative_location, root, folder),
    )


def _moved(problem: Problem, root: Path, folder: Path) -> Problem:
    """The problem at the real file's path, also where its message names a file ("first used
    at ...")."""
    message = problem.message
    for copy in sorted(root.rglob("*.yaml"), key=lambda p: -len(str(p))):
        message = message.replace(
            str(Location(copy)), str(Location(folder / copy.relative_to(root)))
        )
    location = problem.location and _moved_location(problem.location, root, folder)
    return replace(problem, message=message, location=location)


def _moved_location(location: Location, root: Path, folder: Path) -> Location:
    try:
        return replace(location, path=folder / location.path.relative_to(root))
    except ValueError:
        return location


# --- files ----------------------------------------------------------------------------------------


def _read(path: Path) -> str | None:
    """The file's text (line endings as they are), or None if there is no file."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise UsageError(f"{path}: cannot read the file: {reason}") from None


def _write(path: Path, text: str, original: str | None) -> None:
    """Replace ``path`` atomically, in the file's own line endings and permissions."""
    if original is not None and "\r\n" in original:
        text = text.replace("\n", "\r\n")
    mode = path.stat().st_mode & 0o777 if original is not None else 0o644
    write_atomically(path, text.encode("utf-8"), what="file", mode=mode)
