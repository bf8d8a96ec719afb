"""Failed logins slow down the address they come from, and that address's guesses at one email,
with growing delays; they never lock an email for everyone."""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Tally:
    failures: float
    last: float


class Backoff:
    """Failures per key: `free` of them cost nothing; beyond, each attempt waits 1, 2, 4 … s
    (at most `max_delay_s`) after the previous failure. One failure is forgiven every
    `forgive_every_s`; at most `max_keys` keys are kept, the least recently failed go first."""

    def __init__(
        self,
        *,
        free: int,
        forgive_every_s: float,
        max_delay_s: float = 15 * 60,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free, self.forgive_every_s, self.max_delay_s = free, forgive_every_s, max_delay_s
        self.max_keys, self.clock = max_keys, clock
        self._tallies: dict[Hashable, _Tally] = {}

    def __len__(self) -> int:
        return len(self._tallies)

    def retry_after(self, key: Hashable) -> float | None:
        now = self.clock()
        failures = self._failures(key, now)
        if failures < self.free:
            return None
        delay = min(2.0 ** (math.ceil(failures) - self.free), self.max_delay_s)
        wait = self._tallies[key].last + delay - now
        return wait if wait > 0 else None

    def failed(self, key: Hashable) -> None:
        now = self.clock()
        failures = self._failures(key, now) + 1
        self._tallies.pop(key, None)
        self._tallies[key] = _Tally(failures, now)  # re-inserted last: ordered by recency
        while len(self._tallies) > self.max_keys:
            del self._tallies[next(iter(self._tallies))]

    def forgive(self, key: Hashable, failures: float = math.inf) -> None:
        tally = self._tallies.get(key)
        if tally is not None:
            tally.failures -= failures
            if tally.failures <= 0:
                del self._tallies[key]

    def _failures(self, key: Hashable, now: float) -> float:
        tally = self._tallies.get(key)
        if tally is None:
            return 0.0
        left = tally.failures - (now - tally.last) / self.forgive_every_s
        if left <= 0:
            del self._tallies[key]
            return 0.0
        return left


def client_key(host: str | None) -> str:
    """The unit an address is counted in: an IPv4 address, or an IPv6 /64 (one subscriber
    usually holds a whole /64, so counting single IPv6 addresses would count nothing)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class LoginThrottle:
    """Per client address (20 failures free, one forgiven a minute: password spraying) and per
    (email, address) (5 free, one forgiven every 15 minutes: guessing one password). An owner
    elsewhere is never slowed by someone else's guesses. In this process's memory: counts reset
    on restart and are not shared between instances."""

    def __init__(
        self,
        *,
        per_address: Backoff | None = None,
        per_email: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        if per_address is None:
            per_address = Backoff(free=20, forgive_every_s=60, clock=clock)
        if per_email is None:
            per_email = Backoff(free=5, forgive_every_s=15 * 60, clock=clock)
        self.per_address, self.per_email = per_address, per_email

    def retry_after(self, email: str, address: str) -> int | None:
        """Whole seconds until this address may try this email again, or None for now."""
        waits = [
            w
            for w in (
                self.per_address.retry_after(address),
                self.per_email.retry_after((email, address)),
            )
            if w is not None
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    def attempted(self, email: str, address: str) -> None:
        self.per_address.failed(address)
        self.per_email.failed((email, address))

    def succeeded(self, email: str, address: str) -> None:
        self.per_address.forgive(address, 1)
        self.per_email.forgive((email, address))
