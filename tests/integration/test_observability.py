"""Observability: what `stats`, `stats servers`, the admin listener's /metrics, /healthz, /readyz, /config and
/route report, checked against traffic whose every count is known.

Real memcached servers, the real binary with `--admin-port 0 --admin-address 127.0.0.1` (the port is read
from the log line "admin listener on ADDR:PORT"), raw sockets for the memcache protocol (so noreply and
every reply are exactly what the test sent), and prometheus_client's own parser for /metrics: a scrape that
does not parse, or that has a sample without a declared type, a duplicate series or a histogram whose buckets
do not add up, fails whichever test made it.

The last two tests check the files around the binary against it: deploy/monitoring/ (every metric and label
the Grafana dashboard and the alert rules query must be in a real scrape, and the PodMonitor must select the
DaemonSet's pods on its admin port), and docs/operations.md (it names every `stats` line, `stats servers`
field, metric and label, and no metric or flag the binary does not have).
"""

import hashlib
import http.client
import json
import os
import re
import signal
import subprocess
import socket
import threading
import time
import unittest
import uuid

from prometheus_client.parser import text_string_to_metric_families

from mcrelay_testlib import (SHOW_ERRORS, SOURCE_DIR, STANDIN, Conn, Mcrelay, Memcached, parse_stats, parse_value_reply, show,
                             skip_without_proxy, wait_for)

ADMIN_RE = re.compile(r"admin listener on (\S+):(\d+)")
HTTP_TIMEOUT = 5.0

_servers = []  # two memcached servers shared by the tests that do not stop them


def setUpModule():
    if STANDIN:
        return
    for _ in range(2):
        _servers.append(Memcached().start())


def tearDownModule():
    for mc in _servers:
        mc.__exit__(None, None, None)


# --- helpers -----------------------------------------------------------------------------------------------

class Relay(Mcrelay):
    """Mcrelay that may also be expected to exit on its own (after a SIGTERM the test sent)."""

    def wait_exit(self, timeout):
        code = self.proc.wait(timeout=timeout)
        self._stopped = True
        self._cleanup_files()
        return code


