from mesh.migrations import run_env

# Every module that defines profile tables, so autogenerate sees the whole schema.
from services.profile.adapters import customer_tables, risk_tables  # noqa: F401
from services.profile.adapters.tables import SCHEMA, metadata

run_env(SCHEMA, metadata)
