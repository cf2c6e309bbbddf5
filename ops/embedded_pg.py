"""A private Postgres 16 (PyPI pgserver) for when DATABASE_URL is unset. Its data lives under
.data/pg in the checkout (git-ignored), so a second run reuses it."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".data" / "pg"

_server = None


def database_url() -> str:
    """DATABASE_URL when set, else the embedded server's URL (started on first use and
    stopped when this process exits)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    global _server
    if _server is None:
        import pgserver

        DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
        _server = pgserver.get_server(DATA_DIR, cleanup_mode="stop")
    return _server.get_uri()