class BlackHole:
    """A TCP port that accepts connections (the kernel completes the handshake: it never calls accept) and
    never answers. close() resets every connection made to it."""

    def __init__(self, port=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def close(self):
        self.sock.close()


class Scrape:
    """A parsed /metrics page: value(name, **labels) and series(name) -> {frozenset(labels): value}."""

    TYPES = {"counter": ("_total", "_created"), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count", "_created")}

    def __init__(self, text):
        self.text = text
        self.samples = {}      # (sample name, frozenset(labels.items())) -> value
        self.types = {}        # sample name -> family type
        try:
            families = list(text_string_to_metric_families(text))
        except Exception as e:  # the parser raises ValueError (and others) on text it cannot read
            raise AssertionError(f"/metrics does not parse: {e!r}\n{text}") from e
        problems = []
        names = [fam.name for fam in families]
        for name in sorted({n for n in names if names.count(n) > 1}):
            # e.g. a gauge foo and a counter foo_total: both are family "foo" to a parser, and scrapers drop one
            problems.append(f"metric family {name} appears {names.count(name)} times")
        for fam in families:
            if fam.type not in self.TYPES:
                problems.append(f"family {fam.name} has type {fam.type!r} (no or an unexpected # TYPE line)")
                continue
            if not fam.documentation:
                problems.append(f"family {fam.name} has no # HELP text")
            for s in fam.samples:
                if not any(s.name == fam.name + suffix for suffix in self.TYPES[fam.type]):
                    problems.append(f"sample {s.name} does not belong to its {fam.type} family {fam.name}")
                key = (s.name, frozenset(s.labels.items()))
                if key in self.samples:
                    problems.append(f"duplicate series {s.name}{dict(s.labels)}")
                self.samples[key] = s.value
                self.types[s.name] = fam.type
                if s.value != s.value or s.value < 0:
                    problems.append(f"{s.name}{dict(s.labels)} = {s.value}")
            if fam.type == "histogram":
                problems += self._check_histogram(fam)
        if problems:
            raise AssertionError("/metrics is not valid:\n  " + "\n  ".join(problems) + f"\n{text}")

    @staticmethod
    def _check_histogram(fam):
        problems = []
        groups = {}
        for s in fam.samples:
            labels = frozenset((k, v) for k, v in s.labels.items() if k != "le")
            g = groups.setdefault(labels, {"buckets": [], "count": None, "sum": None})
            if s.name.endswith("_bucket"):
                g["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                g["count"] = s.value
            elif s.name.endswith("_sum"):
                g["sum"] = s.value
        for labels, g in groups.items():
            where = f"{fam.name}{dict(labels)}"
            les = [le for le, _ in g["buckets"]]
            counts = [c for _, c in g["buckets"]]
            if les != sorted(les) or len(set(les)) != len(les):
                problems.append(f"{where}: bucket bounds out of order: {les}")
            if not les or les[-1] != float("inf"):
                problems.append(f"{where}: no +Inf bucket")
            if counts != sorted(counts):
                problems.append(f"{where}: buckets are not cumulative: {counts}")
            if g["count"] is None or g["sum"] is None:
                problems.append(f"{where}: _count or _sum missing")
            elif counts and counts[-1] != g["count"]:
                problems.append(f"{where}: +Inf bucket {counts[-1]} != _count {g['count']}")
        return problems

    def value(self, name, **labels):
        key = (name, frozenset(labels.items()))
        if key not in self.samples:
            have = sorted(self.series(name).items(), key=str)
            raise AssertionError(f"/metrics has no {name}{labels}; it has: {have}")
        return self.samples[key]

    def series(self, name):
        return {labels: v for (n, labels), v in self.samples.items() if n == name}

    def nonzero(self, name):
        """{tuple(sorted labels): value} of the series of `name` whose value is not 0."""
        return {tuple(sorted(labels)): v for labels, v in self.series(name).items() if v != 0}

    def histogram_count(self, name, **labels):
        return self.value(name + "_count", **labels)


def admin_port_of(relay):
    m = wait_for(lambda: ADMIN_RE.search(relay.stderr_text()), 10, "the log line 'admin listener on ADDR:PORT'")
    return int(m.group(2))


def http_request(port, method, path, headers=None, body=None):
    """(status, headers dict (lower-case names), body bytes) over a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def raw_http(port, data, timeout=HTTP_TIMEOUT):
    """Send raw bytes to the admin port; return everything received until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                return out
            out += chunk
        raise AssertionError(f"the admin listener did not close the connection within {timeout}s; "
                             f"received {show(out)}")


def scrape(port):
    status, headers, body = http_request(port, "GET", "/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}: {body!r}")
    ctype = headers.get("content-type", "")
    if not ctype.startswith("text/plain") or "version=0.0.4" not in ctype:
        raise AssertionError(f"/metrics Content-Type is {ctype!r}, not Prometheus text format 0.0.4")
    return Scrape(body.decode())


def parse_servers(reply):
    """mcrelay's `stats destinations` -> {server: {field: value}} (every value a str)."""
    out = {}
    for line in reply.decode().split("\r\n"):
        if not line.startswith("STAT "):
            continue
        _, name, *fields = line.split(" ")
        out[name] = dict(f.split("=", 1) for f in fields)
    return out


def md5_hex(text):
    return hashlib.md5(text.encode()).hexdigest()


class Tally:
    """A client connection that remembers how many bytes it sent and received (for bytes_read/written)."""

    def __init__(self, port, diag):
        self.conn = Conn(port, name="client", diag=diag)
        self.sent = 0
        self.received = 0

    def ask(self, data, terminator=b"\r\n"):
        reply = self.conn.exchange(data, terminator=terminator)
        self.sent += len(data)
        self.received += len(reply)
        return reply

    def close(self):
        self.conn.close()


@skip_without_proxy()
class ObservabilityTest(unittest.TestCase):
    def start(self, config, args=(), relay_class=Relay, cleanup=True):
        relay = relay_class(config, args=["--admin-port", "0", "--admin-address", "127.0.0.1", "--enable-admin-keys", *SHOW_ERRORS, *args]).start()
        if cleanup:
            self.addCleanup(relay.stop)
        return relay, admin_port_of(relay)

    def get(self, port, path):
        return http_request(port, "GET", path)


# --- 1. exact counts ---------------------------------------------------------------------------------------

class TestExactCounts(ObservabilityTest):
    def test_stats_stats_servers_and_metrics_count_a_known_mix(self):
        a, b = _servers
        dead = Memcached().start()   # a real port that then refuses connections
        dead.stop()
        self.addCleanup(dead.__exit__, None, None, None)
        config = {"pools": {"A": {"servers": [a.address]}, "B": {"servers": [b.address]},
                            "D": {"servers": [dead.address]}},
                  "routes": [{"aliases": ["/a/a/"], "route": "PoolRoute|A"},
                             {"aliases": ["/b/b/"], "route": "PoolRoute|B"},
                             {"aliases": ["/d/d/"], "route": "PoolRoute|D"}]}
        # Never TKO here: every request to D must be a connect attempt (connect_error), not a fast failure.
        relay, admin = self.start(config, ["--num-proxies", "2", "-R", "/a/a/", "--timeouts-until-tko", "1000"])
        c = Tally(relay.port, relay.diag)
        self.addCleanup(c.close)
        idle = Conn(relay.port, name="idle client", diag=relay.diag)   # counted in curr_connections only
        self.addCleanup(idle.close)

        u = uuid.uuid4().hex[:10]
        ak = [f"obs:{u}:a{i}" for i in range(6)]            # default route (-R /a/a/): server A
        bk = [f"/b/b/obs:{u}:b{i}" for i in range(4)]       # server B
        miss_a = [f"obs:{u}:missing{i}" for i in range(3)]
        miss_b = [f"/b/b/obs:{u}:missing{i}" for i in range(2)]
        dk = [f"/d/d/obs:{u}:d{i}" for i in range(4)]        # server D: stopped

        def expect(data, want, terminator=b"\r\n"):
            got = c.ask(data, terminator)
            self.assertEqual(got, want, f"reply to {show(data)}")

        # A noreply set first: it is counted (cmd, replies, destination) though the client sees nothing.
        c.conn.send(b"set %s 0 0 2 noreply\r\nnr\r\n" % ak[0].encode())
        c.sent += len(b"set %s 0 0 2 noreply\r\nnr\r\n" % ak[0].encode())
        # K = 10 sets (6 to A, 4 to B); the first overwrites the noreply one.
        for k in ak + bk:
            expect(b"set %s 0 0 1\r\nv\r\n" % k.encode(), b"STORED\r\n")

        def hit(k):
            return b"VALUE %s 0 1\r\nv\r\nEND\r\n" % k.encode()
        # Hits: single gets (4 on A, 2 on B).
        for k in ak[:4] + bk[:2]:
            expect(b"get %s\r\n" % k.encode(), hit(k), b"END\r\n")
        # Misses: single gets (1 on A, 1 on B).
        for k in (miss_a[0], miss_b[0]):
            expect(b"get %s\r\n" % k.encode(), b"END\r\n", b"END\r\n")
        # One `gets` hit (its cas is whatever memcached gives).
        got = c.ask(b"gets %s\r\n" % ak[0].encode(), b"END\r\n")
        self.assertEqual([(i[0], i[2]) for i in parse_value_reply(got)], [(ak[0].encode(), b"v")], show(got))
        # A multi-get: 4 hits (2 on A, 2 on B) and 2 misses (1 + 1).
        keys = [ak[4], ak[5], bk[2], bk[3], miss_a[1], miss_b[1]]
        got = c.ask(b"get %s\r\n" % " ".join(keys).encode(), b"END\r\n")
        self.assertEqual([i[0] for i in parse_value_reply(got)], [k.encode() for k in keys[:4]], show(got))
        # Deletes: 2 hits (A, B), 1 miss (A).
        expect(b"delete %s\r\n" % ak[0].encode(), b"DELETED\r\n")
        expect(b"delete %s\r\n" % bk[0].encode(), b"DELETED\r\n")
        expect(b"delete %s\r\n" % miss_a[2].encode(), b"NOT_FOUND\r\n")
        # Errors: D refuses connections.
        refused = b"SERVER_ERROR Connection error: Connection refused\r\n"
        expect(b"get %s\r\n" % dk[0].encode(), refused)
        expect(b"delete %s\r\n" % dk[1].encode(), refused)
        expect(b"set %s 0 0 1\r\nv\r\n" % dk[2].encode(), refused)
        # A multi-get with one key on D: the hit is returned, D's key reads as a miss (counted as an error).
        got = c.ask(b"get %s %s\r\n" % (ak[1].encode(), dk[3].encode()), b"END\r\n")
        self.assertEqual(got, hit(ak[1]))
        # Malformed lines, answered by the proxy itself.
        # (A get with a 251-byte key is a get answered "CLIENT_ERROR bad key"; a get without a key closes the
        # connection, as in mcrouter: neither is used here.)
        malformed = [(b"bogus\r\n", b"ERROR\r\n"),
                     (b"delete " + b"k" * 251 + b"\r\n", b"CLIENT_ERROR bad key\r\n"),
                     (b"set k 0 0 abc\r\n", b"CLIENT_ERROR bad command line format\r\n"),
                     (b"incr k notnum\r\n", b"CLIENT_ERROR invalid numeric delta argument\r\n"),
                     (b"verbosity\r\n", b"ERROR\r\n")]
        for data, want in malformed:
            expect(data, want)

        # Client requests with a reply (one latency sample each): 10 sets + 6 + 2 single gets + 1 gets +
        # 1 multi-get + 3 deletes + 3 to D + 1 multi-get + 5 malformed = 32 (the noreply set has none).
        replied_requests = 10 + 6 + 2 + 1 + 1 + 3 + 3 + 1 + 5
        stats_text = c.ask(b"stats\r\n", b"END\r\n")
        stats = parse_stats(stats_text)
        want = {"threads": "2", "curr_connections": "2", "total_connections": "2", "rejected_connections": "0",
                # retrieval keys: 6 + 2 + 1 (gets) + 6 + 1 (to D) + 2 = 18
                "retrieval_keys": "18", "cmd_get_count": "17", "cmd_gets_count": "1",
                "get_hits": str(4 + 2 + 1 + 4 + 1), "get_misses": str(2 + 2), "get_errors": str(1 + 1),
                "storage_commands": "12", "cmd_set_count": "12", "cmd_delete_count": "4",
                "cmd_add_count": "0", "cmd_incr_count": "0", "cmd_touch_count": "0", "cmd_mg_count": "0",
                "client_errors": "5",
                "bytes_read": str(c.sent), "bytes_written": str(c.received - len(stats_text)),
                "upstream_requests": str(19 + 11 + 4), "upstream_errors": "0", "upstream_timeouts": "0",
                "upstream_connects": str(1 + 1 + 4), "upstream_connect_errors": "4",
                "destinations_up": "3", "destinations_tko": "0",
                "config_generation": "1", "config_reloads": "0", "config_reload_failures": "0"}
        got = {k: stats.get(k) for k in want}
        self.assertEqual(got, want, f"stats:\n{stats_text.decode()}")
        for name in ("pid", "uptime", "time", "version", "request_avg_latency_us", "request_p99_latency_us",
                     "config_age", "config_md5_digest"):
            self.assertIn(name, stats)
        self.assertEqual(stats["pid"], str(relay.proc.pid))
        self.assertEqual(stats["cmd_stats_count"], "1", "stats counts itself, as mcrouter's does")

        servers_text = c.ask(b"stats destinations\r\n", b"END\r\n")
        servers = parse_servers(servers_text)
        fields = ("state", "requests", "pending", "connections", "errors", "connect_error")
        got = {name: {f: s.get(f) for f in fields} for name, s in servers.items()}
        self.assertEqual(got, {
            a.address: {"state": "up", "requests": "19", "pending": "0", "connections": "1", "errors": "0",
                        "connect_error": None},
            b.address: {"state": "up", "requests": "11", "pending": "0", "connections": "1", "errors": "0",
                        "connect_error": None},
            dead.address: {"state": "failing", "requests": "4", "pending": "0", "connections": "0", "errors": "4",
                           "connect_error": "4"},
        }, f"stats servers:\n{servers_text.decode()}")
        for name, s in servers.items():
            self.assertRegex(s.get("avg_latency_us", ""), r"^\d+$", name)
            self.assertRegex(s.get("p99_latency_us", ""), r"^\d+$", name)
        self.assertEqual(servers[dead.address]["avg_latency_us"], "0", "transport errors have no latency")

        # /metrics: bytes_written is counted just after the write that carried the last reply, so wait for it.
        def settled():
            m = scrape(admin)
            return m if m.value("mcrelay_bytes_written_total") == c.received else None
        m = wait_for(settled, 5, f"mcrelay_bytes_written_total to reach {c.received}")
        requests = m.nonzero("mcrelay_requests_total")
        self.assertEqual(requests, {(("op", "get"),): 17, (("op", "gets"),): 1, (("op", "set"),): 12,
                                    (("op", "delete"),): 4, (("op", "stats"),): 2})
        self.assertEqual(len(m.series("mcrelay_requests_total")), 28, "one series per operation, zeros included")
        self.assertEqual(m.nonzero("mcrelay_replies_total"), {
            (("op", "get"), ("result", "found")): 4 + 2 + 4 + 1,
            (("op", "get"), ("result", "notfound")): 4,
            (("op", "get"), ("result", "connect_error")): 2,
            (("op", "gets"), ("result", "found")): 1,
            (("op", "set"), ("result", "stored")): 11,
            (("op", "set"), ("result", "connect_error")): 1,
            (("op", "delete"), ("result", "deleted")): 2,
            (("op", "delete"), ("result", "notfound")): 1,
            (("op", "delete"), ("result", "connect_error")): 1})
        self.assertEqual(m.value("mcrelay_client_errors_total"), 5)
        self.assertEqual(m.value("mcrelay_bytes_read_total"), c.sent)
        self.assertEqual(m.value("mcrelay_client_connections"), 2)
        self.assertEqual(m.value("mcrelay_client_connections_accepted_total"), 2)
        self.assertEqual(m.value("mcrelay_client_connections_rejected_total"), 0)
        self.assertEqual(m.value("mcrelay_workers"), 2)
        self.assertEqual(m.value("mcrelay_draining"), 0)
        # Every request with a reply, the two stats commands included, and the noreply set (its reply is the
        # server's answer, which the proxy waits for even though the client is sent nothing).
        self.assertEqual(m.histogram_count("mcrelay_request_duration_seconds"), replied_requests + 2 + 1)

        A, B, D = a.address, b.address, dead.address
        self.assertEqual(m.nonzero("mcrelay_destination_requests_total"),
                         {(("server", A),): 19, (("server", B),): 11, (("server", D),): 4})
        self.assertEqual(m.nonzero("mcrelay_destination_replies_total"), {
            (("result", "stored"), ("server", A)): 7,       # the noreply set and 6 sets
            (("result", "found"), ("server", A)): 4 + 1 + 2 + 1,
            (("result", "notfound"), ("server", A)): 2 + 1,
            (("result", "deleted"), ("server", A)): 1,
            (("result", "stored"), ("server", B)): 4,
            (("result", "found"), ("server", B)): 2 + 2,
            (("result", "notfound"), ("server", B)): 2,
            (("result", "deleted"), ("server", B)): 1,
            (("result", "connect_error"), ("server", D)): 4})
        for server, n in ((A, 19), (B, 11), (D, 0)):   # transport errors are not timed
            self.assertEqual(m.histogram_count("mcrelay_destination_duration_seconds", server=server), n, server)
            self.assertEqual(m.value("mcrelay_destination_up", server=server), 1, server)
            self.assertEqual(m.value("mcrelay_destination_tko_total", server=server), 0, server)
            self.assertEqual(m.value("mcrelay_destination_pending", server=server), 0, server)
        # The dead server failed 4 connects in a row (and is not marked down: see --timeouts-until-tko above).
        for server, n in ((A, 0), (B, 0), (D, 4)):
            self.assertEqual(m.value("mcrelay_destination_consecutive_failures", server=server), n, server)
        self.assertEqual(m.value("mcrelay_destination_connections", server=A), 1)
        self.assertEqual(m.value("mcrelay_destination_connections", server=D), 0)
        self.assertEqual(m.value("mcrelay_config_generation"), 1)
        self.assertEqual(m.value("mcrelay_config_reloads_total", outcome="success"), 0)
        self.assertEqual(m.value("mcrelay_config_reloads_total", outcome="failure"), 0)
        with open(relay.config_path) as f:
            config_text = f.read()
        self.assertEqual(m.value("mcrelay_config_info", md5=md5_hex(config_text), source=relay.config_path), 1)
        version = stats["version"].split(" ", 1)[1]
        self.assertEqual(m.value("mcrelay_build_info", version=version), 1)

        # What was already counted does not move when nothing is sent.
        again = scrape(admin)
        for name in ("mcrelay_requests_total", "mcrelay_replies_total", "mcrelay_destination_requests_total",
                     "mcrelay_destination_replies_total"):
            self.assertEqual(again.series(name), m.series(name), name)


# --- 2. the admin listener ---------------------------------------------------------------------------------

class TestAdminEndpoints(ObservabilityTest):
    def setUp(self):
        self.relay, self.admin = self.start({"pools": {"A": {"servers": [mc.address for mc in _servers]}},
                                             "route": "PoolRoute|A"}, ["--num-proxies", "2"])

    def test_readyz_and_healthz_when_serving(self):
        self.assertEqual(self.get(self.admin, "/readyz")[::2], (200, b"ready\n"))
        status, headers, body = self.get(self.admin, "/healthz")
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("text/plain"), headers)
        status, _, body = self.get(self.admin, "/")
        self.assertEqual(status, 200)
        for path in (b"/healthz", b"/readyz", b"/metrics", b"/config", b"/route"):
            self.assertIn(path, body)

    def test_healthz_answers_while_clients_hammer_the_proxy(self):
        stop = threading.Event()
        done = []
        failures = []

        def hammer(i):
            try:
                with Conn(self.relay.port, name=f"load {i}") as conn:
                    n = 0
                    key = f"obs:load:{i}".encode()
                    batch = b"set %s 0 0 3\r\nabc\r\n" % key + b"get %s\r\n" % key * 20
                    want = b"STORED\r\n" + b"VALUE %s 0 3\r\nabc\r\nEND\r\n" % key * 20
                    deadline = time.monotonic() + 20  # bounded even if the main thread never sets `stop`
                    while not stop.is_set() and time.monotonic() < deadline:
                        got = conn.read_until(lambda buf: len(want) if len(buf) >= len(want) else None,
                                              send=batch)
                        if got != want:
                            failures.append(f"load {i}: {show(got)}")
                            return
                        n += 21
                    done.append(n)
            except Exception as e:  # reported below
                failures.append(f"load {i}: {e!r}")

        threads = [threading.Thread(target=hammer, args=(i,), daemon=True) for i in range(4)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: scrape(self.admin).value("mcrelay_client_connections") >= 4, 5, "the load clients")
            before = sum(scrape(self.admin).series("mcrelay_requests_total").values())
            answers = []
            for _ in range(20):
                t0 = time.monotonic()
                status, _, body = self.get(self.admin, "/healthz")
                answers.append((status, body, round(time.monotonic() - t0, 3)))
                m = scrape(self.admin)     # parses under load too
                time.sleep(0.05)
            after = sum(m.series("mcrelay_requests_total").values())
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=10)
        self.assertEqual(failures, [])
        self.assertGreater(after - before, 1000, "the proxy was not under load while /healthz was asked")
        self.assertEqual([a[0] for a in answers], [200] * 20, f"/healthz under load: {answers}")
        self.assertLess(max(a[2] for a in answers), 1.0, f"/healthz under load: {answers}")
        self.relay.assert_alive()

    def test_bad_requests_get_4xx_and_the_listener_keeps_working(self):
        cases = [("GET", "/route", 400), ("GET", "/route?op=get", 400), ("GET", "/route?op=get&key=", 400),
                 ("GET", "/route?op=fetch&key=k", 400), ("GET", "/route?key=%zz", 400),
                 ("GET", "/route?op=get&key=" + "k" * 251, 400),
                 ("POST", "/metrics", 405), ("PUT", "/healthz", 405), ("DELETE", "/config", 405),
                 ("GET", "/nope", 404), ("GET", "/metrics/extra", 404), ("GET", "/healthzz", 404)]
        for method, path, want in cases:
            with self.subTest(method=method, path=path[:40]):
                status, headers, body = http_request(self.admin, method, path)
                self.assertEqual(status, want, f"{method} {path[:40]}: {body!r}")
                if path.startswith("/route") and method == "GET":
                    self.assertEqual(headers["content-type"], "application/json")
                    self.assertIn("error", json.loads(body), body)
        tls_hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n"
        for garbage in (b"GARBAGE\r\n\r\n", tls_hello,
                        b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", b"GET /metrics HTTP/9.9.9\r\n\r\n"):
            with self.subTest(garbage=garbage[:20]):
                reply = raw_http(self.admin, garbage)
                self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), show(reply))
        # A client that connects and says nothing, one that sends half a request and leaves.
        silent = socket.create_connection(("127.0.0.1", self.admin))
        self.addCleanup(silent.close)
        with socket.create_connection(("127.0.0.1", self.admin)) as half:
            half.sendall(b"GET /metr")
        for path in ("/healthz", "/readyz", "/metrics"):
            self.assertEqual(self.get(self.admin, path)[0], 200, f"{path} after the bad requests")
        scrape(self.admin)
        self.relay.assert_alive()

    def test_post_with_a_body_is_405(self):
        """A POST is refused for its method, whatever it carries (curl -d, a form): 405, not 'bad request'."""
        status, headers, body = http_request(self.admin, "POST", "/metrics", body=b"x=1",
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 405, f"POST /metrics with a 3-byte body: {status} {body!r}")
        self.assertEqual(self.get(self.admin, "/healthz")[0], 200)

    def test_head_has_no_body(self):
        """HEAD: the GET's headers without its content (RFC 9110 9.3.2), so a keep-alive connection stays in
        step: the next response on it is read correctly."""
        conn = http.client.HTTPConnection("127.0.0.1", self.admin, timeout=HTTP_TIMEOUT)
        self.addCleanup(conn.close)
        conn.request("HEAD", "/healthz")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.read(), b"")
        self.assertEqual(resp.getheader("Content-Length"), "3")
        conn.request("GET", "/readyz")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (200, b"ready\n"))
        reply = raw_http(self.admin, b"HEAD /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertTrue(reply.endswith(b"\r\n\r\n"), f"HEAD /readyz sent content after the headers: {show(reply)}")

    def test_config_returns_the_running_config_and_its_md5(self):
        status, headers, body = self.get(self.admin, "/config")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "application/json")
        doc = json.loads(body)
        with open(self.relay.config_path) as f:
            text = f.read()
        self.assertEqual(doc, {"source": self.relay.config_path, "md5": md5_hex(text), "generation": 1,
                               "config": json.loads(text)})
        with Conn(self.relay.port, diag=self.relay.diag) as c:
            self.assertEqual(parse_stats(c.exchange(b"stats\r\n", b"END\r\n"))["config_md5_digest"], md5_hex(text))

    def test_route_matches_the_admin_key(self):
        servers = {mc.address for mc in _servers}
        seen = set()
        with Conn(self.relay.port, diag=self.relay.diag) as c:
            for i in range(40):
                for op in ("get", "set", "delete", "incr", "touch", "gets", "mg"):
                    key = f"route:{i}:{op}" if i % 2 else f"user/{i}|#|x"
                    reply = c.exchange(b"get __mcrouter__.route(%s,%s)\r\n" % (op.encode(), key.encode()),
                                       b"END\r\n")
                    items = parse_value_reply(reply)
                    self.assertEqual(len(items), 1, show(reply))
                    want = items[0][2].decode().split("\r\n")
                    path = f"/route?op={op}&key=" + "".join(f"%{b:02X}" if chr(b) in "/|#%" else chr(b)
                                                             for b in key.encode())
                    status, _, body = self.get(self.admin, path)
                    self.assertEqual(status, 200, body)
                    doc = json.loads(body)
                    self.assertEqual(doc, {"op": op, "key": key, "destinations": want}, path)
                    self.assertTrue(set(want) <= servers, want)
                    seen.update(want)
        self.assertEqual(seen, servers, "the keys should have reached both servers")
        # op defaults to get
        status, _, body = self.get(self.admin, "/route?key=route:1:get")
        self.assertEqual(json.loads(body)["op"], "get")


