"""Live reconfiguration under load, the way Kubernetes updates a mounted ConfigMap.

A ConfigMap volume is a directory like

    config.json -> ..data/config.json
    ..data -> ..2026_11_24_06_55_01.000000003
    ..2026_11_24_06_55_01.000000003/config.json

and an update writes a new timestamped directory, points a `..data_tmp` symlink at it and renames
`..data_tmp` over `..data` (atomic), then removes the old directory. The file mcrelay was given
(`-f <dir>/config.json`) is never written in place.

mcrelay runs in front of 3 memcached servers while client threads run sets and gets without pause and the
config is swapped 50 times, alternating valid versions (other server orders, subsets, salts, pool names) and
invalid ones (syntax error, unknown handle type, unknown pool). Every valid version must become active
(stats' config_md5_digest), every invalid one must be rejected (config_reload_failures + 1, digest kept,
the reason logged), and not one client request may fail.

Also: SIGHUP reloads an in-place edit; a config file that disappears leaves the running config serving.
"""

import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest

from mcrelay_testlib import (MCRELAY_BIN, Conn, Mcrelay, Memcached, parse_stats, parse_value_reply, skip_without_proxy,
                             wait_for)

try:
    from pymemcache.client.base import Client
except ImportError:  # CTest may pick an interpreter other than Debian's; python3-pymemcache is pure Python
    sys.path.append("/usr/lib/python3/dist-packages")
    from pymemcache.client.base import Client

RELOAD_TIMEOUT = 5.0  # seconds for a change to be noticed (inotify + 100 ms debounce; the poll is every 2 s)


def md5_hex(text):
    return hashlib.md5(text.encode()).hexdigest()


class ConfigMapDir:
    """A directory laid out and updated like a Kubernetes ConfigMap volume."""

    def __init__(self, file_name="config.json"):
        self.root = tempfile.mkdtemp(prefix="mcrelay-configmap-")
        self.file_name = file_name
        self.serial = 0
        self.current = None

    @property
    def path(self):
        return os.path.join(self.root, self.file_name)

    def update(self, text):
        """Publish `text` atomically: new timestamped dir, ..data_tmp symlink, rename over ..data, old dir
        removed. The first call also creates the user-visible symlink config.json -> ..data/config.json."""
        self.serial += 1
        name = "..%s.%09d" % (time.strftime("%Y_%m_%d_%H_%M_%S", time.gmtime()), self.serial)
        os.mkdir(os.path.join(self.root, name))
        with open(os.path.join(self.root, name, self.file_name), "w") as f:
            f.write(text)
        tmp = os.path.join(self.root, "..data_tmp")
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(name, tmp)                                # ln -sfn <new> ..data_tmp
        os.rename(tmp, os.path.join(self.root, "..data"))    # atomic swap
        if not os.path.lexists(self.path):
            os.symlink(os.path.join("..data", self.file_name), self.path)
        if self.current is not None:
            shutil.rmtree(os.path.join(self.root, self.current))
        self.current = name

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


class RelayAt(Mcrelay):
    """Mcrelay started with `-f PATH` for a path this test manages (the harness writes its own temp file
    otherwise; that one is unused here)."""

    def __init__(self, path, args=()):
        super().__init__("{}", args=args, config_style="-f")
        self.fixed_path = path

    def argv(self):
        return [self.binary, "-p", "0", "--listen-addresses", "127.0.0.1", "-f", self.fixed_path] + self.args


def relay_stats(relay):
    with Conn(relay.port, name="mcrelay stats", diag=relay.diag) as c:
        return parse_stats(c.exchange(b"stats\r\n", terminator=b"END\r\n"))


def wait_for_digest(relay, digest, what):
    return wait_for(lambda: relay_stats(relay).get("config_md5_digest") == digest, RELOAD_TIMEOUT,
                    f"{what}: config_md5_digest {digest}; stats now {relay_stats(relay)}; "
                    f"mcrelay stderr:\n{relay.stderr_text(tail=2000)}")


