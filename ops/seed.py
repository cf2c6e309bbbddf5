"""Generate a deterministic demo brokerage and load it through profile's public RPCs, as the
account-opening and trading systems would: customers by CustomerImportService, end-of-day facts
by FactsService.IngestDailyFacts in batches, with a progress bar.

    clienttier seed --customers N --days D --seed S [--profile HOST:PORT]
    (or: python -m ops.seed ...)
"""

import argparse
import asyncio
import resource
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from clienttier.profile.v1 import (
    facts_pb2,
    facts_pb2_grpc,
    onboarding_pb2,
    onboarding_pb2_grpc,
    profile_pb2,
    risk_pb2,
    risk_pb2_grpc,
)
from mesh.channels import open_channel
from services.profile.demo.generator import (
    BrokerageSpec,
    customer_chunks,
    customer_id_of,
    day_facts,
    trading_days,
)
from services.profile.domain.facts import VALUE_COLUMNS

# generator column -> DailyFactsColumns field
QUESTIONNAIRE = "csrc-c5-2024"


@dataclass
class SeedReport:
    customers_created: int
    customers_seconds: float
    fact_rows: int
    rejected_rows: int
    facts_seconds: float
    assessments: int = 0
    # Until every stream had handed over its last batch; the rest of facts_seconds is the
    # server finishing the batches in flight and folding the queued days into the totals.
    facts_sent_seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.fact_rows / self.facts_seconds if self.facts_seconds else 0.0

    @property
    def rows_per_second_sent(self) -> float:
        return self.fact_rows / self.facts_sent_seconds if self.facts_sent_seconds else 0.0


def _iso(value: np.datetime64) -> str:
    return "" if np.isnat(value) else str(value)


def customer_batches(
    spec: BrokerageSpec, size: int
) -> Iterator[onboarding_pb2.ImportCustomersRequest]:
    for chunk in customer_chunks(spec, chunk_size=size):
        yield onboarding_pb2.ImportCustomersRequest(
            customers=[
                profile_pb2.Customer(
                    customer_id=chunk.customer_id[i],
                    kind=profile_pb2.CustomerKind.Value(f"CUSTOMER_KIND_{chunk.kind[i]}"),
                    name=chunk.name[i],
                    birth_date=_iso(chunk.birth_date[i]),
                    occupation=chunk.occupation[i],
                    phone=chunk.phone[i],
                    id_number=chunk.id_number[i],
                    id_expiry_date=_iso(chunk.id_expiry_date[i]),
                    branch_id=chunk.branch_id[i],
                    open_date=_iso(chunk.open_date[i]),
                    status=profile_pb2.CustomerStatus.Value(f"CUSTOMER_STATUS_{chunk.status[i]}"),
                )
                for i in range(len(chunk.customer_id))
            ]
        )


def fact_batches(
    spec: BrokerageSpec, stream: int, streams: int, batch_rows: int, progress: tqdm
) -> Iterator[facts_pb2.IngestDailyFactsRequest]:
    """This stream's share of every day: the customers whose index % streams == stream, so
    concurrent streams never touch the same customer."""
    for index, day in enumerate(trading_days(spec)):
        facts = day_facts(spec, index)
        mine = np.flatnonzero(facts.customer_index % streams == stream)
        ids = customer_id_of(facts.customer_index[mine])
        iso = day.isoformat()
        for start in range(0, len(mine), batch_rows):
            rows = slice(start, start + batch_rows)
            picked = mine[rows]
            # Filled in place: IngestDailyFactsRequest(rows=columns) would copy every column.
            request = facts_pb2.IngestDailyFactsRequest()
            columns = request.rows
            columns.customer_id.extend(ids[rows].tolist())
            columns.day.extend([iso] * len(picked))
            for name in VALUE_COLUMNS:
                getattr(columns, name).extend(getattr(facts, name)[picked].tolist())
            yield request
            progress.update(len(picked))


def answers_for(
    questionnaire: risk_pb2.Questionnaire, target: int, lowest: bool
) -> list[risk_pb2.Answer]:
    """Answers whose score comes as close to `target` as the options allow (the lowest answer
    on every question, then raised question by question); a lowest-category customer gives
    the answer that marks it."""
    chosen = []
    for question in questionnaire.questions:
        plain = sorted(
            (o for o in question.options if not o.lowest_category), key=lambda o: o.score
        )
        chosen.append([question, plain, 0])
    total = sum(plain[0].score for _, plain, _ in chosen)
    for entry in chosen:
        _, plain, _ = entry
        while (
            entry[2] + 1 < len(plain)
            and total + plain[entry[2] + 1].score - plain[entry[2]].score <= target
        ):
            total += plain[entry[2] + 1].score - plain[entry[2]].score
            entry[2] += 1
    answers = [risk_pb2.Answer(question_id=q.question_id, option_id=plain[i].option_id)
               for q, plain, i in chosen]  # fmt: skip
    if lowest:
        for answer, (question, _, _) in zip(answers, chosen, strict=True):
            marker = next((o for o in question.options if o.lowest_category), None)
            if marker is not None:
                answer.option_id = marker.option_id
                break
    return answers


