from mesh.migrations import run_env
from services.grading.adapters.tables import SCHEMA, metadata

run_env(SCHEMA, metadata)
