"""mcrouter's lease-get / lease-set / metaget through mcrelay, served by stock memcached's meta commands.

memcached has no lease commands, so there is no differential twin: each test asks mcrelay, then checks what
the memcached servers really hold by asking them directly (classic and meta commands). The expected
replies are mcrouter's (AsciiSerializedReply: `VALUE`/`LVALUE ... END`, `STORED`/`STALE_STORED`/
`NOT_STORED`, `META <key> age: ...; exptime: ...; from: ...; is_transient: 0`), and the lease life cycle is
the one mcrouter's own mock memcached implements (MockMc: a miss hands out a token, later lease-gets a
hot miss (token 1) until the token's lease-set, a delete voids the token). docs/protocol.md, "Leases and
metaget", lists where stock memcached makes mcrelay differ.

Servers are shared by the module; every test uses keys of its own.
"""

import re
import time
import unittest
import uuid

from mcrelay_testlib import (STANDIN, Conn, Mcrelay, Memcached, parse_stats, pool_config, show,
                             skip_without_proxy, wait_for)
from test_placement import ch3

NUM_SERVERS = 3
_servers = []

LVALUE_RE = re.compile(rb"^LVALUE (\S+) (\d+) (\d+) (\d+)\r\n")
META_RE = re.compile(rb"^META (\S+) age: unknown; exptime: (\d+); from: (\S+); is_transient: 0\r\nEND\r\n$")


def setUpModule():
    if STANDIN:
        return
    for _ in range(NUM_SERVERS):
        _servers.append(Memcached().start())


def tearDownModule():
    for mc in _servers:
        mc.__exit__(None, None, None)
    _servers.clear()


def unique(name):
    return b"lease:%s:%s" % (name.encode(), uuid.uuid4().hex[:8].encode())


def direct(i, data, terminator=b"\r\n"):
    with Conn(_servers[i].port, name=f"memcached[{i}]") as c:
        return bytes(c.exchange(data, terminator=terminator))


def direct_get(i, key):
    """memcached[i]'s classic get reply for `key`."""
    return direct(i, b"get %s\r\n" % key, terminator=b"END\r\n")


def lease_set(key, token, value, flags=0, exptime=0, noreply=False):
    return b"lease-set %s %d %d %d %d%s\r\n%s\r\n" % (key, token, flags, exptime, len(value),
                                                      b" noreply" if noreply else b"", value)


@skip_without_proxy()
class LeaseTestCase(unittest.TestCase):
    """One mcrelay over one memcached (servers[0]) unless a test builds its own."""

    def setUp(self):
        self.relay = Mcrelay(pool_config([_servers[0]])).start()
        self.conn = Conn(self.relay.port, diag=self.relay.diag)

    def tearDown(self):
        self.conn.close()
        self.relay.stop()

    def req(self, data, conn=None):
        return bytes((conn or self.conn).request(data))

    def lease_get_token(self, key, conn=None):
        """lease-get `key`, expecting a miss; returns (token, flags, data)."""
        reply = self.req(b"lease-get %s\r\n" % key, conn)
        m = LVALUE_RE.match(reply)
        self.assertIsNotNone(m, f"lease-get {key!r}: expected an LVALUE, got {show(reply)}")
        self.assertEqual(m.group(1), key)
        data_start = m.end()
        size = int(m.group(4))
        self.assertEqual(reply[data_start + size:], b"\r\nEND\r\n", show(reply))
        return int(m.group(2)), int(m.group(3)), reply[data_start:data_start + size]


