"""The load stage's reading of catalogue folders into a :class:`~ankigen.records.Catalogue`.

Every ``*.yaml`` file of every folder is read (sorted by path) as YAML that keeps each value's
line (:mod:`~ankigen.load.yamlfile`), so that every mistake can be reported where it was made; a
``*.yaml`` entry that is not read is reported, never skipped silently. The files are checked
against the format documented in the README: required and unknown keys (with a "did you mean"),
types, rule ids (unique across files), ``define:`` helpers, and every expression through the
whitelist parser; one rule's fields are :mod:`~ankigen.load.rules`'. All problems of all files
are collected and raised together as one :class:`~ankigen.errors.CatalogueError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from ankigen.errors import CatalogueError, Location, Problem, UsageError
from ankigen.expr.parse import ExpressionError, Scope, parse_expression
from ankigen.expr.shapes import matrix_syntax
from ankigen.expr.signature import parse_signature
from ankigen.expr.tree import Definition, variables
from ankigen.load.fields import MAX_CONTEXT, MAX_NAME, Checker, NotText
from ankigen.load.rules import read_rule
from ankigen.load.yamlfile import Value, read_yaml
from ankigen.records import Catalogue, DeckDescription, Rule

FILE_KEYS = ("deck", "description", "tags", "define", "rules")
FILE_REQUIRED = ("deck", "rules")


def _folder_files(folder: Path, drafts: Mapping[Path, str]) -> list[Path]:
    """The ``*.yaml`` entries of ``folder`` and below that are not folders, with the drafts that
    lie in it, sorted by path. A FIFO, a device or a dangling link is listed too: the loader
    reports it rather than skip it silently."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such catalogue folder")
    found = {p for p in folder.rglob("*.yaml") if not p.is_dir()}
    found.update(p for p in drafts if p.is_relative_to(folder))
    return sorted(found)


def catalogue_files(folders: Sequence[Path]) -> list[Path]:
    """The ``*.yaml`` entries of the folders, as the loader will read them: the inputs of a run."""
    return [path for folder in folders for path in _folder_files(folder, {})]


def load_catalogue(folders: Sequence[Path], drafts: Mapping[Path, str] | None = None) -> Catalogue:
    """Read and check every catalogue file of ``folders``; raise one error listing all problems.

    ``drafts`` maps a file's path (``folder / name``, which need not exist yet) to the text to read
    in its place: ``ankigen new`` checks a file with its new rule, beside the others, before
    writing it.
    """
    drafts = drafts or {}
    files = [(folder, path) for folder in folders for path in _folder_files(folder, drafts)]
    problems: list[Problem] = []
    rules: list[Rule] = []
    first_seen: dict[str, Location] = {}
    descriptions: dict[str, DeckDescription] = {}
    for folder, path in files:
        reader = _FileReader(path, folder, drafts.get(path))
        for rule in reader.read():
            if rule.id in first_seen:
                reader.problems.append(
                    Problem(
                        f"duplicate id; first used at {first_seen[rule.id]}", rule.location, rule.id
                    )
                )
                continue
            first_seen[rule.id] = rule.location
            rules.append(rule)
        described = reader.description
        if described is not None and described.deck in descriptions:
            reader.problems.append(
                Problem(
                    f"the deck {described.deck!r} is described already at "
                    f"{descriptions[described.deck].location}; describe each deck in one file",
                    described.location,
                )
            )
        elif described is not None:
            descriptions[described.deck] = described
        # Each file's problems in the order of its lines (a stable sort keeps a line's own order).
        problems.extend(
            sorted(reader.problems, key=lambda p: p.location.line or 0 if p.location else 0)
        )
    if problems:
        raise CatalogueError(problems)
    if not rules:
        where = ", ".join(str(f) for f in folders) or "no catalogue folder was given"
        raise CatalogueError(f"{where}: no rules found (a catalogue is a folder of *.yaml files)")
    return Catalogue(tuple(rules), tuple(path for _, path in files), tuple(descriptions.values()))


class _FileReader(Checker):
    """Reads one catalogue file, collecting its problems instead of stopping at the first."""

    def __init__(self, path: Path, folder: Path, draft: str | None = None) -> None:
        super().__init__(path)
        self.folder = folder  # the catalogue folder the file was found in
        self.draft = draft  # the text to read instead of the file's
        self.description: DeckDescription | None = None  # the file's deck's, once read

    def read(self) -> Iterator[Rule]:
        root, self.problems = read_yaml(self.path, self.folder, self.draft)
        if root is None:
            return
        if root.tag != "map" or not isinstance(root.data, dict):
            self.problem(
                f"the file must be a mapping with 'deck' and 'rules', not {root.kind()}", root.line
            )
            return
        top = self.keys(root.data, FILE_KEYS, FILE_REQUIRED, root.line, None)
        deck = self._deck(top.get("deck"))
        described = top.get("description")
        description = self.text(described, "description", None, MAX_CONTEXT)
        if deck is not None and description is not None and described is not None:
            self.description = DeckDescription(
                deck, description, Location(self.path, described.line)
            )
        tags = self.tags(top.get("tags"), None)
        definitions = self._definitions(top.get("define"))
        rules = top.get("rules")
        if rules is None:
            return
        if rules.tag != "seq" or not isinstance(rules.data, list):
            self.problem(f"'rules' must be a list of rules, not {rules.kind()}", rules.line)
            return
        for entry in rules.data:
            rule = read_rule(self, entry, deck, tags, definitions)
            if rule is not None:
                yield rule

    def _deck(self, value: Value | None) -> str | None:
        deck = self.text(value, "deck", None, MAX_NAME)
        if deck is not None and value is not None and any(not p.strip() for p in deck.split("::")):
            self.problem(f"deck name {deck!r} has an empty part between '::'", value.line)
            return None
        return deck

    def _definitions(self, value: Value | None) -> tuple[Definition, ...]:
        """The file's ``define:`` helpers and named constants, in order: a body may call only
        those defined before it, so no helper can call itself."""
        if value is None:
            return ()
        if not isinstance(value.data, dict):
            self.problem(
                f"'define' must map 'name(x)' to an expression, not {value.kind()}", value.line
            )
            return ()
        definitions: dict[str, Definition] = {}
        for signature, body in value.data.items():
            try:
                constants = [d.name for d in definitions.values() if d.is_constant]
                name, params = parse_signature(signature, constants)
                if name in definitions:
                    raise ExpressionError(f"helper '{name}' is defined twice")
                # A helper with a parameter e reads e as it; elsewhere e is Euler's number.
                scope = Scope(definitions, "e" if "e" in params else "x")
                expr = parse_expression(self.expression_text(body, f"define {name}"), scope)
            except ExpressionError as error:
                self.problem(f"define '{signature}': {error.reason}", body.line)
                continue
            except NotText:
                continue
            construct = matrix_syntax(expr)
            if construct is not None:
                self.problem(
                    f"define '{signature}': {construct} cannot be used in a helper: a helper "
                    "works on numbers, and on a vector or matrix applies to each entry",
                    body.line,
                )
                continue
            unknown = variables(expr) - set(params)
            if unknown:
                names = ", ".join(sorted(unknown))
                why = (
                    "; a named constant is a number or an expression without variables"
                    if not params
                    else ", which is not a parameter"
                )
                self.problem(f"define '{signature}': uses {names}{why}", body.line)
                continue
            definitions[name] = Definition(name, params, expr)
        return tuple(definitions.values())
