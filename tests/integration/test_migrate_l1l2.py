"""MigrateRoute, L1L2CacheRoute, L1L2SizeSplitRoute, WarmUpRoute's TTL copy and --big-value-split-threshold
on real memcached servers, checked by asking each memcached directly
what it holds (the helpers and the RoutingTest base of test_routing.py)."""

import re
import time
import unittest

import test_routing
from mcrelay_testlib import STANDIN, Memcached, parse_value_reply, wait_for
from test_routing import RoutingTest, addr, direct, direct_get, direct_set, direct_ttl


def setUpModule():
    if STANDIN:
        return
    while len(test_routing._servers) < 2:
        test_routing._servers.append(Memcached().start())


def tearDownModule():
    test_routing.tearDownModule()
    test_routing._servers.clear()


def migrate_config(start_time, interval=3600):
    return {"pools": {"old": {"servers": [addr(0)]}, "new": {"servers": [addr(1)]}},
            "route": {"type": "MigrateRoute", "from": "PoolRoute|old", "to": "PoolRoute|new",
                      "start_time": start_time, "interval": interval}}


class TestMigrate(RoutingTest):
    HANDLES = ("MigrateRoute",)

    def test_first_interval_writes_old_deletes_both(self):
        _, c = self.relay(migrate_config(int(time.time()) - 10))
        self.assertEqual(c.set(b"mig:a", b"1"), b"STORED\r\n")
        self.assertEqual((direct_get(0, b"mig:a"), direct_get(1, b"mig:a")), (b"1", None))
        direct_set(1, b"mig:a", b"stale")
        self.assertEqual(c.value(b"mig:a"), b"1", "reads still come from the old pool")
        self.assertEqual(c.cmd(b"delete mig:a\r\n", b"\r\n"), b"DELETED\r\n")
        self.assertEqual((direct_get(0, b"mig:a"), direct_get(1, b"mig:a")), (None, None),
                         "a delete reaches both pools")

    def test_second_interval_reads_and_writes_new(self):
        _, c = self.relay(migrate_config(int(time.time()) - 5000))
        direct_set(0, b"mig:b", b"old")
        self.assertEqual(c.get(b"mig:b"), b"END\r\n", "reads go to the new pool")
        self.assertEqual(c.set(b"mig:b", b"new"), b"STORED\r\n")
        self.assertEqual((direct_get(0, b"mig:b"), direct_get(1, b"mig:b")), (b"old", b"new"))
        # The delete reaches both; the worse reply wins (both had it: DELETED).
        self.assertEqual(c.cmd(b"delete mig:b\r\n", b"\r\n"), b"DELETED\r\n")
        self.assertEqual((direct_get(0, b"mig:b"), direct_get(1, b"mig:b")), (None, None))

    def test_before_and_after(self):
        _, before = self.relay(migrate_config(int(time.time()) + 3600))
        self.assertEqual(before.set(b"mig:c", b"x"), b"STORED\r\n")
        self.assertEqual((direct_get(0, b"mig:c"), direct_get(1, b"mig:c")), (b"x", None))
        _, after = self.relay(migrate_config(int(time.time()) - 7201))
        direct_set(1, b"mig:c", b"y")
        self.assertEqual(after.cmd(b"delete mig:c\r\n", b"\r\n"), b"DELETED\r\n")
        self.assertEqual((direct_get(0, b"mig:c"), direct_get(1, b"mig:c")), (b"x", None),
                         "after the migration deletes go to the new pool only")


class TestL1L2Cache(RoutingTest):
    HANDLES = ("L1L2CacheRoute",)

    def config(self, **extra):
        route = {"type": "L1L2CacheRoute", "l1": "PoolRoute|l1", "l2": "PoolRoute|l2", "upgradingL1Exptime": 100}
        route.update(extra)
        return {"pools": {"l1": {"servers": [addr(0)]}, "l2": {"servers": [addr(1)]}}, "route": route}

    def test_l2_hit_fills_l1(self):
        _, c = self.relay(self.config())
        direct(1, b"set l12:a 9 0 2\r\nv2\r\n", b"\r\n")
        reply = c.cmd(b"get l12:a\r\n", b"END\r\n")
        self.assertEqual(parse_value_reply(reply)[0][1:3], (9, b"v2"), reply)
        wait_for(lambda: direct_get(0, b"l12:a") == b"v2", 5, "l1 to receive l12:a")
        ttl = direct_ttl(0, b"l12:a")
        self.assertTrue(0 < ttl <= 100, f"l1 copy TTL {ttl}, want upgradingL1Exptime (0, 100]")
        # Writes go to l1 only.
        self.assertEqual(c.set(b"l12:w", b"w"), b"STORED\r\n")
        self.assertEqual((direct_get(0, b"l12:w"), direct_get(1, b"l12:w")), (b"w", None))

    def test_negative_cache(self):
        _, c = self.relay(self.config(ncacheExptime=50, ncacheUpdatePeriod=2))
        self.assertEqual(c.get(b"l12:none"), b"END\r\n")
        wait_for(lambda: direct_get(0, b"l12:none") == b"ncache", 5, "l1 to receive the ncache entry")
        item = parse_value_reply(direct(0, b"get l12:none\r\n", b"END\r\n"))[0]
        self.assertEqual(item[1], 0x10000, "mcrouter's MC_MSG_FLAG_NEGATIVE_CACHE")
        self.assertTrue(0 < direct_ttl(0, b"l12:none") <= 50)
        # The entry reads as a miss; every 2nd such miss refreshes l1 from l2.
        direct_set(1, b"l12:none", b"arrived")
        self.assertEqual(c.get(b"l12:none"), b"END\r\n")
        self.assertEqual(c.get(b"l12:none"), b"END\r\n")
        wait_for(lambda: direct_get(0, b"l12:none") == b"arrived", 5, "l1 to be refreshed from l2")
        self.assertEqual(c.value(b"l12:none"), b"arrived")


