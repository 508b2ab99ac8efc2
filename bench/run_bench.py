#!/usr/bin/env python3
"""mcrelay benchmark: memcached direct vs twemproxy (nutcracker) vs mcrelay, side by side, in one run.

All three targets sit in front of the same two memcached servers on 127.0.0.1. One closed-loop load
generator (bench/loadgen/loadgen.cpp, 1 thread, N connections with one request in flight each; 90% gets /
10% sets of 100-byte values over a fixed, pre-populated key space) drives each target in turn, in
interleaved rounds (direct, twemproxy, mcrelay, direct, ...). Per target it reports the median over rounds
of ops/s, p99 latency and CPU microseconds per request of the proxy process (of both memcached servers for
"direct"), then the mcrelay/twemproxy ratios and a verdict against the target
"CPU per request <= 0.8x twemproxy's with at least its throughput".

--shapes runs several load shapes in the same rounds (base, pipelined: 16 requests in flight per connection,
multiget10: gets of 10 keys, value16k: 16 KiB values) and ends with a table of mcrelay's CPU per request over
twemproxy's per shape, and memcached's own CPU per request on the base load (the floor). --strace adds one
run per shape and target with `strace -c -f` attached inside the window: system calls per request.
--markdown prints the tables as markdown.

Python 3 standard library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
LOADGEN_SRC = BENCH_DIR / "loadgen" / "loadgen.cpp"
BUILD_LOCK = "/tmp/mcrelay-build.lock"
HOST = "127.0.0.1"  # all traffic stays on the loopback interface

CPU_TARGET_RATIO = 0.8  # mcrelay CPU/request must be at most this times twemproxy's
THROUGHPUT_TARGET_RATIO = 1.0  # ... with at least this times its throughput

DEFAULT_MCRELAY_ARGS = "--num-proxies 1 --listen-addresses {host} -p {port} --config-file {config}"

ALL_TARGETS = ("direct", "twemproxy", "mcrelay", "mcrelay-nometrics", "mcrelay-tls")
DEFAULT_TARGETS = ("direct", "twemproxy", "mcrelay")  # mcrelay-nometrics joins with --mcrelay-nometrics
# mcrelay-tls (with --targets): TLS from the load generator to mcrelay and from mcrelay to two memcached -Z of
# its own (certificates made with the openssl CLI); compared with "mcrelay" it gives what TLS costs.
METRICS_COST_TARGET = 0.03  # metrics may cost at most 3% of mcrelay's CPU per request

# Load shapes (--shapes): each is the base load (the --connections, --value-size, --get-ratio, --depth and
# --multiget options) with one thing changed. Every shape runs every target, interleaved within each round.
SHAPES = {
    "base": {},                        # 50 connections x 1 request in flight, 90% get / 10% set of 100 B
    "pipelined": {"depth": 16},        # each connection keeps 16 requests in flight
    "multiget10": {"multiget": 10},    # the gets ask for 10 distinct keys each (sets stay single-key)
    "value16k": {"value_size": 16384},  # 16 KiB values
}
SHAPE_CPU_TARGET = 0.6  # issue 13: mcrelay CPU/request at most 0.6x twemproxy's on every shape
SYSCALL_TARGET = 2.2    # issue 13: mcrelay socket system calls per request on the base load
FLOOR_TARGET = 1.2      # issue 13: mcrelay CPU/request on the base load within 1.2x memcached's own (direct)

# System calls, grouped for --strace (socket I/O, the readiness calls, and the rest).
SYSCALL_GROUPS = {
    "reads": ("read", "readv", "recvfrom", "recvmsg", "recvmmsg"),
    "writes": ("write", "writev", "sendto", "sendmsg", "sendmmsg"),
    "epoll_wait": ("epoll_wait", "epoll_pwait", "epoll_pwait2"),
    "epoll_ctl": ("epoll_ctl",),
    "io_uring_enter": ("io_uring_enter",),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------- processes
_children: list[subprocess.Popen] = []

_libc = None
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _libc = None


def _child_setup() -> None:
    # Runs in the child between fork and exec: die with the parent even if it is SIGKILLed.
    if _libc is not None:
        PR_SET_PDEATHSIG = 1
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(argv: list[str], log_path: Path | None = None, stdout=None, stderr=None) -> subprocess.Popen:
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    try:
        p = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else out,
            stderr=stderr if stderr is not None else out,
            # Own session: a Ctrl-C in the terminal reaches only us; we stop the children in order.
            start_new_session=True,
            preexec_fn=_child_setup,
        )
    finally:
        if log_path:
            out.close()
    _children.append(p)
    return p


def stop(p: subprocess.Popen, timeout: float = 3.0) -> None:
    if p.poll() is None:
        try:
            p.terminate()
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass
    if p in _children:
        _children.remove(p)


def stop_all() -> None:
    for p in reversed(list(_children)):
        try:
            stop(p)
        except Exception:  # keep cleaning up the others
            pass


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1, found by binding port 0 (held open until all are found)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def probe(port: int, timeout: float = 1.0, tls_ca: Path | None = None) -> bool:
    """True when the port answers a memcached ASCII `get` (a miss: END) correctly (over TLS with `tls_ca`)."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as raw:
            s = raw
            if tls_ca is not None:
                import ssl
                s = ssl.create_default_context(cafile=str(tls_ca)).wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"get __mcrelay_bench_probe__\r\n")
            data = b""
            while not data.endswith(b"END\r\n"):
                chunk = s.recv(4096)
                if not chunk:
                    return False
                data += chunk
                if len(data) > 4096:
                    return False
            return True
    except OSError:  # ssl.SSLError included
        return False


