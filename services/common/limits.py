"""How often a key (a producer key, a prospect) may act: a token bucket per key, in this
process's memory. A key holds at most `burst` tokens and earns `rate` a second; a request costing
n takes n tokens or, if there are not that many, none (so a refused request can be retried
whole). Buckets that have refilled are forgotten once there are many, so keys chosen by callers
(prospect ids) cannot grow memory without bound."""

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
    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.rate, self.burst, self.clock, self.max_keys = rate, burst, clock, max_keys
        self._buckets: dict[str, _Bucket] = {}

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that would be full by now: forgetting them changes no answer."""
        refill_s = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.at < refill_s}

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
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= events:
            bucket.tokens -= events
            return 0
        return max(1, math.ceil((events - bucket.tokens) / self.rate))

    def fits(self, events: int) -> bool:
        return not self.enabled or events <= self.burst
