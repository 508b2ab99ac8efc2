"""Key placement differential against the real twemproxy (Debian's nutcracker 0.5.0).

One nutcracker serves one pool per combination of hash (all 12) x distribution (ketama, modula) x server
naming (host:port | named servers) x weights (equal | unequal), plus hash_tag pools, all over the same three
real memcached servers. Keys are set through nutcracker and each memcached is asked which keys it holds;
the servers are flushed, the same keys are set through mcrelay (one PoolRoute per pool, reached through a
routing prefix, hash spec {"hash_func": "Ketama"|"Modula", "twemproxy": {...}}), and every key must land
on the same server; then the same keys through mcrelay loading nutcracker's very YAML file (each pool on
its own listen address). Keys include
bytes >= 0x80 (twemproxy sign-extends them in several hashes), and every length 1..14 (tails of the block
hashes) is checked one pool at a time. `random` cannot be compared key by key: its keys must simply all
be stored, spread over more than one server.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from mcrelay_testlib import Mcrelay, Memcached, connect_to, skip_without_proxy

NUTCRACKER = shutil.which("nutcracker") or "/usr/sbin/nutcracker"
HASHES = ["one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32",
          "hsieh", "murmur", "jenkins"]
NAMES = ["alpha", "beta", "gamma"]
UNEQUAL = [1, 3, 2]
KEYS_PER_POOL = 24


def distinct_free_ports(count):
    """`count` different free ports (all bound at once, so none is handed out twice)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def pool_keys(tag):
    keys = [f"{tag}:{i}".encode() for i in range(KEYS_PER_POOL - 6)]
    keys += [(tag + ":\u00e9t\u00e9").encode(), (tag + "\u043a\u043b\u044e\u0447").encode(),
             b"\xff" + tag.encode(), tag.encode() + b"\x80\x81\x82", (tag + "x").encode()[:3] + b"\xc3",
             (tag + ":" + "z" * 40).encode()]
    return keys


def recv_lines(sock, count, end=b"\r\n"):
    buf = b""
    while buf.count(end) < count:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed after {buf[-200:]!r}")
        buf += chunk
    return buf


def set_keys(where, keys):
    """Set every key through `where`: a TCP port on 127.0.0.1 or a Unix socket path."""
    with connect_to(where) as s:
        s.sendall(b"".join(b"set " + k + b" 0 0 1\r\nv\r\n" for k in keys))
        reply = recv_lines(s, len(keys))
    bad = [line for line in reply.split(b"\r\n") if line and line != b"STORED"]
    if bad:
        raise AssertionError(f"set through {where}: {bad[:5]}")


