"""The ingest's memo of ids known to be customers (service/known_customers.py)."""

import numpy as np

from services.profile.service.known_customers import KnownCustomers


def _ids(*ids: str) -> np.ndarray:
    return np.array(ids, dtype="S")


def _unseen(known: KnownCustomers, *ids: str) -> list[str]:
    return sorted(i.decode() for i in known.unseen(_ids(*ids)).tolist())


def test_ids_added_are_seen_before_and_after_they_are_merged():
    known = KnownCustomers(merge_every=3)
    known.add(_ids("C002", "C004"))
    assert _unseen(known, "C001", "C002", "C004", "C005") == ["C001", "C005"]
    known.add(_ids("C001"))  # the third: merged into the sorted ids
    assert _unseen(known, "C001", "C002", "C003", "C004", "C005") == ["C003", "C005"]
    known.add(_ids("C003", "C000"))  # two newest, besides three merged
    assert _unseen(known, "C000", "C001", "C002", "C003", "C004", "C005", "D") == ["C005", "D"]
    assert len(known) == 5


def test_ids_asked_about_in_any_order_and_more_than_once_are_each_answered():
    known = KnownCustomers(merge_every=2)
    known.add(_ids("C005", "C001"))  # merged
    known.add(_ids("C003"))  # newest
    asked = _ids("C009", "C003", "C001", "C009", "C002", "C005", "C002")
    assert known.unseen(asked).tolist() == [b"C009", b"C009", b"C002", b"C002"]


def test_ids_longer_than_the_merged_ones_widen_the_array_and_shorter_ones_still_match():
    known = KnownCustomers(merge_every=1)
    known.add(_ids("AB"))
    known.add(_ids("ABCDEFGHIJ"))
    known.add(_ids("A"))
    assert _unseen(known, "A", "AB", "ABC", "ABCDEFGHIJ", "ABCDEFGHIJK", "B") == [
        "ABC",
        "ABCDEFGHIJK",
        "B",
    ]


def test_known_customers_start_afresh_past_their_bound():
    known = KnownCustomers(limit_bytes=8, merge_every=2)  # ids of 2 bytes: 4 fit
    known.add(_ids("AA", "BB"))
    known.add(_ids("CC", "DD"))
    assert _unseen(known, "AA", "BB", "CC", "DD", "EE") == ["EE"]
    known.add(_ids("EE", "FF"))  # 6 x 2 > 8: forget the others rather than grow
    assert _unseen(known, "AA", "BB", "CC", "DD", "EE", "FF") == ["AA", "BB", "CC", "DD"]


def test_a_preloaded_page_is_known_in_any_order_and_one_past_the_bound_is_refused():
    known = KnownCustomers(limit_bytes=12, merge_every=10)  # ids of 2 bytes: 6 fit
    assert known.preload(_ids("DD", "BB", "AA"))
    known.add(_ids("ZZ"))
    assert known.preload(_ids("CC", "EE", "AA"))
    assert _unseen(known, "AA", "BB", "CC", "DD", "EE", "FF", "ZZ") == ["FF"]
    assert not known.preload(_ids("FF", "GG"))  # 5 + 2 ids > 6: none of them taken
    assert _unseen(known, "FF", "GG") == ["FF", "GG"]
