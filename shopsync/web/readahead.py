"""Knowing when an HTTP/1.1 request has fully arrived, from its bytes alone.

`shopsync.web.serving` reads each connection without blocking and hands it to a worker
thread only when `RequestReadAhead.complete` says the thread will not wait on the
client. This is not a parser that decides anything: gunicorn parses the same bytes
afterwards and refuses what is malformed. Anything unusual (no end of head within
`max_head` bytes, an unreadable length, a body over `max_body`) counts as complete, so
gunicorn or the app answers it at once.
"""

from __future__ import annotations

HEAD_END = b"\r\n\r\n"
CRLF = b"\r\n"
CONTINUE_RESPONSE = b"HTTP/1.1 100 Continue\r\n\r\n"
# How much of a chunked body is buffered at most, as a multiple of the body cap: room
# for the framing of chunks down to about 16 bytes (smaller ones reach a thread early).
CHUNKED_BUFFER_FACTOR = 2
MAX_LENGTH_DIGITS = 18


class RequestReadAhead:
    """The bytes of one request (and of any pipelined behind it) read so far."""

    def __init__(self, *, max_head: int, max_body: int) -> None:
        self._max_head = max_head
        self._max_body = max_body
        self._buffer = bytearray()
        self._body_start: int | None = None
        self._length: int | None = None  # Content-Length, when that frames the body
        self._chunked = False
        self._chunk_at = 0  # where the next chunk-size line starts
        self._chunk_data = 0  # data bytes in the complete chunks so far
        self._continue_expected = False
        self.complete = False

    @property
    def continue_expected(self) -> bool:
        """The client waits for "100 Continue" before sending its body."""
        return self._continue_expected and not self.complete

    def feed(self, data: bytes) -> None:
        self._buffer += data
        if self._body_start is None:
            self._read_head()
        if self._body_start is not None and not self.complete:
            self.complete = self._body_arrived()

    def continue_sent(self) -> None:
        """ "100 Continue" was sent for gunicorn: drop the Expect header it would answer."""
        assert self._body_start is not None
        head = bytes(self._buffer[: self._body_start])
        lines = head.split(CRLF)
        kept = [line for line in lines if not line.lower().startswith(b"expect:")]
        new_head = CRLF.join(kept)
        self._buffer[: self._body_start] = new_head
        shift = len(new_head) - len(head)
        self._body_start += shift
        self._chunk_at += shift
        self._continue_expected = False

    def take(self) -> bytes:
        data, self._buffer = bytes(self._buffer), bytearray()
        return data

    def _read_head(self) -> None:
        end = self._buffer.find(HEAD_END)
        if end < 0:
            self.complete = len(self._buffer) > self._max_head
            return
        self._body_start = self._chunk_at = end + len(HEAD_END)
        fields = _fields(bytes(self._buffer[:end]))
        if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
            self._chunked = True
        else:
            lengths = {value.strip() for value in _all(fields, b"content-length")}
            self._length = _length(lengths)
        self._continue_expected = fields.get(b"expect", b"").strip().lower() == b"100-continue"
        if self._length is None and not self._chunked:
            self.complete = True  # no body, or a length gunicorn will refuse
        elif self._length is not None and self._length > self._max_body:
            self.complete = True  # the app answers 413 without reading it

    def _body_arrived(self) -> bool:
        assert self._body_start is not None
        received = len(self._buffer) - self._body_start
        if not self._chunked:
            return received >= (self._length or 0)
        if received > self._max_body * CHUNKED_BUFFER_FACTOR:
            return True
        return self._chunks_arrived() or self._chunk_data > self._max_body

    def _chunks_arrived(self) -> bool:
        """Walk complete chunks; True once the last chunk and the trailers are in."""
        while True:
            line_end = self._buffer.find(CRLF, self._chunk_at)
            if line_end < 0:
                return False
            size_field = bytes(self._buffer[self._chunk_at : line_end]).split(b";")[0].strip()
            try:
                size = int(size_field, 16)
            except ValueError:
                return True  # gunicorn refuses it
            data_start = line_end + len(CRLF)
            if size == 0:
                return self._buffer.startswith(CRLF, data_start) or (
                    self._buffer.find(HEAD_END, line_end) >= 0
                )
            if len(self._buffer) < data_start + size + len(CRLF):
                return False
            self._chunk_at = data_start + size + len(CRLF)
            self._chunk_data += size


def _fields(head: bytes) -> dict[bytes, bytes]:
    """Header fields by lower-cased name; repeated names joined with a comma."""
    fields: dict[bytes, bytes] = {}
    for line in head.split(CRLF)[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            key = name.strip().lower()
            fields[key] = fields[key] + b"," + value if key in fields else value
    return fields


def _all(fields: dict[bytes, bytes], name: bytes) -> list[bytes]:
    value = fields.get(name)
    return [] if value is None else value.split(b",")


def _length(values: set[bytes]) -> int | None:
    """The one Content-Length, or None when absent, repeated differently or not a number."""
    if len(values) != 1:
        return None
    [value] = values
    if not value.isdigit():
        return None
    # Past any body cap; also keeps int() clear of its 4300-digit limit.
    return int(value) if len(value) <= MAX_LENGTH_DIGITS else 10**MAX_LENGTH_DIGITS