def held_keys(where, keys):
    """The subset of `keys` that the memcached at `where` (a port or a Unix socket path) holds."""
    held = set()
    with connect_to(where) as s:
        for i in range(0, len(keys), 100):
            s.sendall(b"get " + b" ".join(keys[i:i + 100]) + b"\r\n")
            buf = b""
            while not buf.endswith(b"END\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    raise AssertionError("memcached closed the connection")
                buf += chunk
            for line in buf.split(b"\r\n"):
                if line.startswith(b"VALUE "):
                    held.add(line.split(b" ")[1])
    return held


def flush(where):
    with connect_to(where) as s:
        s.sendall(b"flush_all\r\n")
        recv_lines(s, 1)


class Pool:
    def __init__(self, name, hash_name, dist, named, weights, hash_tag=None, keys=None):
        self.name, self.hash, self.dist, self.named, self.weights, self.hash_tag = (
            name, hash_name, dist, named, weights, hash_tag)
        self.keys = keys or pool_keys(name)
        self.port = None

    def yaml(self, servers):
        lines = [f"{self.name}:", f"  listen: 127.0.0.1:{self.port}", f"  hash: {self.hash}",
                 f"  distribution: {self.dist}", "  auto_eject_hosts: false", "  servers:"]
        if self.hash_tag:
            lines.insert(2, f'  hash_tag: "{self.hash_tag}"')
        for i, mc in enumerate(servers):
            name = f" {NAMES[i]}" if self.named else ""
            lines.append(f"   - {mc.address}:{self.weights[i]}{name}")
        return "\n".join(lines) + "\n"

    def mcrelay_hash(self):
        tw = {"hash": self.hash, "weights": self.weights}
        if self.named:
            tw["names"] = NAMES
        if self.hash_tag:
            tw["hash_tag"] = self.hash_tag
        return {"hash_func": self.dist.capitalize(), "twemproxy": tw}


def all_pools():
    pools = []
    for h in HASHES:
        for dist in ("ketama", "modula"):
            for named in (False, True):
                for weights in ([1, 1, 1], UNEQUAL):
                    tag = f"{h}-{dist[0]}{'n' if named else 'h'}{'w' if weights == UNEQUAL else 'e'}"
                    pools.append(Pool(tag, h, dist, named, weights))
    tagged = [f"t:{{{i}}}:x".encode() for i in range(12)] + [b"t:{}:x", b"t:{:x", b"t:}{1}", b"t:{ab}{cd}"]
    pools.append(Pool("tag-k", "fnv1a_64", "ketama", False, [1, 1, 1], "{}", tagged))
    pools.append(Pool("tag-m", "md5", "modula", True, UNEQUAL, "{}", [b"m" + k for k in tagged]))
    pools.append(Pool("tag-p", "murmur", "ketama", True, [1, 1, 1], "()", [b"p(" + str(i).encode() + b")q"
                                                                          for i in range(12)]))
    return pools


@skip_without_proxy()
@unittest.skipUnless(os.path.exists(NUTCRACKER), "needs nutcracker (Debian package nutcracker)")
class TwemproxyPlacementTest(unittest.TestCase):
    def test_every_hash_and_distribution_matches_nutcracker(self):
        servers = [Memcached().start() for _ in range(3)]
        self.addCleanup(lambda: [mc.stop() for mc in servers])
        pools = all_pools()
        random_pool = Pool("rnd", "fnv1a_64", "random", False, [1, 1, 1])
        ports = distinct_free_ports(len(pools) + 2)
        for p, port in zip(pools + [random_pool], ports):
            p.port = port
        conf = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
        self.addCleanup(os.unlink, conf.name)
        conf.write("".join(p.yaml(servers) for p in pools + [random_pool]))
        conf.close()
        log = tempfile.TemporaryFile()
        nc = subprocess.Popen([NUTCRACKER, "-c", conf.name, "-s", str(ports[-1]), "-o", "/dev/null"],
                              stdout=log, stderr=log)
        self.addCleanup(lambda: (nc.kill(), nc.wait()))
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", pools[-1].port), timeout=1).close()
                break
            except OSError:
                if nc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    self.fail(f"nutcracker did not start: {log.read()[-2000:]!r}")
                time.sleep(0.05)

        def placement():
            out = {}
            for i, mc in enumerate(servers):
                for p in pools:
                    for k in held_keys(mc.port, p.keys):
                        out[(p.name, k)] = i
            return out

        for p in pools:
            set_keys(p.port, p.keys)
        want = placement()
        self.assertEqual(len(want), sum(len(p.keys) for p in pools), "nutcracker lost keys")
        set_keys(random_pool.port, random_pool.keys)
        random_holders = {i for i, mc in enumerate(servers) if held_keys(mc.port, random_pool.keys)}
        self.assertGreater(len(random_holders), 1, "random distribution used a single server")
        for mc in servers:
            flush(mc.port)

        config = {
            "pools": {p.name: {"servers": [mc.address for mc in servers]} for p in pools},
            "routes": [{"aliases": ["/././"], "route": f"PoolRoute|{pools[0].name}"}] + [
                {"aliases": [f"/tw/{p.name}/"],
                 "route": {"type": "PoolRoute", "pool": p.name, "hash": p.mcrelay_hash()}} for p in pools],
        }
        with Mcrelay(config) as relay:
            for p in pools:
                set_keys(relay.port, [f"/tw/{p.name}/".encode() + k for k in p.keys])
            got = placement()
        self.assert_same_placement(pools, want, got, "mcrouter-format config")

        # Short keys (every length 1..14: the tails of the block hashes), which cannot be made distinct per
        # pool: one pool at a time, the servers flushed in between.
        short = [b"abcdefghijklmn"[:n] for n in range(1, 15)] + [b"\xe9", b"\xc3\xa9t", b"x\xff\xfe\xfd\xfc"]
        short_pools = [p for p in pools if not p.named and p.weights == UNEQUAL]
        want_short, got_short = {}, {}
        for via in ("nutcracker", "mcrelay"):
            out = want_short if via == "nutcracker" else got_short
            relay = Mcrelay(config).start() if via == "mcrelay" else None
            try:
                for p in short_pools:
                    for mc in servers:
                        flush(mc.port)
                    if relay is None:
                        set_keys(p.port, short)
                    else:
                        set_keys(relay.port, [f"/tw/{p.name}/".encode() + k for k in short])
                    for i, mc in enumerate(servers):
                        for k in held_keys(mc.port, short):
                            out[(p.name, k)] = i
            finally:
                if relay is not None:
                    relay.stop()
        self.assertEqual(len(want_short), len(short) * len(short_pools), "nutcracker lost short keys")
        self.assertEqual({k: v for k, v in got_short.items() if want_short.get(k) != v}, {},
                         "short keys mcrelay places differently")

        # The very YAML file nutcracker ran, loaded by mcrelay unchanged: every pool served on its own
        # `listen` address (nutcracker stopped first: the same ports), no routing prefix anywhere; one pool
        # also through mcrelay's own port with the routing prefix /<pool>/twemproxy/.
        nc.kill()
        nc.wait()
        for mc in servers:
            flush(mc.port)
        with open(conf.name) as f:
            yaml_text = f.read()
        with Mcrelay(yaml_text, config_style="inline") as relay:
            set_keys(relay.port, [f"/{pools[1].name}/twemproxy/".encode() + k for k in pools[1].keys])
            for p in pools[:1] + pools[2:]:
                set_keys(p.port, p.keys)
            got = placement()
        self.assert_same_placement(pools, want, got, "nutcracker's YAML")

    def assert_same_placement(self, pools, want, got, how):
        mismatches = {}
        for p in pools:
            bad = [k for k in p.keys if got.get((p.name, k)) != want[(p.name, k)]]
            if bad:
                mismatches[p.name] = [(k, want[(p.name, k)], got.get((p.name, k))) for k in bad[:3]]
        self.maxDiff = None
        self.assertEqual(mismatches, {}, f"{how}: pools whose keys mcrelay places differently: "
                                         f"(key, nutcracker, mcrelay)")


if __name__ == "__main__":
    unittest.main()
