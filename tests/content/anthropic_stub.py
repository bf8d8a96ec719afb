"""A local server speaking Anthropic's Messages API as the real `anthropic` client calls it
(`POST /v1/messages`, bearer key), answering the gate's tool call from the candidates in the
prompt it was sent. Modes make it slow, overloaded, malformed, inventive or refusing; it counts
the calls it answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NORMAL, DELAY, OVERLOADED, MALFORMED, INVENTED, REFUSAL = (
    "normal",
    "delay",
    "overloaded",
    "malformed",
    "invented",
    "refusal",
)
INVENTED_QUOTE = "Growth is a mindset, not a metric."


@dataclass
class Stub:
    base_url: str = ""
    mode: str = NORMAL
    delay_s: float = 0.0
    calls: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls += 1
            mode, delay = self.mode, self.delay_s
        if delay and mode != NORMAL:  # a failing mode may also answer late; NORMAL never does
            time.sleep(delay)
        if mode == OVERLOADED:
            return 529, {
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
            }
        prompt = request["messages"][0]["content"]
        candidates = json.loads(prompt[prompt.index("\n\n{") + 2 :])["candidate_quotes"]
        chosen = candidates[-1]
        copy: dict[str, Any] = {
            "header": f"Stub header for {request['model']}",
            "paragraphs": ["First stub paragraph.", "Second stub paragraph."],
            "quote": chosen["quote"],
            "quote_author": chosen["author"],
        }
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": "toolu_stub", "name": "gate_copy", "input": copy}
        ]
        stop = "tool_use"
        if mode == MALFORMED:
            content[0]["input"] = {"header": "", "paragraphs": "not a list"}
        elif mode == INVENTED:
            copy["quote"] = INVENTED_QUOTE
        elif mode == REFUSAL:
            content, stop = [{"type": "text", "text": "I can't help with that."}], "refusal"
        return 200, {
            "id": f"msg_stub_{self.calls}",
            "type": "message",
            "role": "assistant",
            "model": request["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 50},
        }


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            request = json.loads(self.rfile.read(length))
            with stub.lock:
                stub.requests.append(request)
                stub.headers.append({k.lower(): v for k, v in self.headers.items()})
            if self.path != "/v1/messages":
                status, body = 404, {"type": "error", "error": {"type": "not_found_error"}}
            else:
                status, body = stub.answer(request)
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("x-should-retry", "false")
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the delay mode)

        def log_message(self, *_: Any) -> None:
            return

    return Handler


@contextmanager
def anthropic_stub() -> Iterator[Stub]:
    stub = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
