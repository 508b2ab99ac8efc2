"""Routing through real memcached servers: routing prefixes, hash stop and salt, and the route handles
(failover, replicated pools, warm-up, selectors, fan-outs), checked by asking every memcached directly what
it holds.

A handle that the binary under test does not register yet is not an error of the test: such tests skip
with a message naming the handle (`mcrelay --validate-config` says `unknown route handle type "X"`).
"""

import bisect
import hashlib
import json
import math
import re
import struct
import subprocess
import time
import unittest
import zlib

from mcrelay_testlib import (MCRELAY_BIN, STANDIN, Conn, Mcrelay, MemcachedGroup, parse_value_reply, show,
                             skip_without_proxy, wait_for)
from test_placement import ch3

NUM_SERVERS = 3
_servers = MemcachedGroup(NUM_SERVERS)
direct, direct_get, holders = _servers.direct, _servers.get, _servers.holders

_handle_cache = {}


def handle_registered(handle):
    """(True, "") if the binary knows route handle `handle`, else (False, what --validate-config said)."""
    if handle not in _handle_cache:
        cfg = {"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": {"type": handle}}
        proc = subprocess.run([MCRELAY_BIN, "--validate-config", "--config", json.dumps(cfg)],
                              capture_output=True, text=True, timeout=10)
        out = (proc.stdout + proc.stderr).strip()
        _handle_cache[handle] = (f'unknown route handle type "{handle}"' not in out, out)
    return _handle_cache[handle]


def setUpModule():
    if STANDIN:
        return
    _servers.start()


def tearDownModule():
    _servers.stop()


def addr(i):
    return _servers[i].address


def direct_set(i, key, value, exptime=0):
    reply = direct(i, b"set %s 0 %d %d\r\n%s\r\n" % (key, exptime, len(value), value), b"\r\n")
    assert reply == b"STORED\r\n", reply


def direct_ttl(i, key):
    """The remaining TTL memcached[i] reports for `key` (mg ... t): -1 = never expires; None = absent."""
    reply = direct(i, b"mg %s t\r\n" % key, b"\r\n")
    if reply == b"EN\r\n":
        return None
    m = re.match(rb"HD t(-?\d+)\r\n", reply)
    assert m, reply
    return int(m.group(1))


class RelayClient:
    """Plain request/reply exchanges with mcrelay (no sentinel key: some routes under test do not store it,
    or store it on a server the test stops)."""

    def __init__(self, relay):
        self.relay = relay
        self.conn = Conn(relay.port, name="mcrelay", diag=relay.diag)

    def cmd(self, data, terminator=b"\r\n"):
        return self.conn.exchange(data, terminator=terminator)

    def set(self, key, value, exptime=0, verb=b"set"):
        return self.cmd(b"%s %s 0 %d %d\r\n%s\r\n" % (verb, key, exptime, len(value), value))

    def get(self, *keys):
        return self.cmd(b"get " + b" ".join(keys) + b"\r\n", b"END\r\n")

    def value(self, key):
        items = parse_value_reply(self.get(key))
        return items[0][2] if items else None

    def close(self):
        self.conn.close()


def value_reply(*pairs):
    return b"".join(b"VALUE %s 0 %d\r\n%s\r\n" % (k, len(v), v) for k, v in pairs) + b"END\r\n"


@skip_without_proxy()
class RoutingTest(unittest.TestCase):
    HANDLES = ()

    def setUp(self):
        for handle in self.HANDLES:
            ok, said = handle_registered(handle)
            if not ok:
                self.skipTest(f"route handle {handle} is not registered in {MCRELAY_BIN} "
                              f"(--validate-config: {said})")
        for i, mc in enumerate(_servers):
            if mc.proc is None or mc.proc.poll() is not None:
                mc.start()
            self.assertEqual(direct(i, b"flush_all\r\n", b"\r\n"), b"OK\r\n")

    def relay(self, config, args=(), flush=True):
        # flush_all is refused unless --enable-flush-cmd (as mcrouter); these tests use it.
        relay = Mcrelay(config, args=list(args) + (["--enable-flush-cmd"] if flush else [])).start()
        self.addCleanup(relay.stop)
        client = RelayClient(relay)
        self.addCleanup(client.close)
        return relay, client

    def restart_later(self, i):
        """Make sure memcached[i] runs again after the test (it may be stopped by then)."""
        def restart():
            if _servers[i].proc is None or _servers[i].proc.poll() is not None:
                _servers[i].start()
        self.addCleanup(restart)


