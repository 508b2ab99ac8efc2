"""Reliable deletes (--async-dir, mcrouter's asynclog): a delete that cannot reach its server is answered
NOT_FOUND, kept in a spool file, and replayed when the server answers again, even by a restarted proxy.

Real memcached servers, the real binary; no fixed ports."""
import os
import socket
import tempfile
import time
import unittest

from fault_servers import DelayProxy
from mcrelay_testlib import Mcrelay, Memcached, free_port

WAIT_S = 10.0


class Line:
    """A plain socket that sends a command and reads one reply ending in `end` (bounded wait). The shared
    Conn helper is not used here: it sets a sentinel key through the proxy, and the server is down."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def request(self, data, end=b"\r\n"):
        self.sock.sendall(data)
        buf = b""
        deadline = time.monotonic() + 5
        while not buf.endswith(end):
            if time.monotonic() > deadline:
                raise AssertionError(f"no complete reply to {data!r}; got {buf!r}")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed; got {buf!r}")
            buf += chunk
        return buf


def wait_for(predicate, what, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def spool_files(directory):
    return [f for f in os.listdir(directory) if f.endswith(".deletes")]


class TestDeleteSpool(unittest.TestCase):
    def test_spooled_delete_is_replayed_by_a_restarted_proxy(self):
        with tempfile.TemporaryDirectory() as spool_dir:
            port = free_port()  # nothing listens here yet: every delete to it fails to connect
            config = {"pools": {"A": {"servers": [f"127.0.0.1:{port}"]}}, "route": "PoolRoute|A"}
            # Marked down at the first failure, so that no periodic replay renames the spool while it is read.
            args = ["--async-dir", spool_dir, "-t", "300", "--probe-timeout-initial", "200", "--num-proxies", "1",
                    "--timeouts-until-tko", "1"]
            with Mcrelay(config, args=args) as relay:
                with Line(relay.port) as c:
                    for key in (b"spool:a", b"spool:b"):
                        self.assertEqual(c.request(b"delete " + key + b"\r\n"), b"NOT_FOUND\r\n")
                    # mcrouter's stat for deletes written to the spool.
                    stats = c.request(b"stats\r\n", b"END\r\n")
                    self.assertIn(b"\r\nSTAT asynclog_requests 2\r\n", stats)
                files = spool_files(spool_dir)
                self.assertEqual(len(files), 1, files)
                with open(os.path.join(spool_dir, files[0])) as f:
                    self.assertEqual(f.read(), "delete spool:a\ndelete spool:b\n")

            # The server comes up (holding the keys the deletes were meant to remove) while no proxy runs.
            mc = Memcached()
            mc.port = port
            mc.start()
            try:
                with Line(port) as direct:
                    for key in (b"spool:a", b"spool:b", b"spool:keep"):
                        self.assertEqual(direct.request(b"set " + key + b" 0 0 1\r\nx\r\n"), b"STORED\r\n")
                # A new proxy over the same spool replays the deletes at start-up.
                with Mcrelay(config, args=args):
                    wait_for(lambda: not spool_files(spool_dir), "the spool to be replayed")
                    with Line(port) as direct:
                        wait_for(lambda: direct.request(b"get spool:a spool:b\r\n", b"END\r\n") == b"END\r\n",
                                 "the spooled deletes to reach memcached")
                        self.assertEqual(direct.request(b"get spool:keep\r\n", b"END\r\n"), b"VALUE spool:keep 0 1\r\nx\r\nEND\r\n")
            finally:
                mc.stop()

    def test_delete_to_a_server_that_comes_back_is_replayed_after_the_probe(self):
        with tempfile.TemporaryDirectory() as spool_dir, Memcached() as mc:
            config = {"pools": {"A": {"servers": [mc.address]}}, "route": "PoolRoute|A"}
            args = ["--async-dir", spool_dir, "-t", "300", "--probe-timeout-initial", "200",
                    "--timeouts-until-tko", "1", "--num-proxies", "1"]
            with Mcrelay(config, args=args) as relay, Line(relay.port) as c:
                self.assertEqual(c.request(b"set sp:x 0 0 1\r\n1\r\n"), b"STORED\r\n")
                mc.stop()
                self.assertEqual(c.request(b"delete sp:x\r\n"), b"NOT_FOUND\r\n")  # spooled
                mc.start()  # empty after the restart: put the stale value back directly
                with Line(mc.port) as direct:
                    self.assertEqual(direct.request(b"set sp:x 0 0 5\r\nstale\r\n"), b"STORED\r\n")
                    wait_for(lambda: direct.request(b"get sp:x\r\n", b"END\r\n") == b"END\r\n",
                             "the probe to bring the server back and replay the delete")
                self.assertEqual(spool_files(spool_dir), [])

    def test_delete_that_timed_out_once_is_replayed_without_an_outage(self):
        # One reply timeout does not mark the server down, so no probe will ever replay this delete: the
        # periodic replay (every --probe-timeout-initial, at least 1 s) must.
        with tempfile.TemporaryDirectory() as spool_dir, Memcached() as mc, DelayProxy(mc.port, 0.8) as slow:
            config = {"pools": {"A": {"servers": [slow.address]}}, "route": "PoolRoute|A"}
            args = ["--async-dir", spool_dir, "-t", "300", "--probe-timeout-initial", "1000",
                    "--timeouts-until-tko", "100", "--num-proxies", "1"]
            with Mcrelay(config, args=args) as relay, Line(relay.port) as c:
                self.assertEqual(c.request(b"delete sp:lone\r\n"), b"NOT_FOUND\r\n")  # timed out: spooled
                self.assertEqual(len(spool_files(spool_dir)), 1)
                time.sleep(1.0)  # the late delete itself reaches memcached meanwhile (a no-op: nothing is set)
                slow.delay = 0
                with Line(mc.port) as direct:
                    self.assertEqual(direct.request(b"set sp:lone 0 0 5\r\nstale\r\n"), b"STORED\r\n")
                    wait_for(lambda: direct.request(b"get sp:lone\r\n", b"END\r\n") == b"END\r\n",
                             "the periodic replay to delete the key")
                wait_for(lambda: not os.listdir(spool_dir), "the spool and its replay batch to be gone")


if __name__ == "__main__":
    unittest.main()
