"""A Kubernetes-shaped cluster in a box, built from Linux network namespaces (for test_lab_cluster).

Topology (every namespace is created by this module, named <prefix>-..., with <prefix> = mcrlab<pid>):

    <prefix>-br   the "cluster network": a bridge br0 (10.A.B.1/24) and two DNS replicas (dnsmasq on
                  10.A.B.2 and 10.A.B.3, like kube-dns with 2 replicas) answering cluster.local
    <prefix>-n1   node1: eth0 = 10.A.B.11 (the node IP); memcached "pods" get their own secondary addresses
    <prefix>-n2   node2: eth0 = 10.A.B.12     on eth0 (10.A.B.101, ...), so a pod IP is not the node IP
    <prefix>-n3   node3: eth0 = 10.A.B.13

Every node namespace gets /etc/netns/<ns>/resolv.conf (Kubernetes' pod resolv.conf: the cluster search
domains, ndots:5, the two DNS replicas) and /etc/netns/<ns>/hosts (localhost only): `ip netns exec`
bind-mounts them over /etc/resolv.conf and /etc/hosts for whatever it runs there.

DNS, as CoreDNS serves a headless Service and a StatefulSet:
    mycache-memcached.default.svc.cluster.local                  A    every published pod
    mycache-memcached-<i>.mycache-memcached.default.svc.cluster.local   A    that pod (PTR back to this name)
    _memcache._tcp.mycache-memcached.default.svc.cluster.local   SRV  0 33 11211 <each published pod name>
    node1, node2, node3                                          A    the node IPs
A and PTR records live in a hosts file (dnsmasq --addn-hosts, re-read on SIGHUP); SRV records can only come
from dnsmasq's config (--srv-host), which dnsmasq never re-reads, so a change of the SRV set restarts the
replicas one at a time (secondary first: the resolvers always ask the primary first and fall over to the
secondary while the primary restarts, so the answers go from old to new and never back).

The test process itself stays in the root network namespace and never sends anything to the cluster's
addresses from there: `netns(name)` switches the calling thread into a cluster namespace (setns) just long
enough to create and connect a socket, which then belongs to that namespace for good.
"""

