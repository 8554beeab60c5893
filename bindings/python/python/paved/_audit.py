"""The audit log, blocking API: ``Audit`` over ``paved._native.AsyncAudit``."""

from __future__ import annotations

import builtins
from typing import cast

from paved import _native
from paved._blocking import run
from paved._native import AuditRecord, VerifyReport


class Audit:
    """The append-only, hash-chained audit log (blocking calls)."""

    def __init__(self, inner: _native.AsyncAudit) -> None:
        self._inner = inner

    def list(
        self, *, after: int | None = None, limit: int | None = None
    ) -> builtins.list[AuditRecord]:
        """Records with ``seq > after`` (None: from the first), oldest first,
        at most ``limit`` (default: paved's audit limit, 100)."""
        return cast("builtins.list[AuditRecord]", run(self._inner.list, after=after, limit=limit))

    def for_entity(self, entity_ref: str, *, limit: int | None = None) -> builtins.list[AuditRecord]:
        """Records about one entity, newest first."""
        return cast(
            "list[AuditRecord]", run(self._inner.for_entity, entity_ref, limit=limit)
        )

    def verify(self) -> VerifyReport:
        """Check the whole hash chain."""
        return cast(VerifyReport, run(self._inner.verify))

    def __repr__(self) -> str:
        return "<Audit>"