class TestNotReadyYet(ObservabilityTest):
    def test_readyz_fails_until_a_discovered_pool_has_members(self):
        # The config names a headless Service that does not resolve (yet): the proxy runs and its event loops
        # answer, but it has nowhere to send that pool's keys, so it must not be taken into a Service.
        config = {"pools": {"A": {"discover": {"service": "mcrelay-test-nonexistent.invalid", "port": 11211,
                                               "refresh_ms": 60000}}},
                  "route": "PoolRoute|A"}
        _, admin = self.start(config, ["--num-proxies", "1"])
        status, _, body = self.get(admin, "/readyz")
        self.assertEqual(status, 503, body)
        self.assertIn(b"waiting for members of discovered pool A (mcrelay-test-nonexistent.invalid)", body)
        self.assertEqual(self.get(admin, "/healthz")[0], 200)


# --- 3. draining -------------------------------------------------------------------------------------------

class TestDrain(ObservabilityTest):
    def test_readyz_fails_while_draining_and_in_flight_requests_finish(self):
        hole = BlackHole()
        self.addCleanup(hole.close)
        config = {"pools": {"A": {"servers": [_servers[0].address]}, "H": {"servers": [hole.address]}},
                  "routes": [{"aliases": ["/a/a/"], "route": "PoolRoute|A"},
                             {"aliases": ["/h/h/"], "route": "PoolRoute|H"}]}
        relay, admin = self.start(config, ["-R", "/a/a/", "-t", "60000", "--drain-timeout-ms", "20000",
                                           "--num-proxies", "2"], cleanup=False)
        self.addCleanup(lambda: relay.proc.poll() is None and relay.stop())
        self.assertEqual(self.get(admin, "/readyz")[0], 200)
        c = Conn(relay.port, name="in-flight client", diag=relay.diag)
        self.addCleanup(c.close)
        c.send(b"get /h/h/never\r\n")
        wait_for(lambda: scrape(admin).value("mcrelay_destination_pending", server=hole.address) == 1, 5,
                 "the request to the black hole to be in flight")

        relay.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        wait_for(lambda: self.get(admin, "/readyz")[0] == 503, 2, "/readyz to fail after SIGTERM")
        status, _, body = self.get(admin, "/readyz")
        self.assertEqual((status, body), (503, b"draining\n"))
        m = scrape(admin)
        self.assertEqual(m.value("mcrelay_draining"), 1)
        self.assertEqual(m.value("mcrelay_destination_pending", server=hole.address), 1)
        with self.subTest("/healthz while draining"):
            # Liveness: the proxy is alive and doing what it was told. A worker that has already closed all its
            # connections is finished, not hung.
            status, _, body = self.get(admin, "/healthz")
            self.assertEqual(status, 200, f"/healthz while draining: {body!r}")
        self.assertIn("received signal 15; draining (up to 20000 ms)", relay.stderr_text())

        def refused():
            try:
                socket.create_connection(("127.0.0.1", relay.port), timeout=1).close()
                return False
            except ConnectionRefusedError:
                return True
        wait_for(refused, 5, "the proxy port to refuse new connections while draining")
        self.assertIsNone(relay.proc.poll(), "mcrelay exited with a request still in flight")
        self.assertLess(time.monotonic() - t0, 10)

        hole.close()   # resets the upstream connection: the in-flight request fails and the drain completes
        reply = c.read_until(b"\r\n", timeout=10)
        self.assertTrue(reply.startswith(b"SERVER_ERROR "), show(reply))
        code = relay.wait_exit(timeout=10)
        log = relay.stderr_text()
        self.assertEqual(code, 0, log)
        self.assertIn("stopped", log)
        self.assertNotIn("drain timeout", log)


