"""10,000 concurrent client connections to one mcrelay: all accepted, held open, and served (each sends one
get and reads END), while mcrelay keeps one upstream connection per worker to memcached. Prints mcrelay's
memory per idle client connection (VmRSS growth / connections).

One selector-driven thread drives every client socket. RLIMIT_NOFILE is raised for this process before
mcrelay and memcached start, so they inherit it.
"""

import errno
import resource
import selectors
import socket
import time
import unittest

from fault_servers import rss_kb
from mcrelay_testlib import (Conn, Mcrelay, Memcached, parse_stats, pool_config, raise_nofile_limit, skip_without_proxy,
                             wait_for)

N_CONNS = 10000
WORKERS = 2
NOFILE_WANTED = 30000
CONNECT_BATCH = 1000
TIME_BUDGET = 25.0  # seconds for connecting, serving and measuring


def raise_limits():
    """Raise RLIMIT_NOFILE (hard too, when allowed) for this process and the processes it starts."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < NOFILE_WANTED:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE_WANTED, NOFILE_WANTED))
        except (ValueError, OSError):
            pass  # not privileged: the hard limit stays
    return raise_nofile_limit(NOFILE_WANTED)


@skip_without_proxy()
class TestScaleConnections(unittest.TestCase):
    def setUp(self):
        self.saved_limit = resource.getrlimit(resource.RLIMIT_NOFILE)
        limit = raise_limits()
        if limit < N_CONNS + 1000:
            self.skipTest(f"RLIMIT_NOFILE {limit} is below {N_CONNS + 1000} and cannot be raised")
        self.addCleanup(self.restore_limit)

    def restore_limit(self):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(self.saved_limit[0], resource.getrlimit(resource.RLIMIT_NOFILE)[1]),
                                                        resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        except (ValueError, OSError):
            pass

    def test_ten_thousand_connections(self):
        start = time.monotonic()
        deadline = start + TIME_BUDGET

        def left(what):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"time budget of {TIME_BUDGET}s used up while {what}")
            return remaining

        with Memcached() as mc:
            mc_conn = Conn(mc.port, name="memcached stats")
            self.addCleanup(mc_conn.close)
            upstream_baseline = int(mc.stats(mc_conn)["curr_connections"])
            relay = Mcrelay(pool_config([mc]), args=["--num-proxies", str(WORKERS)]).start()
            self.addCleanup(relay.stop)
            with open(f"/proc/{relay.proc.pid}/limits") as f:
                nofile = next(line for line in f if line.startswith("Max open files"))
            self.assertGreaterEqual(int(nofile.split()[3]), N_CONNS + 100, f"mcrelay's limit: {nofile.strip()}")
            control = Conn(relay.port, name="control", diag=relay.diag)
            self.addCleanup(control.close)
            self.assertEqual(control.request(b"get scale:warmup\r\n"), b"END\r\n")
            rss_before = rss_kb(relay.proc.pid)

            sel = selectors.DefaultSelector()
            socks = []
            self.addCleanup(lambda: [s.close() for s in socks])
            self.addCleanup(sel.close)

            # 1. Connect, CONNECT_BATCH at a time (so the listen backlogs never overflow).
            t_connect = time.monotonic()
            while len(socks) < N_CONNS:
                batch = []
                for _ in range(min(CONNECT_BATCH, N_CONNS - len(socks))):
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setblocking(False)
                    err = s.connect_ex(("127.0.0.1", relay.port))
                    if err not in (0, errno.EINPROGRESS):
                        s.close()
                        raise AssertionError(f"connect #{len(socks) + len(batch)}: {errno.errorcode.get(err, err)}")
                    batch.append(s)
                    sel.register(s, selectors.EVENT_WRITE)
                pending = set(batch)
                while pending:
                    for key, _ in sel.select(timeout=min(1.0, left(f"connecting ({len(socks)} done)"))):
                        s = key.fileobj
                        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        if err:
                            raise AssertionError(f"connection #{len(socks)} failed: {errno.errorcode.get(err, err)}")
                        sel.unregister(s)
                        pending.discard(s)
                socks += batch
            connect_time = time.monotonic() - t_connect

            # 2. All accepted and held open, none sent anything yet: memory per idle connection.
            def accepted():
                n = int(general_stats_of(control)["curr_connections"])
                return n >= N_CONNS + 1 and n
            n_open = wait_for(accepted, left("waiting for mcrelay to accept"), f"mcrelay to hold {N_CONNS + 1} connections")
            self.assertEqual(n_open, N_CONNS + 1)
            time.sleep(0.2)
            rss_idle = rss_kb(relay.proc.pid)

            # 3. Each connection sends one get and must read END.
            t_serve = time.monotonic()
            for s in socks:
                s.send(b"get scale:missing\r\n")
                sel.register(s, selectors.EVENT_READ, bytearray())
            waiting = len(socks)
            wrong = []
            while waiting:
                events = sel.select(timeout=min(1.0, left(f"waiting for replies ({waiting} left)")))
                for key, _ in events:
                    s, buf = key.fileobj, key.data
                    try:
                        chunk = s.recv(4096)
                    except ConnectionResetError:
                        chunk = b""
                    if not chunk:
                        raise AssertionError(f"a client connection was closed before its reply; got {bytes(buf)!r}\n"
                                             f"{relay.diag()}")
                    buf += chunk
                    if buf.endswith(b"\r\n") and (buf == b"END\r\n" or not buf.startswith(b"END")):
                        if buf != b"END\r\n":
                            wrong.append(bytes(buf))
                        sel.unregister(s)
                        waiting -= 1
            serve_time = time.monotonic() - t_serve
            rss_served = rss_kb(relay.proc.pid)
            self.assertEqual(wrong[:5], [], f"{len(wrong)} connections got something else than END")

            # 4. Still all open; upstream connections unchanged: one per worker.
            stats = general_stats_of(control)
            self.assertEqual(int(stats["curr_connections"]), N_CONNS + 1)
            upstream = int(mc.stats(mc_conn)["curr_connections"]) - upstream_baseline
            self.assertGreaterEqual(upstream, 1)
            self.assertLessEqual(upstream, WORKERS * 1, f"memcached sees {upstream} connections from mcrelay")
            relay.assert_alive()

            per_conn_idle = (rss_idle - rss_before) * 1024 / N_CONNS
            per_conn_served = (rss_served - rss_before) * 1024 / N_CONNS
            print(f"\n[scale] {N_CONNS} connections: connected in {connect_time:.2f} s, all served (get -> END) in "
                  f"{serve_time:.2f} s; upstream connections to memcached: {upstream} ({WORKERS} workers); mcrelay "
                  f"VmRSS {rss_before / 1024:.1f} MiB before, {rss_idle / 1024:.1f} MiB with {N_CONNS} idle, "
                  f"{rss_served / 1024:.1f} MiB after each served a get; memory per idle connection "
                  f"{per_conn_idle:.0f} bytes ({per_conn_served:.0f} bytes after serving); total "
                  f"{time.monotonic() - start:.1f} s")
            self.assertLess(time.monotonic() - start, 30.0)
            # mcrelay closes first, so the TIME_WAIT states land on its side, not on 10,000 client ports.
            t_stop = time.monotonic()
            relay.stop()
            print(f"[scale] SIGTERM with {N_CONNS} idle connections: stopped in {time.monotonic() - t_stop:.2f} s")


def general_stats_of(conn):
    return parse_stats(conn.exchange(b"stats\r\n", terminator=b"END\r\n"))


if __name__ == "__main__":
    unittest.main()
