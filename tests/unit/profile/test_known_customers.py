"""The ingest's memo of ids known to be customers (service/facts.py)."""

from services.profile.service.facts import KnownCustomers


def test_known_customers_start_afresh_past_their_bound():
    known = KnownCustomers(limit=3)
    known.add({"A", "B"})
    assert known.unseen({"A", "C"}) == ["C"]
    known.add({"C", "D"})  # 4 > 3: forget A and B rather than grow
    assert sorted(known.unseen({"A", "B", "C", "D"})) == ["A", "B"]