def wait_ready(p: subprocess.Popen, port: int, name: str, log_path: Path | None, timeout: float = 15.0,
               tls_ca: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll() is not None:
            tail = ""
            if log_path and log_path.exists():
                tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited with status {p.returncode} during start-up\n{tail}")
        if probe(port, tls_ca=tls_ca):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer on {HOST}:{port} within {timeout:.0f}s")


def start_with_retry(start, name: str, attempts: int = 3) -> None:
    """Run start(); retry when it fails, e.g. because another program took the free port meanwhile."""
    for i in range(attempts):
        try:
            start()
            return
        except RuntimeError as e:
            if i + 1 == attempts:
                raise
            log(f"{name} failed to start ({str(e).splitlines()[0]}); retrying on another port")


def machine_busy_cores(interval: float = 1.0) -> float | None:
    """Cores' worth of CPU busy over `interval` seconds, from /proc/stat (all processes)."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        total = sum(v)
        return total - v[3] - v[4], total
    try:
        b0, t0 = sample()
        time.sleep(interval)
        b1, t1 = sample()
    except (OSError, ValueError):
        return None
    return (b1 - b0) / max(1, t1 - t0) * (os.cpu_count() or 1)


def wait_for_quiet(threshold: float, max_wait: float) -> float | None:
    """Before a run, wait (at most max_wait s) until other programs use less than `threshold` cores."""
    if max_wait <= 0:
        return None
    deadline = time.monotonic() + max_wait
    busy = machine_busy_cores()
    while busy is not None and busy > threshold and time.monotonic() < deadline:
        busy = machine_busy_cores()
    return busy


# ------------------------------------------------------------------------------------------- load gen
def lock_held_by_ancestor(path: str) -> bool:
    """True when a process we descend from holds a flock on `path` (e.g. `flock /tmp/mcrelay-build.lock
    python3 bench/run_bench.py`): then taking it again would wait for ourselves forever."""
    try:
        ino = os.stat(path).st_ino
        holders = set()
        with open("/proc/locks") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 5 and parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(ino):
                    holders.add(int(parts[4]))
        pid = os.getpid()
        while pid > 1:
            if pid in holders:
                return True
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return False


def find_or_build_loadgen(explicit: str | None, cache_dir: Path) -> Path:
    if explicit:
        path = Path(explicit)
        if not os.access(path, os.X_OK):
            sys.exit(f"run_bench: --loadgen {path} is not an executable")
        return path
    src_mtime = LOADGEN_SRC.stat().st_mtime
    cmake_built = REPO_DIR / "build" / "bench" / "mcrelay_loadgen"
    if cmake_built.exists() and cmake_built.stat().st_mtime >= src_mtime:
        return cmake_built
    cached = cache_dir / "mcrelay_loadgen"
    if cached.exists() and cached.stat().st_mtime >= src_mtime:
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    cxx = os.environ.get("CXX", "g++")
    tmp = cache_dir / f"mcrelay_loadgen.{os.getpid()}.tmp"
    cmd = [cxx, "-std=c++20", "-O2", "-Wall", "-Wextra", str(LOADGEN_SRC), "-o", str(tmp), "-pthread", "-lssl",
           "-lcrypto"]
    log(f"building the load generator (under {BUILD_LOCK}): {' '.join(cmd)}")
    if lock_held_by_ancestor(BUILD_LOCK):  # run under `flock BUILD_LOCK ...`: we hold it already
        subprocess.run(cmd, check=True)
    else:
        with open(BUILD_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the machine's 2 cores are shared: one build at a time
            try:
                subprocess.run(cmd, check=True)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    os.replace(tmp, cached)
    return cached


def shape_params(args, shape: str) -> dict:
    """The load of one shape: the base options with the shape's change."""
    params = {"connections": args.connections, "depth": args.depth, "multiget": args.multiget,
              "value_size": args.value_size, "get_ratio": args.get_ratio}
    params.update(SHAPES[shape])
    return params


def describe_shape(args, shape: str) -> str:
    p = shape_params(args, shape)
    gets = f"gets of {p['multiget']} keys" if p["multiget"] > 1 else "gets"
    return (f"{p['connections']} connections x {p['depth']} request{'s' if p['depth'] != 1 else ''} in flight, "
            f"{p['get_ratio']:.0%} {gets} / {1 - p['get_ratio']:.0%} sets, {p['value_size']} B values")


def loadgen_argv(loadgen: Path, servers: list[int], cpu_pids: list[int], args, shape: str, extra=()) -> list[str]:
    p = shape_params(args, shape)
    argv = [str(loadgen), *extra]
    for port in servers:
        argv += ["--server", f"{HOST}:{port}"]
    argv += [
        "--connections", str(p["connections"]),
        "--threads", str(args.threads),
        "--get-ratio", str(p["get_ratio"]),
        "--value-size", str(p["value_size"]),
        "--depth", str(p["depth"]),
        "--multiget", str(p["multiget"]),
        "--keys", str(args.keys),
        "--duration", str(args.duration),
        "--warmup", str(args.warmup),
    ]
    for pid in cpu_pids:
        argv += ["--cpu-pid", str(pid)]
    return argv


def run_loadgen(loadgen: Path, servers: list[int], cpu_pids: list[int], args, shape: str = "base",
                extra=()) -> dict:
    argv = loadgen_argv(loadgen, servers, cpu_pids, args, shape, extra)
    p = spawn(argv, stdout=subprocess.PIPE)
    try:
        out, _ = p.communicate(timeout=args.warmup + args.duration + 180)
    except subprocess.TimeoutExpired:
        stop(p)
        raise RuntimeError("load generator did not finish in time")
    finally:
        if p in _children:
            _children.remove(p)
    if p.returncode != 0:
        raise RuntimeError(f"load generator failed (status {p.returncode}): {' '.join(argv)}")
    return json.loads(out)


# --------------------------------------------------------------------------------------------- targets
class Backends:
    """Two memcached servers shared by every target (TLS ones, with `tls_args`, for mcrelay-tls)."""

    def __init__(self, args, workdir: Path, tls_args=(), name="memcached", tls_ca: Path | None = None):
        self.args, self.workdir = args, workdir
        self.tls_args, self.name, self.tls_ca = list(tls_args), name, tls_ca
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen] = []
        for i in range(2):
            start_with_retry(lambda: self._start_one(i), "memcached")

    def _start_one(self, i: int) -> None:
        (port,) = free_ports(1)
        argv = [self.args.memcached, "-l", HOST, "-p", str(port), "-U", "0", "-t", str(self.args.memcached_threads),
                "-m", "256", "-c", "4096"]
        if os.geteuid() == 0:
            argv += ["-u", "root"]  # not "nobody": a uid change would clear PR_SET_PDEATHSIG
        argv += self.tls_args
        lp = self.workdir / f"{self.name}{i}.log"
        p = spawn(argv, lp)
        try:
            wait_ready(p, port, f"memcached {port}", lp, tls_ca=self.tls_ca)
        except RuntimeError:
            stop(p)
            raise
        self.procs.append(p)
        self.ports.append(port)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def check_alive(self) -> None:
        for p, port in zip(self.procs, self.ports):
            if p.poll() is not None:
                raise RuntimeError(f"memcached on port {port} died (status {p.returncode})")


class Target:
    name = ""
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        pass

    def front_ports(self) -> list[int]:
        raise NotImplementedError

    def measured_pids(self) -> list[int]:
        raise NotImplementedError

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} died (status {self.proc.returncode}); see its log")

    def backend_pids(self, shared: Backends) -> list[int]:
        return shared.pids

    def loadgen_args(self) -> list[str]:
        return []


class Direct(Target):
    name = "direct"

    def __init__(self, backends: Backends):
        self.backends = backends

    def front_ports(self):
        return list(self.backends.ports)  # the load generator shards keys over both servers

    def measured_pids(self):
        return self.backends.pids


