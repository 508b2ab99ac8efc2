#!/usr/bin/env python3
"""mcrelay benchmark: memcached direct vs twemproxy (nutcracker) vs mcrelay, side by side, in one run.

All three targets sit in front of the same two memcached servers on 127.0.0.1. One closed-loop load
generator (bench/loadgen/loadgen.cpp, 1 thread, N connections with one request in flight each; 90% gets /
10% sets of 100-byte values over a fixed, pre-populated key space) drives each target in turn, in
interleaved rounds (direct, twemproxy, mcrelay, direct, ...). Per target it reports the median over rounds
of ops/s, p99 latency and CPU microseconds per request of the proxy process (of both memcached servers for
"direct"), then the mcrelay/twemproxy ratios and a verdict against the target
"CPU per request <= 0.8x twemproxy's with at least its throughput".

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


def spawn(argv: list[str], log_path: Path | None = None, stdout=None) -> subprocess.Popen:
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    try:
        p = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else out,
            stderr=out,
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
    with open(BUILD_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the machine's 2 cores are shared: one build at a time
        try:
            subprocess.run(cmd, check=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    os.replace(tmp, cached)
    return cached


def run_loadgen(loadgen: Path, servers: list[int], cpu_pids: list[int], args, extra=()) -> dict:
    argv = [str(loadgen), *extra]
    for port in servers:
        argv += ["--server", f"{HOST}:{port}"]
    argv += [
        "--connections", str(args.connections),
        "--threads", str(args.threads),
        "--get-ratio", str(args.get_ratio),
        "--value-size", str(args.value_size),
        "--keys", str(args.keys),
        "--duration", str(args.duration),
        "--warmup", str(args.warmup),
    ]
    for pid in cpu_pids:
        argv += ["--cpu-pid", str(pid)]
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
    return {
        "ops_per_sec": res["ops_per_sec"],
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
    keys = ["ops_per_sec", "p50_us", "p99_us", "p999_us", "cpu_us_per_req", "backend_cpu_us_per_req",
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


def print_report(args, summary: dict, ratios: dict) -> None:
    print()
    print(f"mcrelay benchmark: {args.rounds} interleaved rounds x {args.duration:g}s window (+{args.warmup:g}s warm-up), "
          f"{args.connections} connections, closed loop (1 request in flight each), 1 load generator process with "
          f"{args.threads} thread{'s' if args.threads != 1 else ''}")
    print(f"workload: {args.get_ratio:.0%} get / {1 - args.get_ratio:.0%} set, {args.value_size}-byte values, "
          f"{args.keys} keys pre-populated; 2 memcached servers (-t {args.memcached_threads}); "
          f"{os.cpu_count()} CPUs on this machine, shared by all processes")
    print("figures are medians over rounds; CPU/req = (utime+stime) of the proxy process in the window / "
          "requests completed in the window (for direct: both memcached servers)")
    print()
    hdr = (f"{'target':<17} {'ops/s':>10} {'(min..max)':>19} {'p50 us':>8} {'p99 us':>8} {'CPU us/req':>10} "
           f"{'(min..max)':>13} {'sys%':>4} {'memcd us/req':>12} {'proxy cores':>11} {'other cores':>11} {'errors':>6}")
    print(hdr)
    print("-" * len(hdr))
    for name in args.targets:
        if name not in summary:
            continue
        s = summary[name]
        rng = f"{s['ops_per_sec_min']:.0f}..{s['ops_per_sec_max']:.0f}"
        crng = f"{s['cpu_us_per_req_min']:.2f}..{s['cpu_us_per_req_max']:.2f}"
        proxy_cores = "-" if name == "direct" else fmt(s["proxy_cores"], ".2f")
        print(f"{name:<17} {s['ops_per_sec']:>10.0f} {rng:>19} {s['p50_us']:>8.0f} {s['p99_us']:>8.0f} "
              f"{s['cpu_us_per_req']:>10.2f} {crng:>13} {fmt(s['cpu_system_fraction'], '.0%'):>4} "
              f"{s['backend_cpu_us_per_req']:>12.2f} {proxy_cores:>11} "
              f"{fmt(s['other_cores'], '.2f'):>11} {s['errors'] + s['populate_errors']:>6}")
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
            print(f"WARNING: {name}: {s['errors']} errors, {s['get_misses']} get misses, "
                  f"{s['populate_errors']} populate errors (see --json for kinds)")
        if s["other_cores"] is not None and s["other_cores"] > 0.15:
            print(f"WARNING: {name}: other processes used {s['other_cores']:.2f} cores during the window; "
                  f"throughput figures are disturbed (CPU/req much less so)")


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
    if args.rounds < 1 or args.duration <= 0 or args.warmup < 0 or args.connections < 1 or args.threads < 1:
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
    results: dict = {"rounds": {t: [] for t in args.targets}, "raw": {t: [] for t in args.targets}}
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

        for rnd in range(1, args.rounds + 1):
            for name, t in targets.items():
                backends.check_alive()
                t.check_alive()
                pids = t.measured_pids()
                before = wait_for_quiet(args.quiet_threshold, args.quiet_wait)
                if before is not None and before > args.quiet_threshold:
                    log(f"note: machine still busy ({before:.2f} cores used by others) after waiting "
                        f"{args.quiet_wait:g}s; measuring anyway")
                bpids = t.backend_pids(backends)
                res = run_loadgen(loadgen, t.front_ports(), sorted(set(pids + bpids)), args, t.loadgen_args())
                t.check_alive()
                d = derive(res, pids, bpids)
                results["rounds"][name].append(d)
                results["raw"][name].append(res)
                log(f"round {rnd}/{args.rounds} {name:<17}: {d['ops_per_sec']:>8.0f} ops/s  p99 {d['p99_us']:>6.0f} us  "
                    f"CPU {d['cpu_us_per_req']:.2f} us/req ({d['cpu_source']}, "
                    f"{fmt(d['cpu_system_fraction'], '.0%')} system)  memcached {d['backend_cpu_us_per_req']:.2f} "
                    f"us/req  loadgen {d['loadgen_cores']:.2f} cores  other {fmt(d['other_cores'], '.2f')} cores  "
                    f"errors {d['errors']}")

        summary = {n: summarize(r) for n, r in results["rounds"].items()}
        ratios = verdict(summary, results["rounds"])
        ratios["metrics_cost"] = metrics_cost(summary, results["rounds"])
        ratios["tls_cost"] = tls_cost(summary)
        print_report(args, summary, ratios)
        if args.json:
            doc = {
                "config": {k: v for k, v in vars(args).items() if k != "json"},
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                            "clk_tck": os.sysconf("SC_CLK_TCK")},
                "summary": summary,
                "verdict": ratios,
                "rounds": results["rounds"],
                "loadgen_raw": results["raw"],
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
