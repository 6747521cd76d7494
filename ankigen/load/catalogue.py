"""The load stage: read catalogue folders into a :class:`~ankigen.records.Catalogue`.

Every ``*.yaml`` file of every folder is read (sorted by path) with PyYAML's *safe* composer,
which keeps each value's line so that every mistake can be reported where it was made. Only a
regular file of at most 5 MB that lies in its catalogue folder is read at all (see
:func:`read_catalogue_file`); any other ``*.yaml`` entry is reported, never skipped silently. The
files are checked against the format documented in the README: required and unknown keys (with
a "did you mean"), types, duplicate keys, rule ids, and every expression through the whitelist
parser. All problems of all files are collected and raised together as one
:class:`~ankigen.errors.CatalogueError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import yaml

from ankigen.errors import CatalogueError, Location, Problem, UsageError, did_you_mean
from ankigen.expr.latex import function_name as latex_function_name
from ankigen.expr.latex import name as latex_name
from ankigen.expr.parse import (
    ExpressionError,
    Scope,
    exact_number,
    parse_expression,
    parse_signature,
)
from ankigen.expr.syntax import VARIABLE_NAME
from ankigen.expr.tree import Call, Definition, Node, variables, walk
from ankigen.plumbing.files import FileTooLarge, NotARegularFile, read_regular_file
from ankigen.records import (
    Assumption,
    Catalogue,
    DeckDescription,
    Interval,
    PlotSettings,
    Rule,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000  # YAML values in one file, counting every use of an alias
MAX_NESTING = 50  # YAML lists and mappings inside each other
MAX_NAME = 200
MAX_CONTEXT = 2000
MAX_PLOT_NUMBER = 10**9  # plot ranges and values
RULE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
TAG = re.compile(r'[^\s"]+')  # also a valid ECMA-262 pattern (see ankigen.commands.schema)
# An assumption compares one symbol with a number: 'x > 0', '0 < p < 1', '0 < lr', 't >= 0'.
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_ORDER = r"<=|<|>=|>"
ASSUMPTION = re.compile(
    rf"\s*(?:({_NUMBER})\s*({_ORDER})\s*)?([A-Za-z][A-Za-z0-9_]*)\s*(?:({_ORDER}|!=)\s*({_NUMBER}))?\s*"
)
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}

# LaTeX commands refused in every text field. Anki typesets the whole card with MathJax 3, whose
# autoloaded extensions make these more than math, and HTML escaping does not stop them.
_LINK, _STYLE, _ACTION, _DEFINES, _MOVES = (
    "a link",
    "page styling",
    "a tooltip or click action",
    "a definition that stays for the cards after it",  # MathJax keeps macros for the page
    "ink moved outside its box, over other text",  # e.g. over the proved answer
)
UNSAFE_TEX = {
    "href": _LINK,  # \href{javascript:…} runs script when clicked
    "class": _STYLE, "style": _STYLE, "cssId": _STYLE, "bbox": _STYLE,
    "data": "HTML attributes", "html": "HTML", "mmlToken": "MathML attributes",
    "toggle": _ACTION, "endtoggle": _ACTION, "mathtip": _ACTION, "texttip": _ACTION,
    "unicode": "glyphs of any font", "require": "an extension", "setOptions": "parser options",
    "def": _DEFINES, "gdef": _DEFINES, "edef": _DEFINES, "xdef": _DEFINES, "let": _DEFINES,
    "newcommand": _DEFINES, "renewcommand": _DEFINES,
    "newenvironment": _DEFINES, "renewenvironment": _DEFINES,
    "DeclareMathOperator": _DEFINES, "Newextarrow": _DEFINES, "definecolor": _DEFINES,
    "llap": _MOVES, "rlap": _MOVES, "clap": _MOVES,
    "mathllap": _MOVES, "mathrlap": _MOVES, "mathclap": _MOVES,
    "raise": _MOVES, "lower": _MOVES, "moveleft": _MOVES, "moveright": _MOVES,
    "hskip": _MOVES, "hspace": _MOVES, "kern": _MOVES, "mkern": _MOVES,
    "mskip": _MOVES, "mspace": _MOVES,
}  # fmt: skip
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)  # \name, or \ and one character

FILE_KEYS = ("deck", "description", "tags", "define", "rules")
FILE_REQUIRED = ("deck", "rules")
RULE_KEYS = (
    "id", "name", "function", "derivative", "variable", "context",
    "tags", "assume", "source", "plot",
)  # fmt: skip
PLOT_KEYS = ("x", "y", "values")
RULE_REQUIRED = ("id", "name", "function", "derivative", "context")
VARIABLE_UNUSED = "the function does not use the variable"  # see _check_variable_used


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


# --- reading YAML with lines ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    """A YAML value with the line it starts on: str for scalars, list or dict otherwise."""

    data: str | list[_Value] | dict[str, _Value]
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


class _FileReader:
    """Reads one catalogue file, collecting its problems instead of stopping at the first."""

    def __init__(self, path: Path, folder: Path, draft: str | None = None) -> None:
        self.path = path
        self.folder = folder  # the catalogue folder the file was found in
        self.draft = draft  # the text to read instead of the file's
        self.problems: list[Problem] = []
        self.description: DeckDescription | None = None  # the file's deck's, once read
        self.nodes = 0
        self.open_nodes: set[int] = set()  # the nodes being converted: an alias cycle shows here

    def problem(self, message: str, line: int | None = None, rule_id: str | None = None) -> None:
        self.problems.append(Problem(message, Location(self.path, line), rule_id))

    def read(self) -> Iterator[Rule]:
        root = self._compose()
        if root is None:
            return
        if root.tag != "map" or not isinstance(root.data, dict):
            self.problem(
                f"the file must be a mapping with 'deck' and 'rules', not {root.kind()}", root.line
            )
            return
        top = self._keys(root.data, FILE_KEYS, FILE_REQUIRED, root.line, None)
        deck = self._deck(top.get("deck"))
        described = top.get("description")
        description = self._text(described, "description", None, MAX_CONTEXT)
        if deck is not None and description is not None and described is not None:
            self.description = DeckDescription(
                deck, description, Location(self.path, described.line)
            )
        tags = self._tags(top.get("tags"), None)
        definitions = self._definitions(top.get("define"))
        rules = top.get("rules")
        if rules is None:
            return
        if rules.tag != "seq" or not isinstance(rules.data, list):
            self.problem(f"'rules' must be a list of rules, not {rules.kind()}", rules.line)
            return
        for entry in rules.data:
            rule = self._rule(entry, deck, tags, definitions)
            if rule is not None:
                yield rule

    def _compose(self) -> _Value | None:
        raw = self._bytes()
        if raw is None:
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
        try:
            node = _compose_yaml(text)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else None
            column = f" (column {mark.column + 1})" if mark else ""
            what = error.problem or error.context or "invalid YAML"
            if "\t" in what or "'\\t'" in what:
                what += "; indent with spaces, not tabs"
            self.problem(f"YAML syntax error: {what}{column}", line)
            return None
        except yaml.YAMLError as error:
            self.problem(f"YAML error: {error}")
            return None
        except RecursionError:
            self.problem("the YAML is nested too deeply")
            return None
        if node is None:
            self.problem("the file is empty")
            return None
        try:
            return self._convert(node, depth=0)
        except _TooLarge as error:
            self.problem(str(error), error.line)
            return None

    def _bytes(self) -> bytes | None:
        if self.draft is not None:
            return self.draft.encode("utf-8")
        try:
            return read_catalogue_file(self.path, self.folder)
        except CatalogueError as error:
            self.problems.extend(error.problems)
            return None

    def _convert(self, node: yaml.Node, depth: int) -> _Value:
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

    def _convert_node(self, node: yaml.Node, depth: int, line: int) -> _Value:
        if isinstance(node, yaml.ScalarNode):
            tag = node.tag.rsplit(":", 1)[-1]
            return _Value(
                node.value, line, tag if tag in ("int", "float", "bool", "null") else "str"
            )
        if isinstance(node, yaml.SequenceNode):
            return _Value([self._convert(item, depth + 1) for item in node.value], line, "seq")
        assert isinstance(node, yaml.MappingNode)
        mapping: dict[str, _Value] = {}
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
        return _Value(mapping, line, "map")

    # --- the format ------------------------------------------------------------------------------

    def _keys(
        self,
        mapping: dict[str, _Value],
        allowed: Sequence[str],
        required: Sequence[str],
        line: int,
        rule_id: str | None,
    ) -> dict[str, _Value]:
        for key, value in mapping.items():
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                self.problem(f"unknown key '{key}'{hint}", value.line, rule_id)
        for key in required:
            if key not in mapping:
                self.problem(f"missing required key '{key}'", line, rule_id)
        return {k: v for k, v in mapping.items() if k in allowed}

    def _text(self, value: _Value | None, key: str, rule_id: str | None, limit: int) -> str | None:
        if value is None:
            return None
        if not isinstance(value.data, str) or value.tag == "null":
            self.problem(f"'{key}' must be text, not {value.kind()}", value.line, rule_id)
            return None
        text = value.data.strip()
        if not text:
            self.problem(f"'{key}' is empty", value.line, rule_id)
            return None
        if len(text) > limit:
            self.problem(
                f"'{key}' is {len(text)} characters long; the limit is {limit}", value.line, rule_id
            )
            return None
        unsafe = _unsafe_tex(text)
        if unsafe:
            self.problem(
                f"'{key}' uses {unsafe}, which Anki's MathJax would put on the card; text "
                "fields take plain text and math only",
                value.line,
                rule_id,
            )
            return None
        return text

    def _deck(self, value: _Value | None) -> str | None:
        deck = self._text(value, "deck", None, MAX_NAME)
        if deck is not None and value is not None and any(not p.strip() for p in deck.split("::")):
            self.problem(f"deck name {deck!r} has an empty part between '::'", value.line)
            return None
        return deck

    def _tags(self, value: _Value | None, rule_id: str | None) -> tuple[str, ...]:
        if value is None:
            return ()
        items = value.data if isinstance(value.data, list) else None
        if items is None:
            self.problem(
                f"'tags' must be a list such as [activation, loss], not {value.kind()}",
                value.line,
                rule_id,
            )
            return ()
        tags = []
        for item in items:
            if not isinstance(item.data, str) or item.tag == "null" or not TAG.fullmatch(item.data):
                self.problem(
                    f"tag {_shown(item)} must be one word without spaces or quotes",
                    item.line,
                    rule_id,
                )
                continue
            tags.append(item.data)
        return tuple(tags)

    def _definitions(self, value: _Value | None) -> tuple[Definition, ...]:
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
                scope = Scope(definitions, "e" if "e" in params else "x")
                expr = parse_expression(self._expression_text(body, f"define {name}"), scope)
            except ExpressionError as error:
                self.problem(f"define '{signature}': {error.reason}", body.line)
                continue
            except _NotText:
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

    def _expression_text(self, value: _Value, key: str, rule_id: str | None = None) -> str:
        if not isinstance(value.data, str) or value.tag in ("null", "bool"):
            self.problem(f"'{key}' must be an expression, not {value.kind()}", value.line, rule_id)
            raise _NotText
        return value.data

    def _rule(
        self,
        entry: _Value,
        deck: str | None,
        file_tags: tuple[str, ...],
        definitions: tuple[Definition, ...],
    ) -> Rule | None:
        if not isinstance(entry.data, dict):
            self.problem(f"a rule must be a mapping of keys, not {entry.kind()}", entry.line)
            return None
        rule_id = self._rule_id(entry.data.get("id"))
        fields = self._keys(entry.data, RULE_KEYS, RULE_REQUIRED, entry.line, rule_id)
        count = len(self.problems)
        name = self._text(fields.get("name"), "name", rule_id, MAX_NAME)
        context = self._text(fields.get("context"), "context", rule_id, MAX_CONTEXT)
        source = self._text(fields.get("source"), "source", rule_id, MAX_CONTEXT)
        variable = self._variable(fields.get("variable"), rule_id)
        assumptions = self._assumptions(fields.get("assume"), rule_id)
        tags = self._tags(fields.get("tags"), rule_id)
        plot = self._plot(fields.get("plot"), variable, rule_id)
        self._check_not_constants(variable, assumptions, definitions, fields, rule_id)
        scope = Scope({d.name: d for d in definitions}, variable)
        function = self._parse(fields.get("function"), "function", scope, rule_id)
        derivative = self._parse(fields.get("derivative"), "derivative", scope, rule_id)
        if function is not None:
            where = fields["variable"] if "variable" in fields else fields["function"]
            self._check_variable_used(function[0], variable, where.line, rule_id)
        if function is not None and derivative is not None:
            self._check_variables(function[0], derivative[0], fields["derivative"].line, rule_id)
            self._check_names_differ(
                (function[0], derivative[0]), variable, scope, fields["function"].line, rule_id
            )
            used = variables(function[0]) | variables(derivative[0])
            self._check_plot_values(plot, used, assumptions, fields.get("plot"), rule_id)
        if len(self.problems) > count or None in (
            rule_id,
            name,
            context,
            deck,
            function,
            derivative,
        ):
            return None
        assert rule_id and name and context and deck and function and derivative
        return Rule(
            id=rule_id,
            name=name,
            deck=deck,
            function=function[0],
            derivative=derivative[0],
            variable=variable,
            context=context,
            tags=tuple(dict.fromkeys((*file_tags, *tags))),
            assumptions=assumptions,
            source=source,
            definitions=definitions,
            function_text=function[1],
            derivative_text=derivative[1],
            location=Location(self.path, entry.line),
            derivative_location=Location(self.path, fields["derivative"].line),
            plot=plot,
        )

    def _rule_id(self, value: _Value | None) -> str | None:
        if value is None:
            return None
        if not isinstance(value.data, str) or value.tag == "null":
            self.problem(f"'id' must be text, not {value.kind()}", value.line)
            return None
        if not RULE_ID.fullmatch(value.data):
            self.problem(
                f"id {value.data!r} must be lowercase letters and digits joined by single hyphens",
                value.line,
            )
            return None
        return value.data

    def _variable(self, value: _Value | None, rule_id: str | None) -> str:
        if value is None:
            return "x"
        if (
            not isinstance(value.data, str)
            or not VARIABLE_NAME.fullmatch(value.data)
            or "__" in value.data
        ):
            self.problem(
                f"'variable' must be a variable name such as x or w, not {_shown(value)}",
                value.line,
                rule_id,
            )
            return "x"
        return value.data

    def _plot(self, value: _Value | None, variable: str, rule_id: str | None) -> PlotSettings:
        """``plot: false``, or a mapping with ``x: [min, max]``, ``y: [min, max]``, ``values:``."""
        if value is None:
            return PlotSettings()
        if value.tag == "bool":
            return PlotSettings(enabled=value.data in ("true", "True", "TRUE", "yes", "on"))
        if not isinstance(value.data, dict):
            self.problem(
                f"'plot' must be false or a mapping (x, y, values), not {value.kind()}",
                value.line,
                rule_id,
            )
            return PlotSettings()
        fields = self._keys(value.data, PLOT_KEYS, (), value.line, rule_id)
        values: list[tuple[str, Fraction]] = []
        given = fields.get("values")
        if given is not None and not isinstance(given.data, dict):
            self.problem(
                f"plot 'values' must map symbols to numbers, not {given.kind()}",
                given.line,
                rule_id,
            )
        elif given is not None:
            assert isinstance(given.data, dict)
            for name, number in given.data.items():
                if name == variable:
                    self.problem(
                        f"plot 'values': '{name}' is the plot's horizontal axis",
                        number.line,
                        rule_id,
                    )
                    continue
                amount = self._number(number, f"plot value of '{name}'", rule_id)
                if amount is not None:
                    values.append((name, amount))
        return PlotSettings(
            x_range=self._range(fields.get("x"), "x", rule_id),
            y_range=self._range(fields.get("y"), "y", rule_id),
            values=tuple(values),
        )

    def _check_plot_values(
        self,
        plot: PlotSettings,
        used: set[str],
        assumptions: tuple[Assumption, ...],
        value: _Value | None,
        rule_id: str | None,
    ) -> None:
        """A plot value must name a symbol of the rule and agree with its assumptions."""
        line = value.line if value is not None else None
        for name, number in plot.values:
            if name not in used:
                hint = did_you_mean(name, sorted(used))
                self.problem(
                    f"plot value for '{name}', which the rule does not use{hint}", line, rule_id
                )
            for assumption in assumptions:
                if assumption.symbol == name and not assumption.holds(number):
                    self.problem(
                        f"plot value {name} = {number} contradicts the assumption '{assumption}'",
                        line,
                        rule_id,
                    )

    def _range(
        self, value: _Value | None, key: str, rule_id: str | None
    ) -> tuple[Fraction, Fraction] | None:
        if value is None:
            return None
        if not isinstance(value.data, list) or len(value.data) != 2:
            self.problem(
                f"plot '{key}' must be [min, max], not {_shown(value)}", value.line, rule_id
            )
            return None
        low, high = (self._number(v, f"plot '{key}'", rule_id) for v in value.data)
        if low is None or high is None:
            return None
        if not low < high:
            self.problem(
                f"plot '{key}': the minimum {low} is not below the maximum {high}",
                value.line,
                rule_id,
            )
            return None
        return low, high

    def _number(self, value: _Value, what: str, rule_id: str | None) -> Fraction | None:
        """A plot number: a YAML int or float, made exact only once the expression parser's
        limits on digits and exponent accept its text."""
        if value.tag in ("int", "float") and isinstance(value.data, str):
            text = value.data.replace("_", "")
            negative = text.startswith("-")
            try:
                number = exact_number(text[1:] if text.startswith(("-", "+")) else text)
            except ExpressionError as error:
                self.problem(f"{what}: {error.reason}", value.line, rule_id)
                return None
            number = -number if negative else number
            if abs(number) <= MAX_PLOT_NUMBER:
                return number
        self.problem(
            f"{what} must be a number of moderate size, not {_shown(value)}", value.line, rule_id
        )
        return None

    def _assumptions(self, value: _Value | None, rule_id: str | None) -> tuple[Assumption, ...]:
        if value is None:
            return ()
        items = value.data if isinstance(value.data, list) else [value]
        result: list[Assumption] = []
        for item in items:
            parsed = parse_assumption(item.data) if isinstance(item.data, str) else None
            if isinstance(parsed, str):
                self.problem(f"assumption {_shown(item)}: {parsed}", item.line, rule_id)
            elif parsed is None:
                self.problem(
                    f"assumption {_shown(item)} must compare one symbol with numbers, such as "
                    "'x > 0' or '0 < p < 1'",
                    item.line,
                    rule_id,
                )
            else:
                result.extend(parsed)
        self._check_consistent(result, value.line, rule_id)
        return tuple(result)

    def _check_consistent(
        self, assumptions: list[Assumption], line: int, rule_id: str | None
    ) -> None:
        """Assumptions on one symbol must leave it an interval to vary in: 'x > 0' with 'x < 0'
        leaves nothing, 'x >= 0' with 'x <= 0' only x = 0."""
        for symbol in dict.fromkeys(a.symbol for a in assumptions):
            interval = Interval.of(symbol, tuple(assumptions))
            if interval.empty:
                mine = [a for a in assumptions if a.symbol == symbol and a.relation != "!="]
                listed = " and ".join(f"'{a}'" for a in mine)
                closed = not (interval.low_open or interval.high_open)
                one_point = interval.low == interval.high and closed
                left = (
                    f"only {symbol} = {mine[0].bound_text}"
                    if one_point
                    else f"no value for {symbol}"
                )
                self.problem(f"the assumptions {listed} leave {left}", line, rule_id)

    def _parse(
        self, value: _Value | None, key: str, scope: Scope, rule_id: str | None
    ) -> tuple[Node, str] | None:
        if value is None:
            return None
        try:
            text = self._expression_text(value, key, rule_id)
            return parse_expression(text, scope), text.strip()
        except ExpressionError as error:
            self.problem(f"{key}: {error.reason}", value.line, rule_id)
        except _NotText:
            pass
        return None

    def _check_names_differ(
        self, trees: tuple[Node, ...], variable: str, scope: Scope, line: int, rule_id: str | None
    ) -> None:
        """Two names that print alike (x1 and x_1 are both x₁; lam and lmbda both λ) would make
        a proved card read wrong: "d/dx₁ (x₁² + x₁) = 1"."""
        shown: dict[str, set[str]] = {}
        for name in {variable}.union(*(variables(t) for t in trees)):
            shown.setdefault(latex_name(name), set()).add(name)
        todo = [*trees]
        seen: set[str] = set()
        while todo:
            for call in walk(todo.pop()):
                if isinstance(call, Call) and call.kind != "function" and call.name not in seen:
                    seen.add(call.name)
                    shown.setdefault(latex_function_name(call.name), set()).add(call.name)
                    if call.name in scope.definitions:
                        todo.append(scope.definitions[call.name].body)
        for printed, names in sorted(shown.items()):
            if len(names) > 1:
                listed = " and ".join(repr(n) for n in sorted(names))
                self.problem(
                    f"the names {listed} print alike on the card (as {printed}); rename one",
                    line,
                    rule_id,
                )

    def _check_not_constants(
        self,
        variable: str,
        assumptions: tuple[Assumption, ...],
        definitions: tuple[Definition, ...],
        fields: dict[str, _Value],
        rule_id: str | None,
    ) -> None:
        """A named constant of the file's ``define:`` has one value: a rule cannot vary it, nor
        assume anything about it."""
        constants = {d.name for d in definitions if d.is_constant}
        if variable in constants:
            line = fields["variable"].line if "variable" in fields else None
            self.problem(
                f"the variable '{variable}' is a named constant of the file's 'define:'; rename "
                "the constant or the variable",
                line,
                rule_id,
            )
        for assumption in assumptions:
            if assumption.symbol in constants:
                self.problem(
                    f"assumption '{assumption}': '{assumption.symbol}' is a named constant of the "
                    "file's 'define:', whose value is known",
                    fields["assume"].line,
                    rule_id,
                )

    def _check_variable_used(
        self, function: Node, variable: str, line: int, rule_id: str | None
    ) -> None:
        """Differentiating by a variable the function does not use gives 0 whatever the
        function: most likely a typo (``variable: W`` for ``w``) or a forgotten ``variable:``
        (x by default). A function of no variable at all (a constant) may have any variable."""
        used = variables(function)
        if not used or variable in used:
            return
        hint = did_you_mean(variable, sorted(used))
        if not hint and len(used) == 1:
            hint = f"; did you mean '{next(iter(used))}'?"
        self.problem(
            f"{VARIABLE_UNUSED} '{variable}' (its derivative by '{variable}' would be 0){hint}",
            line,
            rule_id,
        )

    def _check_variables(
        self, function: Node, derivative: Node, line: int, rule_id: str | None
    ) -> None:
        """A derivative cannot bring in a variable its function lacks: most likely a typo."""
        extra = variables(derivative) - variables(function)
        for name in sorted(extra):
            hint = did_you_mean(name, sorted(variables(function)))
            self.problem(
                f"derivative uses '{name}', which the function does not{hint}", line, rule_id
            )


def _unsafe_tex(text: str) -> str:
    """The refused commands of :data:`UNSAFE_TEX` that ``text`` uses, with what each would
    add to the card (``\\href (a link)``), or ``""``. Commands are read as TeX reads them:
    ``\\\\href`` is a line break and the word href."""
    found = dict.fromkeys(name for name in _TEX_COMMAND.findall(text) if name in UNSAFE_TEX)
    return ", ".join(f"\\{name} ({UNSAFE_TEX[name]})" for name in found)


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


class _TooLarge(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse_assumption(text: str) -> tuple[Assumption, ...] | str | None:
    """The conditions of one ``assume:`` entry; a message if it is malformed in a way worth
    naming; None if it is no comparison at all."""
    match = ASSUMPTION.fullmatch(text)
    if match is None or not (match.group(2) or match.group(4)):
        return None
    low, low_order, symbol, order, bound = match.groups()
    if low_order and order and (order == "!=" or (low_order[0] != order[0])):
        return "a chain of comparisons must go one way, as in '0 < p < 1'"
    try:
        found = []
        if low_order:
            found.append(Assumption(symbol, _FLIPPED[low_order], _signed_number(low)))
        if order:
            found.append(Assumption(symbol, order, _signed_number(bound)))
    except ExpressionError as error:
        return error.reason
    return tuple(found)


def _signed_number(text: str) -> Fraction:
    sign = -1 if text.startswith("-") else 1
    return sign * exact_number(text.lstrip("+-"))


class _NotText(Exception):
    pass


def _shown(value: _Value, limit: int = 60) -> str:
    """A value as a message quotes it: text cut to ``limit`` characters (a megabyte of it would
    flood the terminal), anything else in words."""
    if not isinstance(value.data, str):
        return value.kind()
    text = value.data
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