class TestRoutingPrefixes(RoutingTest):
    def two_routes(self, **pool_extra):
        return {"pools": {"A": dict({"servers": [addr(0)]}, **pool_extra), "B": {"servers": [addr(1)]}},
                "routes": [{"aliases": ["/a/x/"], "route": "PoolRoute|A"},
                           {"aliases": ["/b/x/"], "route": "PoolRoute|B"}]}

    def test_prefixes_pick_pools_and_are_stripped(self):
        _, c = self.relay(self.two_routes())
        self.assertEqual(c.set(b"/a/x/foo", b"from-a"), b"STORED\r\n")
        self.assertEqual(c.set(b"/b/x/foo", b"from-b"), b"STORED\r\n")
        self.assertEqual(direct_get(0, b"foo"), b"from-a", "pool A's memcached stores the stripped key")
        self.assertEqual(direct_get(1, b"foo"), b"from-b", "pool B's memcached stores the stripped key")
        for i in (0, 1):
            for full in (b"/a/x/foo", b"/b/x/foo"):
                self.assertIsNone(direct_get(i, full), f"memcached[{i}] must not hold {full!r}")
        self.assertEqual(c.get(b"/a/x/foo", b"/b/x/foo"),
                         value_reply((b"/a/x/foo", b"from-a"), (b"/b/x/foo", b"from-b")),
                         "VALUE lines carry the client's full key")
        gets = parse_value_reply(c.cmd(b"gets /b/x/foo\r\n", b"END\r\n"))
        self.assertEqual([(k, v) for k, _, v, _ in gets], [(b"/b/x/foo", b"from-b")])
        self.assertEqual(c.cmd(b"delete /b/x/foo\r\n"), b"DELETED\r\n")
        self.assertIsNone(direct_get(1, b"foo"))
        self.assertEqual(direct_get(0, b"foo"), b"from-a")

    def test_object_form_of_routes(self):
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1)]}},
               "routes": {"/a/x/": "PoolRoute|A", "/b/x/": "PoolRoute|B"}}
        _, c = self.relay(cfg)
        self.assertEqual(c.set(b"/b/x/obj", b"b"), b"STORED\r\n")
        self.assertEqual(c.set(b"/a/x/obj", b"a"), b"STORED\r\n")
        self.assertEqual((direct_get(0, b"obj"), direct_get(1, b"obj")), (b"a", b"b"))

    def test_several_aliases_share_a_route(self):
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1)]}},
               "routes": [{"aliases": ["/a/x/", "/a/y/"], "route": "PoolRoute|A"},
                          {"aliases": ["/b/x/"], "route": "PoolRoute|B"}]}
        _, c = self.relay(cfg)
        self.assertEqual(c.set(b"/a/y/shared", b"y"), b"STORED\r\n")
        self.assertEqual(direct_get(0, b"shared"), b"y")
        self.assertEqual(c.value(b"/a/x/shared"), b"y", "both aliases reach the same stripped key")

    def test_prefix_is_stripped_before_hashing(self):
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(i) for i in range(3)]}},
               "routes": [{"aliases": ["/a/x/"], "route": "PoolRoute|A"},
                          {"aliases": ["/b/x/"], "route": "PoolRoute|B"}]}
        _, c = self.relay(cfg)
        keys = [b"strip:%d" % i for i in range(40)]
        # The test only means something if hashing the full key would often pick another server.
        self.assertGreater(sum(ch3(k, 3) != ch3(b"/b/x/" + k, 3) for k in keys), 10)
        for k in keys:
            self.assertEqual(c.set(b"/b/x/" + k, k), b"STORED\r\n")
        wrong = [(k, holders(k), ch3(k, 3)) for k in keys if holders(k) != [ch3(k, 3)]]
        self.assertEqual(wrong, [], "(key, found on, Ch3 of the stripped key)")

    def test_unknown_prefix_is_refused_as_in_mcrouter(self):
        # mcrouter's RootRoute has no target for it: "SERVER_ERROR local error", and nothing is stored or read.
        _, c = self.relay(self.two_routes())
        self.assertEqual(c.set(b"/c/x/foo", b"c"), b"SERVER_ERROR local error\r\n")
        self.assertEqual(c.cmd(b"set /c/x/foo 0 0 1 noreply\r\nc\r\nmn\r\n", b"MN\r\n"), b"MN\r\n")
        self.assertEqual(holders(b"/c/x/foo") + holders(b"foo"), [])
        self.assertEqual(c.cmd(b"get /c/x/foo\r\n"), b"SERVER_ERROR local error\r\n")
        self.assertEqual(c.cmd(b"delete /c/x/foo\r\n"), b"SERVER_ERROR local error\r\n")
        self.assertEqual(c.set(b"plain", b"p"), b"STORED\r\n")
        # A multi-get answers the other keys, then the error in place of END.
        self.assertEqual(c.cmd(b"get plain /c/x/foo\r\n", b"error\r\n"),
                         value_reply((b"plain", b"p"))[:-len(b"END\r\n")] + b"SERVER_ERROR local error\r\n")

    def test_send_invalid_route_to_default_strips_the_prefix(self):
        # mcrouter's --send-invalid-route-to-default: the default route (the first one when none has the
        # default prefix "/././"), with the routing prefix removed as for any routed key.
        _, c = self.relay(self.two_routes(), args=["--send-invalid-route-to-default"])
        self.assertEqual(c.set(b"/c/x/foo", b"c"), b"STORED\r\n")
        self.assertEqual(direct_get(0, b"foo"), b"c")
        self.assertEqual(holders(b"/c/x/foo"), [])
        self.assertEqual(c.get(b"/c/x/foo"), value_reply((b"/c/x/foo", b"c")))
        self.assertEqual(c.get(b"/d/y/foo"), value_reply((b"/d/y/foo", b"c")))

    def test_route_prefix_flag_picks_the_default_route(self):
        _, c = self.relay(self.two_routes(), args=["-R", "/b/x/"])
        self.assertEqual(c.set(b"plain", b"p"), b"STORED\r\n")
        self.assertEqual(holders(b"plain"), [1], "a key without a routing prefix goes to the -R route")
        self.assertEqual(c.set(b"/a/x/k", b"a"), b"STORED\r\n")
        self.assertEqual(direct_get(0, b"k"), b"a")

    def test_default_alias_is_the_default_route(self):
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1)]}},
               "routes": [{"aliases": ["/a/x/"], "route": "PoolRoute|A"},
                          {"aliases": ["/././"], "route": "PoolRoute|B"}]}
        _, c = self.relay(cfg)
        self.assertEqual(c.set(b"plain", b"p"), b"STORED\r\n")
        self.assertEqual(holders(b"plain"), [1])

    def test_keep_routing_prefix(self):
        _, c = self.relay(self.two_routes(keep_routing_prefix=True))
        self.assertEqual(c.set(b"/a/x/kept", b"k"), b"STORED\r\n")
        self.assertEqual(direct_get(0, b"/a/x/kept"), b"k")
        self.assertIsNone(direct_get(0, b"kept"))
        self.assertEqual(c.get(b"/a/x/kept"), value_reply((b"/a/x/kept", b"k")))


