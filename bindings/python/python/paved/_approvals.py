"""Approvals, blocking API: ``Approvals`` over ``paved._native.AsyncApprovals``,
and the shape of what it returns (dicts, as ``paved approval … -o json``
prints them)."""

from __future__ import annotations

import builtins
from typing import Any, NotRequired, TypedDict, cast

from paved import _native
from paved._blocking import run


class ApprovalChange(TypedDict):
    entityRef: str
    outcome: str  # "created" | "updated" | "deleted"
    # For a held resource plan: what it does to the resource
    # ("create", "update", "replace", "delete", "forget").
    action: NotRequired[str]


class Requirement(TypedDict, total=False):
    policy: str
    approvers: builtins.list[str]
    approvedBy: str
    approvedAt: str


class Approval(TypedDict, total=False):
    id: str
    status: str  # "pending" | "applied" | "rejected" | "expired" | "stale"
    requestedBy: str
    requestedAt: str
    expiresAt: str
    action: str
    changes: builtins.list[ApprovalChange]
    required: builtins.list[Requirement]
    decisions: builtins.list[dict[str, Any]]
    decidedBy: str
    decidedAt: str
    comment: str
    seq: int


class Approvals:
    """Changes held by policies that ask for approval, and deciding them
    (blocking calls). A held change raises ``paved.PendingApprovalError``
    (``.approval`` is the id) where it was made."""

    def __init__(self, inner: _native.AsyncApprovals) -> None:
        self._inner = inner

    def list(
        self, *, status: str | None = None, limit: int | None = None
    ) -> builtins.list[Approval]:
        """Requests, newest first (``status``: pending, applied, rejected,
        expired or stale; ``limit`` default: 50)."""
        return cast("builtins.list[Approval]", run(self._inner.list, status=status, limit=limit))

    def get(self, id: str) -> Approval:
        """One request: what it changes, which policies hold it and why."""
        return cast("Approval", run(self._inner.get, id))

    def approve(
        self,
        id: str,
        *,
        comment: str | None = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> Approval:
        """Approve as ``actor`` (a member of an approving group, not the
        requester). Once every policy that held it is approved, exactly the
        reviewed change is written."""
        return cast(
            "Approval",
            run(self._inner.approve, id, comment=comment, actor=actor, dry_run=dry_run),
        )

    def reject(
        self,
        id: str,
        *,
        reason: str | None = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> Approval:
        """Reject as ``actor`` (an approver, or the requester withdrawing
        it). Nothing of the change is written."""
        return cast(
            "Approval",
            run(self._inner.reject, id, reason=reason, actor=actor, dry_run=dry_run),
        )

    def __repr__(self) -> str:
        return "<Approvals>"
