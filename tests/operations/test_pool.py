"""The connection pool under a burst: 40 people open a challenge at once (PostgreSQL).

Before: 28 of 40 requests failed after a 30-second hang. Now the web runs no more
requests at once than the pool holds, so the burst queues and every view is served;
and when the pool really is exhausted the answer is a quick 503 with Retry-After.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine

from api.app import create_app
from tests.operations.test_serve_process import _free_port
from tests.web.conftest import sign_in, web_settings
from workflow.db import RESERVE, make_engine
from workflow.runtime import Runtime, build_runtime
from workflow.settings import WorkflowSettings

POOL = 5


@pytest.fixture
def small_pool(postgres_engine: Engine) -> Runtime:
    engine = make_engine(str(postgres_engine.url.render_as_string(hide_password=False)),
                         pool_size=POOL, pool_timeout=2)  # fmt: skip
    return build_runtime(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)


@pytest.fixture
def served(small_pool, tmp_path, people, raised):  # type: ignore[no-untyped-def]
    app = create_app(small_pool, web_settings(tmp_path))
    cookies = sign_in(app, "hos@council.test").client.cookies
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", dict(cookies), small_pool
    server.should_exit = True
    thread.join(timeout=15)
    small_pool.engine.dispose()


@pytest.fixture
def runtime(postgres_engine):  # type: ignore[no-untyped-def]
    # The people and the challenge go into the PostgreSQL database the server reads.
    return build_runtime(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=postgres_engine)


@pytest.fixture
def engine(postgres_engine):  # type: ignore[no-untyped-def]
    return postgres_engine


def _view(base: str, cookies: dict[str, str], path: str) -> tuple[int, float]:
    started = time.monotonic()
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        status = client.get(path).status_code
    return status, time.monotonic() - started


@pytest.mark.postgres
def test_forty_people_opening_a_challenge_at_once_are_all_served(served, raised):
    base, cookies, _ = served
    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(lambda _: _view(base, cookies, f"/challenges/{raised}"), range(40)))
    statuses = [status for status, _ in results]
    assert statuses == [200] * 40, statuses
    assert max(seconds for _, seconds in results) < 25


@pytest.mark.postgres
def test_an_exhausted_pool_answers_503_quickly(served, raised):
    base, cookies, runtime = served
    held = [runtime.engine.connect() for _ in range(POOL + RESERVE)]  # every connection busy
    try:
        started = time.monotonic()
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
            answer = client.get(f"/challenges/{raised}")
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "30"
        assert "Sorry, the service is unavailable" in answer.text
        assert time.monotonic() - started < 8  # the pool's 2-second wait, not 30
    finally:
        for connection in held:
            connection.close()
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        assert client.get(f"/challenges/{raised}").status_code == 200
