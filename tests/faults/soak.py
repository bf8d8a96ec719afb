"""The soak run's instruments: each product process's resident memory, sampled from /proc on a
thread, and the chart of memory and consumer lag over time (matplotlib, a PNG)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.lag import Sample
from tests.faults.system import Instance


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Memory:
    instances: dict[str, Instance]
    every_s: float = 1.0
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)

    def start(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            found = {}
            for name, instance in self.instances.items():
                if instance.process is not None and (mib := rss_mib(instance.process.pid)):
                    found[name] = mib
            self.samples.append((time.monotonic(), found))
            self._stop.wait(self.every_s)

    def between(self, name: str, start: float, end: float) -> list[float]:
        return [m[name] for at, m in self.samples if start <= at <= end and name in m]


def chart(
    path: Path,
    memory: Memory,
    lag: list[Sample],
    zero: float,
    sent_until: float,
    title: str,
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    names = sorted({n for _, m in memory.samples for n in m})
    for name in names:
        points = [(at - zero, m[name]) for at, m in memory.samples if name in m]
        top.plot([p[0] for p in points], [p[1] for p in points], label=name, linewidth=1.2)
    top.set_ylabel("resident memory (MiB)")
    top.set_ylim(bottom=0)
    top.legend(loc="upper left", fontsize=8, ncol=3)
    top.grid(alpha=0.3)
    groups = sorted({g for s in lag for g in s.behind})
    for group in groups:
        xs = [s.at - zero for s in lag if group in s.behind]
        ys = [s.behind[group] for s in lag if group in s.behind]
        bottom.plot(xs, ys, label=group, linewidth=1.2)
    bottom.set_ylabel("consumer lag (messages)")
    bottom.set_xlabel("seconds since the first event")
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper left", fontsize=8, ncol=3)
    bottom.grid(alpha=0.3)
    for axis in (top, bottom):
        axis.axvline(sent_until - zero, color="grey", linestyle="--", linewidth=1)
    bottom.annotate(
        "last event sent",
        (sent_until - zero, 0),
        xytext=(4, 4),
        textcoords="offset points",
        fontsize=8,
        color="grey",
    )
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