class TestShadows(RoutingTest):
    def test_shadow_pool_gets_a_copy_of_the_traffic(self):
        # Production: servers 0 and 1; shadow: server 2, for the keys of production server 0 only.
        cfg = {"pools": {"prod": {"servers": [addr(0), addr(1)]}, "test": {"servers": [addr(2)]}},
               "route": {"type": "PoolRoute", "pool": "prod",
                         "shadows": [{"target": "PoolRoute|test", "index_range": [0, 1],
                                      "key_fraction_range": [0, 1]}]}}
        _, c = self.relay(cfg)
        keys = [b"sh:%d" % i for i in range(40)]
        for k in keys:
            self.assertEqual(c.set(k, b"v"), b"STORED\r\n")
        for k in keys:
            prod = ch3(k, 2)
            self.assertEqual(direct_get(prod, k), b"v")
            # The shadow's write is sent before the pool's reply, but it may land a moment later.
            expected = b"v" if prod == 0 else None
            wait_for(lambda: direct_get(2, k) == expected, 5, f"{k!r} on the shadow: expected {expected!r}")
        # The shadow's replies never reach the client: stop it, and every request still succeeds.
        self.restart_later(2)
        _servers[2].stop()
        for k in keys:
            self.assertEqual(c.value(k), b"v")


class TestHashing(RoutingTest):
    def pool(self, **hash_spec):
        route = {"type": "PoolRoute", "pool": "A"}
        if hash_spec:
            route["hash"] = hash_spec
        return {"pools": {"A": {"servers": [addr(i) for i in range(3)]}}, "route": route}

    def test_hash_stop_keeps_related_keys_together(self):
        _, c = self.relay(self.pool())
        for user in (b"user:1", b"user:2", b"user:3", b"user:42"):
            keys = [user + b"|#|" + suffix for suffix in (b"profile", b"friends", b"photos", b"settings", b"x")]
            for k in keys:
                self.assertEqual(c.set(k, b"v"), b"STORED\r\n")
            self.assertEqual({tuple(holders(k)) for k in keys}, {(ch3(user, 3),)},
                             f"every {user!r}|#|... key on Ch3({user!r})")

    def test_salt(self):
        _, c = self.relay(self.pool(hash_func="Ch3", salt="-v2"))
        keys = [b"salty:%d" % i for i in range(30)]
        self.assertGreater(sum(ch3(k, 3) != ch3(k + b"-v2", 3) for k in keys), 5)
        for k in keys:
            self.assertEqual(c.set(k, b"s"), b"STORED\r\n")
        wrong = [(k, holders(k), ch3(k + b"-v2", 3)) for k in keys if holders(k) != [ch3(k + b"-v2", 3)]]
        self.assertEqual(wrong, [], "placement is Ch3(key + salt)")

    def test_const_shard(self):
        _, c = self.relay(self.pool(hash_func="ConstShard"))
        for shard in range(3):
            k = b"obj:%d:anything" % shard
            self.assertEqual(c.set(k, b"c"), b"STORED\r\n")
            self.assertEqual(holders(k), [shard])
        self.assertEqual(c.set(b"noshard", b"c"), b"STORED\r\n")
        self.assertEqual(holders(b"noshard"), [ch3(b"noshard", 3)])

    def test_crc32(self):
        _, c = self.relay(self.pool(hash_func="Crc32"))
        for i in range(20):
            k = b"crc:%d" % i
            self.assertEqual(c.set(k, b"c"), b"STORED\r\n")
            self.assertEqual(holders(k), [(zlib.crc32(k) & 0x7FFFFFFF) % 3], k)


