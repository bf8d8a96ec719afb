"""How many events each producer key may post: a token bucket per key, in this process's memory.
A key holds at most `burst` tokens and earns `rate` a second; a request of n events takes n
tokens or, if there are not that many, none (so a refused request can be retried whole)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class KeyLimits:
    """Keys are the configured producer keys only (checked before), so the buckets are few."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, events: int) -> int:
        """0 if the key may post `events` now (they are counted); else the whole seconds, at
        least 1, after which it may. `events` beyond the burst never fit: see `fits`."""
        if not self.enabled:
            return 0
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= events:
            bucket.tokens -= events
            return 0
        return max(1, math.ceil((events - bucket.tokens) / self.rate))

    def fits(self, events: int) -> bool:
        return not self.enabled or events <= self.burst
