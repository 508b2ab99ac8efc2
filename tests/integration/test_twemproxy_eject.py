"""twemproxy's auto_eject_hosts, differentially: with one of three memcached servers down, nutcracker
ejects it and places its keys on the others; mcrelay loading the same YAML must place every key on the
same server as nutcracker does (its distribution rebuilt over the live servers), for ketama and modula.
Also `mcrelay --route-key` answers for the YAML file with the server nutcracker chose.
"""

import os
import socket
import subprocess
import tempfile
import time
import unittest

from mcrelay_testlib import MCRELAY_BIN, Mcrelay, Memcached, skip_without_proxy
from test_twemproxy_placement import NUTCRACKER, distinct_free_ports, flush, held_keys

KEYS = [f"ej:{i}".encode() for i in range(90)]
RETRY_MS = 1500  # server_retry_timeout: long enough for the comparison, short enough to see a comeback


def set_all(port, keys):
    """Sets each key (pipelined); returns how many replies were not STORED (failures are expected while a
    server is being ejected)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"".join(b"set " + k + b" 0 0 1\r\nv\r\n" for k in keys))
        buf = b""
        while buf.count(b"\r\n") < len(keys):
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed after {buf[-200:]!r}")
            buf += chunk
    return sum(1 for line in buf.split(b"\r\n")[:len(keys)] if line != b"STORED")


def wait_port(port, proc, what):
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{what} did not start")
            time.sleep(0.05)


@skip_without_proxy()
@unittest.skipUnless(os.path.exists(NUTCRACKER), "needs nutcracker (Debian package nutcracker)")
class TwemproxyEjectTest(unittest.TestCase):
    def test_ejected_server_keys_go_where_nutcracker_puts_them(self):
        servers = [Memcached().start() for _ in range(3)]
        self.addCleanup(lambda: [mc.stop() for mc in servers])
        pool_ports = distinct_free_ports(3)
        yaml_text = ""
        # modula with md5: fnv1a_64 hashes of keys this alike are all multiples of 3 (its prime is 3 * 145),
        # so a 3-server modula pool would never send one to the dead server and twemproxy would not eject it.
        for name, dist, hash_name, port in (("ek", "ketama", "fnv1a_64", pool_ports[0]),
                                            ("em", "modula", "md5", pool_ports[1])):
            yaml_text += (f"{name}:\n  listen: 127.0.0.1:{port}\n  hash: {hash_name}\n  distribution: {dist}\n"
                          f"  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: {RETRY_MS}\n"
                          f"  timeout: 500\n  servers:\n" +
                          "".join(f"   - {mc.address}:1\n" for mc in servers))
        conf = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
        self.addCleanup(os.unlink, conf.name)
        conf.write(yaml_text)
        conf.close()

        # Healthy placement first (for --route-key), then server 1 goes down.
        nc = subprocess.Popen([NUTCRACKER, "-c", conf.name, "-s", str(pool_ports[2]), "-o", "/dev/null"])
        self.addCleanup(lambda: (nc.kill(), nc.wait()))
        wait_port(pool_ports[0], nc, "nutcracker")
        set_all(pool_ports[0], KEYS[:5])
        healthy = {k: i for i, mc in enumerate(servers) for k in held_keys(mc.port, KEYS[:5])}
        out = subprocess.run([MCRELAY_BIN, "--config", f"file:{conf.name}", "--route-key", "get", KEYS[0].decode()],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.stdout.strip(), servers[healthy[KEYS[0]]].address, out.stderr)
        servers[1].stop()

        def placement_through(ports):
            got = {}
            for port in ports:
                set_all(port, KEYS)  # the failures here eject server 1
                for i in (0, 2):  # what this first pass stored before the ejection is not compared
                    flush(servers[i].port)
                self.assertEqual(set_all(port, KEYS), 0, "sets failed after server 1 was ejected")
            for i in (0, 2):
                for k in held_keys(servers[i].port, KEYS):
                    got.setdefault(k, set()).add(i)
            return got

        want_k = placement_through([pool_ports[0]])
        for i in (0, 2):
            flush(servers[i].port)
        want_m = placement_through([pool_ports[1]])
        nc.kill()
        nc.wait()
        for i in (0, 2):
            flush(servers[i].port)

        with open(conf.name) as f:
            text = f.read()
        # server_failure_limit: 1 ejects at the first failure (mcrelay's own --timeouts-until-tko is 3).
        with Mcrelay(text, config_style="inline"):
            started = time.monotonic()
            got_k = placement_through([pool_ports[0]])
            for i in (0, 2):
                flush(servers[i].port)
            got_m = placement_through([pool_ports[1]])
            self.assertLess(time.monotonic() - started, RETRY_MS / 1000 * 0.8, "too slow to compare before a retry")
            # server_retry_timeout: once the server is back, the next retry finds it and it takes its keys
            # back (twemproxy retries a live server after server_retry_timeout; mcrelay probes it then).
            servers[1].start()
            deadline = time.monotonic() + 10
            while True:
                for mc in servers:
                    flush(mc.port)
                set_all(pool_ports[0], KEYS[:5])
                back = {k: i for i, mc in enumerate(servers) for k in held_keys(mc.port, KEYS[:5])}
                if all(back.get(k) == healthy[k] for k in KEYS[:5]) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual({k: back.get(k) for k in KEYS[:5]}, healthy, "server 1 did not take its keys back")
        self.assertEqual(len(want_k), len(KEYS))
        self.assertEqual(got_k, want_k, "ketama: keys placed differently after ejection")
        self.assertEqual(got_m, want_m, "modula: keys placed differently after ejection")


if __name__ == "__main__":
    unittest.main()