def _f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def twemproxy_fnv1a_64(key):
    """twemproxy's "fnv1a_64", which is 32-bit FNV-1a over sign-extended chars."""
    h = 0x84222325
    for b in key:
        h ^= (b - 256 if b >= 128 else b) & 0xFFFFFFFF
        h = (h * 0x000001B3) & 0xFFFFFFFF
    return h


def twemproxy_ketama(servers):
    """An independent twemproxy ketama (nc_ketama.c) over "host:port" strings, equal weights: returns
    key -> index. The server id is "host:port", or just "host" when the port is 11211 (twemproxy keeps
    libmemcached's convention)."""
    ids = [s[:-len(":11211")] if s.endswith(":11211") else s for s in servers]
    n = len(ids)
    points = []
    for index, sid in enumerate(ids):
        pct = _f32(_f32(1.0) / _f32(float(n)))
        per_server = int(math.floor(_f32(_f32(pct * 160 / 4 * _f32(float(n))) + 1e-10))) * 4
        for i in range(per_server // 4):
            digest = hashlib.md5(f"{sid}-{i}".encode()).digest()
            for x in range(4):
                points.append((struct.unpack("<I", digest[4 * x:4 * x + 4])[0], index))
    points.sort(key=lambda p: p[0])
    values = [p[0] for p in points]

    def place(key):
        key = key if isinstance(key, bytes) else key.encode()
        if n == 1 or not key:
            return 0
        i = bisect.bisect_left(values, twemproxy_fnv1a_64(key))
        return points[i if i < len(points) else 0][1]
    return place


def route_key(config, op, key, *extra):
    proc = subprocess.run([MCRELAY_BIN, "--route-key", op, key, "--config", json.dumps(config), *extra],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.splitlines()


class TestKetama(RoutingTest):
    """hash_func "Ketama": twemproxy's placement, so a twemproxy pool can move behind mcrelay warm."""

    def ketama_config(self, servers):
        return {"pools": {"A": {"servers": servers}},
                "route": {"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "Ketama"}}}

    def test_keys_land_where_twemproxy_puts_them(self):
        servers = [addr(i) for i in range(3)]
        place = twemproxy_ketama(servers)
        _, c = self.relay(self.ketama_config(servers))
        # Varied keys: twemproxy's 32-bit FNV-1a barely moves when only the last byte changes.
        keys = [b"ketama:" + hashlib.sha1(b"%d" % i).hexdigest()[:10].encode() for i in range(60)]
        self.assertEqual({place(k) for k in keys}, {0, 1, 2}, "the keys must span every server")
        for k in keys:
            self.assertEqual(c.set(k, b"k"), b"STORED\r\n")
        wrong = [(k, holders(k), place(k)) for k in keys if holders(k) != [place(k)]]
        self.assertEqual(wrong, [], "(key, found on, twemproxy's choice)")

    def test_port_11211_servers_are_named_by_host_only(self):
        # twemproxy's ketama names a server "host" when its port is 11211 (libmemcached compatibility), and
        # "host:port" otherwise; the most common twemproxy pool is host:11211.
        for servers in (["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"],
                        ["10.0.0.1:22122", "10.0.0.2:22122", "10.0.0.3:22122"]):
            place = twemproxy_ketama(servers)
            wrong = []
            for i in range(40):
                key = f"user:{hashlib.sha1(str(i).encode()).hexdigest()[:8]}"
                got = route_key(self.ketama_config(servers), "get", key)
                if got != [servers[place(key)]]:
                    wrong.append(f"{key}: mcrelay {got}, twemproxy {servers[place(key)]}")
            with self.subTest(servers=servers[0]):
                self.assertEqual(wrong, [], f"{len(wrong)} of 40 keys placed unlike twemproxy over {servers}")


class TestFailover(RoutingTest):
    HANDLES = ("FailoverRoute",)

    def test_failover_to_the_secondary_and_back(self):
        cfg = {"pools": {"primary": {"servers": [addr(0)]}, "secondary": {"servers": [addr(1)]}},
               "route": {"type": "FailoverRoute", "children": ["PoolRoute|primary", "PoolRoute|secondary"]}}
        relay, c = self.relay(cfg)
        self.restart_later(0)
        self.assertEqual(c.set(b"fo:before", b"p"), b"STORED\r\n")
        self.assertEqual(holders(b"fo:before"), [0], "the primary takes writes while it is up")

        _servers[0].stop()
        for i in range(20):
            k = b"fo:down:%d" % i
            self.assertEqual(c.set(k, b"s%d" % i), b"STORED\r\n", f"set {k!r} with the primary down")
            self.assertEqual(c.value(k), b"s%d" % i, f"get {k!r} with the primary down")
            self.assertEqual(direct_get(1, k), b"s%d" % i)
        self.assertEqual(c.get(b"fo:before"), b"END\r\n", "a miss on the secondary is a miss, not an error")
        self.assertEqual(c.cmd(b"delete fo:down:0\r\n"), b"DELETED\r\n")
        self.assertIsNone(direct_get(1, b"fo:down:0"))
        relay.assert_alive()

        _servers[0].start()  # same port, empty

        def back_on_primary():
            k = b"fo:back:%d" % time.monotonic_ns()
            if c.set(k, b"b") != b"STORED\r\n":
                return False
            return direct_get(0, k) == b"b" and direct_get(1, k) is None
        wait_for(back_on_primary, 10, "writes to return to the restarted primary", interval=0.05)
        self.assertEqual(c.set(b"fo:after", b"p2"), b"STORED\r\n")
        self.assertEqual(holders(b"fo:after"), [0])
        self.assertEqual(c.value(b"fo:after"), b"p2")

    def test_failover_with_exptime_caps_the_ttl_of_failed_over_writes(self):
        ok, said = handle_registered("FailoverWithExptimeRoute")
        if not ok:
            self.skipTest(f"route handle FailoverWithExptimeRoute is not registered ({said})")
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1)]}},
               "route": {"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
                         "failover": "PoolRoute|B", "failover_exptime": 30}}
        _, c = self.relay(cfg)
        self.restart_later(0)
        self.assertEqual(c.set(b"fwe:normal", b"n"), b"STORED\r\n")
        self.assertEqual(direct_ttl(0, b"fwe:normal"), -1, "a normal write keeps its exptime (0: never)")
        _servers[0].stop()
        self.assertEqual(c.set(b"fwe:failed-over", b"f"), b"STORED\r\n")
        ttl = direct_ttl(1, b"fwe:failed-over")
        self.assertIsNotNone(ttl, "the write went to the failover pool")
        self.assertTrue(0 < ttl <= 30, f"failed-over write must expire within failover_exptime 30, TTL {ttl}")
        self.assertEqual(c.set(b"fwe:short", b"f", exptime=10), b"STORED\r\n")
        self.assertTrue(0 < direct_ttl(1, b"fwe:short") <= 10, "a shorter exptime is kept")