class TestL1L2SizeSplit(RoutingTest):
    HANDLES = ("L1L2SizeSplitRoute",)

    def test_large_values_live_in_l2(self):
        cfg = {"pools": {"l1": {"servers": [addr(0)]}, "l2": {"servers": [addr(1)]}},
               "route": {"type": "L1L2SizeSplitRoute", "l1": "PoolRoute|l1", "l2": "PoolRoute|l2",
                         "threshold": 100}}
        _, c = self.relay(cfg)
        self.assertEqual(c.cmd(b"set ss:small 5 0 3\r\nabc\r\n", b"\r\n"), b"STORED\r\n")
        self.assertEqual((direct_get(0, b"ss:small"), direct_get(1, b"ss:small")), (b"abc", None))
        big = b"x" * 1000
        self.assertEqual(c.cmd(b"set ss:big 5 0 1000\r\n" + big + b"\r\n", b"\r\n"), b"STORED\r\n")
        l1 = parse_value_reply(direct(0, b"get ss:big\r\n", b"END\r\n"))[0]
        self.assertEqual((l1[1], l1[2]), (5 | 0x20, b""), "l1 holds the sentinel: empty, flag 0x20 added")
        self.assertEqual(direct_get(1, b"ss:big"), big)
        item = parse_value_reply(c.cmd(b"get ss:big\r\n", b"END\r\n"))[0]
        self.assertEqual((item[1], item[2]), (5, big), "a get follows the sentinel to l2")


class TestWarmUpTtl(RoutingTest):
    HANDLES = ("WarmUpRoute",)

    def test_remaining_ttl_is_copied(self):
        cfg = {"pools": {"cold": {"servers": [addr(0)]}, "warm": {"servers": [addr(1)]}},
               "route": {"type": "WarmUpRoute", "cold": "PoolRoute|cold", "warm": "PoolRoute|warm"}}
        _, c = self.relay(cfg)
        direct_set(1, b"wt:a", b"w", exptime=200)
        self.assertEqual(c.value(b"wt:a"), b"w")
        wait_for(lambda: direct_get(0, b"wt:a") == b"w", 5, "cold to receive wt:a")
        ttl = direct_ttl(0, b"wt:a")
        self.assertTrue(190 <= ttl <= 200, f"cold TTL {ttl}, want warm's remaining ~200")
        # gets learns the TTL before it adds; a warm item without expiry stays without.
        direct_set(1, b"wt:b", b"w2", exptime=300)
        direct_set(1, b"wt:c", b"w3")
        self.assertEqual(parse_value_reply(c.cmd(b"gets wt:b\r\n", b"END\r\n"))[0][2], b"w2")
        self.assertTrue(290 <= direct_ttl(0, b"wt:b") <= 300)
        self.assertEqual(c.value(b"wt:c"), b"w3")
        wait_for(lambda: direct_get(0, b"wt:c") == b"w3", 5, "cold to receive wt:c")
        self.assertEqual(direct_ttl(0, b"wt:c"), -1)


class TestBigValues(RoutingTest):
    def config(self):
        return {"pools": {"A": {"servers": [addr(0)]}}, "route": "PoolRoute|A"}

    def test_split_and_reassemble(self):
        _, c = self.relay(self.config(), args=["--big-value-split-threshold", "1000"])
        value = bytes(range(256)) * 10  # 2560 bytes: 3 chunks
        self.assertEqual(c.cmd(b"set bv:a 3 0 %d\r\n%s\r\n" % (len(value), value), b"\r\n"), b"STORED\r\n")
        index = parse_value_reply(direct(0, b"get bv:a\r\n", b"END\r\n"))[0]
        self.assertEqual(index[1], 3 | 0x8000, "the index carries MC_MSG_FLAG_BIG_VALUE")
        m = re.fullmatch(rb"1-3-(\d+)", index[2])
        self.assertIsNotNone(m, index[2])
        suffix = m.group(1)
        chunks = [direct_get(0, b"bv:a:%d:%s" % (i, suffix)) for i in range(3)]
        self.assertEqual(chunks, [value[:1000], value[1000:2000], value[2000:]])
        item = parse_value_reply(c.cmd(b"get bv:a\r\n", b"END\r\n"))[0]
        self.assertEqual(item[2], value)
        # Small values are stored as they are.
        self.assertEqual(c.set(b"bv:small", b"s" * 1000), b"STORED\r\n")
        self.assertEqual(direct_get(0, b"bv:small"), b"s" * 1000)

    def test_reads_an_index_written_by_mcrouter(self):
        # What mcrouter leaves in memcached for a 5-byte value split at 2 bytes, suffix 77.
        direct_set(0, b"bv:m:0:77", b"he")
        direct_set(0, b"bv:m:1:77", b"ll")
        direct_set(0, b"bv:m:2:77", b"o")
        self.assertEqual(direct(0, b"set bv:m 32768 0 6\r\n1-3-77\r\n", b"\r\n"), b"STORED\r\n")
        _, c = self.relay(self.config(), args=["--big-value-split-threshold", "2"])
        self.assertEqual(c.value(b"bv:m"), b"hello")
        direct(0, b"delete bv:m:1:77\r\n", b"\r\n")
        self.assertEqual(c.get(b"bv:m"), b"END\r\n", "a lost chunk reads as a miss")


if __name__ == "__main__":
    unittest.main()
