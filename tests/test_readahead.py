"""When a request has fully arrived, judged from its bytes however they are split."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopsync.web.readahead import RequestReadAhead

HEAD = b"POST /webhooks/stripe/k HTTP/1.1\r\nHost: shop.test\r\n"
REQUESTS = {
    "no body": b"GET /healthz HTTP/1.1\r\nHost: shop.test\r\n\r\n",
    "content length": HEAD + b"Content-Length: 11\r\n\r\n" + b'{"id": "x"}',
    "chunked": HEAD + b"Transfer-Encoding: chunked\r\n\r\n4\r\nab\r\n\r\n3;x=y\r\ncde\r\n0\r\n\r\n",
    "chunked with trailers": HEAD
    + b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX-Sum: 1\r\n\r\n",
}


def ahead() -> RequestReadAhead:
    return RequestReadAhead(max_head=8192, max_body=1024)


def splits(data: bytes) -> st.SearchStrategy[list[bytes]]:
    cuts = st.lists(st.integers(min_value=1, max_value=len(data) - 1), unique=True)
    return cuts.map(lambda points: _cut(data, sorted(points)))


def _cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@pytest.mark.parametrize("name", sorted(REQUESTS))
@given(data=st.data())
def test_a_request_is_complete_exactly_when_its_last_byte_arrives(
    name: str, data: st.DataObject
) -> None:
    request = REQUESTS[name]
    pieces = data.draw(splits(request))
    reader = ahead()
    for index, piece in enumerate(pieces):
        assert not reader.complete
        reader.feed(piece)
        assert reader.complete == (index == len(pieces) - 1)
    assert reader.take() == request


def test_bytes_of_a_pipelined_request_are_kept() -> None:
    reader = ahead()
    reader.feed(REQUESTS["content length"] + b"GET /next")
    assert reader.complete and reader.take().endswith(b"GET /next")


@pytest.mark.parametrize(
    "request_bytes",
    [
        HEAD + b"Content-Length: 5000\r\n\r\n",  # over the body cap: the app answers 413
        HEAD + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n",  # absurd length
        HEAD + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\n",  # gunicorn refuses
        HEAD + b"Content-Length: -1\r\n\r\n",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"a" * 9000,  # no end of head within the limit
    ],
)
def test_what_gunicorn_or_the_app_refuses_is_handed_over_at_once(request_bytes: bytes) -> None:
    reader = ahead()
    reader.feed(request_bytes)
    assert reader.complete


@pytest.mark.parametrize(("size", "chunks_to_complete"), [(1024, 2), (100, 11), (1, 342)])
def test_a_chunked_body_is_handed_over_once_its_data_is_over_the_cap(
    size: int, chunks_to_complete: int
) -> None:
    """The app then reads one byte past the cap from the buffer and answers 413."""
    reader = ahead()
    reader.feed(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    fed = 0
    while not reader.complete:
        reader.feed(f"{size:x}\r\n".encode() + b"x" * size + b"\r\n")
        fed += 1
    assert fed == chunks_to_complete


def test_expect_continue_is_answered_here_and_removed_from_the_head() -> None:
    reader = ahead()
    reader.feed(HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert reader.continue_expected and not reader.complete
    reader.continue_sent()
    assert not reader.continue_expected
    reader.feed(b"{}")
    assert reader.complete
    assert reader.take() == HEAD + b"Content-Length: 2\r\n\r\n{}"
