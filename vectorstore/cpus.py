"""How many CPUs this process may really use: the CPUs it may run on (`os.sched_getaffinity`), lowered to
its cgroup's CPU quota when one is set (a container started with `--cpus 2` on a 64-core host may use 2),
cgroup v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`), the tightest along its cgroup path.
A quota of 1.5 CPUs counts as 2. The ONNX embedder sizes its thread pool with it (`RA_ONNX_THREADS` unset).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _ancestors(base: Path, cgroup_path: str) -> list[Path]:
    """base/a/b/c, base/a/b, base/a, base (the quota of any of them applies)."""
    parts = [p for p in cgroup_path.split("/") if p]
    return [base.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]


def cgroup_quota(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """The CPU quota (in CPUs) of this process's cgroup, or None when there is none."""
    quotas = []
    for line in (_read(proc_cgroup) or "").splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":  # cgroup v2: "0::/path"
            for folder in _ancestors(root, path):
                fields = (_read(folder / "cpu.max") or "").split()
                if len(fields) == 2 and fields[0] != "max" and int(fields[1]) > 0:
                    quotas.append(int(fields[0]) / int(fields[1]))
        elif "cpu" in controllers.split(","):  # cgroup v1: "N:cpu,cpuacct:/path"
            for folder in _ancestors(root / controllers, path) + _ancestors(root / "cpu", path):
                quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
                if quota and period and int(quota) > 0 and int(period) > 0:
                    quotas.append(int(quota) / int(period))
    return min(quotas) if quotas else None


def usable_cpus(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """CPUs this process may use: its affinity, capped by its cgroup quota (rounded up); at least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity on this platform
        cpus = os.cpu_count() or 1
    quota = cgroup_quota(root, proc_cgroup)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)
