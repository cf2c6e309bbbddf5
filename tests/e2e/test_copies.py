"""Several processes of one service on one port (Mesh.copies, CT_SHARE_PORT): each serves,
and callers' connections spread across them."""

import time
from pathlib import Path

import grpc
import pytest

from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from mesh.channels import open_channel
from ops.launcher import Mesh, free_port

CONNECTIONS = 16  # all on one process by chance: 2 in 2**16


def _wait_for_line(log: Path, needle: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while needle not in (log.read_text() if log.exists() else ""):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{log.name} never logged {needle}")
        time.sleep(0.05)


@pytest.fixture
def two_profiles(admin_url, test_database, tmp_path):
    m = Mesh(
        admin_url=admin_url,
        database=test_database,
        ports={"profile": free_port()},
        log_dir=tmp_path,
        env={"CT_LOG_LEVEL": "INFO"},
        copies={"profile": 2},
    )
    m.start("profile")
    try:
        m.wait_serving(timeout=60)
        # wait_serving hears from whichever copy answers first; wait for each to say so.
        for key in m.procs:
            _wait_for_line(m.log_dir / f"{key}.log", '"serving": true')
        yield m
    finally:
        m.stop_all()


async def test_copies_share_the_port_and_each_answers_some_connections(two_profiles):
    assert set(two_profiles.procs) == {"profile", "profile#2"}
    channels = [open_channel(two_profiles.address("profile"), 5.0) for _ in range(CONNECTIONS)]
    try:
        for channel in channels:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await profile_pb2_grpc.ProfileServiceStub(channel).GetCustomer(
                    profile_pb2.GetCustomerRequest(customer_id="NOBODY-COPIES")
                )
            assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        for channel in channels:
            await channel.close()
    keys = list(two_profiles.procs)
    two_profiles.stop_all()  # each has written its access log by the time it exits
    answered = {
        key: (two_profiles.log_dir / f"{key}.log").read_text().count("GetCustomer") for key in keys
    }
    assert all(answered.values()), answered
    assert sum(answered.values()) == CONNECTIONS
