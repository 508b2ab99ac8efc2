"""twemproxy YAML configs with Unix domain sockets (docs/migrating.md, docs/tls.md#unix-domain-sockets):
`listen: /path/sock 0666` (a Unix socket listener, chmod'ed to the mode) and servers given as
`/path/memcached.sock:weight [name]`, against the real nutcracker (Debian's 0.5.0) and real memcached -s.

The very same YAML file is served first by nutcracker, then by mcrelay: the same keys are set through each
pool's Unix socket listener, each memcached is asked which keys it holds, and every key must sit on the same
server under both (ketama with nutcracker's default socket-server ids, named servers, modula, a pool mixing a
socket server and a TCP one). The listener files must have the same mode under both, and mcrelay removes
them at exit.
"""

import hashlib
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import unittest

from mcrelay_testlib import Mcrelay, Memcached, UnixMemcached, accepting, connect_to, free_port, skip_without_proxy
from test_twemproxy_placement import flush, held_keys, recv_lines, set_keys

NUTCRACKER = shutil.which("nutcracker") or "/usr/sbin/nutcracker"


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@skip_without_proxy()
@unittest.skipUnless(os.path.exists(NUTCRACKER), "needs nutcracker (Debian package nutcracker)")
class TwemproxyUnixTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mcrelay-twunix-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.socks = [UnixMemcached(os.path.join(self.dir, f"mc{i}.sock")).start() for i in range(3)]
        self.tcp = Memcached().start()
        self.addCleanup(lambda: [mc.stop() for mc in self.socks + [self.tcp]])
        self.backends = [mc.path for mc in self.socks] + [self.tcp.port]

    def path(self, name):
        return os.path.join(self.dir, name)

    def yaml(self):
        s0, s1, s2 = (mc.path for mc in self.socks)
        self.pools = {
            # pool: (listen, keys)
            "kd": (self.path("kd.sock"), 0o666),
            "kn": (self.path("kn.sock"), 0o600),
            "mo": (self.path("mo.sock"), None),
            "mix": (self.path("mix.sock"), 0o660),
        }
        self.tcp_pool_port = free_port()
        return f"""kd:
  listen: {self.path("kd.sock")} 0666
  hash: fnv1a_64
  distribution: ketama
  servers:
   - {s0}:1
   - {s1}:1
   - {s2}:1
kn:
  listen: {self.path("kn.sock")} 0600
  hash: md5
  distribution: ketama
  servers:
   - {s0}:1 alpha
   - {s1}:3 beta
   - {s2}:2 gamma
mo:
  listen: {self.path("mo.sock")}
  hash: murmur
  distribution: modula
  servers:
   - {s0}:1
   - {s1}:2
   - {s2}:1
mix:
  listen: {self.path("mix.sock")} 0660
  hash: crc32a
  distribution: ketama
  servers:
   - {s1}:1
   - {self.tcp.address}:2
tcp:
  listen: 127.0.0.1:{self.tcp_pool_port}
  hash: fnv1a_64
  distribution: ketama
  servers:
   - {s2}:1
   - {s0}:1
"""

    def keys(self, pool):
        # Varied keys: "p:0".."p:59" differ in their last bytes only, and fnv1a then puts them all on a short
        # arc of the ring (one server, for some socket paths), which would compare nothing.
        return ([f"{pool}:{hashlib.md5(str(i).encode()).hexdigest()[:12]}".encode() for i in range(60)] +
                [f"{pool}:\u00e9{i}".encode() for i in range(4)])

    def placement(self):
        out = {}
        for pool in list(self.pools) + ["tcp"]:
            keys = self.keys(pool)
            for i, where in enumerate(self.backends):
                for k in held_keys(where, keys):
                    self.assertNotIn((pool, k), out, f"{k!r} on two servers")
                    out[(pool, k)] = i
        return out

    def set_all(self):
        for pool, (listen, _mode) in self.pools.items():
            set_keys(listen, self.keys(pool))
        set_keys(self.tcp_pool_port, self.keys("tcp"))

    def test_same_yaml_same_placement_and_modes_as_nutcracker(self):
        conf = self.path("nutcracker.yml")
        with open(conf, "w") as f:
            f.write(self.yaml())
        log = tempfile.TemporaryFile()
        self.addCleanup(log.close)
        nc = subprocess.Popen([NUTCRACKER, "-c", conf, "-s", str(free_port()), "-o", "/dev/null"],
                              stdout=log, stderr=log)
        self.addCleanup(lambda: (nc.kill(), nc.wait()))
        deadline = time.monotonic() + 10
        while not all(accepting(listen) for listen, _ in self.pools.values()) or not accepting(self.tcp_pool_port):
            if nc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                self.fail(f"nutcracker did not start: {log.read()[-2000:]!r}")
            time.sleep(0.05)
        nc_modes = {pool: mode_of(listen) for pool, (listen, _) in self.pools.items()}
        self.set_all()
        want = self.placement()
        self.assertEqual(len(want), 5 * 64, "nutcracker lost keys")
        # Every pool spreads its keys (a placement on one server would compare nothing).
        for pool in self.pools:
            spread = sorted(i for (p, _), i in want.items() if p == pool)
            self.assertGreater(len(set(spread)), 1, f"{pool}: {spread}")
        nc.kill()
        nc.wait()
        for where in self.backends:
            flush(where)

        # The same file (nutcracker's listener files are still there: stale sockets mcrelay replaces).
        with open(conf) as f:
            text = f.read()
        relay = Mcrelay(text)
        with relay:
            for pool, (listen, mode) in self.pools.items():
                got_mode = mode_of(listen)
                self.assertEqual(got_mode, nc_modes[pool], f"pool {pool}: mode of {listen}")
                if mode is not None:
                    self.assertEqual(got_mode, mode, f"pool {pool}: mode of {listen}")
            self.set_all()
            got = self.placement()
            # Reads: a key without a routing prefix on a pool's own socket takes that pool (as the sets above,
            # placed by each pool's own hash, show); with a prefix, the named pool.
            kd_key, kn_key = self.keys("kd")[1], b"/kn/twemproxy/" + self.keys("kn")[2]
            with connect_to(self.pools["kd"][0]) as s:
                s.sendall(b"get " + kd_key + b" " + kn_key + b"\r\n")
                reply = recv_lines(s, 1, b"END\r\n")
            self.assertEqual(reply, b"VALUE " + kd_key + b" 0 1\r\nv\r\nVALUE " + kn_key + b" 0 1\r\nv\r\nEND\r\n")
        diffs = [(p, k, want.get((p, k)), got.get((p, k))) for (p, k) in set(want) | set(got)
                 if want.get((p, k)) != got.get((p, k))]
        self.assertEqual(diffs[:10], [], f"{len(diffs)} keys placed differently from nutcracker\n"
                                         f"{relay._final_log[-2000:]}")
        for listen, _ in self.pools.values():
            self.assertFalse(os.path.exists(listen), f"{listen} left behind at exit")

    def test_bad_mode_and_live_socket_are_start_up_errors(self):
        s0 = self.socks[0].path
        bad = f"p:\n  listen: {self.path('p.sock')} 0999\n  servers:\n   - {s0}:1\n"
        with self.assertRaises(AssertionError) as ctx:
            Mcrelay(bad).start()
        self.assertIn("has an invalid file permission", str(ctx.exception))
        # A listen path where a live server accepts: refused, and the live socket is left alone.
        taken = f"p:\n  listen: {s0} 0666\n  servers:\n   - {self.socks[1].path}:1\n"
        with self.assertRaises(AssertionError) as ctx:
            Mcrelay(taken).start()
        self.assertIn("address already in use", str(ctx.exception))
        self.assertTrue(accepting(s0))
        # A pool's TCP address taken by another process: mcrelay exits, removing the socket file it had made.
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        made = self.path("made.sock")
        partial = (f"u:\n  listen: {made} 0666\n  servers:\n   - {s0}:1\n"
                   f"t:\n  listen: 127.0.0.1:{busy.getsockname()[1]}\n  servers:\n   - {s0}:1\n")
        with self.assertRaises(AssertionError) as ctx:
            Mcrelay(partial).start()
        self.assertIn("cannot listen on 127.0.0.1", str(ctx.exception))
        self.assertFalse(os.path.exists(made), "the Unix socket file outlived the failed start")


if __name__ == "__main__":
    unittest.main()
