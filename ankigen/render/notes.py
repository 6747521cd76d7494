"""The render stage: turn proved rules into the fields of Anki notes.

The note type is designed to stay stable for years: Anki matches note types by id, and any
change to the number, order or names of its fields or templates makes learners' existing notes
stop updating. So :data:`NOTE_TYPE` fixes them now, with room for what later features need
(``Plot``, ``Source``); template text and CSS can change freely.

Math is MathJax (``\\( … \\)`` and ``\\[ … \\]``), printed from the same parsed expressions that
were proved; every field is HTML-escaped, so catalogue text can never inject markup.

Every side must fit a phone held upright (360 px: 320 px inside Anki's 20 px margins) without
scrolling sideways, and MathJax never breaks a line: so each formula is laid out here to fit a
width (the budgets below, in em of texwidth's estimate), which ``tests/test_fit.py`` checks with
Anki's own MathJax in a browser. MathJax draws its math about 1.2 times as large as the text
around it (it matches the text's x-height), hence 320 px / (font size × 1.25).

The front shows the question and only the helpers the question uses; a helper that only the
answer uses (s₁ in log-sum-exp's answer, σ in softplus') would give the answer away there, so
it goes on the back, under the answer, in the Answer field.
"""

from __future__ import annotations

import html
from contextlib import nullcontext

from ankigen.expr import latex, layout
from ankigen.expr.shapes import Shape, shape_of, shapes_by_name
from ankigen.expr.shapes import layout as derivative_shape
from ankigen.expr.tree import Definition, Node, variables
from ankigen.plumbing.resources import asset_text
from ankigen.records import MediaFile, NoteType, RenderedNote, Rule

# Widths, in em, that formulas are laid out to fit (see the module's docstring): the question and
# the answer (22 px), a helper's definition (17 px, after "where"), a plot's legend (16 px, after
# the line's key).
DISPLAY_WIDTH = 11.5
DEFINITION_WIDTH = 13.0
LEGEND_WIDTH = 13.5

# Never change these ids, names or orders: learners' collections depend on them.
NOTE_TYPE_ID = 1_782_146_305
NOTE_TYPE_NAME = "ankigen derivative"
FIELDS = ("Id", "Name", "Question", "Answer", "Context", "Definitions", "Plot", "Source")
TEMPLATE_NAME = "Derivative"


def note_type() -> NoteType:
    """The note type every ankigen note uses, with the templates and CSS from ``assets/``."""
    return NoteType(
        id=NOTE_TYPE_ID,
        name=NOTE_TYPE_NAME,
        fields=FIELDS,
        template_name=TEMPLATE_NAME,
        front=asset_text("front.html"),
        back=asset_text("back.html"),
        css=asset_text("card.css"),
    )


def render_note(rule: Rule, plot: str = "", media: tuple[MediaFile, ...] = ()) -> RenderedNote:
    """The fields of one rule's note (the rule must already be proved); ``plot`` is the HTML of
    its plot and ``media`` the files that HTML refers to. A rule with ``shapes:`` prints its
    vectors and matrices bold, asks for a gradient or a Jacobian, states the shapes under the
    question and the layout of the answer on the front."""
    shapes = symbol_shapes(rule)
    with latex.shaped(shapes) if shapes else nullcontext():
        question = _display_math(_question(rule, shapes))
        answer = _display_math(layout.fit(rule.derivative, DISPLAY_WIDTH))
        conditions = _matrix_conditions(rule)
        front_lines = [_shapes_line(rule, shapes), _layout_line(rule, shapes)] if shapes else []
    on_the_front = rule.definitions_used_by(rule.function)
    only_on_the_back = tuple(d for d in rule.used_definitions if d not in on_the_front)
    if only_on_the_back:
        answer += f'<div class="definitions">{_definitions(only_on_the_back)}</div>'
    if front_lines and front_lines[0]:
        question += f"<div>{front_lines[0]}</div>"
    definitions = [*front_lines[1:], _definitions(on_the_front), _assumptions(rule), conditions]
    values = {
        "Id": rule.id,
        "Name": _text(rule.name),
        "Question": question,
        "Answer": answer,
        "Context": _text(rule.context),
        "Definitions": "<br>".join(filter(None, definitions)),
        "Plot": plot,
        "Source": _text(rule.source or ""),
    }
    return RenderedNote(rule.id, rule.deck, rule.tags, tuple(values[f] for f in FIELDS), media)


def symbol_shapes(rule: Rule) -> dict[str, Shape]:
    """The shape of each vector and matrix of a rule (none for a scalar rule)."""
    return shapes_by_name(rule.shapes)


def _question(rule: Rule, shapes: dict[str, Shape]) -> str:
    """``d/dx (…)`` for a scalar rule; with shapes, ``∇ₓ (…)`` for the gradient by a vector,
    ``∂/∂X (…)`` for the gradient by a matrix or a Jacobian, the function written out."""
    variable = shapes.get(rule.variable)
    if variable is None:
        return layout.derivative_of(rule.function, rule.variable, DISPLAY_WIDTH)
    shown = latex.symbol(rule.variable)
    scalar = shape_of(rule.function, shapes, _helpers(rule)).scalar
    operator = (
        f"\\nabla_{{{shown}}}\\, "
        if scalar and variable.column
        else f"\\frac{{\\partial}}{{\\partial {shown}}}\\, "
    )
    _, bracketed = latex.derivative_parts(rule.function, rule.variable)
    return layout.fit(rule.function, DISPLAY_WIDTH, lead=operator, bracketed=bracketed)


