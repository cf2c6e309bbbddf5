"""Ids known to be customers, so that a daily feed of the same book looks each customer up
once per process rather than once a day (a lookup costs Postgres ~2-6 µs an id). The process
learns them from the customer book when it starts, from the customers it imports, and from
the ingest's own lookups. Customers are never deleted (closing one is a status), so an id once
known stays true."""

import numpy as np

_NONE = np.array([], dtype="S1")


def _has(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Which of ids are in sorted_ids (both bytes arrays)."""
    if not len(sorted_ids):
        return np.zeros(len(ids), dtype=bool)
    at = np.searchsorted(sorted_ids, ids).clip(max=len(sorted_ids) - 1)
    return sorted_ids[at] == ids


def _insert(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """sorted_ids with ids (sorted, none of them in it) inserted, as wide as the widest."""
    width = max(sorted_ids.dtype.itemsize, ids.dtype.itemsize)
    wide = sorted_ids.astype(f"S{width}", copy=False)
    return np.insert(wide, np.searchsorted(wide, ids), ids)


class KnownCustomers:
    """Sorted numpy bytes arrays, the longest id's length per id (10,000,000 ids of 12
    characters: ~120 MB, where a Python set of them takes ~750 MB): a small one takes each
    batch's new ids, and every `merge_every` ids goes into the large one (a copy of it, during
    which the event loop waits: 0.1-0.5 s at 10,000,000 here, forty times over the first day
    of such a book). Bounded: a large array past `limit_bytes` starts afresh.
    What it costs an id, first seen and once known: bench/known_customers.py."""

    def __init__(self, limit_bytes: int = 512 << 20, merge_every: int = 250_000) -> None:
        self.limit_bytes = limit_bytes
        self.merge_every = merge_every
        self._large = _NONE
        self._small = _NONE

    def unseen(self, ids: np.ndarray) -> np.ndarray:
        """Those of the ids (a bytes array, in any order) not known to be customers."""
        ids = ids[~_has(self._large, ids)]
        return ids[~_has(self._small, ids)] if len(ids) else ids

    def add(self, ids: np.ndarray) -> None:
        """Ids found to be customers (a bytes array)."""
        fresh = np.unique(ids)
        self._small = _insert(self._small, fresh[~_has(self._small, fresh)])
        if len(self._small) >= self.merge_every:
            self._merge()

    def preload(self, ids: np.ndarray) -> bool:
        """Take in a page of the customer book (a bytes array; the book's own order is
        bytewise, so sorting it again is skipped) in one merge; False, taking none of it, once
        it would not fit under `limit_bytes`."""
        if not self._fits(ids):
            return False
        in_order = bool((ids[1:] > ids[:-1]).all())  # 4 ms for 500,000; np.unique 230 ms
        self._into_large(ids if in_order else np.unique(ids))
        return True

    def __len__(self) -> int:
        return len(self._large) + len(self._small)

    def _merge(self) -> None:
        if not self._fits(self._small):
            self._large = _NONE  # start afresh rather than grow
        self._into_large(self._small)
        self._small = _NONE

    def _fits(self, ids: np.ndarray) -> bool:
        """Whether the large array with ids added stays under limit_bytes."""
        width = max(self._large.dtype.itemsize, ids.dtype.itemsize)
        return (len(self._large) + len(ids)) * width <= self.limit_bytes

    def _into_large(self, ids: np.ndarray) -> None:
        """Merge sorted distinct ids into the large array."""
        self._large = _insert(self._large, ids[~_has(self._large, ids)])