class Twemproxy(Target):
    name = "twemproxy"

    def __init__(self, args, backends: Backends, workdir: Path):
        self.args, self.backends, self.workdir = args, backends, workdir
        self.port = 0

    def start(self):
        self.port, stats_port = free_ports(2)
        conf = self.workdir / "nutcracker.yml"
        servers = "".join(f"   - {HOST}:{p}:1\n" for p in self.backends.ports)
        conf.write_text(
            "bench:\n"
            f"  listen: {HOST}:{self.port}\n"
            "  hash: fnv1a_64\n"
            "  distribution: ketama\n"
            "  server_connections: 1\n"
            + (f"  timeout: {self.args.twemproxy_timeout}\n" if self.args.twemproxy_timeout else "") +
            "  auto_eject_hosts: false\n"
            "  servers:\n" + servers
        )
        lp = self.workdir / "nutcracker.log"
        argv = [self.args.nutcracker, "-c", str(conf), "-s", str(stats_port), "-a", HOST, "-o", str(lp), "-v", "4"]
        self.proc = spawn(argv, self.workdir / "nutcracker.stderr")
        try:
            wait_ready(self.proc, self.port, "nutcracker", lp)
        except RuntimeError:
            stop(self.proc)
            raise

    def front_ports(self):
        return [self.port]

    def measured_pids(self):
        return [self.proc.pid]


class Mcrelay(Target):
    """mcrelay, or (name "mcrelay-nometrics") a build with -DMCRELAY_METRICS=OFF: the metrics-cost baseline."""

    def __init__(self, args, backends: Backends, workdir: Path, binary: str, name: str = "mcrelay"):
        self.args, self.backends, self.workdir = args, backends, workdir
        self.binary, self.name = binary, name
        self.port = 0

    def start(self):
        (self.port,) = free_ports(1)
        self.launch({}, [])

    def launch(self, pool_options: dict, extra_argv: list):
        """Writes the one-pool config (the pool's servers plus `pool_options`) and starts mcrelay with
        --mcrelay-args and `extra_argv`, on self.port."""
        conf = self.workdir / f"{self.name}.json"
        conf.write_text(json.dumps({
            "pools": {"A": {"servers": [f"{HOST}:{p}" for p in self.backends.ports], **pool_options}},
            "route": "PoolRoute|A",
        }))
        extra = self.args.mcrelay_args.format(port=self.port, config=conf, host=HOST).split()
        argv = [self.binary] + extra + extra_argv
        lp = self.workdir / f"{self.name}.log"
        log(f"starting {self.name}: {' '.join(argv)}")
        self.proc = spawn(argv, lp)
        try:
            wait_ready(self.proc, self.port, self.name, lp)
        except RuntimeError:
            stop(self.proc)
            raise

    def front_ports(self):
        return [self.port]

    def measured_pids(self):
        return [self.proc.pid]


