"""Ingest: upload → sniff the real type → validate → classify → blob + ``documents`` row.

Public surface: :func:`start` (in-process server) and :class:`IngestSettings`. The modules
each do one job: ``sniff`` (magic bytes), ``validate`` (limits, PDF and image checks),
``classify`` (first type guess), ``names`` (filenames, ids, blob keys), ``models`` and
``repository`` (the ``documents`` table), ``service`` (the servicer), ``server``.
"""

from services.ingest.server import main, start
from services.ingest.settings import IngestSettings

__all__ = ["IngestSettings", "main", "start"]