# --- 4. config reloads -------------------------------------------------------------------------------------

class TestReloadCounters(ObservabilityTest):
    def write_config(self, relay, text):
        tmp = relay.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, relay.config_path)

    def test_reload_outcomes_are_counted(self):
        cfg = {"pools": {"A": {"servers": [_servers[0].address]}}, "route": "PoolRoute|A"}
        relay, admin = self.start(cfg)
        with open(relay.config_path) as f:
            first_md5 = md5_hex(f.read())

        def counts():
            m = scrape(admin)
            return (m.value("mcrelay_config_reloads_total", outcome="success"),
                    m.value("mcrelay_config_reloads_total", outcome="failure"), m.value("mcrelay_config_generation"))
        self.assertEqual(counts(), (0, 0, 1))

        self.write_config(relay, '{"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": "PoolRoute|B"}')
        wait_for(lambda: counts() != (0, 0, 1), 10, "the bad config to be noticed")
        self.assertEqual(counts(), (0, 1, 1), relay.stderr_text())
        self.assertEqual(json.loads(self.get(admin, "/config")[2])["md5"], first_md5, "the running config is kept")
        self.assertEqual(len(re.findall(r"config reload \([^)]*\) rejected: .*unknown pool \"B\"",
                                        relay.stderr_text())), 1, relay.stderr_text())

        # A second, different bad config: one more failure. Then SIGHUP with the same bad file: already reported.
        self.write_config(relay, "{ not json")
        wait_for(lambda: counts()[1] == 2, 10, "the second bad config to be counted")
        relay.proc.send_signal(signal.SIGHUP)

        good = dict(cfg, route={"type": "PoolRoute", "pool": "A", "hash": {"salt": "x"}})
        text = json.dumps(good)
        self.write_config(relay, text)
        wait_for(lambda: counts()[0] == 1, 10, "the good config to be loaded")
        self.assertEqual(counts(), (1, 2, 2), relay.stderr_text())
        doc = json.loads(self.get(admin, "/config")[2])
        self.assertEqual((doc["md5"], doc["generation"], doc["config"]), (md5_hex(text), 2, good))
        m = scrape(admin)
        self.assertEqual(m.value("mcrelay_config_info", md5=md5_hex(text), source=relay.config_path), 1)
        self.assertLessEqual(m.value("mcrelay_config_age_seconds"), 2)
        with Conn(relay.port, diag=relay.diag) as c:
            stats = parse_stats(c.exchange(b"stats\r\n", b"END\r\n"))
        self.assertEqual({k: stats[k] for k in ("config_reloads", "config_reload_failures", "config_generation",
                                                "config_md5_digest")},
                         {"config_reloads": "1", "config_reload_failures": "2", "config_generation": "2",
                          "config_md5_digest": md5_hex(text)})
        log = relay.stderr_text()
        self.assertEqual(len(re.findall(rf"config reloaded \([^)]*\): {re.escape(relay.config_path)} generation 2 "
                                        rf"md5 {md5_hex(text)}", log)), 1, log)


