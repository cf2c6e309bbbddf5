"""The grading schema. Its tables are made by the migrations (0002 has the grading model);
the bulk paths reach them with COPY and set-based SQL, so only the mesh's shared tables are
declared here."""

from sqlalchemy import MetaData

from mesh.outbox import cursor_table, outbox_table

SCHEMA = "grading"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)
event_cursors = cursor_table(metadata)