class TestLeaseLifeCycle(LeaseTestCase):
    def test_miss_token_hot_miss_then_lease_set(self):
        key = unique("cycle")
        token, flags, data = self.lease_get_token(key)
        self.assertGreater(token, 1, "a winning lease token is never 0 or 1 (mcrouter's special tokens)")
        self.assertEqual((flags, data), (0, b""))
        # Everyone else (this connection too, or another) now gets the hot-miss token 1.
        with Conn(self.relay.port) as other:
            self.assertEqual(self.lease_get_token(key, other), (1, 0, b""))
        self.assertEqual(self.lease_get_token(key), (1, 0, b""))
        # The winner's lease-set stores; gets and lease-gets hit.
        self.assertEqual(self.req(lease_set(key, token, b"fresh", flags=42, exptime=300)), b"STORED\r\n")
        self.assertEqual(self.req(b"get %s\r\n" % key), b"VALUE %s 42 5\r\nfresh\r\nEND\r\n" % key)
        self.assertEqual(self.req(b"lease-get %s\r\n" % key), b"VALUE %s 42 5\r\nfresh\r\nEND\r\n" % key)
        # memcached holds it with the lease-set's flags and exptime.
        reply = direct(0, b"mg %s s f t\r\n" % key)
        m = re.match(rb"HD s5 f42 t(\d+)\r\n$", reply)
        self.assertIsNotNone(m, show(reply))
        self.assertTrue(295 <= int(m.group(1)) <= 300, show(reply))
        # The token was used up: a second lease-set with it does not store.
        self.assertEqual(self.req(lease_set(key, token, b"again")), b"STALE_STORED\r\n")
        self.assertEqual(self.req(b"get %s\r\n" % key), b"VALUE %s 42 5\r\nfresh\r\nEND\r\n" % key)

    def test_wrong_or_hot_miss_token_is_refused(self):
        key = unique("wrong")
        token, _, _ = self.lease_get_token(key)
        for bad in (token + 1, token - 1, 1, 0):
            self.assertEqual(self.req(lease_set(key, bad, b"loser")), b"STALE_STORED\r\n", f"token {bad}")
        # The lease is intact: still a hot miss for others, and the winner still stores.
        self.assertEqual(self.lease_get_token(key), (1, 0, b""))
        self.assertEqual(self.req(lease_set(key, token, b"winner")), b"STORED\r\n")
        self.assertEqual(self.req(b"get %s\r\n" % key), b"VALUE %s 0 6\r\nwinner\r\nEND\r\n" % key)

    def test_lease_set_without_a_lease(self):
        key = unique("nolease")
        self.assertEqual(self.req(lease_set(key, 12345, b"x")), b"NOT_STORED\r\n")
        self.assertEqual(self.req(b"get %s\r\n" % key), b"END\r\n")

    def test_delete_between_lease_get_and_lease_set_voids_the_token(self):
        key = unique("delete")
        token, _, _ = self.lease_get_token(key)
        self.assertEqual(self.req(b"delete %s\r\n" % key), b"DELETED\r\n")
        self.assertEqual(self.req(lease_set(key, token, b"old data")), b"NOT_STORED\r\n")
        self.assertEqual(self.req(b"get %s\r\n" % key), b"END\r\n")
        # The next lease-get wins a new lease.
        token2, _, _ = self.lease_get_token(key)
        self.assertGreater(token2, 1)
        self.assertNotEqual(token2, token)
        self.assertEqual(self.req(lease_set(key, token2, b"new data")), b"STORED\r\n")

    def test_set_after_lease_get_wins_over_the_lease(self):
        key = unique("set")
        token, _, _ = self.lease_get_token(key)
        self.assertEqual(self.req(b"set %s 0 0 5\r\nnewer\r\n" % key), b"STORED\r\n")
        self.assertEqual(self.req(lease_set(key, token, b"older")), b"STALE_STORED\r\n")
        self.assertEqual(self.req(b"get %s\r\n" % key), b"VALUE %s 0 5\r\nnewer\r\nEND\r\n" % key)

    def test_invalidated_item_hands_out_its_stale_value(self):
        # md with I (memcached's invalidation) marks the item stale: the first lease-get wins a lease and
        # sees the stale data, as an mcrouter LVALUE carries it; later ones are hot misses with that data.
        key = unique("stale")
        self.assertEqual(self.req(b"set %s 7 0 3\r\nold\r\n" % key), b"STORED\r\n")
        self.assertEqual(self.req(b"md %s I T30\r\n" % key), b"HD\r\n")
        token, flags, data = self.lease_get_token(key)
        self.assertGreater(token, 1)
        self.assertEqual((flags, data), (7, b"old"))
        self.assertEqual(self.lease_get_token(key), (1, 7, b"old"))
        self.assertEqual(self.req(b"metaget %s\r\n" % key), b"END\r\n")
        self.assertEqual(self.req(lease_set(key, token, b"new", flags=8)), b"STORED\r\n")
        self.assertEqual(self.req(b"lease-get %s\r\n" % key), b"VALUE %s 8 3\r\nnew\r\nEND\r\n" % key)

    def test_multi_key_lease_get_and_noreply(self):
        hit, miss = unique("mk-hit"), unique("mk-miss")
        self.assertEqual(self.req(b"set %s 3 0 2\r\nhi\r\n" % hit), b"STORED\r\n")
        reply = self.req(b"lease-get %s %s %s\r\n" % (hit, miss, miss))
        m = re.match(rb"^VALUE %s 3 2\r\nhi\r\nLVALUE %s (\d+) 0 0\r\n\r\nLVALUE %s 1 0 0\r\n\r\nEND\r\n$" %
                     (re.escape(hit), re.escape(miss), re.escape(miss)), reply)
        self.assertIsNotNone(m, show(reply))
        token = int(m.group(1))
        self.assertGreater(token, 1)
        self.assertEqual(self.req(lease_set(miss, token, b"quiet", noreply=True)), b"")
        self.assertEqual(self.req(b"get %s\r\n" % miss), b"VALUE %s 0 5\r\nquiet\r\nEND\r\n" % miss)

    def test_malformed_lines(self):
        self.assertEqual(self.req(b"lease-get\r\n"), b"ERROR\r\n")
        self.assertEqual(self.req(b"lease-set k 1 0 0\r\n"), b"ERROR\r\n")
        self.assertEqual(self.req(b"lease-set k x 0 0 1\r\n"), b"CLIENT_ERROR bad command line format\r\n")
        self.assertEqual(self.req(b"metaget\r\n"), b"ERROR\r\n")
        self.relay.assert_alive()

    def test_stats_count_lease_commands(self):
        key = unique("stats")
        token, _, _ = self.lease_get_token(key)
        self.req(lease_set(key, token, b"v"))
        self.req(b"metaget %s\r\n" % key)
        stats = parse_stats(self.conn.exchange(b"stats\r\n", terminator=b"END\r\n"))
        self.assertEqual(stats.get("cmd_lease_get_count"), "1")
        self.assertEqual(stats.get("cmd_lease_set_count"), "1")
        self.assertEqual(stats.get("cmd_metaget_count"), "1")


