"""The write stage: the rendered notes into an Anki package, then the lock that remembers them.

:mod:`~ankigen.write.lock` decides each note's modification time (:func:`~ankigen.write.lock.plan`,
before anything is written) and records it afterwards; :mod:`~ankigen.write.lockfile` reads and
writes the lock file, read as hostile input; :mod:`~ankigen.write.package` writes the .apkg, the
only module that uses genanki.
"""
