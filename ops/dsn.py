"""Database URLs: from the admin URL to each service's own role."""

import os

from sqlalchemy.engine import make_url

SERVICES_WITH_DB = ("profile", "grading", "recommend", "alerts")
DEFAULT_DATABASE = "clienttier"


def role_name(service: str) -> str:
    return f"{service}_svc"


def role_password(service: str) -> str:
    # Real deployments set CT_ROLE_PASSWORD__<SERVICE> from a secret store.
    return os.environ.get(f"CT_ROLE_PASSWORD__{service.upper()}", f"{service}-dev-password")


def admin_url(url: str, database: str | None = None) -> str:
    """The admin URL with the asyncpg driver, optionally on another database."""
    parsed = make_url(url).set(drivername="postgresql+asyncpg")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def service_url(url: str, service: str, database: str = DEFAULT_DATABASE) -> str:
    """The same server, reached as the service's own login role."""
    parsed = make_url(url).set(
        drivername="postgresql+asyncpg",
        username=role_name(service),
        password=role_password(service),
        database=database,
    )
    return parsed.render_as_string(hide_password=False)
