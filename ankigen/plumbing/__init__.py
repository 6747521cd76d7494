"""What any layer may use and none owns: the signed on-disk cache (:mod:`~ankigen.plumbing.cache`)
and its content keys (:mod:`~ankigen.plumbing.keys`), hostile reads and atomic writes
(:mod:`~ankigen.plumbing.files`), time-limited worker processes
(:mod:`~ankigen.plumbing.workers`), and where the bundled data is
(:mod:`~ankigen.plumbing.resources`)."""
