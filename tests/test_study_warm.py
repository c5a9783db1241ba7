"""The study companion's background warm-up yields to requests (`api.inflight`): the real app over the real index
of the study fixture site (`study_index`), its requests counted in flight by the app's middleware, the warm-up's
progress read from `/metrics`; and the real services' warm-up held by a request in flight. No timed assertions:
the waits below are deadlines for what must happen, not measurements.
"""
from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from tests.servers import serve

DEADLINE = 120.0  # seconds: far longer than the warm-up of the 4-week fixture takes on a loaded machine


def until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < end, f"never happened: {what}"
        time.sleep(0.05)


def metric(url: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", httpx.get(f"{url}/metrics", timeout=30).text, re.M)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


def test_the_warm_up_completes_every_week_while_requests_keep_coming(study_index):
    from api.app import create_app

    # patience 0.2 s: under a load without pauses each piece still runs after waiting that long for a quiet moment
    settings = study_index.model_copy(update={"warm_quiet": 1.0, "warm_patience": 0.2, "rate_limit_per_minute": 0})
    with serve(create_app(settings)) as url:
        stop, statuses = threading.Event(), []

        def ask() -> None:
            with httpx.Client(timeout=60) as client:
                while not stop.is_set():
                    statuses.append(client.post(f"{url}/ask", json={"question": "What is a container image?"})
                                    .status_code)

        load = threading.Thread(target=ask)
        load.start()
        try:
            until(lambda: metric(url, "ra_study_weeks_warm") == 4, "all 4 weeks warm while /ask is loaded")
        finally:
            stop.set()
            load.join()
        assert metric(url, "ra_study_weeks") == 4 and metric(url, "ra_study_warm_seconds") > 0
        assert statuses and set(statuses) == {200}
        # the briefings and quizzes are there: served from what the warm-up built
        for week in (1, 2, 3, 4):
            assert httpx.get(f"{url}/weeks/{week}/briefing", timeout=60).status_code == 200


def test_a_request_is_in_flight_from_its_headers_to_its_last_byte(study_index):
    """The app's middleware counts a request whose body has not all arrived; probes and /metrics don't count."""
    from api.app import create_app

    with serve(create_app(study_index.model_copy(update={"rate_limit_per_minute": 0}))) as url:
        assert metric(url, "ra_requests_in_flight") == 0
        where = urlsplit(url)
        body = b'{"question": "What is a container image?"}'
        with socket.create_connection((where.hostname, where.port), timeout=60) as s:
            s.sendall(b"POST /ask HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
            until(lambda: metric(url, "ra_requests_in_flight") == 1, "the held request counted in flight")
            s.sendall(body[10:])
            reply = b""
            while b"\r\n" not in reply:
                reply += s.recv(4096)
            assert reply.startswith(b"HTTP/1.1 200")
        until(lambda: metric(url, "ra_requests_in_flight") == 0, "the answered request no longer in flight")


def test_the_warm_up_waits_while_a_request_is_in_flight_then_builds_every_week(study_index):
    """The services as the app builds them, with the app's counter of requests: while one is in flight the warm-up
    builds nothing; once it has ended, the warm-up goes on and builds every week."""
    from api.app import build_services
    from api.inflight import InFlight
    from api.metrics import Metrics

    inflight = InFlight()
    settings = study_index.model_copy(update={"warm_quiet": 0.0, "warm_patience": 3600.0})
    services = build_services(settings, Metrics(), inflight)
    study, roadmap = services.study, services.roadmap
    inflight.enter()  # a request being served, as InFlightMiddleware enters it
    study.warm_in_background(lambda: roadmap)
    until(lambda: study.warmup.waiting, "the warm-up pausing for the request")
    version = study.version(roadmap)
    assert study.warmup.weeks_warm == 0 and version.pools == {} and version.briefings == {}
    warming = study._warming
    assert warming is not None and warming.native_id is not None
    if sys.platform.startswith("linux"):  # the warm-up's own thread runs at the lowest priority, not the process
        assert os.getpriority(os.PRIO_PROCESS, warming.native_id) == 19
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < 19
    inflight.leave()
    until(lambda: study.warmup.weeks_warm == 4, "all 4 weeks warm once the request has ended")
    assert sorted(version.briefings) == [1, 2, 3, 4] and sorted(version.answer_vectors) == [1, 2, 3, 4]
    assert study.warmup.pauses == 1  # nothing else was in flight: no other piece waited
    assert study.warmup.seconds > 0


def test_wait_quiet_returns_at_once_when_nothing_is_in_flight_and_waits_for_a_request_to_end():
    from api.inflight import InFlight

    inflight = InFlight()
    assert inflight.wait_quiet(0.0, 3600.0) is False
    inflight.enter()
    assert inflight.count == 1
    ended = threading.Event()

    def waiter() -> None:
        inflight.wait_quiet(0.0, 3600.0)
        ended.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert not ended.wait(0.3)  # still waiting while the request is in flight
    inflight.leave()
    thread.join(DEADLINE)
    assert ended.is_set() and inflight.count == 0
    inflight.enter()
    assert inflight.wait_quiet(3600.0, 0.0) is False  # no patience: it never waits
