"""``python -m ankigen`` runs the ``ankigen`` command."""

from ankigen.cli import main

main(prog_name="ankigen")
