from sqlalchemy.ext.asyncio import AsyncEngine

from clienttier.common.v1 import common_pb2
from clienttier.recommend.v1 import recommend_pb2, recommend_pb2_grpc
from mesh.rpc import enum_member, unary
from services.recommend.service.catalogue import list_products

SERVICE_NAME = recommend_pb2.DESCRIPTOR.services_by_name["RecommendService"].full_name


class RecommendServicer(recommend_pb2_grpc.RecommendServiceServicer):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @unary
    async def ListProducts(self, request, context):  # type: ignore[no-untyped-def]
        max_level = None
        if request.max_risk_level != recommend_pb2.RISK_LEVEL_UNSPECIFIED:
            enum_member(request.max_risk_level, recommend_pb2.RiskLevel, "max_risk_level")
            max_level = request.max_risk_level
        found = await list_products(self.engine, max_level)
        return recommend_pb2.ListProductsResponse(
            products=[
                recommend_pb2.Product(
                    product_id=p.product_id,
                    name=p.name,
                    kind=p.kind,
                    risk_level=p.risk_level,
                    minimum_purchase=common_pb2.Money(fen=p.minimum_purchase_fen),
                    channel=p.channel,
                )
                for p in found
            ]
        )