# --- 5. destination state (TKO) ----------------------------------------------------------------------------

class TestDestinationState(ObservabilityTest):
    def test_tko_and_recovery_are_visible_and_logged_once_per_change(self):
        victim = Memcached().start()
        self.addCleanup(victim.__exit__, None, None, None)
        V = victim.address
        config = {"pools": {"A": {"servers": [_servers[0].address]}, "V": {"servers": [V]}},
                  "routes": [{"aliases": ["/a/a/"], "route": "PoolRoute|A"},
                             {"aliases": ["/v/v/"], "route": "PoolRoute|V"}]}
        relay, admin = self.start(config, ["-R", "/a/a/", "--num-proxies", "2", "-t", "100",
                                           "--timeouts-until-tko", "2", "--connect-timeout", "200",
                                           "--probe-timeout-initial", "100", "--probe-timeout-max", "200"])
        # Several clients, so both workers (and their own upstream connections) see the server fail.
        clients = [Conn(relay.port, name=f"client {i}", diag=relay.diag) for i in range(4)]
        for c in clients:
            self.addCleanup(c.close)

        def down_lines():
            return re.findall(rf"server {re.escape(V)} marked down \(TKO\): ([a-z ]+);", relay.stderr_text())

        def up_lines():
            return re.findall(rf"server {re.escape(V)} (is back up)", relay.stderr_text())

        def state():
            with Conn(relay.port, name="stats") as s:
                return parse_servers(s.exchange(b"stats destinations\r\n", b"END\r\n"))[V]["state"]

        def fail_until_tko(reason):
            replies = []
            for _ in range(40):
                for c in clients:
                    replies.append(c.exchange(b"get /v/v/k\r\n", b"\r\n"))
                if replies[-1] == b"SERVER_ERROR Server unavailable. Reason: %s\r\n" % reason.encode():
                    return replies
            self.fail(f"{V} was not marked down ({reason}); replies: {replies[-8:]}\n{relay.diag()}")

        def settle_up(cycle):
            wait_for(lambda: scrape(admin).value("mcrelay_destination_up", server=V) == 1, 10,
                     f"{V} to be marked up again (cycle {cycle})")
            for c in clients:
                self.assertEqual(c.exchange(b"set /v/v/k 0 0 1\r\nv\r\n", b"\r\n"), b"STORED\r\n")
            self.assertNotEqual(state(), "TKO")

        for c in clients:
            self.assertEqual(c.exchange(b"set /v/v/k 0 0 1\r\nv\r\n", b"\r\n"), b"STORED\r\n")
        self.assertEqual(state(), "up")

        # Cycle 1: killed -> connection refused.
        victim.stop()
        fail_until_tko("connect error")
        m = scrape(admin)
        self.assertEqual((m.value("mcrelay_destination_up", server=V),
                          m.value("mcrelay_destination_tko_total", server=V)),
                         (0, 1))
        self.assertEqual(m.value("mcrelay_destination_up", server=_servers[0].address), 1)
        self.assertEqual(state(), "TKO")
        with Conn(relay.port, name="stats") as s:
            stats = parse_stats(s.exchange(b"stats\r\n", b"END\r\n"))
        self.assertEqual((stats["destinations_tko"], stats["destinations_up"]), ("1", "1"))
        tko_before = m.value("mcrelay_destination_replies_total", server=V, result="tko")
        for c in clients:   # while down: failed fast, counted as tko, no new log line
            self.assertEqual(c.exchange(b"get /v/v/k\r\n", b"\r\n"),
                             b"SERVER_ERROR Server unavailable. Reason: connect error\r\n")
        m = scrape(admin)
        self.assertEqual(m.value("mcrelay_destination_replies_total", server=V, result="tko"), tko_before + 4)
        self.assertEqual(down_lines(), ["connect error"], relay.stderr_text())
        self.assertEqual(up_lines(), [])

        victim.start()   # same port, answers probes again
        settle_up(1)
        self.assertEqual(up_lines(), ["is back up"], relay.stderr_text())

        # Cycle 2: the port accepts but never answers -> reply timeouts (-t 100).
        victim.stop()
        hole = BlackHole(victim.port)
        self.addCleanup(hole.close)
        fail_until_tko("reply timeout")
        m = scrape(admin)
        self.assertEqual((m.value("mcrelay_destination_up", server=V),
                          m.value("mcrelay_destination_tko_total", server=V)),
                         (0, 2))
        self.assertEqual(state(), "TKO")
        self.assertGreaterEqual(m.value("mcrelay_destination_replies_total", server=V, result="timeout"), 2)
        time.sleep(0.6)   # a few failed probes (100-200 ms apart): still down, nothing more logged
        self.assertEqual(scrape(admin).value("mcrelay_destination_up", server=V), 0)
        hole.close()
        victim.start()
        settle_up(2)

        self.assertEqual(down_lines(), ["connect error", "reply timeout"], relay.stderr_text())
        self.assertEqual(up_lines(), ["is back up", "is back up"], relay.stderr_text())
        self.assertEqual(scrape(admin).value("mcrelay_destination_tko_total", server=V), 2)