def make_certificates(workdir: Path) -> dict:
    """A CA and a server certificate for localhost / 127.0.0.1 (openssl CLI), for the mcrelay-tls target."""
    openssl = shutil.which("openssl")
    if not openssl:
        raise RuntimeError("the mcrelay-tls target needs the openssl CLI")
    d = workdir / "pki"
    d.mkdir(exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for cmd in (["req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=bench-ca"],
                ["req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
                ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "2",
                 "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf"]):
        subprocess.run([openssl, *cmd], cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"ca": d / "ca.crt", "cert": d / "server.crt", "key": d / "server.key"}


class McrelayTls(Mcrelay):
    """mcrelay-tls: the load generator speaks TLS to mcrelay's --ssl-port, and mcrelay TLS ("use_ssl") to two
    memcached -Z of its own; the same workload and flags as "mcrelay" otherwise."""

    def __init__(self, args, workdir: Path):
        super().__init__(args, None, workdir, args.mcrelay, "mcrelay-tls")
        self.tls_port = 0

    def start(self):
        if getattr(self, "pki", None) is None:  # a retried start keeps the certificates its servers loaded
            self.pki = make_certificates(self.workdir)
        pki = self.pki
        if self.backends is None:
            self.backends = Backends(self.args, self.workdir, name="memcached-tls", tls_ca=pki["ca"], tls_args=[
                "-Z", "-o", f"ssl_chain_cert={pki['cert']},ssl_key={pki['key']}"])
        self.port, self.tls_port = free_ports(2)
        self.launch({"use_ssl": True}, ["--ssl-port", str(self.tls_port), "--server-pem-cert-path", str(pki["cert"]),
                                        "--server-pem-key-path", str(pki["key"]), "--pem-ca-path", str(pki["ca"])])

    def check_alive(self) -> None:
        super().check_alive()
        self.backends.check_alive()

    def front_ports(self):
        return [self.tls_port]

    def backend_pids(self, shared: Backends) -> list[int]:
        return self.backends.pids

    def loadgen_args(self) -> list[str]:
        return ["--tls-ca", str(self.pki["ca"])]


def tls_cost(summary: dict) -> dict | None:
    """What TLS on both sides costs: mcrelay-tls over mcrelay (CPU per request of the proxy, p99, throughput)."""
    if "mcrelay" not in summary or "mcrelay-tls" not in summary:
        return None
    p, t = summary["mcrelay"], summary["mcrelay-tls"]
    return {"cpu_per_req_ratio": t["cpu_us_per_req"] / p["cpu_us_per_req"],
            "cpu_us_per_req_added": t["cpu_us_per_req"] - p["cpu_us_per_req"],
            "p99_ratio": t["p99_us"] / p["p99_us"] if p["p99_us"] else None,
            "throughput_ratio": t["ops_per_sec"] / p["ops_per_sec"],
            "backend_cpu_us_per_req_added": t["backend_cpu_us_per_req"] - p["backend_cpu_us_per_req"]}


# ------------------------------------------------------------------------------------------- figures
def cpu_us(entry: dict | None) -> tuple[float, str]:
    """CPU microseconds from one loadgen CPU entry: schedstat (ns precision) if present, else stat ticks."""
    if not entry:
        return float("nan"), "none"
    if entry.get("schedstat_us") is not None:
        return float(entry["schedstat_us"]), "schedstat"
    return float(entry["stat_us"]), "stat"


def derive(res: dict, proxy_pids: list[int], backend_pids: list[int]) -> dict:
    ops = res["ops"]
    cpu = res["cpu"]
    proxy_us, proxy_sys_us, proxy_stat_us, src = 0.0, 0.0, 0.0, set()
    for pid in proxy_pids:
        v, s = cpu_us(cpu.get(str(pid)))
        proxy_us += v
        src.add(s)
        proxy_sys_us += float((cpu.get(str(pid)) or {}).get("system_us") or 0.0)
        proxy_stat_us += float((cpu.get(str(pid)) or {}).get("stat_us") or 0.0)
    backend_us = 0.0
    for pid in backend_pids:
        v, s = cpu_us(cpu.get(str(pid)))
        backend_us += v
        src.add(s)
    lg_us, _ = cpu_us(res.get("loadgen_cpu"))
    window = res["duration_s"]
    ours = backend_us + lg_us + (proxy_us if proxy_pids != backend_pids else 0.0)
    machine = res.get("machine") or {}
    other_cores = None
    if machine:
        other_cores = max(0.0, machine["busy_cpu_s"] - ours / 1e6) / window
    keys = res.get("keys", ops)
    return {
        "ops_per_sec": res["ops_per_sec"],
        "keys_per_req": keys / ops if ops else float("nan"),
        # per key: with multi-gets a request carries several keys (a set carries one)
        "cpu_us_per_key": proxy_us / keys if keys else float("nan"),
        "p50_us": res["latency_us"]["p50"],
        "p99_us": res["latency_us"]["p99"],
        "p999_us": res["latency_us"]["p999"],
        "cpu_us_per_req": proxy_us / ops if ops else float("nan"),
        # share of the proxy's CPU time spent in the kernel (stime / (utime+stime), tick precision)
        "cpu_system_fraction": proxy_sys_us / proxy_stat_us if proxy_stat_us else None,
        "backend_cpu_us_per_req": backend_us / ops if ops else float("nan"),
        "loadgen_cpu_us_per_req": lg_us / ops if ops else float("nan"),
        "proxy_cores": proxy_us / 1e6 / window,
        "backend_cores": backend_us / 1e6 / window,
        "loadgen_cores": lg_us / 1e6 / window,
        "other_cores": other_cores,
        "cpu_source": "+".join(sorted(src)),
        "errors": res["errors"],
        "error_kinds": res["error_kinds"],
        "get_misses": res["get_misses"],
        "populate_errors": res["populate_errors"],
        "connect_errors": res["connect_errors"],
    }


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(rounds: list[dict]) -> dict:
    keys = ["ops_per_sec", "p50_us", "p99_us", "p999_us", "cpu_us_per_req", "cpu_us_per_key", "keys_per_req",
            "backend_cpu_us_per_req",
            "loadgen_cpu_us_per_req", "cpu_system_fraction", "proxy_cores", "backend_cores", "loadgen_cores", "other_cores"]
    s = {k: med([r[k] for r in rounds]) for k in keys}
    s["ops_per_sec_min"] = min(r["ops_per_sec"] for r in rounds)
    s["ops_per_sec_max"] = max(r["ops_per_sec"] for r in rounds)
    s["cpu_us_per_req_min"] = min(r["cpu_us_per_req"] for r in rounds)
    s["cpu_us_per_req_max"] = max(r["cpu_us_per_req"] for r in rounds)
    s["errors"] = sum(r["errors"] for r in rounds)
    s["get_misses"] = sum(r["get_misses"] for r in rounds)
    s["populate_errors"] = sum(r["populate_errors"] for r in rounds)
    s["rounds"] = len(rounds)
    return s


def paired_ratios(rounds: dict) -> dict | None:
    """mcrelay/twemproxy within each round (same background load), then the median over rounds."""
    if "mcrelay" not in rounds or "twemproxy" not in rounds:
        return None
    pairs = list(zip(rounds["mcrelay"], rounds["twemproxy"]))
    thr = [m["ops_per_sec"] / t["ops_per_sec"] for m, t in pairs]
    cpu = [m["cpu_us_per_req"] / t["cpu_us_per_req"] for m, t in pairs]
    return {"throughput_ratio_per_round": thr, "cpu_per_req_ratio_per_round": cpu,
            "throughput_ratio_median": statistics.median(thr), "cpu_per_req_ratio_median": statistics.median(cpu)}


def verdict(summary: dict, rounds: dict) -> dict:
    if "mcrelay" not in summary or "twemproxy" not in summary:
        return {"status": "n/a", "text": "verdict: n/a (needs both twemproxy and mcrelay)"}
    m, t = summary["mcrelay"], summary["twemproxy"]
    thr = m["ops_per_sec"] / t["ops_per_sec"]
    cpu = m["cpu_us_per_req"] / t["cpu_us_per_req"]
    ok_cpu = cpu <= CPU_TARGET_RATIO
    ok_thr = thr >= THROUGHPUT_TARGET_RATIO
    clean = m["errors"] == 0 and m["get_misses"] == 0
    status = "PASS" if ok_cpu and ok_thr and clean else "FAIL"
    why = []
    if not ok_cpu:
        why.append("CPU per request too high")
    if not ok_thr:
        why.append("throughput below twemproxy's")
    if not clean:
        why.append("errors or misses through mcrelay")
    text = (f"verdict: {status}: mcrelay CPU/request = {cpu:.2f}x twemproxy (target <= {CPU_TARGET_RATIO:.2f}x), "
            f"throughput = {thr:.2f}x (target >= {THROUGHPUT_TARGET_RATIO:.2f}x)"
            + (f" -- {', '.join(why)}" if why else ""))
    return {"status": status, "throughput_ratio": thr, "cpu_per_req_ratio": cpu, "text": text,
            "paired": paired_ratios(rounds)}


def metrics_cost(summary: dict, rounds: dict) -> dict | None:
    """mcrelay's CPU per request over the build without metrics: the ratio of the medians and, per round, the
    paired cost (the two runs of a round are back to back, under the same background load)."""
    if "mcrelay" not in summary or "mcrelay-nometrics" not in summary:
        return None
    ratio = summary["mcrelay"]["cpu_us_per_req"] / summary["mcrelay-nometrics"]["cpu_us_per_req"]
    paired = [m["cpu_us_per_req"] / n["cpu_us_per_req"] - 1
              for m, n in zip(rounds["mcrelay"], rounds["mcrelay-nometrics"])]
    return {"ratio": ratio, "cost": ratio - 1, "paired_costs": paired, "paired_median": statistics.median(paired),
            "ok": ratio - 1 < METRICS_COST_TARGET}


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def table(headers: list[str], rows: list[list[str]], md: bool) -> None:
    """Prints a table: aligned text (first column left, the others right) or, with --markdown, markdown."""
    if md:
        print("| " + " | ".join(headers) + " |")
        print("|" + "|".join("---" for _ in headers) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
        return
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    def line(cells):
        return " ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    hdr = line(headers)
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(line(r))


def print_header(args) -> None:
    print()
    print(f"mcrelay benchmark: {args.rounds} interleaved rounds x {args.duration:g}s window (+{args.warmup:g}s warm-up), "
          f"closed loop, 1 load generator process with {args.threads} thread{'s' if args.threads != 1 else ''}; "
          f"{args.keys} keys pre-populated; 2 memcached servers (-t {args.memcached_threads}); "
          f"{os.cpu_count()} CPUs on this machine, shared by all processes")
    print("figures are medians over rounds; CPU/req = (utime+stime) of the proxy process in the window / "
          "requests completed in the window (for direct: both memcached servers)")


def print_report(args, shape: str, summary: dict, ratios: dict) -> None:
    """One shape: every target's figures, the mcrelay/twemproxy ratios and the verdict."""
    md = args.markdown
    print()
    print(f"{'### ' if md else ''}shape {shape}: {describe_shape(args, shape)}")
    print()
    per_key = shape_params(args, shape)["multiget"] > 1
    headers = ["target", "ops/s", "(min..max)", "p50 us", "p99 us", "CPU us/req", "(min..max)"]
    if per_key:
        headers += ["keys/req", "CPU us/key"]
    headers += ["sys%", "memcd us/req", "proxy cores", "other cores", "errors"]
    rows = []
    for name in args.targets:
        if name not in summary:
            continue
        s = summary[name]
        row = [name, f"{s['ops_per_sec']:.0f}", f"{s['ops_per_sec_min']:.0f}..{s['ops_per_sec_max']:.0f}",
               f"{s['p50_us']:.0f}", f"{s['p99_us']:.0f}", f"{s['cpu_us_per_req']:.2f}",
               f"{s['cpu_us_per_req_min']:.2f}..{s['cpu_us_per_req_max']:.2f}"]
        if per_key:
            row += [fmt(s.get("keys_per_req"), ".2f"), fmt(s.get("cpu_us_per_key"), ".2f")]
        row += [fmt(s["cpu_system_fraction"], ".0%"), f"{s['backend_cpu_us_per_req']:.2f}",
                "-" if name == "direct" else fmt(s["proxy_cores"], ".2f"), fmt(s["other_cores"], ".2f"),
                str(s["errors"] + s["populate_errors"])]
        rows.append(row)
    table(headers, rows, md)
    print()
    if "throughput_ratio" in ratios:
        print(f"mcrelay/twemproxy: throughput {ratios['throughput_ratio']:.2f}x, "
              f"CPU per request {ratios['cpu_per_req_ratio']:.2f}x (ratios of the medians above)")
        pr = ratios["paired"]
        print(f"  paired within each round: throughput "
              + " ".join(f"{x:.2f}" for x in pr["throughput_ratio_per_round"])
              + f" (median {pr['throughput_ratio_median']:.2f}x); CPU per request "
              + " ".join(f"{x:.2f}" for x in pr["cpu_per_req_ratio_per_round"])
              + f" (median {pr['cpu_per_req_ratio_median']:.2f}x)")
    print(ratios["text"])
    tc = ratios.get("tls_cost")
    if tc:
        print(f"TLS cost (mcrelay-tls vs mcrelay): proxy CPU/request {tc['cpu_per_req_ratio']:.2f}x "
              f"({tc['cpu_us_per_req_added']:+.2f} us), p99 {fmt(tc['p99_ratio'], '.2f')}x, throughput "
              f"{tc['throughput_ratio']:.2f}x; memcached CPU/request {tc['backend_cpu_us_per_req_added']:+.2f} us")
    mc = ratios.get("metrics_cost")
    if mc:
        print(f"metrics cost: mcrelay CPU/request {mc['ratio']:.3f}x mcrelay-nometrics ({mc['cost']:+.1%}; paired per "
              f"round: " + " ".join(f"{c:+.1%}" for c in mc["paired_costs"]) + f", median {mc['paired_median']:+.1%}); "
              f"target < {METRICS_COST_TARGET:.0%}: {'PASS' if mc['ok'] else 'FAIL'}")
    for name, s in summary.items():
        if s["errors"] or s["get_misses"] or s["populate_errors"]:
            print(f"WARNING: {shape}/{name}: {s['errors']} errors, {s['get_misses']} get misses, "
                  f"{s['populate_errors']} populate errors (see --json for kinds)")
        if s["other_cores"] is not None and s["other_cores"] > 0.15:
            print(f"WARNING: {shape}/{name}: other processes used {s['other_cores']:.2f} cores during the window; "
                  f"throughput figures are disturbed (CPU/req much less so)")


def shapes_summary(summaries: dict, verdicts: dict) -> dict:
    """Per shape: mcrelay CPU/request over twemproxy's against the issue-13 target, and the floor: memcached's
    own CPU/request serving the base load directly, against mcrelay's on the base load."""
    out = {"shapes": {}, "floor": None}
    for shape, summary in summaries.items():
        v = verdicts[shape]
        row = {"twemproxy_cpu_us_per_req": summary.get("twemproxy", {}).get("cpu_us_per_req"),
               "mcrelay_cpu_us_per_req": summary.get("mcrelay", {}).get("cpu_us_per_req"),
               "direct_cpu_us_per_req": summary.get("direct", {}).get("cpu_us_per_req"),
               "twemproxy_cpu_us_per_key": summary.get("twemproxy", {}).get("cpu_us_per_key"),
               "mcrelay_cpu_us_per_key": summary.get("mcrelay", {}).get("cpu_us_per_key"),
               "cpu_per_req_ratio": v.get("cpu_per_req_ratio"), "throughput_ratio": v.get("throughput_ratio"),
               "paired_cpu_ratio_median": (v.get("paired") or {}).get("cpu_per_req_ratio_median")}
        r = row["cpu_per_req_ratio"]
        row["meets_target"] = None if r is None else r <= SHAPE_CPU_TARGET
        out["shapes"][shape] = row
    base = summaries.get("base", {})
    if "direct" in base:
        floor = base["direct"]["cpu_us_per_req"]
        f = {"direct_cpu_us_per_req": floor}
        for name in ("mcrelay", "twemproxy"):
            if name in base:
                f[f"{name}_over_floor"] = base[name]["cpu_us_per_req"] / floor
        if "mcrelay_over_floor" in f:
            f["meets_target"] = f["mcrelay_over_floor"] <= FLOOR_TARGET
        out["floor"] = f
    return out


def print_shapes_summary(args, ss: dict) -> None:
    md = args.markdown
    print()
    print(f"{'### ' if md else ''}all shapes: mcrelay CPU per request / twemproxy's (issue 13 target <= "
          f"{SHAPE_CPU_TARGET:g}x on every shape)")
    print()
    rows = []
    for shape, r in ss["shapes"].items():
        def us(req, key):
            if req is None:
                return "n/a"
            return f"{req:.2f}" + (f" ({key:.2f}/key)" if shape_params(args, shape)["multiget"] > 1 and key else "")
        ratio = r["cpu_per_req_ratio"]
        rows.append([shape, us(r["direct_cpu_us_per_req"], None), us(r["twemproxy_cpu_us_per_req"], r["twemproxy_cpu_us_per_key"]),
                     us(r["mcrelay_cpu_us_per_req"], r["mcrelay_cpu_us_per_key"]),
                     fmt(ratio, ".2f") + ("x" if ratio is not None else ""),
                     fmt(r["paired_cpu_ratio_median"], ".2f") + ("x" if r["paired_cpu_ratio_median"] is not None else ""),
                     "n/a" if r["meets_target"] is None else ("yes" if r["meets_target"] else "no"),
                     fmt(r["throughput_ratio"], ".2f") + ("x" if r["throughput_ratio"] is not None else "")])
    table(["shape", "direct us/req", "twemproxy us/req", "mcrelay us/req", "mcrelay/twemproxy CPU", "paired median",
           f"<= {SHAPE_CPU_TARGET:g}x", "throughput ratio"], rows, md)
    f = ss["floor"]
    if f:
        print()
        line = f"floor: memcached serving the base load directly uses {f['direct_cpu_us_per_req']:.2f} us/req (both servers)"
        if "mcrelay_over_floor" in f:
            line += (f"; mcrelay on the base load {f['mcrelay_over_floor']:.2f}x the floor (issue 13 target <= "
                     f"{FLOOR_TARGET:g}x: {'met' if f['meets_target'] else 'not met'})")
        if "twemproxy_over_floor" in f:
            line += f"; twemproxy {f['twemproxy_over_floor']:.2f}x"
        print(line)
    multi = [s for s in ss["shapes"] if shape_params(args, s)["multiget"] > 1]
    if multi:
        print("multi-get shapes: us/req counts a request (a multi-get or a set) as one; /key divides by the keys "
              "asked for or written")


# -------------------------------------------------------------------------------------------- strace
def parse_strace_summary(text: str) -> dict:
    """{syscall: {"calls": n, "errors": n}} from `strace -c -U name,calls,errors` output."""
    calls = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) not in (2, 3) or not parts[1].isdigit() or parts[0] in ("syscall", "total"):
            continue
        if len(parts) == 3 and not parts[2].isdigit():
            continue
        calls[parts[0]] = {"calls": int(parts[1]), "errors": int(parts[2]) if len(parts) == 3 else 0}
    return calls


class LineReader:
    """Lines from a child's pipe with a deadline (select on the fd, our own buffer: no hidden buffering)."""

    def __init__(self, stream):
        self.fd, self.buf = stream.fileno(), b""

    def readline(self, deadline: float) -> str:
        """The next line, or "" at EOF or when the deadline passes."""
        import select
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return ""
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return ""
            chunk = os.read(self.fd, 4096)
            if not chunk:
                return ""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace") + "\n"


def run_traced(loadgen: Path, t: Target, shape: str, args, workdir: Path) -> dict:
    """One run of `shape` against target t with `strace -c -f` attached to t's measured processes inside the
    window. Two marks (SIGUSR1 to the load generator) taken right after strace has attached and right
    before it detaches give the requests completed while it counted."""
    pids = t.measured_pids()
    argv = loadgen_argv(loadgen, t.front_ports(), [], args, shape, t.loadgen_args() + ["--print-window-events"])
    lg = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    st = None
    out_file = workdir / f"strace.{shape}.{t.name}.txt"
    try:
        lg_err = LineReader(lg.stderr)
        deadline = time.monotonic() + args.warmup + 180  # populate, then the warm-up
        while True:
            line = lg_err.readline(deadline)
            if not line:
                raise RuntimeError(f"load generator did not reach its window ({shape}/{t.name})")
            if line.strip() == "window_start":
                break
        window_start = time.monotonic()
        st_argv = [args.strace, "-c", "-f", "-U", "name,calls,errors", "-o", str(out_file)]
        for pid in pids:
            st_argv += ["-p", str(pid)]
        st = spawn(st_argv, stderr=subprocess.PIPE)
        st_err = LineReader(st.stderr)
        attached, wait_until = 0, time.monotonic() + 5
        while attached < len(pids):
            line = st_err.readline(wait_until)
            if not line:
                raise RuntimeError(f"strace did not attach to {pids}: is ptrace allowed here?")
            if " attached" in line:
                attached += 1
        end = window_start + args.duration - 0.5  # detach before the window ends
        if end - time.monotonic() < 0.5:
            raise RuntimeError("--duration too short for --strace (strace needs at least 1 s of the window)")
        os.kill(lg.pid, signal.SIGUSR1)
        time.sleep(end - time.monotonic())
        os.kill(lg.pid, signal.SIGUSR1)
        st.send_signal(signal.SIGINT)
        try:
            st.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            raise RuntimeError("strace did not detach")
        out, _ = lg.communicate(timeout=args.duration + 60)
    finally:
        for p in (st, lg):
            if p is not None:
                stop(p)
    if lg.returncode != 0:
        raise RuntimeError(f"load generator failed (status {lg.returncode}): {' '.join(argv)}")
    res = json.loads(out)
    marks = res.get("marks") or []
    if len(marks) < 2:
        raise RuntimeError("the load generator recorded no marks")
    reqs = marks[1]["requests"] - marks[0]["requests"]
    keys = marks[1]["keys"] - marks[0]["keys"]
    seconds = marks[1]["t_s"] - marks[0]["t_s"]
    calls = parse_strace_summary(out_file.read_text())
    if not calls or reqs <= 0:
        raise RuntimeError(f"strace counted nothing ({shape}/{t.name})")
    per = lambda n: n / reqs
    groups = {g: sum(calls.get(n, {}).get("calls", 0) for n in names) for g, names in SYSCALL_GROUPS.items()}
    socket_calls = sum(groups.values())
    total = sum(c["calls"] for c in calls.values())
    failed_io = sum(calls.get(n, {}).get("errors", 0) for n in SYSCALL_GROUPS["reads"] + SYSCALL_GROUPS["writes"])
    failed_reads = sum(calls.get(n, {}).get("errors", 0) for n in SYSCALL_GROUPS["reads"])
    return {
        "requests": reqs, "keys": keys, "seconds": seconds, "ops_per_sec_traced": reqs / seconds if seconds else None,
        "pids": pids, "errors": res["errors"], "get_misses": res["get_misses"],
        "calls": calls,
        "per_request": {**{g: per(n) for g, n in groups.items()},
                        "failed_reads": per(failed_reads), "failed_io": per(failed_io),
                        "socket": per(socket_calls), "all": per(total),
                        "socket_per_key": socket_calls / keys if keys else None,
                        **{name: per(c["calls"]) for name, c in calls.items()}},
    }


def print_syscalls(args, syscalls: dict) -> None:
    md = args.markdown
    print()
    print(f"{'### ' if md else ''}system calls per request (strace -c -f on the measured process(es) for part of "
          f"the window; counts, not times: strace slows the process, so throughput here is not comparable)")
    print()
    rows = []
    for shape, per_target in syscalls.items():
        for name, r in per_target.items():
            p = r["per_request"]
            # the calls that matter (>= 0.005 per request; e.g. mcrelay's few reads of files and timers are not)
            reads = " + ".join(f"{n} {p[n]:.2f}" for n in SYSCALL_GROUPS["reads"] if p.get(n, 0) >= 0.005)
            writes = " + ".join(f"{n} {p[n]:.2f}" for n in SYSCALL_GROUPS["writes"] if p.get(n, 0) >= 0.005)
            rows.append([shape, name, f"{r['requests']}", f"{p['reads']:.2f}", f"{p['failed_reads']:.2f}",
                         f"{p['writes']:.2f}", f"{p['epoll_wait']:.2f}", f"{p['epoll_ctl']:.2f}",
                         f"{p['io_uring_enter']:.2f}" if p["io_uring_enter"] else "0",
                         f"**{p['socket']:.2f}**" if md else f"{p['socket']:.2f}", f"{p['all']:.2f}",
                         (reads + "; " + writes) if reads or writes else "-"])
    table(["shape", "target", "requests", "reads", "of which failed (EAGAIN)", "writes", "epoll_wait", "epoll_ctl",
           "io_uring_enter", "socket calls", "all calls", "by call"], rows, md)
    print()
    print("socket calls = reads + writes + epoll_wait + epoll_ctl + io_uring_enter, per request (direct: both "
          "memcached servers; a proxy: both its sides, client and server)")
    m = syscalls.get("base", {}).get("mcrelay")
    if m:
        sc = m["per_request"]["socket"]
        print(f"base load: mcrelay makes {sc:.2f} socket calls per request (issue 13 target <= {SYSCALL_TARGET:g}: "
              f"{'met' if sc <= SYSCALL_TARGET else 'not met'})")


# ------------------------------------------------------------------------------------------------ main
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--duration", type=float, default=10.0, help="measured window per run, seconds")
    ap.add_argument("--warmup", type=float, default=2.0, help="unmeasured warm-up before each window, seconds")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (each target once per round)")
    ap.add_argument("--connections", type=int, default=50, help="load generator connections")
    ap.add_argument("--threads", type=int, default=1, help="load generator threads (1 on a 2-core machine)")
    ap.add_argument("--keys", type=int, default=10000, help="key space size (all keys set before each run)")
    ap.add_argument("--value-size", type=int, default=100, help="value bytes")
    ap.add_argument("--get-ratio", type=float, default=0.9, help="fraction of gets (rest are sets)")
    ap.add_argument("--depth", type=int, default=1, help="requests in flight per connection (the base load's)")
    ap.add_argument("--multiget", type=int, default=1, help="keys per get request (the base load's)")
    ap.add_argument("--shapes", default="base",
                    help="comma-separated load shapes, each run on every target within each round: "
                         + ", ".join(f"{k} ({', '.join(f'{a}={b}' for a, b in v.items()) or 'the options above'})"
                                     for k, v in SHAPES.items()))
    ap.add_argument("--strace", action="store_true",
                    help="after the rounds, one more run per shape and target with strace -c -f attached to the "
                         "measured process(es) inside the window: system calls per request (with --rounds 0: only this)")
    ap.add_argument("--strace-bin", default=shutil.which("strace") or "/usr/bin/strace", dest="strace_bin",
                    help="strace binary")
    ap.add_argument("--markdown", action="store_true", help="print the report's tables as markdown")
    ap.add_argument("--targets", default=",".join(DEFAULT_TARGETS),
                    help="comma-separated subset of " + ",".join(ALL_TARGETS))
    ap.add_argument("--mcrelay", default=str(REPO_DIR / "build" / "mcrelay"), help="mcrelay binary")
    ap.add_argument("--mcrelay-nometrics", metavar="PATH", default=None,
                    help="an mcrelay built with -DMCRELAY_METRICS=OFF (scripts/build.sh build-nometrics "
                         "-DMCRELAY_METRICS=OFF -DMCRELAY_BUILD_TESTS=OFF): adds the target mcrelay-nometrics and "
                         "reports what metrics cost")
    ap.add_argument("--mcrelay-args", default=DEFAULT_MCRELAY_ARGS,
                    help="mcrelay arguments; {port}, {config} and {host} are substituted")
    ap.add_argument("--nutcracker", default=shutil.which("nutcracker") or "/usr/sbin/nutcracker",
                    help="twemproxy binary")
    ap.add_argument("--memcached", default=shutil.which("memcached") or "/usr/bin/memcached",
                    help="memcached binary")
    ap.add_argument("--twemproxy-timeout", type=int, default=0,
                    help="twemproxy pool 'timeout' in ms (0: none, twemproxy's default; mcrelay always has a "
                         "server timeout, 1000 ms by default)")
    ap.add_argument("--memcached-threads", type=int, default=1, help="worker threads per memcached server")
    ap.add_argument("--loadgen", default=None,
                    help="load generator binary (default: build/bench/mcrelay_loadgen if up to date, else "
                         "built from bench/loadgen/loadgen.cpp into a cache directory)")
    ap.add_argument("--quiet-wait", type=float, default=20.0,
                    help="before each run wait up to this many seconds for other programs to go quiet (0: never)")
    ap.add_argument("--quiet-threshold", type=float, default=0.3,
                    help="'quiet' means other programs use less than this many cores")
    ap.add_argument("--json", metavar="OUT", default=None, help="write machine-readable results here")
    ap.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with configs and logs")
    args = ap.parse_args(argv)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if args.mcrelay_nometrics and "mcrelay-nometrics" not in args.targets:
        args.targets.append("mcrelay-nometrics")
    if "mcrelay-nometrics" in args.targets and not (args.mcrelay_nometrics and
                                                    os.access(args.mcrelay_nometrics, os.X_OK)):
        ap.error("the target mcrelay-nometrics needs --mcrelay-nometrics PATH (an executable)")
    bad = [t for t in args.targets if t not in ALL_TARGETS]
    if bad or not args.targets:
        ap.error(f"unknown target(s) {bad}; choose from {','.join(ALL_TARGETS)}")
    if len(set(args.targets)) != len(args.targets):
        ap.error("a target is listed twice")
    args.shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    bad = [s for s in args.shapes if s not in SHAPES]
    if bad or not args.shapes or len(set(args.shapes)) != len(args.shapes):
        ap.error(f"bad --shapes {bad or args.shapes}; choose from {','.join(SHAPES)}")
    if args.strace:
        args.strace = args.strace_bin
        if not os.access(args.strace, os.X_OK):
            ap.error(f"strace not found at {args.strace!r} (apt-get install strace; see scripts/install-deps.sh)")
    if args.rounds == 0 and not args.strace:
        ap.error("--rounds 0 only with --strace")
    if not 1 <= args.depth <= 1024 or not 1 <= args.multiget <= 100:
        ap.error("--depth must be within 1..1024 and --multiget within 1..100")
    if args.rounds < 0 or args.duration <= 0 or args.warmup < 0 or args.connections < 1 or args.threads < 1:
        ap.error("bad --rounds/--duration/--warmup/--connections/--threads")
    if not 0.0 <= args.get_ratio <= 1.0:
        ap.error("--get-ratio must be within 0..1")
    for name, path in (("memcached", args.memcached),) + \
            ((("nutcracker", args.nutcracker),) if "twemproxy" in args.targets else ()):
        if not (path and os.access(path, os.X_OK)):
            ap.error(f"{name} not found at {path!r}")
    if ("mcrelay" in args.targets or "mcrelay-tls" in args.targets) and not os.access(args.mcrelay, os.X_OK):
        ap.error(f"mcrelay binary not found at {args.mcrelay} (build it, pass --mcrelay PATH, "
                 f"or run with --targets direct,twemproxy)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)

    workdir = Path(tempfile.mkdtemp(prefix="mcrelay-bench."))
    cache_dir = Path(tempfile.gettempdir()) / f"mcrelay-bench-cache-{os.getuid()}"
    try:
        loadgen = find_or_build_loadgen(args.loadgen, cache_dir)
        backends = Backends(args, workdir)
        targets: dict[str, Target] = {}
        for name in args.targets:
            t = {"direct": lambda: Direct(backends),
                 "twemproxy": lambda: Twemproxy(args, backends, workdir),
                 "mcrelay": lambda: Mcrelay(args, backends, workdir, args.mcrelay),
                 "mcrelay-nometrics": lambda: Mcrelay(args, backends, workdir, args.mcrelay_nometrics,
                                                      "mcrelay-nometrics"),
                 "mcrelay-tls": lambda: McrelayTls(args, workdir)}[name]()
            start_with_retry(t.start, name)
            targets[name] = t
        log(f"memcached on {HOST}:{backends.ports[0]} and {HOST}:{backends.ports[1]}; "
            + ", ".join(f"{n} on {HOST}:{t.front_ports()[0]}" for n, t in targets.items() if n != "direct"))

        shapes = args.shapes
        results = {sh: {"rounds": {t: [] for t in args.targets}, "raw": {t: [] for t in args.targets}} for sh in shapes}
        for rnd in range(1, args.rounds + 1):
            for shape in shapes:
                for name, t in targets.items():
                    backends.check_alive()
                    t.check_alive()
                    pids = t.measured_pids()
                    before = wait_for_quiet(args.quiet_threshold, args.quiet_wait)
                    if before is not None and before > args.quiet_threshold:
                        log(f"note: machine still busy ({before:.2f} cores used by others) after waiting "
                            f"{args.quiet_wait:g}s; measuring anyway")
                    bpids = t.backend_pids(backends)
                    res = run_loadgen(loadgen, t.front_ports(), sorted(set(pids + bpids)), args, shape,
                                      t.loadgen_args())
                    t.check_alive()
                    d = derive(res, pids, bpids)
                    results[shape]["rounds"][name].append(d)
                    results[shape]["raw"][name].append(res)
                    log(f"round {rnd}/{args.rounds} {shape:<10} {name:<17}: {d['ops_per_sec']:>8.0f} ops/s  "
                        f"p99 {d['p99_us']:>6.0f} us  CPU {d['cpu_us_per_req']:.2f} us/req ({d['cpu_source']}, "
                        f"{fmt(d['cpu_system_fraction'], '.0%')} system)  memcached {d['backend_cpu_us_per_req']:.2f} "
                        f"us/req  loadgen {d['loadgen_cores']:.2f} cores  other {fmt(d['other_cores'], '.2f')} cores  "
                        f"errors {d['errors']}")

        syscalls: dict = {}
        if args.strace:
            for shape in shapes:
                syscalls[shape] = {}
                for name, t in targets.items():
                    backends.check_alive()
                    t.check_alive()
                    wait_for_quiet(args.quiet_threshold, args.quiet_wait)
                    r = run_traced(loadgen, t, shape, args, workdir)
                    t.check_alive()
                    syscalls[shape][name] = r
                    p = r["per_request"]
                    log(f"strace {shape:<10} {name:<17}: {r['requests']} requests in {r['seconds']:.1f}s; per request: "
                        f"reads {p['reads']:.2f} (failed {p['failed_reads']:.2f}), writes {p['writes']:.2f}, "
                        f"epoll_wait {p['epoll_wait']:.2f}, epoll_ctl {p['epoll_ctl']:.2f}, socket {p['socket']:.2f}, "
                        f"all {p['all']:.2f}")

        per_shape = {}
        if args.rounds > 0:
            print_header(args)
            for shape in shapes:
                rounds = results[shape]["rounds"]
                summary = {n: summarize(r) for n, r in rounds.items()}
                ratios = verdict(summary, rounds)
                ratios["metrics_cost"] = metrics_cost(summary, rounds)
                ratios["tls_cost"] = tls_cost(summary)
                per_shape[shape] = {"params": shape_params(args, shape), "summary": summary, "verdict": ratios,
                                    "rounds": rounds, "loadgen_raw": results[shape]["raw"]}
                print_report(args, shape, summary, ratios)
        ss = None
        if len(per_shape) > 1 or (per_shape and "base" not in per_shape):
            ss = shapes_summary({k: v["summary"] for k, v in per_shape.items()},
                                {k: v["verdict"] for k, v in per_shape.items()})
            print_shapes_summary(args, ss)
        elif per_shape:  # base alone: still say where it stands against the floor
            ss = shapes_summary({"base": per_shape["base"]["summary"]}, {"base": per_shape["base"]["verdict"]})
            if ss["floor"] and "mcrelay_over_floor" in ss["floor"]:
                f = ss["floor"]
                print(f"floor: memcached serving the base load directly uses {f['direct_cpu_us_per_req']:.2f} us/req; "
                      f"mcrelay {f['mcrelay_over_floor']:.2f}x the floor (issue 13 target <= {FLOOR_TARGET:g}x)")
        if syscalls:
            print_syscalls(args, syscalls)
        if args.json:
            first = per_shape.get(shapes[0], {})
            doc = {
                "config": {k: v for k, v in vars(args).items() if k != "json"},
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                            "clk_tck": os.sysconf("SC_CLK_TCK")},
                # the first shape's figures where they always were; every shape under "shapes"
                "summary": first.get("summary"),
                "verdict": first.get("verdict"),
                "rounds": first.get("rounds"),
                "loadgen_raw": first.get("loadgen_raw"),
                "shapes": per_shape,
                "shapes_summary": ss,
                "syscalls": syscalls,
            }
            Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
            log(f"wrote {args.json}")
        return 0
    except KeyboardInterrupt:
        log("interrupted; stopping child processes")
        return 130
    except RuntimeError as e:
        log(f"run_bench: error: {e}")
        if not args.keep_logs:
            log(f"(re-run with --keep-logs to keep configs and logs)")
        return 1
    finally:
        stop_all()
        if args.keep_logs:
            log(f"configs and logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
