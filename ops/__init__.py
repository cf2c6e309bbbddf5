"""Operating the mesh: embedded Postgres, database bootstrap, migrations, the local launcher,
the demo brokerage and a command-line client."""