class TestMetaget(LeaseTestCase):
    def test_hit_shows_real_exptime_and_the_server(self):
        key = unique("mg")
        before = int(time.time())
        self.assertEqual(self.req(b"set %s 0 1000 1\r\nx\r\n" % key), b"STORED\r\n")
        reply = self.req(b"metaget %s\r\n" % key)
        m = META_RE.match(reply)
        self.assertIsNotNone(m, show(reply))
        self.assertEqual(m.group(1), key)
        exptime = int(m.group(2))
        self.assertTrue(before + 998 <= exptime <= int(time.time()) + 1000, f"exptime {exptime}, now {before}")
        self.assertEqual(m.group(3), b"127.0.0.1")

    def test_no_expiry_miss_and_lease_placeholder(self):
        key, placeholder = unique("mg-forever"), unique("mg-placeholder")
        self.assertEqual(self.req(b"set %s 0 0 1\r\nx\r\n" % key), b"STORED\r\n")
        self.assertEqual(self.req(b"metaget %s\r\n" % key),
                         b"META %s age: unknown; exptime: 0; from: 127.0.0.1; is_transient: 0\r\nEND\r\n" % key)
        self.assertEqual(self.req(b"metaget %s\r\n" % unique("mg-absent")), b"END\r\n")
        self.lease_get_token(placeholder)
        self.assertEqual(self.req(b"metaget %s\r\n" % placeholder), b"END\r\n")
        # Several keys: one META line per hit, then END.
        reply = self.req(b"metaget %s %s %s\r\n" % (key, placeholder, key))
        self.assertEqual(reply.count(b"META %s " % key), 2, show(reply))
        self.assertTrue(reply.endswith(b"is_transient: 0\r\nEND\r\n"), show(reply))


