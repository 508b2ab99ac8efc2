"""Key placement: mcrelay must put every key on the server mcrouter's Ch3 picks.

An independent Python implementation of Ch3 (furc_hash over MurmurHash64A, as described in
docs/hashing.md / the shared reference) is checked against the published vectors first; then 300 keys are
set through mcrelay over a pool of 3 real memcached servers and each server is asked directly which keys
it holds. Multi-key gets spanning all servers must come back merged in the client's key order.
"""

import unittest

from mcrelay_testlib import (Conn, Mcrelay, Memcached, parse_value_reply, pool_config, show,
                             skip_without_proxy)

MASK64 = (1 << 64) - 1
MURMUR_M = 0xC6A4A7935BD1E995
MURMUR_R = 47
FURC_SEED = 4193360111
FURC_SHIFT = 23
FURC_MAX_TRIES = 32
CH3_MAX_POOL = 1 << 23


def murmur_hash64a(data, seed):
    """MurmurHash64A (Austin Appleby), 64-bit arithmetic, little-endian blocks."""
    h = (seed ^ ((len(data) * MURMUR_M) & MASK64)) & MASK64
    nblocks = len(data) // 8
    for i in range(nblocks):
        k = int.from_bytes(data[8 * i:8 * i + 8], "little")
        k = (k * MURMUR_M) & MASK64
        k ^= k >> MURMUR_R
        k = (k * MURMUR_M) & MASK64
        h ^= k
        h = (h * MURMUR_M) & MASK64
    tail = data[8 * nblocks:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * MURMUR_M) & MASK64
    h ^= h >> MURMUR_R
    h = (h * MURMUR_M) & MASK64
    h ^= h >> MURMUR_R
    return h


class _FurcBits:
    """bit(i) of the stream H[0] = murmur(key), H[n] = murmur(8 little-endian bytes of H[n-1])."""

    def __init__(self, key):
        self.hashes = [murmur_hash64a(key, FURC_SEED)]

    def bit(self, i):
        word = i >> 6
        while len(self.hashes) <= word:
            self.hashes.append(murmur_hash64a(self.hashes[-1].to_bytes(8, "little"), FURC_SEED))
        return (self.hashes[word] >> (i & 63)) & 1


def furc_hash(key, n):
    """mcrouter's furc_hash: an index in [0, n)."""
    if isinstance(key, str):
        key = key.encode()
    if n <= 1:
        return 0
    bits = _FurcBits(key)
    d = (n - 1).bit_length()
    a = d
    for _ in range(FURC_MAX_TRIES):
        while not bits.bit(a):
            d -= 1
            if d == 0:
                return 0
            a = d
        a += FURC_SHIFT
        num = 1
        for _ in range(d - 1):
            num = (num << 1) | bits.bit(a)
            a += FURC_SHIFT
        if num < n:
            return num
    return 0


def ch3(key, n):
    """Ch3 over a pool of n servers (1 <= n <= 2^23)."""
    assert 1 <= n <= CH3_MAX_POOL, n
    return furc_hash(key, n)


class TestCh3Vectors(unittest.TestCase):
    """The reference implementation above reproduces every published Ch3 vector."""

    def test_vectors(self):
        vectors = [("sample", 100, 97), ("", 100, 72), ("key0", 5, 4), ("key0", 1000, 950),
                   ("user:12345:profile", 1000000, 368844), ("", 8388608, 6173600),
                   ("sample", 8388608, 5167780)]
        for key, n, want in vectors:
            with self.subTest(key=key, n=n):
                self.assertEqual(ch3(key, n), want)

    def test_furc_above_pool_limit(self):
        self.assertEqual(furc_hash("short", 16777216), 10975421)

    def test_one_server(self):
        self.assertEqual(ch3("anything", 1), 0)

    def test_distribution_over_three(self):
        counts = [0, 0, 0]
        for i in range(1000):
            counts[ch3(str(i), 3)] += 1
        self.assertEqual(counts, [307, 342, 351])


NUM_SERVERS = 3
_servers = []
_relay = None


def setUpModule():
    global _relay
    from mcrelay_testlib import STANDIN
    if STANDIN:
        return  # the proxy tests below are skipped
    for _ in range(NUM_SERVERS):
        _servers.append(Memcached().start())
    _relay = Mcrelay(pool_config(_servers)).start()


def tearDownModule():
    try:
        if _relay is not None:
            _relay.stop()
    finally:
        for mc in _servers:
            mc.stop()