def replicated_config(**more_policies):
    """mcrouter's "Replicated pools setup", as in the reference's second example."""
    policies = {"add": "AllSyncRoute|Pool|A", "delete": "AllSyncRoute|Pool|A",
                "get": "LatestRoute|Pool|A", "set": "AllSyncRoute|Pool|A"}
    policies.update(more_policies)
    return {"pools": {"A": {"servers": [addr(i) for i in range(3)]}},
            "route": {"type": "OperationSelectorRoute", "operation_policies": policies}}


class TestReplicatedPool(RoutingTest):
    HANDLES = ("OperationSelectorRoute", "AllSyncRoute", "LatestRoute")

    def config(self):
        return replicated_config()

    def test_every_replica_in_step(self):
        relay, c = self.relay(self.config())
        keys = [b"rep:%d" % i for i in range(30)]
        for k in keys:
            self.assertEqual(c.set(k, b"v-" + k), b"STORED\r\n")
        for i in range(3):
            missing = [k for k in keys if direct_get(i, k) != b"v-" + k]
            self.assertEqual(missing, [], f"memcached[{i}] lacks keys set through the replicated route")
        for k in keys:
            self.assertEqual(c.value(k), b"v-" + k)
        for k in keys[:10]:
            self.assertEqual(c.cmd(b"delete %s\r\n" % k), b"DELETED\r\n")
        for i in range(3):
            self.assertEqual([k for k in keys[:10] if direct_get(i, k) is not None], [],
                             f"memcached[{i}] still holds deleted keys")
            self.assertEqual([k for k in keys[10:] if direct_get(i, k) is None], [])
        self.assertEqual(c.set(b"rep:add", b"a", verb=b"add"), b"STORED\r\n")
        self.assertEqual([direct_get(i, b"rep:add") for i in range(3)], [b"a"] * 3)
        self.assertEqual(c.set(b"rep:add", b"b", verb=b"add"), b"NOT_STORED\r\n")
        self.assertEqual(c.cmd(b"delete rep:nothing\r\n"), b"NOT_FOUND\r\n")
        self.assertEqual(c.get(b"rep:nothing"), b"END\r\n")
        relay.assert_alive()

    def test_reads_survive_a_replica_down(self):
        _, c = self.relay(self.config())
        self.restart_later(2)
        keys = [b"repdown:%d" % i for i in range(10)]
        for k in keys:
            self.assertEqual(c.set(k, b"x"), b"STORED\r\n")
        _servers[2].stop()
        for k in keys:
            self.assertEqual(c.value(k), b"x", f"LatestRoute fails over past the stopped replica ({k!r})")
        # A write cannot reach every replica: AllSyncRoute returns the worst reply, an error.
        reply = c.set(b"repdown:new", b"y")
        self.assertTrue(reply.startswith(b"SERVER_ERROR"), f"set with a replica down: {show(reply)}")
        self.assertEqual([direct_get(i, b"repdown:new") for i in (0, 1)], [b"y", b"y"],
                         "the replicas that are up still got the write")


