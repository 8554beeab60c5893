"""Access control from Python: the rules of examples/access/paved.yaml on
the sample organisation, on SQLite and PostgreSQL. A refused write raises
DeniedError naming the rule and the actor and writes nothing; an owner's
write passes (an API: deleting a production component is held for approval,
tests/test_approvals.py); the asyncio API answers the same."""

from __future__ import annotations

import asyncio

import pytest
from conftest import EXAMPLE_CATALOG, ROOT

import paved

CONFIG = ROOT / "examples" / "access" / "paved.yaml"
GATEWAY = "component:default/payment-gateway"
PAYMENTS_API = "api:default/payments-api"


def test_a_non_owner_is_refused_and_an_owner_passes(store_url: str) -> None:
    with paved.Platform.open(store_url, config=CONFIG) as p:
        p.catalog.import_files([EXAMPLE_CATALOG])
        with pytest.raises(paved.DeniedError) as raised:
            p.catalog.delete(GATEWAY, actor="user:default/gustav.lind")
        assert raised.value.details["by"] == "access default"
        assert "user:default/gustav.lind may not entity.delete" in str(raised.value)
        assert "'owners-change-what-they-own' (for owners)" in str(raised.value)
        with pytest.raises(paved.DeniedError) as raised:
            p.catalog.delete(GATEWAY, actor="user:default/nobody", dry_run=True)
        assert raised.value.details["by"] == "access unknown"
        assert p.catalog.get(GATEWAY).metadata["name"] == "payment-gateway"
        p.catalog.delete(PAYMENTS_API, actor="user:default/diego.ramirez")
        with pytest.raises(paved.NotFoundError):
            p.catalog.get(PAYMENTS_API)


def test_asyncio_refuses_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        async with await paved.AsyncPlatform.open(
            f"sqlite:{tmp_path}/a.db", config=CONFIG
        ) as p:
            await p.catalog.import_files([EXAMPLE_CATALOG])
            with pytest.raises(paved.DeniedError) as raised:
                await p.catalog.delete(GATEWAY, actor="user:default/hana.sato")
            assert raised.value.details["by"] == "access default"
            await p.catalog.delete(PAYMENTS_API, actor="user:default/ivan.petrov")

    asyncio.run(main())
