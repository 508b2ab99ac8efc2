"""Connection pooling: 500 concurrent clients through mcrelay, few connections to each memcached.

mcrelay runs with --num-proxies 2 (2 worker threads) in front of 3 memcached servers. 500 clients connect
and stay connected while each does a few set/get round trips (all 500 requests of a round in flight at
once, driven by one selector loop). While all 500 are connected, each memcached's own `curr_connections`,
minus what it reported before mcrelay existed (its listener, internal connections and the test's own
stats connection), must be at most workers x pool size = 2 x 1.
"""

import selectors
import socket
import time
import unittest

from mcrelay_testlib import (Conn, Mcrelay, Memcached, pool_config, raise_nofile_limit, show,
                             skip_without_proxy, STANDIN)

NUM_CLIENTS = 500
WORKERS = 2
POOL_SIZE_PER_WORKER = 1
ROUNDS = 3
ROUND_TIMEOUT = 20.0

_servers = []
_stats_conns = []
_baseline = []
_relay = None


def setUpModule():
    global _relay
    if STANDIN:
        return
    raise_nofile_limit(4 * NUM_CLIENTS + 256)  # inherited by mcrelay and memcached, started below
    for _ in range(3):
        mc = Memcached().start()
        _servers.append(mc)
        conn = Conn(mc.port, name=f"memcached {mc.address} (stats)")
        _stats_conns.append(conn)
        _baseline.append(int(mc.stats(conn)["curr_connections"]))
    _relay = Mcrelay(pool_config(_servers), args=["--num-proxies", str(WORKERS)]).start()


def tearDownModule():
    for conn in _stats_conns:
        conn.close()
    try:
        if _relay is not None:
            _relay.stop()
    finally:
        for mc in _servers:
            mc.stop()


def upstream_connections():
    """Connections mcrelay holds to each memcached right now."""
    return [int(mc.stats(conn)["curr_connections"]) - base
            for mc, conn, base in zip(_servers, _stats_conns, _baseline)]


class Client:
    def __init__(self, index, sock):
        self.index = index
        self.sock = sock
        self.out = b""
        self.expected = b""
        self.buf = bytearray()


def run_round(clients, make_request, timeout=ROUND_TIMEOUT):
    """Give every client its (request, expected reply), send all, and read until every client has as many
    bytes as expected. Returns a list of failure descriptions."""
    sel = selectors.DefaultSelector()
    for c in clients:
        c.out, c.expected = make_request(c.index)
        c.buf = bytearray()
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    waiting = len(clients)
    failures = []
    deadline = time.monotonic() + timeout
    try:
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                incomplete = [c for c in clients if len(c.buf) < len(c.expected)]
                failures.append(f"timed out with {len(incomplete)} clients waiting, e.g. client "
                                f"{incomplete[0].index}: got {show(incomplete[0].buf)} want {show(incomplete[0].expected)}")
                break
            for key, events in sel.select(left):
                c = key.data
                if events & selectors.EVENT_WRITE and c.out:
                    sent = c.sock.send(c.out)
                    c.out = c.out[sent:]
                    if not c.out:
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                if events & selectors.EVENT_READ:
                    try:
                        chunk = c.sock.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except ConnectionResetError:
                        chunk = b""
                    if not chunk:
                        failures.append(f"client {c.index}: connection closed; got {show(c.buf)}")
                        sel.unregister(c.sock)
                        waiting -= 1
                        continue
                    c.buf += chunk
                    if len(c.buf) >= len(c.expected):
                        if c.buf != c.expected:
                            failures.append(f"client {c.index}: got {show(c.buf)} want {show(c.expected)}")
                        sel.unregister(c.sock)
                        waiting -= 1
    finally:
        sel.close()
    return failures


