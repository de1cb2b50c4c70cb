"""Loaders: the write side of ``load_article``, ``load_reference`` and ``load_gazetteer``.

Each loader reads data shipped with the project (``fixtures/``) or with an installed package,
validates all of it before writing, and then brings the database in line with it. Loaders are
idempotent: a second run finds every row unchanged and writes nothing.
"""

from directory.loaders.base import LoaderError, Summary, fixtures_dir, run_loader

__all__ = ["LoaderError", "Summary", "fixtures_dir", "run_loader"]
