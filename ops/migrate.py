"""python -m ops.migrate <service>: migrate one service's schema to head, as its own role
(CT_DB__URL)."""

import sys

from mesh.migrations import upgrade
from mesh.settings import ServiceSettings
from ops.dsn import SERVICES_WITH_DB


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in SERVICES_WITH_DB:
        sys.exit(f"usage: python -m ops.migrate {{{'|'.join(SERVICES_WITH_DB)}}}")
    upgrade(sys.argv[1], ServiceSettings().database_url())


if __name__ == "__main__":
    main()
