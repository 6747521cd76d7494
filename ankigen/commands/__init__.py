"""The commands that are not the pipeline: ``preview`` (:mod:`~ankigen.commands.preview`, with
Anki's template language in :mod:`~ankigen.commands.template`), ``new``
(:mod:`~ankigen.commands.new`, asking at a terminal in :mod:`~ankigen.commands.asking`) and
``schema`` (:mod:`~ankigen.commands.schema`)."""
