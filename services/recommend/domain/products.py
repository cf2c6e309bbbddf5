from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    kind: str
    risk_level: int  # 1..5 for R1..R5
    minimum_purchase_fen: int
    channel: str
