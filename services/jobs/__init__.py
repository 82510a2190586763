"""The job and batch registry: states, progress, listing, results and callbacks.

Only this service reads or writes job and batch state; everyone else calls it over gRPC
(fintract.api.jobs.v1.JobsService).
"""

from __future__ import annotations

from services.jobs.settings import JobsSettings

__all__ = ["JobsSettings"]