def _helpers(rule: Rule) -> dict[str, Node]:
    return {d.name: d.body for d in rule.definitions}


def space(shape: Shape) -> str:
    """``\\mathbb{R}^{n}``, ``\\mathbb{R}^{m\\times n}``: the set a vector or matrix lives in."""
    dims = [latex.name(d) if not d.isdigit() else d for d in shape.declared()]
    times = "\\times "
    return "\\mathbb{R}" + (f"^{{{times.join(dims)}}}" if dims else "")


def _shapes_line(rule: Rule, shapes: dict[str, Shape]) -> str:
    """``x ∈ ℝⁿ, A ∈ ℝⁿˣⁿ``: the shape of each vector and matrix of the question, one formula
    each, so that a narrow screen wraps between them."""
    shown = variables(rule.function) | {rule.variable}
    return ", ".join(
        inline_math(f"{latex.symbol(name)}\\in {space(shape)}")
        for name, shape in shapes.items()
        if name in shown
    )


def _layout_line(rule: Rule, shapes: dict[str, Shape]) -> str:
    """One line on the front that says what shape the answer has: a gradient has the shape of
    its variable; a Jacobian J has Jᵢⱼ = ∂fᵢ/∂xⱼ; a vector by a scalar is a column of ∂fᵢ/∂t.
    Nothing for a scalar by a scalar (the question says it all)."""
    function = shape_of(rule.function, shapes, _helpers(rule))
    variable = shapes.get(rule.variable, Shape())
    answer = derivative_shape(function, variable)
    if answer is None or (function.scalar and variable.scalar):
        return ""
    if function.scalar:
        return (
            f"Gradient: same shape as {inline_math(latex.symbol(rule.variable))}, "
            f"in {inline_math(space(answer))}"
        )
    by = latex.name(rule.variable)
    if variable.scalar:  # a vector by a scalar: one column
        entries = inline_math(f"\\partial f_{{i}} / \\partial {by}")
        return f"Derivative: a vector in {inline_math(space(answer))}, entry i is {entries}"
    # x_j, or x_{1,j} for the entries of x1
    by = by[:-1] + ",j}" if by.endswith("}") and "_{" in by else by + "_{j}"
    jacobian = inline_math("J \\in " + space(answer))
    entries = inline_math("J_{ij} = \\partial f_{i} / \\partial " + by)
    return f"Jacobian {jacobian}, {entries}"


def _matrix_conditions(rule: Rule) -> str:
    """'for ‖x‖ > 0', 'for det(X) > 0': a rule with shapes' conditions, as printed."""
    if not rule.conditions:
        return ""
    return "for " + ", ".join(inline_math(latex.condition(c)) for c in rule.conditions)


def _definitions(helpers: tuple[Definition, ...]) -> str:
    """'where σ(x) = …' for each helper, one a line ('where λ = 1.0507…' for a named
    constant)."""
    lines = []
    for helper in helpers:
        params = ", ".join(latex.name(p) for p in helper.params)
        head = latex.function_name(helper.name) + (f"({params})" if params else "")
        call = f"\\displaystyle {head} = "
        lines.append(f"where {inline_math(layout.fit(helper.body, DEFINITION_WIDTH, lead=call))}")
    return "<br>".join(lines)


def _assumptions(rule: Rule) -> str:
    """'for x > 0', 'for 0 < p < 1' for the rule's assumptions (empty without any)."""
    return f"for {inline_math(_conditions(rule))}" if rule.assumptions else ""


def _conditions(rule: Rule) -> str:
    """``x > 0``, ``0 < p < 1``: each symbol's assumptions, a lower and an upper bound as one
    chain."""
    parts = []
    for symbol in dict.fromkeys(a.symbol for a in rule.assumptions):
        mine = [a for a in rule.assumptions if a.symbol == symbol]
        name = latex.name(symbol)
        lower = [a for a in mine if a.relation in (">", ">=")]
        upper = [a for a in mine if a.relation in ("<", "<=")]
        if len(lower) == 1 and len(upper) == 1:
            flipped = {">": "<", ">=": "<="}[lower[0].relation]
            parts.append(
                f"{lower[0].bound_text} {latex.relation(flipped)} {name} "
                f"{latex.relation(upper[0].relation)} {upper[0].bound_text}"
            )
            mine = [a for a in mine if a.relation == "!="]
        parts.extend(f"{name} {latex.relation(a.relation)} {a.bound_text}" for a in mine)
    return ", ".join(parts)


def _text(text: str) -> str:
    """Catalogue text as HTML that shows exactly that text (quotes need no escaping here)."""
    return html.escape(text, quote=False)


def _display_math(tex: str) -> str:
    return f"\\[{html.escape(tex, quote=False)}\\]"


def inline_math(tex: str) -> str:
    """LaTeX as inline MathJax in a field, HTML-escaped."""
    return f"\\({html.escape(tex, quote=False)}\\)"