def wait_for_failures(relay, at_least, what):
    return wait_for(lambda: int(relay_stats(relay).get("config_reload_failures", "0")) >= at_least, RELOAD_TIMEOUT,
                    f"{what}: config_reload_failures >= {at_least}; stats now {relay_stats(relay)}; "
                    f"mcrelay stderr:\n{relay.stderr_text(tail=2000)}")


_servers = []


def setUpModule():
    from mcrelay_testlib import STANDIN
    if STANDIN:
        return
    for _ in range(3):
        _servers.append(Memcached().start())


def tearDownModule():
    for mc in _servers:
        mc.__exit__(None, None, None)  # stop, and remove its log file


def addresses(indexes):
    return [_servers[i].address for i in indexes]


def valid_version(n):
    """Valid config number n: a different placement each time (order, subset, salt, pool name, shape).
    The comment makes every text (hence md5) distinct."""
    kind = n % 6
    if kind == 0:
        cfg = {"pools": {"A": {"servers": addresses([0, 1, 2])}}, "route": "PoolRoute|A"}
    elif kind == 1:
        cfg = {"pools": {"A": {"servers": addresses([2, 0, 1])}}, "route": "PoolRoute|A"}
    elif kind == 2:
        cfg = {"pools": {"A": {"servers": addresses([0, 2])}}, "route": "PoolRoute|A"}
    elif kind == 3:
        cfg = {"pools": {"A": {"servers": addresses([0, 1, 2])}},
               "route": {"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "Ch3", "salt": f"salt{n}"}}}
    elif kind == 4:
        cfg = {"pools": {"main": {"servers": addresses([1, 2])}},
               "routes": [{"aliases": ["/././"], "route": "PoolRoute|main"}]}
    else:
        cfg = {"pools": {"A": {"servers": addresses([1, 0, 2])}},
               "route": {"type": "HashRoute", "children": "Pool|A", "salt": f"h{n}"}}
    return f"// valid version {n}\n" + json.dumps(cfg, indent=2) + "\n"


def invalid_version(n):
    """Invalid config number n, and what mcrelay must log ("{path}" stands for the file's path)."""
    kind = n % 3
    if kind == 0:  # syntax error: a missing comma between "pools" and "route"
        text = (f"// invalid version {n}: syntax error\n"
                "{\n"
                f'  "pools": {{"A": {{"servers": {json.dumps(addresses([0, 1, 2]))}}}}}\n'
                '  "route": "PoolRoute|A"\n'
                "}\n")
        return text, "{path}:4:3: expected ',' or '}'"
    if kind == 1:
        cfg = {"pools": {"A": {"servers": addresses([0, 1, 2])}}, "route": {"type": "PoolRoutte", "pool": "A"}}
        return f"// invalid version {n}: unknown handle\n" + json.dumps(cfg) + "\n", \
            '{path}: route: unknown route handle type "PoolRoutte"'
    cfg = {"pools": {"A": {"servers": addresses([0, 1, 2])}}, "route": "PoolRoute|Missing"}
    return f"// invalid version {n}: unknown pool\n" + json.dumps(cfg) + "\n", \
        '{path}: route.pool: unknown pool "Missing"'


class LoadThread(threading.Thread):
    """Sets and gets without pause on one connection (reconnecting every `reconnect_every` iterations).

    Each iteration: get __mcrouter__.config_md5_digest, set key, get key, get the digest again. The admin
    key is answered by the worker that owns this connection with the config it routes with, so when both
    digests are equal the set and the get were routed by the same config and the get must return exactly
    what the set stored."""

    def __init__(self, port, tid, stop, reconnect_every=0):
        super().__init__(name=f"load-{tid}", daemon=True)
        self.port = port
        self.tid = tid
        self.stop_event = stop
        self.reconnect_every = reconnect_every
        self.errors = []           # failures: exceptions, NOT_STORED, wrong values under one config
        self.iterations = 0
        self.across_reload = 0     # iterations whose set and get may have been routed by different configs
        self.stale_across_reload = 0
        self.digests_seen = set()

    def client(self):
        return Client(("127.0.0.1", self.port), connect_timeout=5, timeout=5, default_noreply=False)

    def run(self):
        client = None
        try:
            client = self.client()
            i = 0
            while not self.stop_event.is_set():
                if self.reconnect_every and i and i % self.reconnect_every == 0:
                    client.close()
                    client = self.client()
                key = f"reload:{self.tid}:{i % 150}"
                value = f"{self.tid}:{i}:{'x' * (i % 40)}".encode()
                try:
                    before = client.get("__mcrouter__.config_md5_digest")
                    stored = client.set(key, value)
                    got = client.get(key)
                    after = client.get("__mcrouter__.config_md5_digest")
                except Exception as e:  # noqa: BLE001 - every failure is a test failure, keep its text
                    self.errors.append(f"iteration {i} key {key}: {type(e).__name__}: {e}")
                    client.close()
                    client = self.client()
                    i += 1
                    continue
                self.iterations += 1
                self.digests_seen.update(d for d in (before, after) if d is not None)
                if stored is not True:
                    self.errors.append(f"iteration {i}: set {key} returned {stored!r} (not STORED)")
                if before is None or after is None:
                    self.errors.append(f"iteration {i}: __mcrouter__.config_md5_digest missed: {before!r} {after!r}")
                elif before == after:
                    if got != value:
                        self.errors.append(f"iteration {i}: under one config ({before.decode()}) set {key}="
                                           f"{value!r} then get returned {got!r}")
                else:
                    self.across_reload += 1
                    if got != value:
                        self.stale_across_reload += 1
                        if got is not None and not got.startswith(f"{self.tid}:".encode()):
                            self.errors.append(f"iteration {i}: get {key} returned {got!r}, a value this thread "
                                               f"never wrote")
                i += 1
        except Exception:  # noqa: BLE001
            self.errors.append("load thread crashed:\n" + traceback.format_exc())
        finally:
            if client is not None:
                client.close()


@skip_without_proxy()
class TestConfigMapReloadUnderLoad(unittest.TestCase):
    SWAPS = 50

    def test_50_swaps_under_load(self):
        cm = ConfigMapDir()
        self.addCleanup(cm.cleanup)
        first = valid_version(0)
        cm.update(first)
        relay = RelayAt(cm.path, args=["--num-proxies", "2"]).start()
        self.addCleanup(relay.stop)
        self.assertEqual(relay_stats(relay)["config_md5_digest"], md5_hex(first))
        good_digests = {md5_hex(first)}
        bad_digests = set()

        stop = threading.Event()
        threads = [LoadThread(relay.port, 0, stop), LoadThread(relay.port, 1, stop, reconnect_every=25),
                   LoadThread(relay.port, 2, stop, reconnect_every=7)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: all(t.iterations > 5 for t in threads) or any(t.errors for t in threads), 10,
                     "the load threads to get going")
            base = relay_stats(relay)
            failures = int(base["config_reload_failures"])
            reloads = int(base["config_reloads"])
            generation = int(base["config_generation"])
            digest = base["config_md5_digest"]
            valid_n = invalid_n = 0
            for swap in range(self.SWAPS):
                if swap % 2 == 0:
                    valid_n += 1
                    text = valid_version(valid_n)
                    digest = md5_hex(text)
                    good_digests.add(digest)
                    cm.update(text)
                    wait_for_digest(relay, digest, f"swap {swap} (valid version {valid_n})")
                    reloads += 1
                    generation += 1
                else:
                    text, reason = invalid_version(invalid_n)
                    invalid_n += 1
                    bad_digests.add(md5_hex(text))
                    cm.update(text)
                    wait_for_failures(relay, failures + 1, f"swap {swap} (invalid version {invalid_n - 1})")
                    failures += 1
                    stats = relay_stats(relay)
                    self.assertEqual(stats["config_md5_digest"], digest,
                                     f"swap {swap}: an invalid config replaced the running one")
                    log = relay.stderr_text()
                    self.assertIn(f"rejected: {cm.path}", log)
                    self.assertIn(reason.replace("{path}", cm.path), log,
                                  f"swap {swap}: the rejection must give the reason")
                stats = relay_stats(relay)
                self.assertEqual(int(stats["config_reloads"]), reloads, f"swap {swap}: config_reloads {stats}")
                self.assertEqual(int(stats["config_reload_failures"]), failures,
                                 f"swap {swap}: config_reload_failures {stats}")
                self.assertEqual(int(stats["config_generation"]), generation, f"swap {swap}: generation {stats}")
                relay.assert_alive(f"after swap {swap}")
                # Each config must see some traffic: wait until every thread has done a few more iterations.
                marks = [t.iterations for t in threads]
                wait_for(lambda: all(t.iterations >= m + 2 for t, m in zip(threads, marks))
                         or any(t.errors for t in threads) or not all(t.is_alive() for t in threads),
                         10, f"client traffic after swap {swap}")
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=15)
        self.assertFalse(any(t.is_alive() for t in threads), "a load thread is stuck")
        errors = [e for t in threads for e in t.errors]
        total = sum(t.iterations for t in threads)
        self.assertEqual(errors, [], f"{len(errors)} client failures in {total} iterations, e.g.:\n  "
                         + "\n  ".join(errors[:20]) + f"\nmcrelay stderr:\n{relay.stderr_text(tail=3000)}")
        seen = set().union(*(t.digests_seen for t in threads))
        self.assertFalse({d.decode() for d in seen} & bad_digests, "an invalid config was served")
        self.assertTrue({d.decode() for d in seen} <= good_digests, f"unknown digests served: {seen}")
        self.assertGreater(total, 200, "too little traffic to say anything")
        # Informational: how many set/get pairs straddled a reload (and returned something else).
        print(f"\n  {total} iterations, {sum(t.across_reload for t in threads)} straddled a reload, "
              f"{sum(t.stale_across_reload for t in threads)} of those read another value; "
              f"{len(seen)} configs served", file=sys.stderr)

    def test_reload_is_logged_at_every_log_level(self):
        cm = ConfigMapDir()
        self.addCleanup(cm.cleanup)
        cm.update(valid_version(0))
        relay = RelayAt(cm.path, args=["--log-level", "error"]).start()
        self.addCleanup(relay.stop)
        text = valid_version(1)
        cm.update(text)
        wait_for_digest(relay, md5_hex(text), "the reload")
        self.assertIn(f"config reloaded (file changed): {cm.path} generation 2 md5 {md5_hex(text)}",
                      relay.stderr_text())

    def test_configmap_update_moves_keys(self):
        """After a swap to a pool with other servers, new sets land on the new servers only."""
        cm = ConfigMapDir()
        self.addCleanup(cm.cleanup)
        first = "// only server 0\n" + json.dumps(
            {"pools": {"A": {"servers": addresses([0])}}, "route": "PoolRoute|A"})
        cm.update(first)
        relay = RelayAt(cm.path).start()
        self.addCleanup(relay.stop)
        with Conn(relay.port, name="mcrelay", diag=relay.diag) as c:
            self.assertEqual(c.request(b"set cm:moves 0 0 2\r\nv1\r\n"), b"STORED\r\n")
        second = "// only server 1\n" + json.dumps(
            {"pools": {"A": {"servers": addresses([1])}}, "route": "PoolRoute|A"})
        cm.update(second)
        wait_for_digest(relay, md5_hex(second), "the swap to server 1")
        # A new connection: Conn's sentinel key lives on whichever server the old config chose.
        with Conn(relay.port, name="mcrelay", diag=relay.diag) as c:
            self.assertEqual(c.request(b"get cm:moves\r\n"), b"END\r\n", "server 1 does not have the key")
            self.assertEqual(c.request(b"set cm:moves 0 0 2\r\nv2\r\n"), b"STORED\r\n")
        for i, want in ((0, b"v1"), (1, b"v2")):
            with Conn(_servers[i].port, name=f"memcached[{i}]") as d:
                items = parse_value_reply(d.request(b"get cm:moves\r\n"))
                self.assertEqual([it[2] for it in items], [want], f"memcached[{i}]")
            with Conn(_servers[i].port, name=f"memcached[{i}]") as d:
                d.request(b"delete cm:moves\r\n")


@skip_without_proxy()
class TestSighupAndMissingFile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mcrelay-reload-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "mcrouter.json")

    def write(self, text):
        with open(self.path, "w") as f:
            f.write(text)

    def config(self, indexes, comment):
        return f"// {comment}\n" + json.dumps({"pools": {"A": {"servers": addresses(indexes)}},
                                               "route": "PoolRoute|A"}) + "\n"

    def set_get(self, relay, key, value):
        with Conn(relay.port, name="mcrelay", diag=relay.diag) as c:
            self.assertEqual(c.request(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)), b"STORED\r\n")
            self.assertEqual(c.request(b"get %s\r\n" % key),
                             b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(value), value))

    def holds(self, index, key):
        with Conn(_servers[index].port, name=f"memcached[{index}]") as d:
            return bool(parse_value_reply(d.request(b"get %s\r\n" % key)))

    def test_sighup_reloads_an_in_place_edit(self):
        first = self.config([0], "server 0")
        self.write(first)
        relay = RelayAt(self.path).start()
        self.addCleanup(relay.stop)
        self.set_get(relay, b"hup:before", b"zero")
        self.assertTrue(self.holds(0, b"hup:before"))

        # SIGHUP with nothing changed: nothing happens.
        relay.proc.send_signal(signal.SIGHUP)
        # Signals are handled on mcrelay's control thread; "nothing happened" has nothing to wait for but
        # the absence of a change, so pause a little.
        time.sleep(0.3)
        stats = relay_stats(relay)
        self.assertEqual((stats["config_reloads"], stats["config_reload_failures"]), ("0", "0"), stats)

        # Edit in place (same inode: truncate + write) and keep the file open, so that inotify sees no
        # close-after-write yet: the reload must come from SIGHUP. (The 2 s poll could race it: then the log
        # says "(poll)" and the attempt is repeated.)
        for attempt in range(3):
            second = self.config([1], f"server 1, attempt {attempt}")
            inode = os.stat(self.path).st_ino
            fd = os.open(self.path, os.O_WRONLY | os.O_TRUNC)
            try:
                os.write(fd, second.encode())
                os.fsync(fd)
                relay.proc.send_signal(signal.SIGHUP)
                wait_for_digest(relay, md5_hex(second), "the SIGHUP reload")
            finally:
                os.close(fd)
            self.assertEqual(os.stat(self.path).st_ino, inode, "the edit must be in place")
            line = [ln for ln in relay.stderr_text().splitlines() if md5_hex(second) in ln and "reloaded" in ln]
            self.assertEqual(len(line), 1, relay.stderr_text())
            if "(SIGHUP)" in line[0]:
                break
            self.assertIn("(poll)", line[0])
        else:
            self.fail("the poll beat SIGHUP three times in a row")
        stats = relay_stats(relay)
        self.assertEqual(stats["config_reload_failures"], "0", stats)
        self.assertEqual(int(stats["config_reloads"]), attempt + 1, stats)
        self.set_get(relay, b"hup:after", b"one")
        self.assertTrue(self.holds(1, b"hup:after"))
        self.assertFalse(self.holds(0, b"hup:after"))

    def test_sighup_with_a_bad_edit_keeps_the_config(self):
        first = self.config([0], "server 0")
        self.write(first)
        relay = RelayAt(self.path).start()
        self.addCleanup(relay.stop)
        relay_stats(relay)  # served: start-up is over (see test_sighup_right_after_start)
        self.write('{"pools": {"A": {"servers": []}}, "route": "PoolRoute|A"}\n')
        relay.proc.send_signal(signal.SIGHUP)
        wait_for_failures(relay, 1, "the bad edit")
        self.assertEqual(relay_stats(relay)["config_md5_digest"], md5_hex(first))
        self.assertIn(f"rejected: {self.path}: pools.A.servers: must not be empty", relay.stderr_text())
        self.assertIn("keeping the running config", relay.stderr_text())
        self.set_get(relay, b"hup:bad", b"still")
        self.assertTrue(self.holds(0, b"hup:bad"))

    def test_sighup_right_after_start(self):
        """A SIGHUP that arrives as soon as mcrelay says "listening on" must not kill it (a config-reloader
        sidecar may signal a proxy that has just started). SIGHUP's default action is to terminate, so the
        handler must be in place before mcrelay announces that it listens."""
        self.write(self.config([0], "server 0"))
        argv = [MCRELAY_BIN, "-p", "0", "--listen-addresses", "127.0.0.1", "-f", self.path]
        died = []
        for attempt in range(5):
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            try:
                err = b""
                deadline = time.monotonic() + 10
                while b"listening on" not in err:
                    left = deadline - time.monotonic()
                    self.assertGreater(left, 0, f"mcrelay did not start: {err!r}")
                    ready, _, _ = select.select([proc.stderr], [], [], left)
                    if ready:
                        chunk = os.read(proc.stderr.fileno(), 65536)
                        self.assertTrue(chunk, f"mcrelay exited before listening: {err!r}")
                        err += chunk
                proc.send_signal(signal.SIGHUP)
                try:
                    code = proc.wait(timeout=0.5)
                    died.append(f"attempt {attempt}: exit code {code} "
                                f"({'killed by SIGHUP' if code == -signal.SIGHUP else 'exited'}); "
                                f"stderr: {err.decode(errors='replace').strip()}")
                except subprocess.TimeoutExpired:
                    pass  # still running: good
            finally:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=3)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait(timeout=3)
                proc.stderr.close()
        self.assertEqual(died, [], f"mcrelay died from a SIGHUP sent right after 'listening on' in {len(died)} "
                                   f"of 5 starts")

    def test_file_disappears_then_comes_back(self):
        first = self.config([0], "server 0")
        self.write(first)
        relay = RelayAt(self.path).start()
        self.addCleanup(relay.stop)
        away = self.path + ".away"
        os.rename(self.path, away)
        wait_for_failures(relay, 1, "the missing file")
        log = relay.stderr_text()
        self.assertIn(f"cannot read {self.path}: No such file or directory; keeping the running config", log)
        self.assertEqual(relay_stats(relay)["config_md5_digest"], md5_hex(first))
        self.set_get(relay, b"gone:1", b"served")
        self.assertTrue(self.holds(0, b"gone:1"))
        # A poll happens while the file is still missing (every 2 s): it is not reported again.
        relay.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)  # let the signal be handled: "not reported again" has nothing else to wait for
        self.set_get(relay, b"gone:2", b"served")
        stats = relay_stats(relay)
        self.assertEqual(stats["config_reload_failures"], "1", f"reported once: {stats}")
        self.assertEqual(stats["config_md5_digest"], md5_hex(first))
        # The same file comes back: nothing to reload.
        os.rename(away, self.path)
        relay.proc.send_signal(signal.SIGHUP)
        with Conn(relay.port, name="mcrelay") as c:
            c.request(b"get gone:nothing\r\n")
        self.assertEqual(relay_stats(relay)["config_reloads"], "0")
        # And a new version after that is picked up.
        second = self.config([2], "server 2")
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(second)
        os.rename(tmp, self.path)  # how editors and config managers replace a file
        wait_for_digest(relay, md5_hex(second), "the file replaced by rename")
        self.set_get(relay, b"gone:3", b"two")
        self.assertTrue(self.holds(2, b"gone:3"))
        relay.assert_alive()


if __name__ == "__main__":
    unittest.main()
