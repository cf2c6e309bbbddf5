"""What the ingest's memo of known customer ids costs (no database): the first sight of a book,
id batch by id batch as a day's feed brings them, then a day on which every id is known.

    .venv/bin/python bench/known_customers.py [--customers 10000000] [--batch 2000]

Prints the seconds and µs per id of each pass, the slowest batch (a merge into the large
array stalls the event loop that long), and the process's peak memory."""

import argparse
import resource
import time

import numpy as np

from services.profile.service.known_customers import KnownCustomers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    n, size = args.customers, args.batch
    ids = np.char.add(b"C", np.char.zfill(np.arange(n).astype("S11"), 11))  # 12 bytes each
    known = KnownCustomers()
    for name, learn in (("first sight", True), ("all known", False)):
        slowest, started = 0.0, time.perf_counter()
        for start in range(0, n, size):
            batch_started = time.perf_counter()
            unseen = known.unseen(ids[start : start + size])
            if learn:
                known.add(unseen)
            elif len(unseen):
                raise AssertionError(f"{len(unseen)} known ids reported unseen")
            slowest = max(slowest, time.perf_counter() - batch_started)
        took = time.perf_counter() - started
        print(
            f"{name}: {n:,} ids in {took:.1f} s = {took / n * 1e6:.2f} µs an id;"
            f" slowest batch {slowest * 1e3:.0f} ms"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"known: {len(known):,} ids; peak memory {peak:.0f} MiB (the ids given included)")


if __name__ == "__main__":
    main()
