"""Approvals from Python: examples/access/paved.yaml holds the delete of a
production component for the platform team's approval, on SQLite and
PostgreSQL. The owner's delete raises PendingApprovalError (a DeniedError)
carrying the request's id and writes nothing; the requester may not approve;
a platform-team member's approval writes the delete; a rejection writes
nothing; the asyncio API rejects and approves the same way."""

from __future__ import annotations

import asyncio

import pytest
from conftest import EXAMPLE_CATALOG, ROOT

import paved

CONFIG = ROOT / "examples" / "access" / "paved.yaml"
GATEWAY = "component:default/payment-gateway"
DIEGO = "user:default/diego.ramirez"
IVAN = "user:default/ivan.petrov"


def test_a_held_delete_is_applied_once_a_platform_member_approves(store_url: str) -> None:
    with paved.Platform.open(store_url, config=CONFIG) as p:
        p.catalog.import_files([EXAMPLE_CATALOG])
        with pytest.raises(paved.PendingApprovalError) as dry:
            p.catalog.delete(GATEWAY, actor=DIEGO, dry_run=True)
        assert dry.value.approval is None
        assert p.approvals.list() == []

        with pytest.raises(paved.DeniedError) as held:
            p.catalog.delete(GATEWAY, actor=DIEGO)
        assert isinstance(held.value, paved.PendingApprovalError)
        assert held.value.code == "PENDING_APPROVAL"
        approval_id = held.value.approval
        assert isinstance(approval_id, str)
        assert held.value.details["approvers"] == ["group:default/team-platform"]
        assert "payment-gateway runs in production" in str(held.value)
        assert p.catalog.get(GATEWAY).metadata["name"] == "payment-gateway"

        (pending,) = p.approvals.list(status="pending")
        assert pending["id"] == approval_id
        assert pending["requestedBy"] == DIEGO
        assert pending["changes"] == [{"entityRef": GATEWAY, "outcome": "deleted"}]
        assert pending["required"][0]["policy"] == "production-deletes-need-approval"

        with pytest.raises(paved.DeniedError) as own:
            p.approvals.approve(approval_id, actor=DIEGO)
        assert "cannot approve it" in str(own.value)
        with pytest.raises(ValueError):
            p.approvals.list(status="maybe")

        done = p.approvals.approve(approval_id, actor=IVAN, comment="retired in CHG-1234")
        assert done["status"] == "applied"
        assert done["decidedBy"] == IVAN
        with pytest.raises(paved.NotFoundError):
            p.catalog.get(GATEWAY)
        with pytest.raises(paved.ValidationError) as again:
            p.approvals.reject(approval_id, actor=IVAN)
        assert "is applied" in str(again.value)
        assert p.audit.verify().broken is None


def test_asyncio_rejects_and_nothing_is_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        async with await paved.AsyncPlatform.open(
            f"sqlite:{tmp_path}/a.db", config=CONFIG
        ) as p:
            await p.catalog.import_files([EXAMPLE_CATALOG])
            with pytest.raises(paved.PendingApprovalError) as held:
                await p.catalog.delete(GATEWAY, actor=DIEGO)
            approval_id = held.value.approval
            rejected = await p.approvals.reject(
                approval_id, actor=IVAN, reason="not before the migration"
            )
            assert rejected["status"] == "rejected"
            assert rejected["comment"] == "not before the migration"
            got = await p.approvals.get(approval_id)
            assert got["status"] == "rejected"
            assert (await p.catalog.get(GATEWAY)).metadata["name"] == "payment-gateway"

            # Asked again, and approved: by the requester refused, by a
            # platform-team member applied.
            with pytest.raises(paved.PendingApprovalError) as again:
                await p.catalog.delete(GATEWAY, actor=DIEGO)
            second = again.value.approval
            assert second != approval_id
            with pytest.raises(paved.DeniedError) as own:
                await p.approvals.approve(second, actor=DIEGO)
            assert "cannot approve it" in str(own.value)
            approved = await p.approvals.approve(second, actor=IVAN, comment="retired")
            assert (approved["status"], approved["decidedBy"]) == ("applied", IVAN)
            with pytest.raises(paved.NotFoundError):
                await p.catalog.get(GATEWAY)
            assert [a["id"] for a in await p.approvals.list(status="pending")] == []

    asyncio.run(main())
