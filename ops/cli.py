"""`clienttier <command>`: the project's command line (installed into .venv/bin)."""

import sys


def main() -> None:
    commands = {"seed": "ops.seed", "call": "ops.call", "run": "ops.launcher"}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: clienttier {{{'|'.join(commands)}}} ...")
    name = sys.argv.pop(1)
    sys.argv[0] = f"clienttier {name}"
    module = __import__(commands[name], fromlist=["main"])
    module.main()


if __name__ == "__main__":
    main()
