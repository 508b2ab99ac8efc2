"""mcrouter's older config forms on real memcached servers: the top-level "clusters" object and
"server_list_from_pool", FailoverWithExptimeRoute's "settings" object, and PoolRoute's "shard_splits" (after
mcrouter's test_shard_splits.py). Each test starts mcrelay with such a config, sends real requests, and asks
the memcached servers directly what they hold. (Config parsing and placement are unit-tested in
tests/config/test_config_old_forms.cpp and tests/routes/test_shard_split_route.cpp.)
"""

import unittest

from mcrelay_testlib import (SHOW_ERRORS, MemcachedGroup, RelayTestCase, parse_value_reply, refusing_address,
                             skip_without_proxy)

NUM_SERVERS = 3
_servers = MemcachedGroup(NUM_SERVERS)
direct, direct_get, holders = _servers.direct, _servers.get, _servers.holders


def setUpModule():
    _servers.start()


def tearDownModule():
    _servers.stop()


def set_cmd(key, value, exptime=0):
    return b"set %s 0 %d %d\r\n%s\r\n" % (key, exptime, len(value), value)


@skip_without_proxy()
class OldConfigFormsTest(RelayTestCase):
    servers = _servers

    def get(self, conn, key):
        items = parse_value_reply(conn.exchange(b"get %s\r\n" % key, b"END\r\n"))
        return items[0][2] if items else None

    def test_clusters_and_server_list_from_pool(self):
        # mcrouter's test_basic_failover.json shape, with B.alt borrowing B.wildcard's servers.
        config = {
            "clusters": {
                "A": {"cluster": "A", "pools": {"A.wildcard": {"servers": [_servers[0].address]}}},
                "B": {"pools": {"B.wildcard": {"servers": [_servers[1].address, _servers[2].address]},
                                "B.alt": {"server_list_from_pool": "B.wildcard"}}},
            },
            "routes": [
                {"aliases": ["/a/a/"], "route": "PoolRoute|A.wildcard"},
                {"aliases": ["/b/b/"], "route": "PoolRoute|B.alt"},
            ],
        }
        relay, conn = self.start_relay(config, ["-R", "/a/a/"])
        self.assertEqual(conn.exchange(set_cmd(b"/a/a/ka", b"va"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(holders(b"ka"), [0])
        for i in range(8):
            key = b"kb%d" % i
            self.assertEqual(conn.exchange(set_cmd(b"/b/b/" + key, b"vb"), b"\r\n"), b"STORED\r\n")
            self.assertEqual(len(holders(key)), 1)
            self.assertIn(holders(key)[0], (1, 2))
        # The cluster's "cluster" key is ignored, with a warning at start-up.
        self.assertIn('clusters.A.cluster: unknown cluster key "cluster" ignored', relay.stderr_text())

    def test_failover_with_exptime_settings(self):
        dead = refusing_address(self)
        route = {"type": "FailoverWithExptimeRoute", "normal": {"type": "PoolRoute", "pool": {"name": "dead",
                                                                                              "servers": [dead]}},
                 "failover": {"type": "PoolRoute", "pool": {"name": "backup", "servers": [_servers[0].address]}},
                 "failover_exptime": 3}
        # test_get_failover_with_failover_tag.json: settings.failover_tag marks the failed-over key.
        _, conn = self.start_relay(dict(route=dict(route, settings={"failover_tag": True})), SHOW_ERRORS)
        self.assertEqual(conn.exchange(set_cmd(b"tagged|#|extra=1", b"v", exptime=1000), b"\r\n"), b"STORED\r\n")
        self.assertEqual(direct_get(0, b"tagged|#|extra=1:failover=1"), b"v")
        self.assertIsNone(direct_get(0, b"tagged|#|extra=1"))
        mg = direct(0, b"mg tagged|#|extra=1:failover=1 t\r\n", b"\r\n")
        self.assertTrue(mg.startswith(b"HD t"), mg)
        self.assertLessEqual(int(mg.split(b" t")[1]), 3)  # failover_exptime caps the TTL
        # "tko": false: connect errors and TKO do not fail over; the client sees the error.
        _, strict = self.start_relay(dict(route=dict(route, settings={"tko": False})), SHOW_ERRORS)
        reply = strict.exchange(set_cmd(b"strict", b"v"), b"\r\n")
        self.assertTrue(reply.startswith(b"SERVER_ERROR"), reply)
        self.assertIsNone(direct_get(0, b"strict"))
        # Deletes do not fail over by default under "settings"; "deletes": true turns them on.
        self.assertEqual(direct(0, set_cmd(b"gone", b"v"), b"\r\n"), b"STORED\r\n")
        reply = conn.exchange(b"delete gone\r\n", b"\r\n")
        self.assertNotEqual(reply, b"DELETED\r\n")
        self.assertEqual(direct_get(0, b"gone"), b"v")
        _, deletes = self.start_relay(dict(route=dict(route, settings={"deletes": True})), SHOW_ERRORS)
        self.assertEqual(deletes.exchange(b"delete gone\r\n", b"\r\n"), b"DELETED\r\n")
        self.assertIsNone(direct_get(0, b"gone"))

    def test_shard_splits(self):
        # mcrouter's test_shard_splits.py over pool A of three servers, shard "1" split three ways.
        config = {"pools": {"A": {"servers": [mc.address for mc in _servers]}},
                  "route": {"type": "PoolRoute", "pool": "A", "shard_splits": {"1": 3, "2": -1}}}
        relay, conn = self.start_relay(config)
        self.assertIn("route.shard_splits.2: shard split ignored", relay.stderr_text())
        # A set of the key writes this host's copy (one of the three keys); the copies' own keys are not split
        # again, so the application can write each copy itself.
        self.assertEqual(conn.exchange(set_cmd(b"a:1:one", b"v"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(sum(len(holders(k)) for k in (b"a:1:one", b"a:1aa:one", b"a:1ba:one")), 1)
        for key, value in ((b"a:1:blah", b"value"), (b"a:1aa:blah", b"value_aa"), (b"a:1ba:blah", b"value_ba")):
            self.assertEqual(conn.exchange(set_cmd(key, value), b"\r\n"), b"STORED\r\n")
        # A get of the key reads this host's copy.
        self.assertIn(self.get(conn, b"a:1:blah"), (b"value", b"value_aa", b"value_ba"))
        self.assertEqual(self.get(conn, b"a:1aa:blah"), b"value_aa")
        self.assertEqual(self.get(conn, b"a:1ba:blah"), b"value_ba")
        self.assertIsNone(self.get(conn, b"a:1ca:blah"))
        # A delete of the key removes every copy.
        for key in (b"a:1:foo", b"a:1aa:foo", b"a:1ba:foo"):
            self.assertEqual(conn.exchange(set_cmd(key, b"value"), b"\r\n"), b"STORED\r\n")
        conn.exchange(b"delete a:1:foo\r\n", b"\r\n")
        for key in (b"a:1:foo", b"a:1aa:foo", b"a:1ba:foo"):
            for _ in range(100):  # the copies are deleted in the background
                if not holders(key):
                    break
            self.assertEqual(holders(key), [], key)
        # No split: shard 5, and shard 2 whose count was ignored.
        for key in (b"a:5:bar", b"a:2:bar"):
            self.assertEqual(conn.exchange(set_cmd(key, b"value2"), b"\r\n"), b"STORED\r\n")
            self.assertEqual(self.get(conn, key), b"value2")
            self.assertEqual(conn.exchange(b"delete %s\r\n" % key, b"\r\n"), b"DELETED\r\n")
            self.assertIsNone(self.get(conn, key))
        # Arithmetic and gets reach the same copy as the set did (test_shard_splits.py's counter).
        self.assertEqual(conn.exchange(set_cmd(b"a:1:counter", b"5"), b"\r\n"), b"STORED\r\n")
        self.assertEqual(conn.exchange(b"incr a:1:counter 1\r\n", b"\r\n"), b"6\r\n")
        self.assertEqual(self.get(conn, b"a:1:counter"), b"6")
        self.assertEqual(conn.exchange(b"decr a:1:counter 3\r\n", b"\r\n"), b"3\r\n")
        self.assertEqual(self.get(conn, b"a:1:counter"), b"3")
        copies = [direct_get(i, k) for i in range(NUM_SERVERS) for k in (b"a:1:counter", b"a:1aa:counter", b"a:1ba:counter")]
        self.assertEqual(sorted(c for c in copies if c is not None), [b"3"])


if __name__ == "__main__":
    unittest.main()