class TestWarmUp(RoutingTest):
    HANDLES = ("WarmUpRoute",)

    def config(self, exptime=None):
        route = {"type": "WarmUpRoute", "cold": "PoolRoute|cold", "warm": "PoolRoute|warm"}
        if exptime is not None:
            route["exptime"] = exptime
        return {"pools": {"cold": {"servers": [addr(0)]}, "warm": {"servers": [addr(1)]}}, "route": route}

    def test_cold_pool_fills_from_warm(self):
        _, c = self.relay(self.config())
        for i in range(5):
            direct_set(1, b"wu:%d" % i, b"warm-%d" % i)
        for i in range(5):
            k = b"wu:%d" % i
            self.assertIsNone(direct_get(0, k))
            self.assertEqual(c.value(k), b"warm-%d" % i, "a cold miss is answered from warm")
        for i in range(5):
            k = b"wu:%d" % i
            wait_for(lambda: direct_get(0, k) == b"warm-%d" % i, 5, f"the cold server to receive {k!r}")
        self.assertEqual(direct_ttl(0, b"wu:0"), -1, "exptime 0 (default): never expires")
        # Cold now answers by itself, even once warm forgets.
        direct(1, b"flush_all\r\n", b"\r\n")
        self.assertEqual(c.value(b"wu:3"), b"warm-3")
        # Writes go to cold only.
        self.assertEqual(c.set(b"wu:new", b"n"), b"STORED\r\n")
        self.assertEqual((direct_get(0, b"wu:new"), direct_get(1, b"wu:new")), (b"n", None))
        self.assertEqual(c.get(b"wu:nowhere"), b"END\r\n")
        # The add never overwrites a newer value in cold.
        direct_set(0, b"wu:both", b"cold-newer")
        direct_set(1, b"wu:both", b"warm-older")
        self.assertEqual(c.value(b"wu:both"), b"cold-newer")

    def test_exptime_of_warmed_items(self):
        _, c = self.relay(self.config(exptime=100))
        direct_set(1, b"wu:ttl", b"w")
        self.assertEqual(c.value(b"wu:ttl"), b"w")
        wait_for(lambda: direct_get(0, b"wu:ttl") == b"w", 5, "the cold server to receive wu:ttl")
        ttl = direct_ttl(0, b"wu:ttl")
        self.assertTrue(0 < ttl <= 100, f"warmed item TTL {ttl}, want (0, 100]")

    def test_gets_returns_cold_cas(self):
        _, c = self.relay(self.config())
        direct_set(1, b"wu:cas", b"w")
        reply = c.cmd(b"gets wu:cas\r\n", b"END\r\n")
        items = parse_value_reply(reply)
        self.assertEqual(len(items), 1, show(reply))
        self.assertEqual(items[0][2], b"w")
        cold = parse_value_reply(direct(0, b"gets wu:cas\r\n", b"END\r\n"))
        self.assertEqual(len(cold), 1, "gets added the value to cold before answering")
        self.assertEqual(items[0][3], cold[0][3], "the CAS token is cold's")
        self.assertEqual(c.cmd(b"cas wu:cas 0 0 1 %d\r\nz\r\n" % items[0][3]), b"STORED\r\n")


