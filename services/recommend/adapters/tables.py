from sqlalchemy import BigInteger, Column, MetaData, SmallInteger, Table, Text

SCHEMA = "recommend"
metadata = MetaData(schema=SCHEMA)

products = Table(
    "products",
    metadata,
    Column("product_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    # 1..5 for R1..R5
    Column("risk_level", SmallInteger, nullable=False),
    Column("minimum_purchase_fen", BigInteger, nullable=False),
    Column("channel", Text, nullable=False),
    Column("catalogue_version", Text, nullable=False),
)
