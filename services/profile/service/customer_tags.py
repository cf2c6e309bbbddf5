"""Tagging customers (seed 000's six dimensions), with who and when kept as history."""

from mesh.errors import AlreadyExists, NotFound
from services.profile.domain.customer import CustomerRecord, Tag, TagAction
from services.profile.service.customer_changes import lock_customer, publish_changed
from services.profile.service.unit_of_work import ProfileUnitOfWork


def _label(tag: Tag, customer_id: str) -> str:
    return f"{tag.dimension}/{tag.name} on customer {customer_id}"


async def add_tag(uow: ProfileUnitOfWork, customer_id: str, tag: Tag, actor: str) -> CustomerRecord:
    async with uow:
        await lock_customer(uow, customer_id)
        if not await uow.customers.add_tag(customer_id, tag, actor):
            raise AlreadyExists("tag", _label(tag, customer_id))
        await _record(uow, customer_id, TagAction.ADDED, tag, actor)
        record = await publish_changed(uow, customer_id)
        await uow.commit()
    return record


async def remove_tag(
    uow: ProfileUnitOfWork, customer_id: str, tag: Tag, actor: str
) -> CustomerRecord:
    async with uow:
        await lock_customer(uow, customer_id)
        if not await uow.customers.remove_tag(customer_id, tag):
            raise NotFound("tag", _label(tag, customer_id))
        await _record(uow, customer_id, TagAction.REMOVED, tag, actor)
        record = await publish_changed(uow, customer_id)
        await uow.commit()
    return record


async def _record(
    uow: ProfileUnitOfWork, customer_id: str, action: TagAction, tag: Tag, actor: str
) -> None:
    version = await uow.customers.bump_version(customer_id)
    assert version is not None, "the customer is locked by this transaction"
    await uow.customers.record_tag_change(customer_id, version, action, tag, actor)
