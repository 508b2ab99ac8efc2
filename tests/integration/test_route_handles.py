"""Route handles and inline pools from mcrouter's config language, on real memcached servers: each test
starts mcrelay with a config using the handle, sends real requests and asks every memcached directly what
it holds (unit tests over recording fakes are in tests/routes/test_<handle>.cpp).
"""

import unittest

from mcrelay_testlib import SHOW_ERRORS, Conn, Mcrelay, MemcachedGroup, RelayTestCase, free_port, skip_without_proxy
from test_placement import ch3

NUM_SERVERS = 3
# Also on ::1, so that a pool can name a server by its bracketed IPv6 literal.
_servers = MemcachedGroup(NUM_SERVERS, extra_args=["-l", "[::1]"])
direct, direct_get, holders = _servers.direct, _servers.get, _servers.holders


def setUpModule():
    _servers.start()


def tearDownModule():
    _servers.stop()


@skip_without_proxy()
class RouteHandleTest(RelayTestCase):
    servers = _servers

    def relay(self, config, args=()):
        return self.start_relay(config, args)[1]

    @staticmethod
    def set_cmd(key, value):
        return b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)

    # --- inline pools -------------------------------------------------------------------------------

    def test_inline_pool_places_keys_with_ch3(self):
        servers = [f"[::1]:{_servers[0].port}", _servers[1].address, _servers[2].address]
        conn = self.relay({"route": {"type": "PoolRoute",
                                     "pool": {"type": "Pool", "name": "inline", "servers": servers,
                                              "weights": [1, 1, 1, 0.5]}}})
        keys = [b"inline%d" % i for i in range(30)]
        for key in keys:
            self.assertEqual(conn.exchange(self.set_cmd(key, b"v"), b"\r\n"), b"STORED\r\n")
        # Each key on exactly one server, the one named by its IPv6 literal included (the 4th weight, for
        # no server, is ignored as mcrouter ignores it).
        placed = [holders(k) for k in keys]
        self.assertTrue(all(len(p) == 1 for p in placed), placed)
        self.assertIn(0, {p[0] for p in placed}, "no key reached the server named [::1]:port")
        self.assertGreater(len({p[0] for p in placed}), 1, "all keys on one server")

    def test_inline_pool_without_weights_is_ch3(self):
        servers = [mc.address for mc in _servers]
        conn = self.relay({"route": {"type": "PoolRoute", "pool": {"name": "P", "servers": servers}}})
        for i in range(30):
            key = b"ch3key%d" % i
            self.assertEqual(conn.exchange(self.set_cmd(key, b"v"), b"\r\n"), b"STORED\r\n")
            self.assertEqual(holders(key), [ch3(key, NUM_SERVERS)], key)

    def test_pool_object_as_children_fails_over(self):
        dead = f"127.0.0.1:{free_port()}"
        conn = self.relay({"route": {"type": "FailoverRoute",
                                     "children": [{"type": "Pool", "name": "dead", "servers": [dead]},
                                                  "Pool|live"]},
                           "pools": {"live": {"servers": [_servers[2].address]}}})
        self.assertEqual(conn.exchange(self.set_cmd(b"fk", b"v"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(holders(b"fk"), [2])

    def test_port_zero_loads_and_fails_over(self):
        conn = self.relay({"route": {"type": "FailoverRoute",
                                     "children": [{"type": "PoolRoute",
                                                   "pool": {"name": "zero", "servers": ["localhost:0"]}},
                                                  {"type": "PoolRoute",
                                                   "pool": {"name": "live", "servers": [_servers[0].address]}}]}})
        self.assertEqual(conn.exchange(self.set_cmd(b"zk", b"v"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(holders(b"zk"), [0])

    def test_caret_and_facebook_only_handles_are_refused_with_a_reason(self):
        import json
        import subprocess
        from mcrelay_testlib import MCRELAY_BIN
        for cfg, said in (
                ({"pools": {"A": {"servers": ["h:1"], "protocol": "caret"}}, "route": "PoolRoute|A"},
                 "the caret protocol"),
                ({"route": {"type": "CarbonLookasideRoute", "child": "NullRoute"}},
                 "CarbonLookasideRoute is not supported"),
                ({"route": {"type": "AxonLogRoute"}}, "AxonLogRoute is not supported")):
            proc = subprocess.run([MCRELAY_BIN, "--validate-config", "--config", json.dumps(cfg)],
                                  capture_output=True, text=True, timeout=10)
            self.assertNotEqual(proc.returncode, 0, proc)
            self.assertIn(said, proc.stdout + proc.stderr)

    # --- DevNullRoute, BlackholeRoute ------------------------------------------------------------------

    def test_dev_null_route(self):
        conn = self.relay({"route": "DevNullRoute"})
        self.assertEqual(conn.exchange(self.set_cmd(b"dn", b"v"), b"\r\n"), b"NOT_STORED\r\n")
        self.assertEqual(conn.exchange(b"get dn\r\n", b"END\r\n"), b"END\r\n")
        self.assertEqual(conn.exchange(b"delete dn\r\n", b"\r\n"), b"NOT_FOUND\r\n")

    def test_blackhole_route(self):
        conn = self.relay({"pools": {"A": {"servers": [_servers[0].address]}},
                           "route": {"type": "BlackholeRoute", "default": "PoolRoute|A",
                                     "policies": {"key": [{"op": "equals", "value": "spam"}],
                                                  "exptime": [{"op": "equals", "value": 0}]}}})
        self.assertEqual(conn.exchange(self.set_cmd(b"spam", b"v"), b"\r\n"), b"NOT_STORED\r\n")
        self.assertEqual(conn.exchange(self.set_cmd(b"ham", b"v"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(conn.exchange(b"set spam 0 60 1\r\nv\r\n", b"\r\n"), b"STORED\r\n")  # exptime 60
        self.assertEqual(direct_get(0, b"ham"), b"v")
        self.assertEqual(direct_get(0, b"spam"), b"v")
        self.assertEqual(conn.exchange(b"get spam\r\n", b"END\r\n"), b"END\r\n")  # a get has no exptime

    # --- ModifyKeyRoute ------------------------------------------------------------------------------

    def test_modify_key_route(self):
        conn = self.relay({"pools": {"A": {"servers": [_servers[1].address]}},
                           "route": {"type": "ModifyKeyRoute", "ensure_key_prefix": "new:",
                                     "replace_key_prefix": "old:", "target": "PoolRoute|A"}},
                          args=SHOW_ERRORS)  # the get below asserts the route's error, not mcrouter's miss
        self.assertEqual(conn.exchange(self.set_cmd(b"old:k1", b"a"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(conn.exchange(self.set_cmd(b"k2", b"b"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(direct_get(1, b"new:k1"), b"a")
        self.assertEqual(direct_get(1, b"new:k2"), b"b")
        self.assertIsNone(direct_get(1, b"old:k1"))
        # The reply carries the key the client asked for.
        self.assertEqual(conn.exchange(b"get old:k1\r\n", b"END\r\n"), b"VALUE old:k1 0 1\r\na\r\nEND\r\n")
        too_long = b"k" * 248
        reply = conn.exchange(b"get %s\r\n" % too_long, b"\r\n")
        self.assertTrue(reply.startswith(b"SERVER_ERROR") and b"key too long" in reply, reply)


    # --- KeySplitRoute, LoadBalancerRoute ------------------------------------------------------------

    def test_key_split_route_all_sync(self):
        conn = self.relay({"pools": {"A": {"servers": [_servers[0].address]}},
                           "route": {"type": "KeySplitRoute", "destination": "PoolRoute|A", "replicas": 3,
                                     "all_sync": True}})
        self.assertEqual(conn.exchange(self.set_cmd(b"hot", b"v"), b"\r\n"), b"STORED\r\n")
        # The other replicas are written in the background: wait for them.
        from mcrelay_testlib import wait_for
        wait_for(lambda: all(direct_get(0, k) == b"v" for k in (b"hot", b"hot::1", b"hot::2")), 5,
                 "every replica of hot written")
        self.assertEqual(conn.exchange(b"get hot\r\n", b"END\r\n"), b"VALUE hot 0 1\r\nv\r\nEND\r\n")
        self.assertEqual(conn.exchange(b"delete hot\r\n", b"\r\n"), b"DELETED\r\n")
        wait_for(lambda: all(direct_get(0, k) is None for k in (b"hot", b"hot::1", b"hot::2")), 5,
                 "every replica of hot deleted")

    def test_load_balancer_route_hashes_and_fails_over(self):
        dead = f"127.0.0.1:{free_port()}"
        children = [{"type": "PoolRoute", "pool": {"name": f"lb{i}", "servers": [mc.address]}}
                    for i, mc in enumerate(_servers)]
        conn = self.relay({"route": {"type": "LoadBalancerRoute", "children": children}})
        keys = [b"lb%d" % i for i in range(30)]
        for key in keys:
            self.assertEqual(conn.exchange(self.set_cmd(key, b"v"), b"\r\n"), b"STORED\r\n")
        placed = [holders(k) for k in keys]
        self.assertTrue(all(len(p) == 1 for p in placed), placed)
        self.assertEqual({p[0] for p in placed}, {0, 1, 2})
        for key, p in zip(keys, placed):  # the same key, the same child, every time
            self.assertEqual(conn.exchange(b"get %s\r\n" % key, b"END\r\n"),
                             b"VALUE %s 0 1\r\nv\r\nEND\r\n" % key)
        # With a dead child and failover_count, nothing is lost.
        children[0] = {"type": "PoolRoute", "pool": {"name": "dead", "servers": [dead]}}
        conn = self.relay({"route": {"type": "LoadBalancerRoute", "failover_count": 2, "children": children}})
        for key in keys:
            self.assertEqual(conn.exchange(self.set_cmd(key + b"x", b"w"), b"\r\n"), b"STORED\r\n")


    def test_routing_group_route(self):
        conn = self.relay({"pools": {f"P{i}": {"servers": [mc.address]} for i, mc in enumerate(_servers)},
                           "route": {"type": "RoutingGroupRoute", "default_policy": "PoolRoute|P2",
                                     "routing_group_policies": {"update_like": "PoolRoute|P0",
                                                                "get_like": "PoolRoute|P1"}}})
        self.assertEqual(conn.exchange(self.set_cmd(b"rg", b"v"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(holders(b"rg"), [0])
        self.assertEqual(conn.exchange(b"get rg\r\n", b"END\r\n"), b"END\r\n")  # reads go to P1
        direct(1, self.set_cmd(b"rg", b"from1"), b"\r\n")
        self.assertEqual(conn.exchange(b"get rg\r\n", b"END\r\n"), b"VALUE rg 0 5\r\nfrom1\r\nEND\r\n")
        self.assertEqual(conn.exchange(b"delete rg\r\n", b"\r\n"), b"NOT_FOUND\r\n")  # default: P2
        self.assertEqual(holders(b"rg"), [0, 1])


    def test_original_client_hash_route(self):
        def fnv1a64(text):
            h = 14695981039346656037
            for c in text.encode():
                h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
            return h
        conn = self.relay({"pools": {f"P{i}": {"servers": [mc.address]} for i, mc in enumerate(_servers)},
                           "route": {"type": "OriginalClientHashRoute", "offset": 1,
                                     "children": ["PoolRoute|P0", "PoolRoute|P1", "PoolRoute|P2"]}})
        want = (fnv1a64("127.0.0.1") + 1) % NUM_SERVERS  # the test connects from 127.0.0.1
        for i in range(10):
            key = b"och%d" % i
            self.assertEqual(conn.exchange(self.set_cmd(key, b"v"), b"\r\n"), b"STORED\r\n")
            self.assertEqual(holders(key), [want], key)


    def test_rate_limit_route(self):
        import time
        conn = self.relay({"pools": {"A": {"servers": [_servers[0].address]}},
                           "route": {"type": "RateLimitRoute", "target": "PoolRoute|A",
                                     "rates": {"sets_rate": 2, "sets_burst": 2}}})
        replies = [conn.exchange(self.set_cmd(b"rl%d" % i, b"v"), b"\r\n") for i in range(20)]
        stored = replies.count(b"STORED\r\n")
        self.assertEqual(stored + replies.count(b"NOT_STORED\r\n"), 20, replies)
        self.assertLessEqual(stored, 4, replies)  # 2/s, starting empty: only a few pass in a burst
        self.assertEqual(sum(direct_get(0, b"rl%d" % i) is not None for i in range(20)), stored)
        for _ in range(20):  # gets are not limited
            self.assertEqual(conn.exchange(b"get rl0\r\n", b"END\r\n").endswith(b"END\r\n"), True)
        time.sleep(1.1)  # two tokens back
        self.assertEqual(conn.exchange(self.set_cmd(b"later", b"v"), b"\r\n"), b"STORED\r\n")


    def test_salted_failover_route(self):
        dead = f"127.0.0.1:{free_port()}"
        conn = self.relay({"pools": {"S": {"servers": [dead, _servers[0].address, _servers[1].address]}},
                           "route": {"type": "SaltedFailoverRoute", "pool": "S"}})
        for i in range(20):
            key = b"sf%d" % i
            self.assertEqual(conn.exchange(self.set_cmd(key, b"v"), b"\r\n"), b"STORED\r\n")
            # Ch3 picks the server; the dead one (index 0) fails over to the pool's servers in order: the
            # dead one again, then memcached[0].
            want = {0: 0, 1: 0, 2: 1}[ch3(key, 3)]
            self.assertEqual(holders(key), [want], key)


    def test_shadow_route(self):
        conn = self.relay({"pools": {f"P{i}": {"servers": [mc.address]} for i, mc in enumerate(_servers)},
                           "route": {"type": "ShadowRoute", "children": "PoolRoute|P0",
                                     "shadows": [{"target": "PoolRoute|P2"}]}})
        self.assertEqual(conn.exchange(self.set_cmd(b"sh", b"v"), b"\r\n"), b"STORED\r\n")
        from mcrelay_testlib import wait_for
        wait_for(lambda: holders(b"sh") == [0, 2], 5, "sh on the child and on the shadow")
        direct(2, self.set_cmd(b"sh", b"shadow"), b"\r\n")  # the shadow's reply never reaches the client
        self.assertEqual(conn.exchange(b"get sh\r\n", b"END\r\n"), b"VALUE sh 0 1\r\nv\r\nEND\r\n")


    def test_latency_injection_route_delays_without_blocking_the_worker(self):
        import time
        relay = Mcrelay({"pools": {"A": {"servers": [_servers[0].address]}},
                         "routes": [{"aliases": ["/slow/x/"],
                                     "route": {"type": "LatencyInjectionRoute", "child": "PoolRoute|A",
                                               "before_latency_ms": 300, "total_latency_ms": 500}},
                                    {"aliases": ["/fast/x/"], "route": "PoolRoute|A"}]},
                        args=["--num-proxies", "1"]).start()
        self.addCleanup(relay.stop)
        slow = Conn(relay.port, name="slow", diag=relay.diag)
        fast = Conn(relay.port, name="fast", diag=relay.diag)
        self.addCleanup(slow.close)
        self.addCleanup(fast.close)
        start = time.monotonic()
        slow.send(b"get /slow/x/k\r\n")
        self.assertEqual(fast.exchange(b"get /fast/x/k\r\n", b"END\r\n"), b"END\r\n")
        self.assertLess(time.monotonic() - start, 0.25, "the worker was blocked by the injected latency")
        self.assertEqual(slow.read_until(b"END\r\n"), b"END\r\n")
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.5)  # total_latency_ms pads the 300 ms before-latency to 500
        self.assertLess(elapsed, 3.0)


    def test_logging_route(self):
        relay = Mcrelay({"pools": {"A": {"servers": [_servers[0].address]}},
                         "route": {"type": "LoggingRoute", "target": "PoolRoute|A"}}).start()
        self.addCleanup(relay.stop)
        conn = Conn(relay.port, name="mcrelay", diag=relay.diag)
        self.addCleanup(conn.close)
        self.assertEqual(conn.exchange(self.set_cmd(b"logged", b"hello"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(conn.exchange(b"get logged\r\n", b"END\r\n"), b"VALUE logged 0 5\r\nhello\r\nEND\r\n")
        self.assertEqual(direct_get(0, b"logged"), b"hello")
        from mcrelay_testlib import wait_for
        wait_for(lambda: "request key: logged response: mc_res_found responseLength: 5 ip: N/A"
                 in relay.stderr_text(), 5, "the get logged")
        self.assertIn("request key: logged response: mc_res_stored responseLength: 0 ip: N/A", relay.stderr_text())


    def test_error_route_result_and_enable_logging(self):
        conn = self.relay({"pools": {"A": {"servers": [_servers[1].address]}},
                           "routes": [{"aliases": ["/err/x/"],
                                       "route": {"type": "ErrorRoute", "response": "nope", "result": "mc_res_busy",
                                                 "enable_logging": False}},
                                      {"aliases": ["/fo/x/"],
                                       "route": {"type": "FailoverRoute", "failover_errors": ["timeout"],
                                                 "children": [{"type": "ErrorRoute", "result": "mc_res_timeout"},
                                                              "PoolRoute|A"]}}]},
                          args=SHOW_ERRORS)  # the get below asserts the route's error, not mcrouter's miss
        self.assertEqual(conn.exchange(b"get /err/x/k\r\n", b"\r\n"), b"SERVER_ERROR nope\r\n")
        self.assertEqual(conn.exchange(self.set_cmd(b"/fo/x/ek", b"v"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(direct_get(1, b"ek"), b"v")


if __name__ == "__main__":
    unittest.main()
