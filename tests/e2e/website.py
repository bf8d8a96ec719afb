"""A website on an origin of its own, for the browser tests of what the product serves to
websites (the gate and upgrade widgets, the tracker): each page is served under a strict Content
Security Policy that lets scripts and connections reach the product only."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def strict_csp(product: str) -> str:
    return (
        f"default-src 'none'; script-src {product}; connect-src {product}; "
        "style-src 'none'; form-action 'none'"
    )


@contextmanager
def website(html_for: Callable[[str, str], str], product: Callable[[], str]) -> Iterator[str]:
    """Serve `html_for(path, host)` for every GET on 127.0.0.1 at a free port, under
    `strict_csp(product())`; yields the site's origin (`http://127.0.0.1:<port>`)."""

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html_for(self.path, f"http://{self.headers['Host']}").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", strict_csp(product()))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