async def submit_assessments(channel, spec: BrokerageSpec, show_progress: bool) -> int:  # type: ignore[no-untyped-def]
    """Every retail customer's questionnaire, as the branch would submit it."""
    risk = risk_pb2_grpc.RiskAssessmentServiceStub(channel)
    questionnaire = (
        await risk.GetQuestionnaire(
            risk_pb2.GetQuestionnaireRequest(questionnaire_id=QUESTIONNAIRE)
        )
    ).questionnaire
    earliest = np.datetime64(questionnaire.effective_from, "D")

    def requests() -> Iterator[risk_pb2.SubmitAssessmentRequest]:
        for chunk in customer_chunks(spec, chunk_size=10_000):
            for i in np.flatnonzero(chunk.assessment_score >= 0):
                yield risk_pb2.SubmitAssessmentRequest(
                    customer_id=chunk.customer_id[i],
                    questionnaire_id=QUESTIONNAIRE,
                    answers=answers_for(
                        questionnaire,
                        int(chunk.assessment_score[i]),
                        bool(chunk.assessment_lowest_category[i]),
                    ),
                    assessed_on=str(max(chunk.assessment_assessed_on[i], earliest)),
                )

    async def submit(request: risk_pb2.SubmitAssessmentRequest) -> None:
        # A channel with interceptors (open_channel's deadline) returns a call object that
        # can be awaited but is no coroutine, so create_task cannot take it as it is.
        await risk.SubmitAssessment(request, timeout=30)

    progress = tqdm(desc="assessments", unit=" calls", mininterval=1.0, disable=not show_progress)
    pending: set[asyncio.Task] = set()
    submitted = 0
    # At most 32 calls in flight, and only those requests in memory.
    for request in requests():
        if len(pending) >= 32:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        pending.add(asyncio.create_task(submit(request)))
        submitted += 1
        progress.update()
    for task in await asyncio.gather(*pending, return_exceptions=True):
        if isinstance(task, BaseException):
            raise task
    progress.close()
    return submitted


async def interleaved(items: Iterator) -> AsyncIterator:
    """`items` as a client stream that yields to the event loop after each message, so that
    streams sent side by side take turns (the seed's and the benches' streams)."""
    for item in items:
        yield item
        await asyncio.sleep(0)


async def seed(
    profile: str, spec: BrokerageSpec, *, batch_rows: int = 2000, streams: int = 2,
    show_progress: bool = True, assessments: bool = True,
    facts_phase: AbstractContextManager[object] | None = None,
) -> SeedReport:  # fmt: skip
    """`facts_phase`, when given, is entered just as the facts start and left once every stream
    has replied (a bench measures the facts alone with it)."""
    async with open_channel(profile, 30.0) as channel:
        onboarding = onboarding_pb2_grpc.CustomerImportServiceStub(channel)

        started = time.perf_counter()
        imported = await onboarding.ImportCustomers(
            interleaved(customer_batches(spec, 2000)), timeout=None
        )
        customers_seconds = time.perf_counter() - started
        if imported.rejections:
            raise RuntimeError(f"generator produced invalid customers: {imported.rejections[:3]}")

        progress = tqdm(
            total=spec.customers * spec.days, desc="daily facts", unit=" rows",
            unit_scale=True, mininterval=1.0, disable=not show_progress,
        )  # fmt: skip

        sent: list[float] = []  # when each stream handed over its last batch

        async def batches(s: int) -> AsyncIterator[facts_pb2.IngestDailyFactsRequest]:
            async for batch in interleaved(fact_batches(spec, s, streams, batch_rows, progress)):
                yield batch
            sent.append(time.perf_counter())

        async def stream(s: int) -> facts_pb2.IngestDailyFactsResponse:
            # A connection per stream: where profile runs several processes on one port,
            # the streams spread across them.
            async with open_channel(profile, 30.0) as own:
                return await facts_pb2_grpc.FactsServiceStub(own).IngestDailyFacts(
                    batches(s), timeout=None
                )

        with facts_phase or nullcontext():
            started = time.perf_counter()
            replies = await asyncio.gather(*(stream(s) for s in range(streams)))
            facts_seconds = time.perf_counter() - started
        progress.close()
        assessed = await submit_assessments(channel, spec, show_progress) if assessments else 0
    return SeedReport(
        customers_created=imported.created,
        customers_seconds=customers_seconds,
        fact_rows=sum(r.accepted_rows for r in replies),
        rejected_rows=sum(len(r.rejections) for r in replies),
        facts_seconds=facts_seconds,
        assessments=assessed,
        facts_sent_seconds=max(sent) - started if sent else 0.0,
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="clienttier seed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", default="127.0.0.1:50051", help="profile's host:port")
    parser.add_argument("--batch-rows", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=2)
    args = parser.parse_args(argv)
    spec = BrokerageSpec(customers=args.customers, days=args.days, seed=args.seed)
    report = asyncio.run(
        seed(args.profile, spec, batch_rows=args.batch_rows, streams=args.streams,
             show_progress=sys.stderr.isatty())
    )  # fmt: skip
    print(
        f"customers: {report.customers_created:,} created in {report.customers_seconds:.1f} s; "
        f"facts: {report.fact_rows:,} rows ({report.rejected_rows:,} rejected) in "
        f"{report.facts_seconds:.1f} s = {report.rows_per_second:,.0f} rows/s; "
        f"assessments: {report.assessments:,}; "
        f"client peak memory {peak_rss_mib():,.0f} MiB"
    )


if __name__ == "__main__":
    main()
