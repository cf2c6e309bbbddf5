"""CustomerImportService (onboarding.proto): customers in bulk."""

from sqlalchemy.ext.asyncio import AsyncEngine

from clienttier.profile.v1 import onboarding_pb2, onboarding_pb2_grpc
from mesh.errors import DomainError
from mesh.rpc import unary
from services.profile.adapters.messages import customer_from_proto
from services.profile.domain.customer import validate_identity
from services.profile.service.customer_import import import_customers
from services.profile.service.known_customers import KnownCustomers
from services.profile.service.unit_of_work import ProfileUnitOfWork

SERVICE_NAME = onboarding_pb2.DESCRIPTOR.services_by_name["CustomerImportService"].full_name


class CustomerImportServicer(onboarding_pb2_grpc.CustomerImportServiceServicer):
    def __init__(self, engine: AsyncEngine, known: KnownCustomers) -> None:
        self.engine = engine
        self.known = known

    @unary
    async def ImportCustomers(self, request_iterator, context):  # type: ignore[no-untyped-def]
        response = onboarding_pb2.ImportCustomersResponse()
        batch = 0
        async for request in request_iterator:
            checked = []
            for index, record in enumerate(request.customers):
                try:
                    field = f"customers[{index}]"
                    customer = validate_identity(customer_from_proto(record, field), field)
                    checked.append((customer, record))
                except DomainError as exc:
                    response.rejections.append(
                        onboarding_pb2.CustomerRejection(
                            batch=batch, index=index, customer_id=record.customer_id,
                            reason=str(exc),
                        )
                    )  # fmt: skip
            result = await import_customers(ProfileUnitOfWork(self.engine), checked, self.known)
            response.created += result.created
            response.existing += result.existing
            batch += 1
        return response