@skip_without_proxy()
class TestPooling(unittest.TestCase):
    def tearDown(self):
        _relay.assert_alive(f"after {self.id()}")

    def test_500_clients_share_few_upstream_connections(self):
        clients = []
        try:
            for i in range(NUM_CLIENTS):
                sock = socket.create_connection(("127.0.0.1", _relay.port), timeout=5)
                sock.setblocking(False)
                clients.append(Client(i, sock))

            def request(r):
                def make(i):
                    key = b"pool:%d:%d" % (i, r)
                    value = b"client %d round %d" % (i, r)
                    out = (b"set %s %d 0 %d\r\n%s\r\nget %s pool:missing:%d\r\n"
                           % (key, i, len(value), value, key, i))
                    expected = b"STORED\r\nVALUE %s %d %d\r\n%s\r\nEND\r\n" % (key, i, len(value), value)
                    return out, expected
                return make

            for r in range(ROUNDS):
                failures = run_round(clients, request(r))
                if failures:
                    self.fail(f"round {r}: {len(failures)} bad replies, e.g.:\n  " + "\n  ".join(failures[:10])
                              + f"\n  {_relay.diag()}")

            # Reading back the first round's keys: all 500 still connected and still served.
            def read_back(i):
                key = b"pool:%d:0" % i
                value = b"client %d round 0" % i
                return b"get %s\r\n" % key, b"VALUE %s %d %d\r\n%s\r\nEND\r\n" % (key, i, len(value), value)
            failures = run_round(clients, read_back)
            if failures:
                self.fail(f"read back: {len(failures)} bad replies, e.g.:\n  " + "\n  ".join(failures[:10]))

            # All 500 clients are connected right now.
            counts = upstream_connections()
            limit = WORKERS * POOL_SIZE_PER_WORKER
            for i, n in enumerate(counts):
                self.assertLessEqual(n, limit, f"memcached[{i}] has {n} connections from mcrelay while "
                                     f"{NUM_CLIENTS} clients are connected (limit {limit}); all: {counts}")
                self.assertGreaterEqual(n, 1, f"memcached[{i}] shows no connection from mcrelay although it "
                                        f"served requests (measurement broken?); all: {counts}")
        finally:
            for c in clients:
                c.sock.close()

        # Afterwards mcrelay still serves, still through at most that many connections.
        with Conn(_relay.port, name="mcrelay (after)", diag=_relay.diag) as c:
            self.assertEqual(c.request(b"get pool:7:0\r\n"), b"VALUE pool:7:0 7 16\r\nclient 7 round 0\r\nEND\r\n")
        counts = upstream_connections()
        self.assertTrue(all(n <= WORKERS * POOL_SIZE_PER_WORKER for n in counts), counts)


@skip_without_proxy()
class TestSeveralConnectionsPerServer(unittest.TestCase):
    def test_one_clients_requests_for_a_key_stay_in_order(self):
        # memcached -t 4 serves its connections on 4 threads: a set and the get after it must travel on one
        # upstream connection, or the get can overtake the set.
        with Memcached(extra_args=["-t", "4"]) as mc, \
                Mcrelay(pool_config([mc]), args=["--num-proxies", "1", "--connections-per-server", "4"]) as relay, \
                Conn(relay.port, name="pipeliner", diag=relay.diag) as c:
            for key in (b"order:a", b"order:b", b"order:c"):
                data = b"".join(b"set %s 0 0 6\r\n%06d\r\nget %s\r\n" % (key, i, key) for i in range(200))
                expected = b"".join(b"STORED\r\nVALUE %s 0 6\r\n%06d\r\nEND\r\n" % (key, i) for i in range(200))
                self.assertEqual(c.exchange(data, terminator=b"%06d\r\nEND\r\n" % 199), expected)
            with Conn(mc.port, name="memcached stats") as direct:
                n = int(mc.stats(direct)["curr_connections"])
            self.assertLessEqual(n, 4 + 2, "at most 4 upstream connections (+ listener and this one)")


if __name__ == "__main__":
    unittest.main()
