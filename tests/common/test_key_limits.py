"""The token bucket behind the per-producer-key rate limit, on a clock the test moves."""

from __future__ import annotations

from services.common.limits import KeyLimits


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_key_may_post_its_burst_at_once_then_waits_for_what_it_earns() -> None:
    clock = Clock()
    limits = KeyLimits(rate=200, burst=2000, clock=clock)
    assert limits.take("a", 1000) == 0
    assert limits.take("a", 1000) == 0
    assert limits.take("a", 300) == 2  # 300 events at 200 a second: 1.5 s, rounded up
    clock.now += 1.5
    assert limits.take("a", 300) == 0


def test_a_refused_request_takes_nothing_and_waits_at_least_a_second() -> None:
    clock = Clock()
    limits = KeyLimits(rate=80, burst=10, clock=clock)
    assert limits.take("a", 10) == 0
    assert limits.take("a", 1) == 1
    clock.now += 0.0625  # 5 tokens earned, none taken by the refusal
    assert limits.take("a", 5) == 0


def test_each_key_has_its_own_bucket() -> None:
    limits = KeyLimits(rate=1, burst=5, clock=Clock())
    assert limits.take("a", 5) == 0
    assert limits.take("a", 1) == 1
    assert limits.take("b", 5) == 0


def test_a_rate_of_zero_turns_the_limit_off() -> None:
    limits = KeyLimits(rate=0, burst=1, clock=Clock())
    assert [limits.take("a", 1000) for _ in range(3)] == [0, 0, 0]
    assert limits.fits(10_000)


def test_a_request_larger_than_the_burst_never_fits() -> None:
    limits = KeyLimits(rate=10, burst=100, clock=Clock())
    assert limits.fits(100)
    assert not limits.fits(101)


def test_many_keys_forget_only_the_buckets_that_have_refilled() -> None:
    clock = Clock()
    limits = KeyLimits(rate=1, burst=2, clock=clock, max_keys=3)
    assert limits.take("spent", 2) == 0
    clock.now += 5  # "spent" refilled; the next two are fresh and empty
    assert limits.take("b", 2) == 0
    assert limits.take("c", 2) == 0
    assert limits.take("d", 1) == 0  # a fourth key: the refilled one is forgotten
    assert "spent" not in limits._buckets
    assert limits.take("b", 1) == 1  # the others keep what they spent
    assert limits.take("c", 1) == 1