# --- 6. deploy/monitoring against the binary ---------------------------------------------------------------

MONITORING_DIR = os.path.join(SOURCE_DIR, "deploy", "monitoring")
DAEMONSET = os.path.join(SOURCE_DIR, "deploy", "base", "mcrelay-daemonset.yaml")
PROMQL_WORDS = {"sum", "rate", "irate", "increase", "histogram_quantile", "by", "without", "max", "min", "avg",
                "count", "clamp_min", "clamp_max", "le", "on", "ignoring", "group_left", "group_right", "bool",
                "and", "or", "unless", "offset", "topk", "bottomk", "abs", "time", "vector", "scalar", "changes",
                "resets", "delta", "idelta", "deriv", "label_replace", "absent", "sort", "sort_desc", "max_over_time",
                "min_over_time", "avg_over_time", "sum_over_time", "count_over_time", "last_over_time"}


class TestMonitoringManifests(ObservabilityTest):
    def test_dashboard_alerts_and_podmonitor_match_the_binary(self):
        try:
            import yaml
        except ImportError:
            self.fail("python3-yaml is missing; install it with: bash scripts/install-k8s-tools.sh")
        with open(os.path.join(MONITORING_DIR, "mcrelay-dashboard.json")) as f:
            dashboard = json.load(f)
        exprs, templating = [], []

        def walk(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k == "expr" and isinstance(v, str):
                        exprs.append(v)
                    elif k == "query" and isinstance(v, (str, dict)):
                        templating.append(v if isinstance(v, str) else v.get("query", ""))
                    else:
                        walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
        walk(dashboard)
        self.assertGreaterEqual(len(exprs), 10, "the dashboard should have its panels' queries")
        with open(os.path.join(MONITORING_DIR, "mcrelay-alerts.yaml")) as f:
            rules = yaml.safe_load(f)
        self.assertEqual((rules["apiVersion"], rules["kind"]), ("monitoring.coreos.com/v1", "PrometheusRule"))
        alert_exprs = [r["expr"] for g in rules["spec"]["groups"] for r in g["rules"]]
        self.assertGreaterEqual(len(alert_exprs), 5)
        exprs += alert_exprs

        # A live scrape with every kind of series present (a destination, replies, reloads...).
        relay, admin = self.start({"pools": {"A": {"servers": [_servers[0].address]}}, "route": "PoolRoute|A"})
        with Conn(relay.port, diag=relay.diag) as c:
            c.exchange(b"set k 0 0 1\r\nv\r\n", b"\r\n")
            c.exchange(b"get k\r\n", b"END\r\n")
        m = scrape(admin)
        names = {n for n, _ in m.samples}
        labels = {k for _, ls in m.samples for k, _ in ls} | {"job", "instance", "pod", "namespace", "node",
                                                               "container", "endpoint", "service"}
        problems = []
        for expr in exprs + templating:
            for name in set(re.findall(r"\bmcrelay_[a-z0-9_]+\b", expr)):
                if name not in names:
                    problems.append(f"{name} (in {expr!r}) is not in /metrics")
                elif re.search(rf"\b(rate|irate|increase)\(\s*{name}\b", expr) and m.types[name] == "gauge":
                    problems.append(f"rate() over {name}, a {m.types[name]} (in {expr!r})")
            for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr) + re.findall(r"\{([^}]*)\}", expr):
                for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=|,|$)", group):
                    if label not in labels and label not in PROMQL_WORDS:
                        problems.append(f"label {label!r} (in {expr!r}) is on no mcrelay series")
        self.assertEqual(problems, [])

        with open(os.path.join(MONITORING_DIR, "podmonitor.yaml")) as f:
            pm = yaml.safe_load(f)
        with open(DAEMONSET) as f:
            ds = yaml.safe_load(f)
        self.assertEqual((pm["apiVersion"], pm["kind"]), ("monitoring.coreos.com/v1", "PodMonitor"))
        self.assertNotIn("namespace", pm["metadata"], "the namespace is the user's choice")
        pod_labels = ds["spec"]["template"]["metadata"]["labels"]
        selector = pm["spec"]["selector"]["matchLabels"]
        self.assertTrue(selector and all(pod_labels.get(k) == v for k, v in selector.items()),
                        f"PodMonitor selector {selector} does not select the DaemonSet's pods {pod_labels}")
        (endpoint,) = pm["spec"]["podMetricsEndpoints"]
        ports = {p.get("name"): p["containerPort"] for c in ds["spec"]["template"]["spec"]["containers"]
                 for p in c.get("ports", [])}
        self.assertIn(endpoint["port"], ports, f"no container port named {endpoint['port']!r}: {ports}")
        args = ds["spec"]["template"]["spec"]["containers"][0]["args"]
        self.assertEqual(str(ports[endpoint["port"]]), args[args.index("--admin-port") + 1],
                         "the PodMonitor must scrape the admin listener")
        self.assertEqual(endpoint.get("path", "/metrics"), "/metrics")
        annotations = ds["spec"]["template"]["metadata"].get("annotations", {})
        self.assertEqual(annotations.get("prometheus.io/port"), str(ports[endpoint["port"]]))


