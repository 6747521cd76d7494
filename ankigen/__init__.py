"""ankigen: turn a YAML catalogue of derivative rules into an Anki deck, every derivative proved.

The library interface is :mod:`ankigen.build` (``load``, ``check``, ``build``); the command line
in :mod:`ankigen.cli` is a thin layer over it.
"""

__version__ = "0.1.0"
