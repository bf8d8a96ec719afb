"""Over a real socket: a huge anonymous login is refused long before it has all been sent."""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit

from tests.product import Product

MiB = 1024 * 1024
CHUNK = b"x" * (64 * 1024)


def connect(product: Product) -> socket.socket:
    where = urlsplit(product.base)
    return socket.create_connection((where.hostname, where.port), timeout=30)


def answer_of(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (it does after a 413)."""
    answer = b""
    while part := conn.recv(4096):
        answer += part
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_a_200_mb_chunked_login_is_refused_with_413_before_it_is_all_sent(
    product: Product,
) -> None:
    sent = 0
    answer = b""
    with connect(product) as conn:
        conn.sendall(
            b"POST /v1/auth/login HTTP/1.1\r\nHost: crm\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        while sent < 200 * MiB:
            readable, _, _ = select.select([conn], [], [], 0)
            if readable:
                break
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(CHUNK)
        answer = conn.recv(4096)
    assert status_of(answer) == 413, answer
    assert sent < 32 * MiB


def test_a_login_declaring_200_mb_is_refused_before_its_body_is_sent(product: Product) -> None:
    with connect(product) as conn:
        conn.sendall(
            b"POST /v1/auth/login HTTP/1.1\r\nHost: crm\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (200 * MiB)
        )
        answer = answer_of(conn)
    assert status_of(answer) == 413, answer
    assert b"larger than 1048576 bytes" in answer
