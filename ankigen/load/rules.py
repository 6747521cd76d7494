"""One rule of a catalogue file: its keys and fields read and checked into a
:class:`~ankigen.records.Rule`, with the checks that look at several fields at once (the
variable is used, the derivative brings in no new name, no two names print alike, a plot value
agrees with the assumptions; for a rule with ``shapes:``, those of :mod:`ankigen.load.shapes`).
Nothing is proved here.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ankigen.errors import Location, did_you_mean
from ankigen.expr.assumptions import Assumption
from ankigen.expr.latex import function_name as latex_function_name
from ankigen.expr.latex import name as latex_name
from ankigen.expr.parse import ExpressionError, Scope, exact_number, parse_expression
from ankigen.expr.shapes import matrix_syntax
from ankigen.expr.syntax import VARIABLE_NAME
from ankigen.expr.tree import Call, Definition, Node, variables, walk
from ankigen.load.assumptions import read_assumptions, read_conditions
from ankigen.load.fields import MAX_CONTEXT, MAX_NAME, Checker, NotText
from ankigen.load.shapes import ShapedRule, check_shaped, needs_shapes, read_shapes
from ankigen.load.yamlfile import Value, shown
from ankigen.records import PlotSettings, Rule

MAX_PLOT_NUMBER = 10**9  # plot ranges and values
RULE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
RULE_KEYS = (
    "id", "name", "shapes", "function", "derivative", "variable", "context",
    "tags", "assume", "source", "plot",
)  # fmt: skip
PLOT_KEYS = ("x", "y", "values")
RULE_REQUIRED = ("id", "name", "function", "derivative", "context")
VARIABLE_UNUSED = "the function does not use the variable"  # see _check_variable_used


def read_rule(
    check: Checker,
    entry: Value,
    deck: str | None,
    file_tags: tuple[str, ...],
    definitions: tuple[Definition, ...],
) -> Rule | None:
    """The rule of ``entry`` (one item of a file's ``rules:``) in ``deck``, with the file's tags
    and ``define:``; None once its problems are reported to ``check``."""
    if not isinstance(entry.data, dict):
        check.problem(f"a rule must be a mapping of keys, not {entry.kind()}", entry.line)
        return None
    rule_id = _rule_id(check, entry.data.get("id"))
    fields = check.keys(entry.data, RULE_KEYS, RULE_REQUIRED, entry.line, rule_id)
    count = len(check.problems)
    name = check.text(fields.get("name"), "name", rule_id, MAX_NAME)
    context = check.text(fields.get("context"), "context", rule_id, MAX_CONTEXT)
    source = check.text(fields.get("source"), "source", rule_id, MAX_CONTEXT)
    variable = _variable(check, fields.get("variable"), rule_id)
    shaped = "shapes" in fields
    before_shapes = len(check.problems)
    shapes = read_shapes(check, fields.get("shapes"), rule_id)
    shapes_read = len(check.problems) == before_shapes  # else shape errors would be noise
    assumptions = () if shaped else read_assumptions(check, fields.get("assume"), rule_id)
    tags = check.tags(fields.get("tags"), rule_id)
    plot = _plot(check, fields.get("plot"), variable, rule_id)
    _check_not_constants(check, variable, assumptions, definitions, fields, rule_id)
    scope = Scope({d.name: d for d in definitions}, variable)
    function = _parse(check, fields.get("function"), "function", scope, rule_id, shaped)
    derivative = _parse(check, fields.get("derivative"), "derivative", scope, rule_id, shaped)
    conditions = read_conditions(check, fields.get("assume"), scope, rule_id) if shaped else ()
    parsed = len(check.problems)  # a mistake found below would make shape errors noise
    if function is not None:
        where = fields["variable"] if "variable" in fields else fields["function"]
        _check_variable_used(check, function[0], variable, where.line, rule_id)
    if function is not None and derivative is not None:
        _check_pair(check, (function[0], derivative[0]), variable, scope, fields, rule_id)
        used = variables(function[0]) | variables(derivative[0])
        _check_plot_values(check, plot, used, assumptions, fields.get("plot"), rule_id)
        if shaped and shapes_read and len(check.problems) == parsed:
            shaped_rule = ShapedRule(
                shapes, function[0], derivative[0], variable, definitions, conditions,
                fields["shapes"], fields["function"].line, fields["derivative"].line,
            )  # fmt: skip
            check_shaped(check, shaped_rule, rule_id)
    if len(check.problems) > count or None in (
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
        location=Location(check.path, entry.line),
        derivative_location=Location(check.path, fields["derivative"].line),
        plot=plot,
        shapes=shapes,
        conditions=tuple(condition for condition, _ in conditions),
    )


def _check_pair(
    check: Checker,
    trees: tuple[Node, Node],
    variable: str,
    scope: Scope,
    fields: dict[str, Value],
    rule_id: str | None,
) -> None:
    """The checks of the function and the claim together: no new name in the claim, no two
    names that print alike."""
    _check_variables(check, trees[0], trees[1], fields["derivative"].line, rule_id)
    _check_names_differ(check, trees, variable, scope, fields["function"].line, rule_id)


def _rule_id(check: Checker, value: Value | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value.data, str) or value.tag == "null":
        check.problem(f"'id' must be text, not {value.kind()}", value.line)
        return None
    if not RULE_ID.fullmatch(value.data):
        check.problem(
            f"id {value.data!r} must be lowercase letters and digits joined by single hyphens",
            value.line,
        )
        return None
    return value.data


def _variable(check: Checker, value: Value | None, rule_id: str | None) -> str:
    if value is None:
        return "x"
    if (
        not isinstance(value.data, str)
        or not VARIABLE_NAME.fullmatch(value.data)
        or "__" in value.data
    ):
        check.problem(
            f"'variable' must be a variable name such as x or w, not {shown(value)}",
            value.line,
            rule_id,
        )
        return "x"
    return value.data


def _plot(check: Checker, value: Value | None, variable: str, rule_id: str | None) -> PlotSettings:
    """``plot: false``, or a mapping with ``x: [min, max]``, ``y: [min, max]``, ``values:``."""
    if value is None:
        return PlotSettings()
    if value.tag == "bool":
        # YAML 1.1 reads yes, Yes, YES, on, On and ON as true, as well as true.
        return PlotSettings(enabled=str(value.data).lower() in ("true", "yes", "on"))
    if not isinstance(value.data, dict):
        check.problem(
            f"'plot' must be false or a mapping (x, y, values), not {value.kind()}",
            value.line,
            rule_id,
        )
        return PlotSettings()
    fields = check.keys(value.data, PLOT_KEYS, (), value.line, rule_id)
    values = _plot_values(check, fields.get("values"), variable, rule_id)
    return PlotSettings(
        x_range=_range(check, fields.get("x"), "x", rule_id),
        y_range=_range(check, fields.get("y"), "y", rule_id),
        values=values,
    )


def _plot_values(
    check: Checker, given: Value | None, variable: str, rule_id: str | None
) -> tuple[tuple[str, Fraction], ...]:
    """The plot's ``values:``, a number for each symbol other than the horizontal axis."""
    if given is None:
        return ()
    if not isinstance(given.data, dict):
        check.problem(
            f"plot 'values' must map symbols to numbers, not {given.kind()}", given.line, rule_id
        )
        return ()
    values: list[tuple[str, Fraction]] = []
    for name, number in given.data.items():
        if name == variable:
            check.problem(
                f"plot 'values': '{name}' is the plot's horizontal axis", number.line, rule_id
            )
            continue
        amount = _number(check, number, f"plot value of '{name}'", rule_id)
        if amount is not None:
            values.append((name, amount))
    return tuple(values)


def _check_plot_values(
    check: Checker,
    plot: PlotSettings,
    used: set[str],
    assumptions: tuple[Assumption, ...],
    value: Value | None,
    rule_id: str | None,
) -> None:
    """A plot value must name a symbol of the rule and agree with its assumptions."""
    line = value.line if value is not None else None
    for name, number in plot.values:
        if name not in used:
            hint = did_you_mean(name, sorted(used))
            check.problem(
                f"plot value for '{name}', which the rule does not use{hint}", line, rule_id
            )
        for assumption in assumptions:
            if assumption.symbol == name and not assumption.holds(number):
                check.problem(
                    f"plot value {name} = {number} contradicts the assumption '{assumption}'",
                    line,
                    rule_id,
                )


def _range(
    check: Checker, value: Value | None, key: str, rule_id: str | None
) -> tuple[Fraction, Fraction] | None:
    if value is None:
        return None
    if not isinstance(value.data, list) or len(value.data) != 2:
        check.problem(f"plot '{key}' must be [min, max], not {shown(value)}", value.line, rule_id)
        return None
    low, high = (_number(check, v, f"plot '{key}'", rule_id) for v in value.data)
    if low is None or high is None:
        return None
    if not low < high:
        check.problem(
            f"plot '{key}': the minimum {low} is not below the maximum {high}",
            value.line,
            rule_id,
        )
        return None
    return low, high


def _number(check: Checker, value: Value, what: str, rule_id: str | None) -> Fraction | None:
    """A plot number: a YAML int or float, made exact only once the expression parser's
    limits on digits and exponent accept its text."""
    if value.tag in ("int", "float") and isinstance(value.data, str):
        text = value.data.replace("_", "")
        negative = text.startswith("-")
        try:
            number = exact_number(text[1:] if text.startswith(("-", "+")) else text)
        except ExpressionError as error:
            check.problem(f"{what}: {error.reason}", value.line, rule_id)
            return None
        number = -number if negative else number
        if abs(number) <= MAX_PLOT_NUMBER:
            return number
    check.problem(
        f"{what} must be a number of moderate size, not {shown(value)}", value.line, rule_id
    )
    return None


def _parse(
    check: Checker,
    value: Value | None,
    key: str,
    scope: Scope,
    rule_id: str | None,
    shaped: bool,
) -> tuple[Node, str] | None:
    """The expression of ``key`` and its text; in a rule without ``shapes:``, no ``@``, ``.T``
    or matrix function."""
    if value is None:
        return None
    try:
        text = check.expression_text(value, key, rule_id)
        node = parse_expression(text, scope)
        construct = None if shaped else matrix_syntax(node)
        if construct is not None:
            raise ExpressionError(needs_shapes(construct))
        return node, text.strip()
    except ExpressionError as error:
        check.problem(f"{key}: {error.reason}", value.line, rule_id)
    except NotText:
        pass
    return None


def _check_names_differ(
    check: Checker,
    trees: tuple[Node, ...],
    variable: str,
    scope: Scope,
    line: int,
    rule_id: str | None,
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
            check.problem(
                f"the names {listed} print alike on the card (as {printed}); rename one",
                line,
                rule_id,
            )


def _check_not_constants(
    check: Checker,
    variable: str,
    assumptions: tuple[Assumption, ...],
    definitions: tuple[Definition, ...],
    fields: dict[str, Value],
    rule_id: str | None,
) -> None:
    """A named constant of the file's ``define:`` has one value: a rule cannot vary it, nor
    assume anything about it."""
    constants = {d.name for d in definitions if d.is_constant}
    if variable in constants:
        line = fields["variable"].line if "variable" in fields else None
        check.problem(
            f"the variable '{variable}' is a named constant of the file's 'define:'; rename "
            "the constant or the variable",
            line,
            rule_id,
        )
    for assumption in assumptions:
        if assumption.symbol in constants:
            check.problem(
                f"assumption '{assumption}': '{assumption.symbol}' is a named constant of the "
                "file's 'define:', whose value is known",
                fields["assume"].line,
                rule_id,
            )


def _check_variable_used(
    check: Checker, function: Node, variable: str, line: int, rule_id: str | None
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
    check.problem(
        f"{VARIABLE_UNUSED} '{variable}' (its derivative by '{variable}' would be 0){hint}",
        line,
        rule_id,
    )


def _check_variables(
    check: Checker, function: Node, derivative: Node, line: int, rule_id: str | None
) -> None:
    """A derivative cannot bring in a variable its function lacks: most likely a typo."""
    extra = variables(derivative) - variables(function)
    for name in sorted(extra):
        hint = did_you_mean(name, sorted(variables(function)))
        check.problem(f"derivative uses '{name}', which the function does not{hint}", line, rule_id)
