"""The expression language every stage shares: catalogue text → a small tree of our own
(:mod:`~ankigen.expr.tree`, parsed by :mod:`~ankigen.expr.parse` within the names of
:mod:`~ankigen.expr.syntax`), and from that one tree both the proof's sympy
(:mod:`~ankigen.expr.symbolic`; :mod:`~ankigen.expr.matrices` with the shapes of
:mod:`~ankigen.expr.shapes` for vectors and matrices) and the card's LaTeX
(:mod:`~ankigen.expr.latex`, fitted to a phone by :mod:`~ankigen.expr.layout` with the width
estimate of :mod:`~ankigen.expr.texwidth`). :mod:`~ankigen.expr.assumptions` holds the
conditions of ``assume:`` on one symbol.
"""