class TestSelectors(RoutingTest):
    def test_prefix_selector(self):
        ok, said = handle_registered("PrefixSelectorRoute")
        if not ok:
            self.skipTest(f"route handle PrefixSelectorRoute is not registered ({said})")
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1)]}, "C": {"servers": [addr(2)]}},
               "routes": [{"aliases": ["/r/c/"],
                           "route": {"type": "PrefixSelectorRoute",
                                     "policies": {"user:": "PoolRoute|A", "user:vip:": "PoolRoute|B"},
                                     "wildcard": "PoolRoute|C"}}]}
        _, c = self.relay(cfg)
        for key, where in ((b"user:1", 0), (b"user:vip:1", 1), (b"user", 2), (b"other:1", 2),
                           (b"/r/c/user:vip:2", 1), (b"/r/c/user:3", 0)):
            self.assertEqual(c.set(key, b"v"), b"STORED\r\n")
            stored = key[len(b"/r/c/"):] if key.startswith(b"/r/c/") else key
            self.assertEqual(holders(stored), [where], f"{key!r}: longest prefix wins, key not stripped")

    def test_operation_selector_default_policy(self):
        ok, said = handle_registered("OperationSelectorRoute")
        if not ok:
            self.skipTest(f"route handle OperationSelectorRoute is not registered ({said})")
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1)]}},
               "route": {"type": "OperationSelectorRoute", "operation_policies": {"get": "PoolRoute|A"},
                         "default_policy": "PoolRoute|B"}}
        _, c = self.relay(cfg)
        self.assertEqual(c.set(b"os:1", b"v"), b"STORED\r\n")
        self.assertEqual(holders(b"os:1"), [1], "set is not listed: default_policy")
        self.assertEqual(c.get(b"os:1"), b"END\r\n", "get goes to A, which does not have it")
        direct_set(0, b"os:1", b"a")
        self.assertEqual(c.value(b"os:1"), b"a")
        gets = parse_value_reply(c.cmd(b"gets os:1\r\n", b"END\r\n"))
        self.assertEqual(gets[0][2], b"v", "gets is not get: the default policy answers it")


