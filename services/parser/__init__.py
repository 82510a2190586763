"""Parser workers: the JetStream side of the parse pipeline and ParserService.

``python -m services.parser`` runs one worker process: durable pull consumers ``documents``
and ``pages`` on the ``<NAMESPACE>_PARSE`` stream (see :mod:`services.parser.worker`) and the
synchronous ``ParserService.ParseDocument``. Extraction itself is :mod:`services.parser.extract`.
"""

from __future__ import annotations

from services.parser.settings import ParserSettings

__all__ = ["ParserSettings"]