@skip_without_proxy()
class TestPlacementThroughMcrelay(unittest.TestCase):
    def setUp(self):
        self.px = Conn(_relay.port, name="mcrelay", diag=_relay.diag)
        self.direct = [Conn(mc.port, name=f"memcached[{i}] {mc.address}") for i, mc in enumerate(_servers)]

    def tearDown(self):
        self.px.close()
        for c in self.direct:
            c.close()
        _relay.assert_alive(f"after {self.id()}")

    def set_through_proxy(self, keys, prefix):
        """Set each key through mcrelay (one pipelined request) to a value naming the key."""
        data = b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(prefix + k), prefix + k) for k in keys)
        reply = self.px.request(data)
        self.assertEqual(reply, b"STORED\r\n" * len(keys), f"setting {len(keys)} keys: {show(reply)}")

    def holders(self, key):
        """Indexes of the servers that hold `key`, asking each memcached directly."""
        found = []
        for i, conn in enumerate(self.direct):
            if parse_value_reply(conn.request(b"get %s\r\n" % key)):
                found.append(i)
        return found

    def test_300_keys_land_where_ch3_says(self):
        keys = [b"placement:%d:%s" % (i, b"x" * (i % 13)) for i in range(300)]
        self.set_through_proxy(keys, b"v-")
        wrong = []
        per_server = [0] * NUM_SERVERS
        for key in keys:
            want = ch3(key, NUM_SERVERS)
            got = self.holders(key)
            if got != [want]:
                wrong.append(f"{key.decode()}: Ch3 says server {want}, found on {got}")
            else:
                per_server[want] += 1
                # and the value is the one set through the proxy
                items = parse_value_reply(self.direct[want].request(b"get %s\r\n" % key))
                self.assertEqual(items[0][2], b"v-" + key)
        self.assertFalse(wrong, f"{len(wrong)} of {len(keys)} keys misplaced, e.g.:\n  " + "\n  ".join(wrong[:15]))
        self.assertTrue(all(per_server), f"a server got no keys at all: {per_server}")

    def test_keys_from_the_reference_vectors(self):
        # "0".."999" over 3 servers split {307, 342, 351}; check a slice of them for exact placement.
        keys = [str(i).encode() for i in range(0, 1000, 7)]
        self.set_through_proxy(keys, b"ref-")
        counts = [0] * NUM_SERVERS
        for key in keys:
            got = self.holders(key)
            self.assertEqual(got, [ch3(key, NUM_SERVERS)], f"key {key!r}")
            counts[got[0]] += 1
        self.assertTrue(all(counts), counts)

    def test_multi_get_spanning_all_servers(self):
        keys = [b"mget:%d" % i for i in range(100)]
        self.assertEqual(len({ch3(k, NUM_SERVERS) for k in keys}), NUM_SERVERS, "keys must span all servers")
        self.set_through_proxy(keys, b"mv-")
        # Client order is not sorted order nor server order: reverse it and interleave.
        order = keys[::-2] + keys[::2]
        reply = self.px.request(b"get " + b" ".join(order) + b"\r\n")
        expected = b"".join(b"VALUE %s 0 %d\r\n%s\r\n" % (k, len(b"mv-" + k), b"mv-" + k) for k in order) + b"END\r\n"
        self.assertEqual(reply, expected, f"multi-get of 100 keys:\n  got {show(reply)}\n  want {show(expected)}")

    def test_multi_get_with_misses(self):
        present = [b"mgm:%d" % i for i in range(0, 60, 2)]
        self.set_through_proxy(present, b"p-")
        asked = [b"mgm:%d" % i for i in range(60)] + [b"mgm:absent:%d" % i for i in range(10)]
        asked = asked[::-1]
        self.assertEqual(len({ch3(k, NUM_SERVERS) for k in asked}), NUM_SERVERS)
        reply = self.px.request(b"get " + b" ".join(asked) + b"\r\n")
        expected = b"".join(b"VALUE %s 0 %d\r\n%s\r\n" % (k, len(b"p-" + k), b"p-" + k)
                            for k in asked if k in present) + b"END\r\n"
        self.assertEqual(reply, expected, f"multi-get with misses:\n  got {show(reply)}\n  want {show(expected)}")
        # all misses, spanning servers
        self.assertEqual(self.px.request(b"get " + b" ".join(b"nope:%d" % i for i in range(30)) + b"\r\n"),
                         b"END\r\n")

    def test_gets_spanning_servers_returns_each_servers_cas(self):
        keys = [b"cas-span:%d" % i for i in range(12)]
        self.assertEqual(len({ch3(k, NUM_SERVERS) for k in keys}), NUM_SERVERS)
        self.set_through_proxy(keys, b"c-")
        items = parse_value_reply(self.px.request(b"gets " + b" ".join(keys) + b"\r\n"))
        self.assertEqual([it[0] for it in items], keys)
        for key, _flags, _data, cas in items:
            server = self.direct[ch3(key, NUM_SERVERS)]
            direct = parse_value_reply(server.request(b"gets %s\r\n" % key))
            self.assertEqual(cas, direct[0][3], f"cas of {key!r} through mcrelay vs on its server")


if __name__ == "__main__":
    unittest.main()
