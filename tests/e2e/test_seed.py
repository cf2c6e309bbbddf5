"""`clienttier seed` (what `make run` loads as its demo) against the running mesh: customers,
days and risk assessments, all through profile's RPCs."""

from clienttier.profile.v1 import risk_pb2
from ops.seed import seed
from services.profile.demo.generator import BrokerageSpec, customer_chunks


async def test_seed_loads_customers_days_and_assessments(mesh, stubs):
    spec = BrokerageSpec(customers=12, days=2, seed=5)
    report = await seed(mesh.address("profile"), spec, show_progress=False)
    assert report.customers_created == 12
    assert report.rejected_rows == 0 and report.fact_rows > 0
    # every stream handed over its last batch before the replies (with the totals) came back
    assert 0 < report.facts_sent_seconds <= report.facts_seconds
    (chunk,) = customer_chunks(spec, chunk_size=100)
    scores = zip(chunk.customer_id, chunk.assessment_score, strict=True)
    assessed = [str(c) for c, score in scores if score >= 0]
    assert report.assessments == len(assessed) > 0
    for customer_id in assessed:
        current = await stubs.risk.GetAssessment(
            risk_pb2.GetAssessmentRequest(customer_id=customer_id)
        )
        assert current.assessment.customer_id == customer_id