@skip_without_proxy()
class TestLeaseRouting(unittest.TestCase):
    def test_keys_go_where_get_and_set_send_them(self):
        servers = _servers[:NUM_SERVERS]
        with Mcrelay(pool_config(servers)) as relay, Conn(relay.port, diag=relay.diag) as c:
            for n in range(12):
                key = unique(f"place{n}")
                owner = ch3(key, NUM_SERVERS)
                m = LVALUE_RE.match(bytes(c.request(b"lease-get %s\r\n" % key)))
                self.assertIsNotNone(m)
                self.assertEqual(bytes(c.request(lease_set(key, int(m.group(2)), b"v%d" % n))), b"STORED\r\n")
                for i in range(NUM_SERVERS):
                    held = direct_get(i, key)
                    if i == owner:
                        value = b"v%d" % n
                        self.assertEqual(held, b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(value), value),
                                         f"key {key!r} on its server {i}")
                    else:
                        self.assertEqual(held, b"END\r\n", f"key {key!r} on server {i}, owner {owner}")
                reply = bytes(c.request(b"metaget %s\r\n" % key))
                self.assertIsNotNone(META_RE.match(reply), show(reply))

    def test_operation_selector_route_by_mcrouter_names(self):
        a, b = _servers[0], _servers[1]
        config = {"pools": {"A": {"servers": [a.address]}, "B": {"servers": [b.address]}},
                  "route": {"type": "OperationSelectorRoute",
                            "operation_policies": {"lease-get": "PoolRoute|B", "lease-set": "PoolRoute|B",
                                                   "metaget": "PoolRoute|B"},
                            "default_policy": "PoolRoute|A"}}
        key = unique("opsel")
        with Mcrelay(config) as relay, Conn(relay.port, diag=relay.diag) as c:
            m = LVALUE_RE.match(bytes(c.request(b"lease-get %s\r\n" % key)))
            self.assertIsNotNone(m)
            self.assertEqual(bytes(c.request(lease_set(key, int(m.group(2)), b"on-b"))), b"STORED\r\n")
            self.assertEqual(direct_get(1, key), b"VALUE %s 0 4\r\non-b\r\nEND\r\n" % key)
            self.assertEqual(direct_get(0, key), b"END\r\n")
            self.assertEqual(bytes(c.request(b"get %s\r\n" % key)), b"END\r\n")  # get goes to A
            reply = bytes(c.request(b"metaget %s\r\n" % key))
            self.assertIsNotNone(META_RE.match(reply), show(reply))

    def test_failover_route(self):
        # The primary is down: lease-get and lease-set both fail over to the same second server, and the
        # lease completes there.
        with Memcached() as primary:
            backup = _servers[2]
            config = {"pools": {"P": {"servers": [primary.address]}, "S": {"servers": [backup.address]}},
                      "route": {"type": "FailoverRoute", "children": ["PoolRoute|P", "PoolRoute|S"]}}
            key = unique("failover")
            with Mcrelay(config) as relay, Conn(relay.port, diag=relay.diag) as c:
                primary.stop()
                m = LVALUE_RE.match(bytes(c.request(b"lease-get %s\r\n" % key)))
                self.assertIsNotNone(m)
                token = int(m.group(2))
                self.assertGreater(token, 1)
                self.assertEqual(bytes(c.request(lease_set(key, token, b"via-backup"))), b"STORED\r\n")
                self.assertEqual(direct_get(2, key), b"VALUE %s 0 10\r\nvia-backup\r\nEND\r\n" % key)
                self.assertEqual(bytes(c.request(b"lease-get %s\r\n" % key)),
                                 b"VALUE %s 0 10\r\nvia-backup\r\nEND\r\n" % key)
                reply = bytes(c.request(b"metaget %s\r\n" % key))
                self.assertIsNotNone(META_RE.match(reply), show(reply))

    def test_warm_up_route_fills_cold_through_the_lease(self):
        cold, warm = _servers[0], _servers[1]
        config = {"pools": {"C": {"servers": [cold.address]}, "W": {"servers": [warm.address]}},
                  "route": {"type": "WarmUpRoute", "cold": "PoolRoute|C", "warm": "PoolRoute|W", "exptime": 600}}
        key, absent = unique("warmup"), unique("warmup-absent")
        self.assertEqual(direct(1, b"set %s 5 0 4\r\nwarm\r\n" % key), b"STORED\r\n")
        with Mcrelay(config) as relay, Conn(relay.port, diag=relay.diag) as c:
            # Cold hands out a lease; warm has the value: the client gets a hit, and cold is filled with a
            # lease-set of cold's own token (in the background).
            self.assertEqual(bytes(c.request(b"lease-get %s\r\n" % key)), b"VALUE %s 5 4\r\nwarm\r\nEND\r\n" % key)
            wait_for(lambda: direct_get(0, key) == b"VALUE %s 5 4\r\nwarm\r\nEND\r\n" % key, 5,
                     f"cold to hold {key!r} (it holds {show(direct_get(0, key))})")
            # Nowhere: the client gets cold's lease, and fills cold itself.
            m = LVALUE_RE.match(bytes(c.request(b"lease-get %s\r\n" % absent)))
            self.assertIsNotNone(m)
            self.assertEqual(bytes(c.request(lease_set(absent, int(m.group(2)), b"filled"))), b"STORED\r\n")
            self.assertEqual(direct_get(0, absent), b"VALUE %s 0 6\r\nfilled\r\nEND\r\n" % absent)
            self.assertEqual(direct_get(1, absent), b"END\r\n")


if __name__ == "__main__":
    unittest.main()