class TestOperationsDoc(ObservabilityTest):
    """docs/operations.md names every `stats` line, `stats servers` and `stats destinations` field and metric the
    binary has, and nothing the binary does not have."""

    def test_every_name_is_documented_and_exists(self):
        with open(os.path.join(SOURCE_DIR, "docs", "operations.md")) as f:
            doc = f.read()
        ticked = set(re.findall(r"`([^`\n]+)`", doc))
        a = _servers[0]
        dead = Memcached().start()
        dead.stop()
        self.addCleanup(dead.__exit__, None, None, None)
        relay, admin = self.start({"pools": {"A": {"servers": [a.address]}, "D": {"servers": [dead.address]}},
                                   "routes": [{"aliases": ["/a/a/"], "route": "PoolRoute|A"},
                                              {"aliases": ["/d/d/"], "route": "PoolRoute|D"}]}, ["-R", "/a/a/"])
        with Conn(relay.port, diag=relay.diag) as c:
            c.exchange(b"set k 0 0 1\r\nv\r\n", b"\r\n")
            c.exchange(b"get k\r\n", b"END\r\n")
            c.exchange(b"get /d/d/k\r\n", b"\r\n")
            stats = parse_stats(c.exchange(b"stats\r\n", b"END\r\n"))
            stats.update(parse_stats(c.exchange(b"stats all\r\n", b"END\r\n")))
            stats.update(parse_stats(c.exchange(b"stats count\r\n", b"END\r\n")))
            destinations = parse_servers(c.exchange(b"stats destinations\r\n", b"END\r\n"))
            servers = parse_stats(c.exchange(b"stats servers\r\n", b"END\r\n"))
        m = scrape(admin)
        missing = []
        commands = set(re.search(r"`cmd_<command>_count` \| requests per command: ([^|]*)\|", doc).group(1)
                       .replace("`", "").replace(" ", "").split(","))
        groups = set(re.search(r"Command groups: ([^.]*)\.", doc).group(1).replace("`", "").replace(" ", "")
                     .replace("\n", "").split(","))
        results = set(re.findall(r"`([a-z_]+)`", re.search(r"Result kinds: ([^.]*)\.", doc).group(1)))
        for name in stats:
            cmd = re.fullmatch(r"cmd_(\w+?)(_count|_out|_out_all|_out_count|_out_all_count)?", name)
            result = re.fullmatch(r"result_(\w+?)(_all)?(_count)?", name)
            if cmd:
                if cmd.group(1) not in commands | groups:
                    missing.append(f"stats {name}")
            elif result:
                if result.group(1) not in results:
                    missing.append(f"stats {name}")
            elif name not in ticked:
                missing.append(f"stats {name}")
        for name in commands:
            if f"cmd_{name}_count" not in stats:
                missing.append(f"the doc's cmd_{name}_count is not in stats")
        for name in groups:
            for suffix in ("", "_count", "_out", "_out_all", "_out_count", "_out_all_count"):
                if f"cmd_{name}{suffix}" not in stats:
                    missing.append(f"the doc's cmd_{name}{suffix} is not in stats")
        for name in results:
            for suffix in ("", "_all", "_count", "_all_count"):
                if f"result_{name}{suffix}" not in stats:
                    missing.append(f"the doc's result_{name}{suffix} is not in stats")
        for fields in destinations.values():
            for field in fields:
                if field not in ticked:
                    missing.append(f"stats destinations field {field}")
        for line in servers.values():
            for token in line.replace(";", " ").split():
                field = token.split(":")[0]
                if field not in ticked:
                    missing.append(f"stats servers field {field}")
        families = set()
        for name, _ in m.samples:
            if m.types[name] == "histogram":
                name = re.sub(r"_(bucket|sum|count)$", "", name)
            families.add(name)
        missing += [f"metric {n}" for n in sorted(families) if n not in ticked]
        label_names = {k for _, ls in m.samples for k, _ in ls}
        missing += [f"label {n}" for n in sorted(label_names) if n not in ticked]
        ops = {dict(ls)["op"] for (n, ls) in m.samples if n == "mcrelay_requests_total"}
        doc_ops = set(re.search(r"`op` is the command word: ([^.]*)\.", doc).group(1).replace("`", "")
                      .replace(" ", "").replace("\n", "").split(","))
        self.assertEqual(doc_ops, ops, "the doc's list of op values")
        self.assertEqual(missing, [], "not documented in docs/operations.md")

        names = {n for n, _ in m.samples}
        unknown = sorted(n for n in set(re.findall(r"\bmcrelay_[a-z0-9_]+\b", doc)) if n not in names | families)
        self.assertEqual(unknown, [], "metrics docs/operations.md names that /metrics does not have")
        help_text = subprocess.run([relay.binary, "--help"], capture_output=True, text=True, timeout=10).stdout
        ours = "\n".join(line for line in doc.splitlines() if "kubectl" not in line)  # kubectl's flags are not ours
        flags = sorted(f for f in set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", ours)) if f not in help_text)
        self.assertEqual(flags, [], "flags docs/operations.md names that `mcrelay --help` does not list")


if __name__ == "__main__":
    unittest.main()
