"""The load stage: read catalogue folders into a :class:`~ankigen.model.Catalogue`.

Every ``*.yaml`` file of every folder is read (sorted by path) with PyYAML's *safe* composer,
which keeps each value's line so that every mistake can be reported where it was made. The
files are checked against the format documented in the README: required and unknown keys (with
a "did you mean"), types, duplicate keys, rule ids, and every expression through the whitelist
parser. All problems of all files are collected and raised together as one
:class:`~ankigen.errors.CatalogueError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import yaml

from ankigen.errors import CatalogueError, Location, Problem, UsageError, did_you_mean
from ankigen.expressions import (
    VARIABLE_NAME,
    Definition,
    ExpressionError,
    Node,
    Scope,
    parse_expression,
    parse_signature,
    variables,
)
from ankigen.model import Assumption, Catalogue, PlotSettings, Rule

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000  # YAML values in one file, counting every use of an alias
MAX_NESTING = 50  # YAML lists and mappings inside each other
MAX_NAME = 200
MAX_CONTEXT = 2000
MAX_PLOT_NUMBER = 10**9  # plot ranges and values
RULE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
TAG = re.compile(r'[^\s"]+')  # also a valid ECMA-262 pattern (see ankigen.schema)
ASSUMPTION = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*(>=|<=|!=|>|<)\s*0\s*")

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

FILE_KEYS = ("deck", "tags", "define", "rules")
FILE_REQUIRED = ("deck", "rules")
RULE_KEYS = (
    "id", "name", "function", "derivative", "variable", "context",
    "tags", "assume", "source", "plot",
)  # fmt: skip
PLOT_KEYS = ("x", "y", "values")
RULE_REQUIRED = ("id", "name", "function", "derivative", "context")


def catalogue_files(folders: Sequence[Path]) -> list[Path]:
    """The ``*.yaml`` files of the folders, sorted by path within each folder."""
    files: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise UsageError(f"{folder}: no such catalogue folder")
        files.extend(sorted(p for p in folder.rglob("*.yaml") if p.is_file()))
    return files


def load_catalogue(folders: Sequence[Path]) -> Catalogue:
    """Read and check every catalogue file of ``folders``; raise one error listing all problems."""
    files = catalogue_files(folders)
    problems: list[Problem] = []
    rules: list[Rule] = []
    first_seen: dict[str, Location] = {}
    for path in files:
        reader = _FileReader(path)
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
        # Each file's problems in the order of its lines (a stable sort keeps a line's own order).
        problems.extend(
            sorted(reader.problems, key=lambda p: p.location.line or 0 if p.location else 0)
        )
    if problems:
        raise CatalogueError(problems)
    if not rules:
        where = ", ".join(str(f) for f in folders) or "no catalogue folder was given"
        raise CatalogueError(f"{where}: no rules found (a catalogue is a folder of *.yaml files)")
    return Catalogue(tuple(rules), tuple(files))


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

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
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
        try:
            raw = self.path.read_bytes()
        except OSError as error:
            self.problem(f"cannot read the file: {error.strerror or error}")
            return None
        if len(raw) > MAX_FILE_BYTES:
            self.problem(
                f"the file is {len(raw) / 1e6:.1f} MB; a catalogue file may be at most 5 MB"
            )
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
                name, params = parse_signature(signature)
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
                self.problem(
                    f"define '{signature}': uses {names}, which is not a parameter", body.line
                )
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
        scope = Scope({d.name: d for d in definitions}, variable)
        function = self._parse(fields.get("function"), "function", scope, rule_id)
        derivative = self._parse(fields.get("derivative"), "derivative", scope, rule_id)
        if function is not None and derivative is not None:
            self._check_variables(function[0], derivative[0], fields["derivative"].line, rule_id)
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
                if assumption.symbol == name and not _satisfies(number, assumption.relation):
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
        if value.tag in ("int", "float") and isinstance(value.data, str):
            try:
                number = Fraction(value.data.replace("_", ""))
            except (ValueError, ZeroDivisionError):
                pass
            else:
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
        result = []
        for item in items:
            match = ASSUMPTION.fullmatch(item.data) if isinstance(item.data, str) else None
            if match is None:
                self.problem(
                    f"assumption {_shown(item)} must compare one symbol with 0, such as 'x > 0'",
                    item.line,
                    rule_id,
                )
                continue
            result.append(Assumption(match.group(1), match.group(2)))
        return tuple(result)

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


def _satisfies(number: Fraction, relation: str) -> bool:
    return {
        ">": number > 0,
        ">=": number >= 0,
        "<": number < 0,
        "<=": number <= 0,
        "!=": number != 0,
    }[relation]


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


class _NotText(Exception):
    pass


def _shown(value: _Value) -> str:
    return repr(value.data) if isinstance(value.data, str) else value.kind()
