"""A receiving system for webhook tests and the benchmark: a real HTTP server on loopback that checks
each signature with its own few lines (not the engine's) and processes every webhook-id once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_SECONDS = 300


def verify(secret: str, headers: dict[str, str], body: bytes, now_seconds: int) -> bool:
    """Standard Webhooks check: v1 HMAC-SHA256 of "id.timestamp.body", timestamp within five minutes."""
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(now_seconds - int(stamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    mac = hmac.new(key, msg_id.encode() + b"." + stamp.encode() + b"." + body, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    offered = [part.split(",", 1) for part in headers.get("webhook-signature", "").split()]
    return any(len(p) == 2 and p[0] == "v1" and hmac.compare_digest(p[1], expected) for p in offered)


class Receiver:
    """Counts what arrives. `fail_rate` of the requests answer 500: half of them before processing,
    half after (the answer is lost, so the same id comes again and must not be processed twice)."""

    def __init__(self, now_seconds: Callable[[], int], fail_rate: float = 0.0, seed: int = 19, answer: int = 204):
        self.secret = ""
        self.now_seconds = now_seconds
        self.fail_rate, self.answer = fail_rate, answer
        self.random = random.Random(seed)
        self.processed: dict[str, dict[str, Any]] = {}
        self.requests = self.duplicates = self.bad_signatures = self.failures = 0
        self.lock = threading.Lock()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/govflow"

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.requests += 1
            if not verify(self.secret, headers, body, self.now_seconds()):
                self.bad_signatures += 1
                return 401
            roll = self.random.random()
            if roll < self.fail_rate / 2:
                self.failures += 1
                return 500
            msg_id = headers["webhook-id"]
            if msg_id in self.processed:
                self.duplicates += 1
            else:
                self.processed[msg_id] = json.loads(body)
            if roll < self.fail_rate:
                self.failures += 1
                return 500
            return self.answer

    def kinds(self) -> list[str]:
        return sorted(body["type"] for body in self.processed.values())


@contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