import contextlib
import ctypes
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("MCRELAY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
MCRELAY_BIN = os.environ.get("MCRELAY_BIN") or os.path.join(SOURCE_DIR, "build", "mcrelay")
APP_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

SERVICE = "mycache-memcached"
NAMESPACE = "default"
SERVICE_FQDN = f"{SERVICE}.{NAMESPACE}.svc.cluster.local"
SRV_NAME = f"_memcache._tcp.{SERVICE_FQDN}"
MEMCACHED_PORT = 11211
PROXY_PORT = 5000
NETNS_PREFIX = "mcrlab"

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL("libc.so.6", use_errno=True)
# The namespace this process started in, to get back to from anywhere (a signal handler, say).
_ORIGINAL_NETNS = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


class NamespacesUnavailable(Exception):
    """Network namespaces cannot be created here (not root, or a sandbox forbids it)."""


def pod_fqdn(ordinal):
    return f"{SERVICE}-{ordinal}.{SERVICE}.{NAMESPACE}.svc.cluster.local"


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL if the test process dies (a CTest timeout, say).
    `ip netns exec` execs the command (no fork), so this reaches the real process."""
    try:
        _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run(argv, check=True, timeout=20):
    """Run a short command; failing -> RuntimeError with its output."""
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"command failed (exit {proc.returncode}): {' '.join(argv)}\n"
                           f"{proc.stdout.decode('utf-8', 'replace')}")
    return proc


def require_tools():
    """The tools this cluster needs. Missing -> AssertionError (the setup script installs them: a missing
    tool is a broken environment, not a reason to skip)."""
    missing = []
    for tool, hint in (("ip", "iproute2"), ("dnsmasq", "dnsmasq-base"), ("memcached", "memcached")):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/bin") is None:
            missing.append(f"{tool} (package {hint})")
    if missing:
        raise AssertionError("test_lab_cluster needs " + ", ".join(missing) +
                             ": install them (the project's setup script does)")
    if not (os.path.isfile(MCRELAY_BIN) and os.access(MCRELAY_BIN, os.X_OK)):
        raise AssertionError(f"mcrelay binary not found or not executable: {MCRELAY_BIN} (set MCRELAY_BIN)")
    try:
        subprocess.run([APP_PYTHON, "-c", "import pymemcache"], check=True, capture_output=True, timeout=20)
    except (subprocess.CalledProcessError, OSError) as e:
        raise AssertionError(f"{APP_PYTHON} cannot import pymemcache (package python3-pymemcache): {e}")


def _tool(name):
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/bin") or name


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def remove_stale_namespaces():
    """Delete what a run that was killed (SIGKILL: no teardown) left behind: namespaces and /etc/netns
    entries named mcrlab<pid>-* whose process is gone. Never touches a live run's."""
    names = set()
    with contextlib.suppress(OSError):
        names.update(os.listdir("/run/netns"))
    with contextlib.suppress(OSError):
        names.update(os.listdir("/etc/netns"))
    for name in sorted(names):
        m = re.fullmatch(NETNS_PREFIX + r"(\d+)-(br|n\d+)", name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        if os.path.exists(f"/run/netns/{name}"):
            # Processes that outlived their test (PR_SET_PDEATHSIG does not survive every setuid/setgid).
            pids = run([_tool("ip"), "netns", "pids", name], check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            run([_tool("ip"), "netns", "del", name], check=False)
        shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)
    tmp = tempfile.gettempdir()
    with contextlib.suppress(OSError):
        for entry in os.listdir(tmp):
            m = re.fullmatch(NETNS_PREFIX + r"(\d+)-[A-Za-z0-9_]+", entry)
            if m and not _pid_alive(int(m.group(1))) and os.path.isdir(os.path.join(tmp, entry)):
                shutil.rmtree(os.path.join(tmp, entry), ignore_errors=True)


# --- network namespace switching ------------------------------------------------------------------------

@contextlib.contextmanager
def netns(name):
    """Run the body with the calling thread in network namespace `name` (sockets created there stay there)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            if _libc.setns(target, _CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns into {name}: {os.strerror(err)}")
        finally:
            os.close(target)
        try:
            yield
        finally:
            if _libc.setns(own, _CLONE_NEWNET) != 0:
                # Staying in the cluster namespace would send the rest of the process's traffic there.
                err = ctypes.get_errno()
                os.write(2, f"FATAL: cannot return to the original network namespace: {os.strerror(err)}\n"
                         .encode())
                os._exit(70)
    finally:
        os.close(own)


def return_to_original_netns():
    """Put the calling thread back in the process's original network namespace (for a signal handler
    that may interrupt the body of `netns()`)."""
    return _libc.setns(_ORIGINAL_NETNS, _CLONE_NEWNET) == 0


def connect(ns, ip, port, timeout=5.0):
    """A TCP socket in namespace `ns`, connected to ip:port."""
    with netns(ns):
        return socket.create_connection((ip, port), timeout=timeout)


# --- a tiny DNS client (to check what the DNS replicas serve) -------------------------------------------

QTYPE_A, QTYPE_PTR, QTYPE_SRV = 1, 12, 33


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def _read_name(msg, pos):
    labels = []
    jumped = False
    end = pos
    for _ in range(128):
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            if not jumped:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | msg[pos + 1]
            jumped = True
            continue
        if length == 0:
            if not jumped:
                end = pos + 1
            return ".".join(labels), end
        labels.append(msg[pos + 1:pos + 1 + length].decode())
        pos += 1 + length
    raise ValueError("DNS name compression loop")


def dns_query(ns, server, name, qtype, timeout=1.0):
    """Ask `server` (UDP, from namespace `ns`). Returns (rcode, answers): answers are IP strings for A,
    names for PTR, (priority, weight, port, target) for SRV."""
    qid = random.randrange(65536)
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + _encode_name(name) + struct.pack(">HH", qtype, 1)
    with netns(ns):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.settimeout(timeout)
        sock.sendto(packet, (server, 53))
        while True:
            msg, _ = sock.recvfrom(65535)
            if len(msg) >= 12 and struct.unpack(">H", msg[:2])[0] == qid:
                break
    finally:
        sock.close()
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    pos = 12
    for _ in range(qd):
        _, pos = _read_name(msg, pos)
        pos += 4
    answers = []
    for _ in range(an):
        _, pos = _read_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
        pos += 10
        rdata_pos = pos
        pos += rdlen
        if rtype != qtype:
            continue
        if rtype == QTYPE_A:
            answers.append(socket.inet_ntoa(msg[rdata_pos:rdata_pos + 4]))
        elif rtype == QTYPE_PTR:
            answers.append(_read_name(msg, rdata_pos)[0])
        elif rtype == QTYPE_SRV:
            prio, weight, port = struct.unpack(">HHH", msg[rdata_pos:rdata_pos + 6])
            answers.append((prio, weight, port, _read_name(msg, rdata_pos + 6)[0]))
    return flags & 0xF, answers


# --- processes ---------------------------------------------------------------------------------------------

class Proc:
    """A process started in a namespace with `ip netns exec`, its stdout+stderr in a log file."""

    def __init__(self, name, ns, argv, logdir, env=None):
        self.name = name
        self.ns = ns
        self.argv = list(argv)
        self.log_path = os.path.join(logdir, f"{name}.log")
        with open(self.log_path, "ab") as log:
            log.write(f"=== {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen([_tool("ip"), "netns", "exec", ns] + self.argv, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, preexec_fn=_die_with_parent, close_fds=True,
                                         env=env)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def log_text(self, tail=None):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        if tail is not None and len(text) > tail:
            text = "..." + text[-tail:]
        return text

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, grace=3.0):
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit code."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                self.proc.wait(timeout=grace)
        return self.proc.returncode


def wait_until(predicate, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError) as e:
            last_error = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}"
                                 + (f" (last error: {last_error})" if last_error else ""))
        time.sleep(interval)


def read_reply(sock, terminator, timeout=5.0):
    sock.settimeout(timeout)
    buf = b""
    while not buf.endswith(terminator):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {buf!r}")
        buf += chunk
    return buf


def parse_stats(reply):
    out = {}
    for line in reply.split(b"\r\n"):
        if line.startswith(b"STAT "):
            parts = line.decode("utf-8", "replace").split(" ", 2)
            out[parts[1]] = parts[2] if len(parts) > 2 else ""
    return out


# --- the cluster -------------------------------------------------------------------------------------------

class Pod:
    def __init__(self, ordinal, node, ip, proc, baseline):
        self.ordinal = ordinal
        self.node = node           # Node
        self.ip = ip
        self.proc = proc
        self.baseline = baseline   # memcached's curr_connections with only our stats connection open
        self.published = False

    @property
    def fqdn(self):
        return pod_fqdn(self.ordinal)

    @property
    def name(self):
        return f"{SERVICE}-{self.ordinal}"

    def __repr__(self):
        return f"<pod {self.name} {self.ip} on {self.node.name}>"


class Node:
    def __init__(self, index, ns, ip):
        self.index = index
        self.name = f"node{index}"
        self.ns = ns
        self.ip = ip
        self.proxy = None  # Proc

    def __repr__(self):
        return f"<{self.name} {self.ip} ns {self.ns}>"


class Cluster:
    def __init__(self, node_count=3):
        self.prefix = f"{NETNS_PREFIX}{os.getpid()}"
        # A private /24 that exists only inside our namespaces.
        self.net = f"10.{random.randint(64, 250)}.{random.randint(0, 255)}"
        self.bridge_ns = f"{self.prefix}-br"
        self.dns_ips = [f"{self.net}.2", f"{self.net}.3"]
        self.nodes = [Node(i, f"{self.prefix}-n{i}", f"{self.net}.{10 + i}") for i in range(1, node_count + 1)]
        self.pods = {}            # ordinal -> Pod
        self.next_pod_host = 101
        self.namespaces = []      # created, to delete
        self.etc_dirs = []        # /etc/netns/<ns> created, to delete
        self.created_etc_netns = False
        self.procs = []           # every Proc started, to stop
        self.dns = [None, None]   # Procs of the two replicas
        self._dns_srv_running = None
        self.workdir = tempfile.mkdtemp(prefix=f"{self.prefix}-")
        os.chmod(self.workdir, 0o755)
        self.hosts_path = os.path.join(self.workdir, "cluster.hosts")
        self.dns_conf_path = os.path.join(self.workdir, "dnsmasq.conf")

    # ---- network -----------------------------------------------------------------------------------------

    def _ip(self, *args, check=True):
        return run([_tool("ip")] + list(args), check=check)

    def _add_netns(self, name):
        proc = self._ip("netns", "add", name, check=False)
        if proc.returncode != 0:
            raise NamespacesUnavailable(f"`ip netns add {name}` failed: "
                                        f"{proc.stdout.decode('utf-8', 'replace').strip()}")
        self.namespaces.append(name)
        self._ip("-n", name, "link", "set", "lo", "up")

    def create_network(self):
        if os.geteuid() != 0:
            raise NamespacesUnavailable("not root: network namespaces need root")
        self._add_netns(self.bridge_ns)
        try:
            self._ip("-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
        except RuntimeError as e:
            raise NamespacesUnavailable(f"cannot create a bridge inside a network namespace: {e}")
        self._ip("-n", self.bridge_ns, "link", "set", "br0", "up")
        self._ip("-n", self.bridge_ns, "addr", "add", f"{self.net}.1/24", "dev", "br0")
        for dns_ip in self.dns_ips:
            self._ip("-n", self.bridge_ns, "addr", "add", f"{dns_ip}/24", "dev", "br0")
        if not os.path.isdir("/etc/netns"):
            os.makedirs("/etc/netns", exist_ok=True)
            self.created_etc_netns = True
        for node in self.nodes:
            self._add_netns(node.ns)
            port = f"v{node.index}"
            self._ip("-n", self.bridge_ns, "link", "add", port, "type", "veth", "peer", "name", "eth0",
                     "netns", node.ns)
            self._ip("-n", self.bridge_ns, "link", "set", port, "master", "br0", "up")
            self._ip("-n", node.ns, "addr", "add", f"{node.ip}/24", "dev", "eth0")
            self._ip("-n", node.ns, "link", "set", "eth0", "up")
            etc = f"/etc/netns/{node.ns}"
            os.makedirs(etc, exist_ok=True)
            self.etc_dirs.append(etc)
            with open(os.path.join(etc, "resolv.conf"), "w") as f:
                f.write(f"search {NAMESPACE}.svc.cluster.local svc.cluster.local cluster.local\n"
                        + "".join(f"nameserver {ip}\n" for ip in self.dns_ips)
                        + "options ndots:5 timeout:1 attempts:2\n")
            with open(os.path.join(etc, "hosts"), "w") as f:
                f.write("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
        # The bridge is up and the ports are forwarding: node1 reaches the DNS address.
        wait_until(lambda: self._ping(self.nodes[0].ns, self.dns_ips[0]), 5, "node1 -> cluster network")

    def _ping(self, ns, ip):
        try:
            s = connect(ns, ip, 9, timeout=0.5)  # nothing listens on 9: a refusal proves the path works
            s.close()
            return True
        except ConnectionRefusedError:
            return True
        except OSError:
            return False

    # ---- DNS ---------------------------------------------------------------------------------------------

    def published_pods(self):
        return sorted((p for p in self.pods.values() if p.published), key=lambda p: p.ordinal)

    def _render_dns(self):
        lines = [f"{n.ip} {n.name}" for n in self.nodes]
        for pod in self.published_pods():
            # First name on the line: the one the PTR record gives back (as CoreDNS does for a StatefulSet pod).
            lines.append(f"{pod.ip} {pod.fqdn} {SERVICE_FQDN}")
        pods = self.published_pods()
        weight = 100 // max(1, len(pods))
        srv = [f"srv-host={SRV_NAME},{p.fqdn},{MEMCACHED_PORT},0,{weight}" for p in pods]
        return "\n".join(lines) + "\n", srv

    def _write_dns_files(self):
        hosts, srv = self._render_dns()
        tmp = self.hosts_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(hosts)
        os.replace(tmp, self.hosts_path)
        conf = ["no-resolv", "no-hosts", f"addn-hosts={self.hosts_path}", "local=/cluster.local/",
                "domain-needed", "bogus-priv", "bind-interfaces",
                # Stay root:root: a change of gid (dnsmasq's default group is "dip") would clear the
                # parent-death signal that kills it along with the test.
                "user=root", "group=root", "log-facility=-"] + srv
        tmp = self.dns_conf_path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(conf) + "\n")
        os.replace(tmp, self.dns_conf_path)
        return srv

    def _start_dns_replica(self, i):
        ip = self.dns_ips[i]
        proc = Proc(f"dns{i}", self.bridge_ns,
                    [_tool("dnsmasq"), "--keep-in-foreground", f"--conf-file={self.dns_conf_path}",
                     f"--listen-address={ip}", f"--pid-file={self.workdir}/dns{i}.pid"], self.workdir)
        self.procs.append(proc)
        self.dns[i] = proc

    def _expected_dns(self):
        pods = self.published_pods()
        return {
            (SERVICE_FQDN, QTYPE_A): sorted(p.ip for p in pods),
            (SRV_NAME, QTYPE_SRV): sorted(p.fqdn for p in pods),
            **{(pod_fqdn(o), QTYPE_A): ([p.ip] if p.published else []) for o, p in self.pods.items()},
            **{(n.name, QTYPE_A): [n.ip] for n in self.nodes},
        }

    def _serves_expected(self, i):
        proc = self.dns[i]
        if proc is None or not proc.alive():
            raise AssertionError(f"dnsmasq replica {i} exited:\n{proc.log_text(tail=3000) if proc else ''}")
        for (name, qtype), want in self._expected_dns().items():
            try:
                _, answers = dns_query(self.bridge_ns, self.dns_ips[i], name, qtype, timeout=0.3)
            except OSError:
                return False
            got = sorted(a[3] if qtype == QTYPE_SRV else a for a in answers)
            if got != want:
                return False
        return True

    def publish_dns(self):
        """Make both DNS replicas serve the current pod set; returns once both answer it."""
        srv = self._write_dns_files()
        restart = srv != self._dns_srv_running
        for i in (1, 0):  # secondary first, see the module docstring
            if self.dns[i] is None:
                self._start_dns_replica(i)
            elif restart:
                self.dns[i].stop()
                self._start_dns_replica(i)
            else:
                self.dns[i].signal(signal.SIGHUP)  # re-reads the hosts file (A and PTR records)
            wait_until(lambda: self._serves_expected(i), 10, f"DNS replica {self.dns_ips[i]} to serve "
                       f"{[p.name for p in self.published_pods()]}\n{self.dns[i].log_text(tail=2000)}")
        self._dns_srv_running = srv

    # ---- memcached pods ---------------------------------------------------------------------------------

    def new_pod_ip(self):
        ip = f"{self.net}.{self.next_pod_host}"
        self.next_pod_host += 1
        return ip

    def memcached_stats(self, pod):
        with contextlib.closing(connect(pod.node.ns, pod.ip, MEMCACHED_PORT)) as s:
            s.sendall(b"stats\r\n")
            return parse_stats(read_reply(s, b"END\r\n"))

    def start_pod(self, ordinal, node, ip=None, publish=True):
        """A memcached pod with its own address on `node`. Not published in DNS until `publish`."""
        ip = ip or self.new_pod_ip()
        self._ip("-n", node.ns, "addr", "add", f"{ip}/24", "dev", "eth0")
        proc = Proc(f"memcached-{ordinal}-{ip}", node.ns,
                    [_tool("memcached"), "-u", "root", "-l", ip, "-p", str(MEMCACHED_PORT), "-U", "0", "-m", "64",
                     "-c", "4096", "-t", "2"], self.workdir)
        self.procs.append(proc)

        def first_stats():
            # The first connection ever made to this memcached asks for `stats`: nobody else knows the
            # address yet, so its curr_connections is the baseline (memcached's own count plus this one).
            if not proc.alive():
                raise AssertionError(f"memcached pod {ordinal} exited:\n{proc.log_text()}")
            try:
                sock = connect(node.ns, ip, MEMCACHED_PORT, timeout=0.5)
            except OSError:
                return None
            with contextlib.closing(sock):
                sock.sendall(b"stats\r\n")
                return parse_stats(read_reply(sock, b"END\r\n"))
        stats = wait_until(first_stats, 10, f"memcached pod {ordinal} on {ip}")
        pod = Pod(ordinal, node, ip, proc, baseline=int(stats["curr_connections"]))
        self.pods[ordinal] = pod
        if publish:
            pod.published = True
            self.publish_dns()
        return pod

    def stop_pod(self, ordinal):
        """The pod goes away as in Kubernetes: out of DNS first, then the process, then its address."""
        pod = self.pods[ordinal]
        pod.published = False
        self.publish_dns()
        pod.proc.stop()
        self._ip("-n", pod.node.ns, "addr", "del", f"{pod.ip}/24", "dev", "eth0", check=False)
        del self.pods[ordinal]
        return pod

    # ---- mcrelay, one per node (the DaemonSet) ------------------------------------------------------------

    def start_proxy(self, node, config_path, extra_args=()):
        # With the rest of the suite beside it on 2 cores, a proxy has been seen to need more than the default
        # 1 s to connect to a pod's memcached while 300 clients start at once (never when run alone, and not with
        # the previous release's binary in 3 runs alone either); the lab's timing figures do not depend on it.
        # The same for a reply: the 300-client step has seen "Reply timeout" (the default -t 1000 ms) on the node
        # that also hosts a memcached pod when builds share the 2 cores; the clients wait 10 s, so 4 s is safe.
        slow = ["--connect-timeout", "5000", "-t", "4000"]
        proc = Proc(f"mcrelay-{node.name}", node.ns,
                    [MCRELAY_BIN, "-p", str(PROXY_PORT), "--listen-addresses", node.ip, "--config",
                     f"file:{config_path}", "--num-proxies", "2", "--enable-admin-keys"] + slow + list(extra_args), self.workdir)
        self.procs.append(proc)
        node.proxy = proc

        def listening():
            if not proc.alive():
                raise AssertionError(f"mcrelay on {node.name} exited with code {proc.proc.returncode} before "
                                     f"listening:\n{proc.log_text(tail=4000)}")
            return re.search(r"listening on \S+:\d+", proc.log_text()) is not None
        wait_until(listening, 15, f"mcrelay on {node.name} to log 'listening on'")
        return proc

    def run_in(self, node, argv, env=None, timeout=30, input=None):
        """Run a command in `node`'s namespace (its resolv.conf and hosts bind-mounted by `ip netns exec`)."""
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.run([_tool("ip"), "netns", "exec", node.ns] + list(argv), env=full_env,
                              input=input, capture_output=True, timeout=timeout)

    def popen_in(self, node, argv, env=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.Popen([_tool("ip"), "netns", "exec", node.ns] + list(argv), env=full_env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=_die_with_parent, close_fds=True)

    def proxy_diag(self, tail=2500):
        parts = []
        for node in self.nodes:
            proc = node.proxy
            if proc is None:
                continue
            state = "running" if proc.alive() else f"EXITED with code {proc.proc.returncode}"
            parts.append(f"--- mcrelay on {node.name} ({node.ip}), pid {proc.pid}, {state}; stderr:\n"
                         f"{proc.log_text(tail=tail)}")
        return "\n".join(parts)

    # ---- teardown -----------------------------------------------------------------------------------------

    def destroy(self):
        errors = []
        for proc in reversed(self.procs):
            try:
                proc.stop(grace=2.0)
            except Exception as e:  # keep going: everything else must still be removed
                errors.append(f"stopping {proc.name} (pid {proc.pid}): {e}")
        self.procs = []
        for name in reversed(self.namespaces):
            r = self._ip("netns", "del", name, check=False)
            if r.returncode != 0:
                errors.append(f"ip netns del {name}: {r.stdout.decode('utf-8', 'replace').strip()}")
        self.namespaces = []
        for etc in self.etc_dirs:
            shutil.rmtree(etc, ignore_errors=True)
        self.etc_dirs = []
        if self.created_etc_netns:
            with contextlib.suppress(OSError):
                os.rmdir("/etc/netns")  # only if empty: another run may be using it
        shutil.rmtree(self.workdir, ignore_errors=True)
        return errors


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)
