"""PoolRoute options from mcrouter on real memcached servers: `rates`, `slow_warmup`, `"hash": "Latest"` and
`bucketize`. Each test starts mcrelay with the option, sends real requests and asks every memcached
directly what it holds or how many gets it served (unit tests over recording fakes are in
tests/routes/test_pool_route_options.cpp, test_slow_warm_up_route.cpp and test_key_bucketizer.cpp).
"""

import json
import subprocess
import time
import unittest

from mcrelay_testlib import MCRELAY_BIN, MemcachedGroup, RelayTestCase, refusing_address, skip_without_proxy
from test_placement import ch3

NUM_SERVERS = 3
_servers = MemcachedGroup(NUM_SERVERS)
direct, direct_get, holders = _servers.direct, _servers.get, _servers.holders


def setUpModule():
    _servers.start()


def tearDownModule():
    _servers.stop()


def cmd_get(i):
    return int(_servers[i].stats()["cmd_get"])


def set_cmd(key, value=b"v"):
    return b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)


@skip_without_proxy()
class PoolOptionsTest(RelayTestCase):
    servers = _servers

    def relay(self, config, args=()):
        return self.start_relay(config, args)[1]

    def all_servers(self, **extra):
        return {"servers": [mc.address for mc in _servers], **extra}

    def test_rates_limit_the_pool(self):
        conn = self.relay({"pools": {"A": self.all_servers()},
                           "route": {"type": "PoolRoute", "pool": "A", "rates": {"sets_rate": 2, "sets_burst": 2}}})
        replies = [conn.exchange(set_cmd(b"rate%d" % i), b"\r\n") for i in range(20)]
        stored = replies.count(b"STORED\r\n")
        self.assertEqual(stored + replies.count(b"NOT_STORED\r\n"), 20, replies)
        self.assertLessEqual(stored, 4, replies)  # 2/s from an empty bucket: a few at most in a burst
        self.assertEqual(sum(len(holders(b"rate%d" % i)) for i in range(20)), stored)
        gets_before = sum(cmd_get(i) for i in range(NUM_SERVERS))
        for _ in range(20):  # no gets_rate: gets are not limited, every one reaches a server
            self.assertTrue(conn.exchange(b"get rate0\r\n", b"END\r\n").endswith(b"END\r\n"))
        self.assertEqual(sum(cmd_get(i) for i in range(NUM_SERVERS)) - gets_before, 20)
        time.sleep(1.1)  # two tokens back
        self.assertEqual(conn.exchange(set_cmd(b"later"), b"\r\n"), b"STORED\r\n")

    def test_slow_warmup_sends_a_cold_servers_gets_to_the_failover_target(self):
        # memcached[0] is the cold server; memcached[1] the warm copy that holds the data.
        keys = [b"sw%d" % i for i in range(100)]
        for key in keys:
            self.assertEqual(direct(1, set_cmd(key, b"warm"), b"\r\n"), b"STORED\r\n")
        conn = self.relay({"pools": {"cold": {"servers": [_servers[0].address]},
                                     "warm": {"servers": [_servers[1].address]}},
                           "route": {"type": "PoolRoute", "pool": "cold",
                                     "slow_warmup": {"failoverTarget": "PoolRoute|warm",
                                                     "settings": {"enable_threshold": 0.5, "disable_threshold": 0.9,
                                                                  "min_requests": 5}}}})
        cold_before = cmd_get(0)
        for i in range(5):  # min_requests misses: until then the server counts as warm and gets them all
            self.assertEqual(conn.exchange(b"get miss%d\r\n" % i, b"END\r\n"), b"END\r\n")
        self.assertEqual(cmd_get(0) - cold_before, 5)
        # Hit rate 0 < 0.5: warming up. A get reaches the cold server with probability start (0.1); the others
        # are answered by the warm pool.
        hits = 0
        for key in keys:
            reply = conn.exchange(b"get %s\r\n" % key, b"END\r\n")
            hits += reply == b"VALUE %s 0 4\r\nwarm\r\nEND\r\n" % key
        sent_to_cold = cmd_get(0) - cold_before - 5
        self.assertEqual(hits + sent_to_cold, 100)  # each get went to exactly one of them
        self.assertGreater(hits, 60)
        self.assertGreater(sent_to_cold, 0)
        # Sets always go to the cold server: that is how it warms up.
        self.assertEqual(conn.exchange(set_cmd(b"fresh"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(holders(b"fresh"), [0])

    def test_hash_latest_sends_every_key_to_the_first_pick_and_fails_over(self):
        conn = self.relay({"pools": {"A": self.all_servers()},
                           "route": {"type": "PoolRoute", "pool": "A",
                                     "hash": {"hash_func": "Latest", "failover_count": 2}}})
        for i in range(20):
            self.assertEqual(conn.exchange(set_cmd(b"lt%d" % i), b"\r\n"), b"STORED\r\n")
        placed = {tuple(holders(b"lt%d" % i)) for i in range(20)}
        self.assertEqual(len(placed), 1, placed)  # not hashed: one server for every key
        self.assertEqual(len(next(iter(placed))), 1)
        # A dead server drawn first (the only one with weight) fails over to the second pick.
        dead = refusing_address(self)
        conn = self.relay({"pools": {"B": {"servers": [dead, _servers[0].address, _servers[1].address],
                                           "weights": [1, 0, 0]}},
                           "route": {"type": "PoolRoute", "pool": "B",
                                     "hash": {"hash_func": "Latest", "failover_count": 2}}})
        for i in range(10):
            self.assertEqual(conn.exchange(set_cmd(b"lf%d" % i), b"\r\n"), b"STORED\r\n")
        placed = {tuple(holders(b"lf%d" % i)) for i in range(10)}
        self.assertEqual(len(placed), 1, placed)
        self.assertIn(next(iter(placed)), {(0,), (1,)})

    def test_hash_load_balancer_hashes_with_weight_one(self):
        # memcached reports no load: every server weighs 1, and weighted hashing is Ch3 of the key.
        conn = self.relay({"pools": {"A": self.all_servers()},
                           "route": {"type": "PoolRoute", "pool": "A", "hash": "LoadBalancer"}})
        for i in range(20):
            key = b"lb%d" % i
            self.assertEqual(conn.exchange(set_cmd(key), b"\r\n"), b"STORED\r\n")
            self.assertEqual(holders(key), [ch3(key, NUM_SERVERS)], key)

    def test_bucketize_places_keys_by_bucket(self):
        conn = self.relay({"pools": {"A": self.all_servers(weights=[1, 1, 1])},
                           "route": {"type": "PoolRoute", "pool": "A", "bucketize": True, "total_buckets": 100,
                                     "bucketization_keyspace": "main", "total_buckets_by_prefix": {"user:": 1}}})
        used = set()
        for i in range(40):
            key = b"bk%d" % i
            self.assertEqual(conn.exchange(set_cmd(key), b"\r\n"), b"STORED\r\n")
            # WeightedCh3 with weight 1 accepts Ch3's first choice: the server is Ch3 of the bucket's digits.
            want = ch3(str(ch3(key, 100)).encode(), NUM_SERVERS)
            self.assertEqual(holders(key), [want], key)
            used.add(want)
        self.assertEqual(len(used), NUM_SERVERS)
        # Every "user:" key is in the prefix's one bucket: Ch3("user:0", 100).
        want = ch3(str(ch3(b"user:0", 100)).encode(), NUM_SERVERS)
        for i in range(10):
            key = b"user:%d" % i
            self.assertEqual(conn.exchange(set_cmd(key), b"\r\n"), b"STORED\r\n")
            self.assertEqual(holders(key), [want], key)

    def test_failure_domains_steer_deterministic_failover_away_from_a_down_domain(self):
        # Servers 0 and 2 are down; domains: {dead0, live0} and {dead1, live1}.
        dead0, dead1 = refusing_address(self), refusing_address(self)
        servers = [dead0, _servers[0].address, dead1, _servers[1].address]
        domain = [1, 1, 2, 2]
        live_index = {1: 0, 3: 1}  # pool index -> memcached index
        conn = self.relay({"pools": {"P": {"servers": servers, "failure_domains": domain}},
                           "route": {"type": "FailoverRoute", "children": ["PoolRoute|P", "Pool|P"],
                                     "failover_policy": {"type": "DeterministicOrderPolicy", "max_tries": 5,
                                                         "max_error_tries": 5, "enable_failure_domains": True}}},
                          args=["--timeouts-until-tko", "1", "--probe-timeout-initial", "60000"])
        for i in range(40):  # mark both dead servers down (TKO) before the test proper
            conn.exchange(set_cmd(b"warm%d" % i), b"\r\n")
        for i in range(2):
            self.assertEqual(direct(i, b"flush_all\r\n", b"\r\n"), b"OK\r\n")

        def landing(key, use_domains):
            """The live pool index a set of `key` ends on, as mcrouter's DeterministicOrderPolicy draws."""
            first = ch3(key, 4)
            if first in live_index:
                return first
            used = {0, first + 1}  # child 0, and the normal route's server listed again
            failed = {domain[first]}
            draws = []
            for salt in range(2, 200):
                c = ch3(key + str(salt).encode(), 5)
                if c not in used:
                    used.add(c)
                    draws.append(c - 1)
            while draws:
                pick = next((s for s in draws if not use_domains or domain[s] not in failed), draws[0])
                draws.remove(pick)
                if pick in live_index:
                    return pick
                failed.add(domain[pick])
            return None

        differs = 0
        for i in range(60):
            key = b"fdk%d" % i
            self.assertEqual(conn.exchange(set_cmd(key), b"\r\n"), b"STORED\r\n", key)
            want = landing(key, True)
            self.assertEqual(holders(key), [live_index[want]], key)
            differs += want != landing(key, False)
        self.assertGreater(differs, 0)  # some keys land elsewhere than without failure domains

    def test_bad_options_are_refused_with_the_reason(self):
        for route, said in (
                ({"type": "PoolRoute", "pool": "A", "bucketize": True, "total_buckets": 10,
                  "bucketization_keyspace": "k"}, "bucketization is not implemented for hash function Ch3"),
                ({"type": "PoolRoute", "pool": "A", "slow_warmup": {"failoverTarget": "NullRoute",
                                                                    "settings": {"enable_threshold": 0.9,
                                                                                 "disable_threshold": 0.5}}},
                 "enable_threshold must be strictly less than disable_threshold"),
                ({"type": "PoolRoute", "pool": "A", "rates": {"sets_rat": 1}}, "unknown key \"sets_rat\" in rates"),
                ({"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "Latest", "failover_count": 0}},
                 "failover_count: must be at least 1")):
            cfg = {"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}}, "route": route}
            proc = subprocess.run([MCRELAY_BIN, "--validate-config", "--config", json.dumps(cfg)],
                                  capture_output=True, text=True, timeout=10)
            self.assertNotEqual(proc.returncode, 0, proc)
            self.assertIn(said, proc.stdout + proc.stderr)


if __name__ == "__main__":
    unittest.main()