class TestOtherHandles(RoutingTest):
    def need(self, handle):
        ok, said = handle_registered(handle)
        if not ok:
            self.skipTest(f"route handle {handle} is not registered in {MCRELAY_BIN} ({said})")

    def test_miss_failover(self):
        self.need("MissFailoverRoute")
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1)]}},
               "route": {"type": "MissFailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}}
        _, c = self.relay(cfg)
        direct_set(1, b"mf:only-b", b"b")
        self.assertEqual(c.value(b"mf:only-b"), b"b", "a miss on A tries B")
        direct_set(0, b"mf:both", b"a")
        direct_set(1, b"mf:both", b"b")
        self.assertEqual(c.value(b"mf:both"), b"a", "the first hit wins")
        self.assertEqual(c.set(b"mf:new", b"n"), b"STORED\r\n")
        self.assertEqual(holders(b"mf:new"), [0], "writes go to the first child only")
        self.assertEqual(c.get(b"mf:none"), b"END\r\n")

    def test_all_async(self):
        self.need("AllAsyncRoute")
        cfg = {"pools": {"A": {"servers": [addr(i) for i in range(3)]}}, "route": "AllAsyncRoute|Pool|A"}
        _, c = self.relay(cfg)
        # mcrouter's (and the handle's documented) reply: the default reply at once, NOT_STORED for a set.
        self.assertEqual(c.set(b"aa:1", b"v"), b"NOT_STORED\r\n")
        wait_for(lambda: holders(b"aa:1") == [0, 1, 2], 5, "every child to receive the async set")
        self.assertEqual(c.get(b"aa:1"), b"END\r\n", "gets answer the default reply (a miss) too")

    def test_all_initial(self):
        self.need("AllInitialRoute")
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1)]}},
               "route": {"type": "AllInitialRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}}
        _, c = self.relay(cfg)
        self.assertEqual(c.set(b"ai:1", b"v"), b"STORED\r\n")
        wait_for(lambda: holders(b"ai:1") == [0, 1], 5, "both children to receive the set")
        direct_set(1, b"ai:1", b"b")
        self.assertEqual(c.value(b"ai:1"), b"v", "the first child's reply")

    def test_all_majority(self):
        self.need("AllMajorityRoute")
        cfg = {"pools": {"A": {"servers": [addr(i) for i in range(3)]}}, "route": "AllMajorityRoute|Pool|A"}
        _, c = self.relay(cfg)
        for i in (0, 1):
            direct_set(i, b"am:two", b"v")
        direct_set(2, b"am:one", b"v")
        self.assertEqual(c.value(b"am:two"), b"v", "2 of 3 hits: a hit")
        self.assertEqual(c.get(b"am:one"), b"END\r\n", "2 of 3 misses: a miss")
        self.assertEqual(c.set(b"am:set", b"s"), b"STORED\r\n")
        wait_for(lambda: holders(b"am:set") == [0, 1, 2], 5, "every child to receive the set")

    def test_all_fastest(self):
        self.need("AllFastestRoute")
        cfg = {"pools": {"A": {"servers": [addr(i) for i in range(3)]}}, "route": "AllFastestRoute|Pool|A"}
        _, c = self.relay(cfg)
        self.assertEqual(c.set(b"af:1", b"v"), b"STORED\r\n")
        wait_for(lambda: holders(b"af:1") == [0, 1, 2], 5, "every child to receive the set")

    def test_random(self):
        self.need("RandomRoute")
        cfg = {"pools": {"A": {"servers": [addr(i) for i in range(3)]}}, "route": "RandomRoute|Pool|A"}
        _, c = self.relay(cfg)
        used = set()
        for i in range(60):
            k = b"rnd:%d" % i
            self.assertEqual(c.set(k, b"v"), b"STORED\r\n")
            h = holders(k)
            self.assertEqual(len(h), 1, f"{k!r} on exactly one server: {h}")
            used.update(h)
        self.assertEqual(used, {0, 1, 2}, "60 random picks reach every server")

    def test_modify_exptime(self):
        self.need("ModifyExptimeRoute")
        cfg = {"pools": {"A": {"servers": [addr(0)]}},
               "routes": [{"aliases": ["/s/e/"], "route": {"type": "ModifyExptimeRoute", "target": "PoolRoute|A",
                                                           "exptime": 100, "action": "set"}},
                          {"aliases": ["/m/e/"], "route": {"type": "ModifyExptimeRoute", "target": "PoolRoute|A",
                                                           "exptime": 100, "action": "min"}}]}
        _, c = self.relay(cfg)
        cases = [(b"/s/e/never", 0, 100), (b"/s/e/long", 1000, 100), (b"/s/e/short", 10, 100),
                 (b"/m/e/never", 0, 100), (b"/m/e/long", 1000, 100), (b"/m/e/short", 10, 10)]
        for key, exptime, want in cases:
            self.assertEqual(c.set(key, b"v", exptime=exptime), b"STORED\r\n")
            ttl = direct_ttl(0, key[5:])
            self.assertTrue(ttl is not None and want - 5 <= ttl <= want,
                            f"{key!r} set with exptime {exptime}: TTL {ttl}, want about {want}")


class TestFlushAll(RoutingTest):
    def fill(self):
        for i in range(3):
            direct_set(i, b"fl:%d" % i, b"x")
            direct_set(i, b"fl:common", b"x")

    def assert_all_empty(self):
        for i in range(3):
            self.assertEqual([k for k in (b"fl:%d" % i, b"fl:common") if direct_get(i, k) is not None], [],
                             f"memcached[{i}] was not flushed")

    def test_flush_all_is_refused_without_enable_flush_cmd(self):
        # mcrouter's precheck: flush_all is answered "SERVER_ERROR Command disabled" and reaches no server.
        _, c = self.relay({"pools": {"A": {"servers": [addr(i) for i in range(3)]}}, "route": "PoolRoute|A"},
                          flush=False)
        self.fill()
        self.assertEqual(c.cmd(b"flush_all\r\n"), b"SERVER_ERROR Command disabled\r\n")
        self.assertEqual(c.cmd(b"flush_all noreply\r\nmn\r\n", b"MN\r\n"), b"MN\r\n")
        for i in range(3):
            self.assertEqual(direct_get(i, b"fl:common"), b"x", f"memcached[{i}] was flushed")

    def test_flush_all_reaches_every_server_of_a_pool(self):
        _, c = self.relay({"pools": {"A": {"servers": [addr(i) for i in range(3)]}}, "route": "PoolRoute|A"})
        self.fill()
        self.assertEqual(c.cmd(b"flush_all\r\n"), b"OK\r\n")
        self.assert_all_empty()

    def test_flush_all_reaches_every_route(self):
        cfg = {"pools": {"A": {"servers": [addr(0)]}, "B": {"servers": [addr(1), addr(2)]}},
               "routes": [{"aliases": ["/a/x/"], "route": "PoolRoute|A"},
                          {"aliases": ["/b/x/"], "route": "PoolRoute|B"}]}
        _, c = self.relay(cfg)
        self.fill()
        self.assertEqual(c.cmd(b"flush_all\r\n"), b"OK\r\n")
        self.assert_all_empty()

    def test_flush_all_needs_a_flushall_policy_in_an_operation_selector(self):
        # As in mcrouter: OperationSelectorRoute sends flush_all to its "flushall" policy (or
        # default_policy); without either it answers the default reply and flushes nothing.
        for handle in ("OperationSelectorRoute", "AllSyncRoute", "LatestRoute"):
            ok, said = handle_registered(handle)
            if not ok:
                self.skipTest(f"route handle {handle} is not registered ({said})")
        _, c = self.relay(replicated_config())
        self.fill()
        self.assertEqual(c.cmd(b"flush_all\r\n"), b"OK\r\n")
        for i in range(3):
            self.assertEqual(direct_get(i, b"fl:common"), b"x", f"memcached[{i}] was flushed")

    def test_flush_all_through_a_replicated_route(self):
        # OperationSelectorRoute sends flush_all to its "flushall" policy (mcrouter's operation name).
        for handle in ("OperationSelectorRoute", "AllSyncRoute", "LatestRoute"):
            ok, said = handle_registered(handle)
            if not ok:
                self.skipTest(f"route handle {handle} is not registered ({said})")
        _, c = self.relay(replicated_config(flushall="AllSyncRoute|Pool|A"))
        self.fill()
        self.assertEqual(c.cmd(b"flush_all\r\n"), b"OK\r\n")
        self.assert_all_empty()


if __name__ == "__main__":
    unittest.main()
