"""Operator tools: the admin keys (`get __mcrouter__.*`), `--route-key`, `--validate-config` and the exit
codes of the command line.

route(<op>,<key>) is checked against an independent Ch3 (test_placement.ch3) and against `--route-key`,
which must print the same destinations as the running proxy answers.
"""

import hashlib
import json
import os
import re
import subprocess
import tempfile
import unittest

from mcrelay_testlib import (MCRELAY_BIN, STANDIN, Conn, Mcrelay, Memcached, parse_stats, parse_value_reply,
                             show, skip_without_proxy, wait_for)
from test_placement import ch3

NUM_SERVERS = 3
_servers = []


def setUpModule():
    if STANDIN:
        return
    for _ in range(NUM_SERVERS):
        _servers.append(Memcached().start())


def tearDownModule():
    for mc in _servers:
        mc.__exit__(None, None, None)  # stop, and remove its log file


def run(*args, timeout=10):
    """Run the binary; returns (exit code, stdout, stderr)."""
    proc = subprocess.run([MCRELAY_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def handle_registered(handle):
    code, out, err = run("--validate-config", "--config",
                         json.dumps({"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": {"type": handle}}))
    return f'unknown route handle type "{handle}"' not in out + err


def write_temp(text, suffix=".json"):
    fd, path = tempfile.mkstemp(prefix="mcrelay-admin-", suffix=suffix)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def md5_hex(text):
    return hashlib.md5(text.encode()).hexdigest()


def admin_get(conn, name):
    """The value of `get __mcrouter__.<name>` (str), or None for a miss."""
    key = b"__mcrouter__." + name.encode()
    reply = conn.exchange(b"get %s\r\n" % key, terminator=b"END\r\n")
    items = parse_value_reply(reply)
    if not items:
        return None
    assert items[0][0] == key, show(reply)
    return items[0][2].decode()


@skip_without_proxy()
class AdminTest(unittest.TestCase):
    def relay(self, config, args=(), config_style="file"):
        relay = Mcrelay(config, args=["--enable-admin-keys", *args], config_style=config_style).start()
        self.addCleanup(relay.stop)
        conn = Conn(relay.port, name="mcrelay", diag=relay.diag)
        self.addCleanup(conn.close)
        return relay, conn

    def pool3(self, **route_extra):
        route = dict({"type": "PoolRoute", "pool": "A"}, **route_extra)
        return {"pools": {"A": {"servers": [mc.address for mc in _servers]}}, "route": route}


class TestAdminKeys(AdminTest):
    def test_version(self):
        _, c = self.relay(self.pool3())
        code, out, _ = run("--version")
        self.assertEqual(code, 0)
        self.assertEqual(admin_get(c, "version"), out.strip())
        self.assertTrue(out.startswith("mcrelay "), out)

    def test_config_file_and_md5_digest(self):
        relay, c = self.relay(self.pool3())
        with open(relay.config_path) as f:
            text = f.read()
        self.assertEqual(admin_get(c, "config_file"), relay.config_path)
        self.assertEqual(admin_get(c, "config_md5_digest"), md5_hex(text))
        stats = parse_stats(c.exchange(b"stats\r\n", terminator=b"END\r\n"))
        self.assertEqual(stats["config_md5_digest"], md5_hex(text))

    def test_config_file_with_dash_f(self):
        relay, c = self.relay(self.pool3(), config_style="-f")
        self.assertEqual(admin_get(c, "config_file"), relay.config_path)

    def test_config_age_and_reload(self):
        relay, c = self.relay(self.pool3())
        age = admin_get(c, "config_age")
        self.assertRegex(age, r"^\d+$")
        self.assertLessEqual(int(age), 5)
        wait_for(lambda: int(admin_get(c, "config_age")) >= 1, 5, "config_age to count seconds")
        # A new config: new digest, age back to 0.
        text = json.dumps(self.pool3(hash={"salt": "new"}))
        tmp = relay.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, relay.config_path)
        wait_for(lambda: admin_get(c, "config_md5_digest") == md5_hex(text), 5, "the reload to show in the digest")
        self.assertEqual(int(admin_get(c, "config_age")), 0)
        self.assertEqual(admin_get(c, "config_file"), relay.config_path)

    def test_options_show_the_flags(self):
        _, c = self.relay(self.pool3(), args=["--num-proxies", "2", "-t", "750", "--connect-timeout", "300",
                                              "--max-item-size", "512k", "--connections-per-server", "2",
                                              "-R", "/x/y/"])
        options = admin_get(c, "options")
        # mcrouter's format: "name value" lines separated by \n, mcrouter's option names.
        lines = dict(line.split(" ", 1) for line in options.split("\n"))
        self.assertEqual(lines.get("num_proxies"), "2", options)
        self.assertEqual(lines.get("server_timeout_ms"), "750", options)
        self.assertEqual(lines.get("connect_timeout_ms"), "300", options)
        self.assertEqual(lines.get("max_item_size"), "524288", options)
        self.assertEqual(lines.get("connections_per_server"), "2", options)
        self.assertEqual(lines.get("default_route"), "/x/y/", options)
        self.assertEqual(admin_get(c, "options(server_timeout_ms)"), "750")
        self.assertEqual(admin_get(c, "options(default_route)"), "/x/y/")
        self.assertEqual(admin_get(c, "options(no_such_option)"), "ERROR: options: option no_such_option not found")

    def test_options_show_the_effective_number_of_proxies(self):
        # Without --num-proxies mcrelay picks the number of workers itself; options must say how many,
        # as mcrouter's does (it prints the value in use, never 0).
        relay, c = self.relay(self.pool3())
        workers = re.search(r"listening on \S+ \((\d+) workers?\)", relay.stderr_text())
        self.assertIsNotNone(workers, relay.stderr_text())
        options = admin_get(c, "options")
        lines = dict(line.split(" ", 1) for line in options.split("\n"))
        self.assertEqual(lines.get("num_proxies"), workers.group(1),
                         f"__mcrouter__.options says num_proxies {lines.get('num_proxies')!r} but mcrelay runs "
                         f"{workers.group(1)} workers; options:\n{options}")

    def test_unknown_or_failing_admin_key_answers_an_error_value(self):
        # mcrouter's ServiceInfo: always a hit; a failing or unknown command answers "ERROR: <why>".
        _, c = self.relay(self.pool3())
        self.assertEqual(admin_get(c, "no_such_thing"), "ERROR: unknown command: no_such_thing")
        self.assertEqual(admin_get(c, "route(get)"), "ERROR: route: 2 args expected")
        self.assertEqual(admin_get(c, "route"), "ERROR: route: 2 args expected")
        self.assertEqual(admin_get(c, "route(bogus,k)"), "ERROR: route: unknown request bogus")
        self.assertEqual(admin_get(c, "route_handles(get)"), "ERROR: route_handles: 2 args expected")
        self.assertEqual(admin_get(c, "options(a,b)"), "ERROR: options: 0 or 1 args expected")
        self.assertIsNotNone(admin_get(c, "version"), "the connection stays usable")

    def test_config_and_sources_info(self):
        relay, c = self.relay(self.pool3())
        with open(relay.config_path) as f:
            text = f.read()
        self.assertEqual(admin_get(c, "config"), '{"error": "config is loaded from file and not available"}')
        self.assertEqual(json.loads(admin_get(c, "config_sources_info")),
                         {"config_file": relay.config_path, "mcrouter_config": md5_hex(text)})
        pre = admin_get(c, "preprocessed_config")
        self.assertEqual(json.loads(pre), json.loads(text))
        self.assertEqual(pre, json.dumps(json.loads(text), indent=2, sort_keys=True), "pretty, keys sorted")

    def test_inline_config(self):
        config = self.pool3()
        relay, c = self.relay(config, config_style="inline")
        self.assertEqual(json.loads(admin_get(c, "config")), config)
        self.assertEqual(admin_get(c, "config_file"), "ERROR: no config file found!")
        text = admin_get(c, "config")
        self.assertEqual(json.loads(admin_get(c, "config_sources_info")), {"mcrouter_config": md5_hex(text)})
        self.assertEqual(admin_get(c, "config_md5_digest"), md5_hex(text))

    def test_hostid_is_a_stable_number(self):
        # mcrouter's test_service_info: str(int(hostid)) == hostid, and the same on every ask.
        _, c = self.relay(self.pool3())
        hostid = admin_get(c, "hostid")
        self.assertEqual(str(int(hostid)), hostid)
        self.assertEqual(admin_get(c, "hostid"), hostid)
        _, c2 = self.relay(self.pool3())
        self.assertEqual(admin_get(c2, "hostid"), hostid, "another process on the same host")

    def test_verbosity_reads_and_sets_the_log_level(self):
        relay, c = self.relay(self.pool3(), args=["--log-level", "warn"])
        self.assertEqual(admin_get(c, "verbosity"), "0")
        self.assertEqual(admin_get(c, "verbosity(2)"), "0 -> 2")
        self.assertEqual(admin_get(c, "verbosity"), "2")
        self.assertEqual(admin_get(c, "verbosity(1)"), "2 -> 1")
        self.assertEqual(admin_get(c, "verbosity(x)"), "ERROR: bad verbosity x")

    def test_route_format_and_keys_with_commas(self):
        # mcrouter's test_service_info: route(set,abc,def) names the key "abc,def" and answers host:port lines.
        cfg = {"pools": {"A": {"servers": [_servers[0].address]}, "B": {"servers": [_servers[1].address]}},
               "route": {"type": "AllSyncRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}}
        _, c = self.relay(cfg)
        route = admin_get(c, "route(set,abc,def)")
        self.assertEqual(route.split("\r\n"), [_servers[0].address, _servers[1].address])

    def test_route_handles(self):
        _, c = self.relay(self.pool3())
        for op in ("get", "set", "delete"):
            rh = admin_get(c, f"route_handles({op},abc,def)")
            lines = rh.split("\n")
            self.assertEqual(lines[:2], ["root", " PoolRoute"], rh)
            dest = admin_get(c, f"route({op},abc,def)")
            self.assertEqual(len(lines), 3, rh)
            host, port = dest.rsplit(":", 1)
            idx = [mc.address for mc in _servers].index(dest)
            self.assertEqual(lines[2], f"  host|pool=A|id={idx}|ap={host}:{port}:ascii:plain:notcompressed"
                                       f"|timeout=1000ms|keep_routing_prefix=false", rh)

    def test_admin_key_in_a_multi_get(self):
        _, c = self.relay(self.pool3())
        self.assertEqual(c.exchange(b"set adm:k 0 0 1\r\nv\r\n", terminator=b"\r\n"), b"STORED\r\n")
        reply = c.exchange(b"get adm:k __mcrouter__.version adm:missing adm:k\r\n", terminator=b"END\r\n")
        items = parse_value_reply(reply)
        self.assertEqual([k for k, _, _, _ in items], [b"adm:k", b"__mcrouter__.version", b"adm:k"], show(reply))
        self.assertEqual(items[1][2].decode(), admin_get(c, "version"))


class TestRouteIntrospection(AdminTest):
    def routes_config(self):
        return {"pools": {"A": {"servers": [mc.address for mc in _servers]}, "B": {"servers": [_servers[0].address]}},
                "routes": [{"aliases": ["/a/x/"],
                            "route": {"type": "PoolRoute", "pool": "A", "hash": {"salt": "s1"}}},
                           {"aliases": ["/b/x/"], "route": "PoolRoute|B"}]}

    def admin_route(self, c, op, key):
        value = admin_get(c, f"route({op},{key})")
        self.assertIsNotNone(value, f"route({op},{key}) missed")
        return value.split("\r\n") if value else []

    def route_key(self, path, op, key, *extra):
        code, out, err = run("--route-key", op, key, "--config", f"file:{path}", *extra)
        self.assertEqual(code, 0, f"--route-key {op} {key}: {err}")
        return out.splitlines()

    def test_route_matches_ch3(self):
        relay, c = self.relay(self.pool3())
        addresses = [mc.address for mc in _servers]
        for i in range(60):
            key = f"route:{i}"
            for op in ("get", "set", "delete", "incr", "touch"):
                self.assertEqual(self.admin_route(c, op, key), [addresses[ch3(key, 3)]], f"route({op},{key})")

    def test_route_with_prefixes_salt_and_hash_stop(self):
        relay, c = self.relay(self.routes_config())
        a = [mc.address for mc in _servers]
        for i in range(30):
            key = f"k{i}"
            self.assertEqual(self.admin_route(c, "get", f"/a/x/{key}"), [a[ch3(key + 's1', 3)]],
                             "prefix stripped, salt appended")
            self.assertEqual(self.admin_route(c, "get", f"/a/x/{key}|#|suffix{i}"), [a[ch3(key + 's1', 3)]],
                             "hashed up to the hash stop")
            self.assertEqual(self.admin_route(c, "set", f"/b/x/{key}"), [a[0]])
            # No known prefix: the default (first) route, whole key hashed.
            self.assertEqual(self.admin_route(c, "get", f"/c/x/{key}"), [a[ch3(f'/c/x/{key}s1', 3)]])

    def test_route_key_flag_matches_the_admin_key(self):
        relay, c = self.relay(self.routes_config())
        cases = [(op, key) for op in ("get", "set", "delete") for key in
                 ("plain", "/a/x/foo", "/a/x/bar|#|baz", "/b/x/foo", "/c/x/foo", "user:12345:profile")]
        for op, key in cases:
            self.assertEqual(self.route_key(relay.config_path, op, key), self.admin_route(c, op, key),
                             f"--route-key {op} {key}")

    def test_route_key_with_route_prefix_flag(self):
        relay, c = self.relay(self.routes_config(), args=["-R", "/b/x/"])
        for key in ("plain", "other", "/a/x/foo"):
            self.assertEqual(self.route_key(relay.config_path, "get", key, "-R", "/b/x/"),
                             self.admin_route(c, "get", key), key)
        self.assertEqual(self.admin_route(c, "get", "plain"), [_servers[0].address])

    def test_fan_out_routes_list_every_destination(self):
        for handle in ("OperationSelectorRoute", "AllSyncRoute", "LatestRoute", "FailoverRoute"):
            if not handle_registered(handle):
                self.skipTest(f"route handle {handle} is not registered in {MCRELAY_BIN}")
        a = [mc.address for mc in _servers]
        cfg = {"pools": {"A": {"servers": a}, "B": {"servers": [a[0]]}},
               "routes": [{"aliases": ["/r/r/"],
                           "route": {"type": "OperationSelectorRoute",
                                     "operation_policies": {"delete": "AllSyncRoute|Pool|A",
                                                            "get": "LatestRoute|Pool|A",
                                                            "set": "AllSyncRoute|Pool|A"}}},
                          {"aliases": ["/f/f/"],
                           "route": {"type": "FailoverRoute", "children": ["PoolRoute|B", "PoolRoute|A"]}}]}
        relay, c = self.relay(cfg)
        self.assertEqual(self.admin_route(c, "set", "/r/r/k"), a, "AllSyncRoute: every server, pool order")
        self.assertEqual(self.admin_route(c, "delete", "/r/r/k"), a)
        self.assertEqual(sorted(self.admin_route(c, "get", "/r/r/k")), sorted(a),
                         "LatestRoute: failover_count 5 > 3 servers, so all of them")
        self.assertEqual(self.admin_route(c, "get", "/f/f/k"), [a[0], a[ch3("k", 3)]],
                         "FailoverRoute: the primary, then the secondary")
        for op, key in (("set", "/r/r/k"), ("get", "/r/r/k"), ("get", "/f/f/k"), ("delete", "/r/r/x")):
            self.assertEqual(self.route_key(relay.config_path, op, key), self.admin_route(c, op, key),
                             f"--route-key {op} {key}")

    def test_route_key_without_a_server(self):
        # --route-key needs no running proxy and no reachable server.
        path = write_temp(json.dumps({"pools": {"A": {"servers": ["10.255.255.1:11211", "10.255.255.2:11211"]}},
                                      "route": "PoolRoute|A"}))
        self.addCleanup(os.unlink, path)
        servers = ["10.255.255.1:11211", "10.255.255.2:11211"]
        for key in ("a", "b", "user:1", "user:2"):
            self.assertEqual(self.route_key(path, "get", key), [servers[ch3(key, 2)]])
        with open(path) as f:
            inline = f.read()
        code, out, err = run("--route-key", "get", "k", "--config", inline)
        self.assertEqual((code, out.strip()), (0, servers[ch3("k", 2)]), err)

    def test_route_key_unknown_operation(self):
        path = write_temp(json.dumps(self.pool3()))
        self.addCleanup(os.unlink, path)
        code, out, err = run("--route-key", "fetch", "k", "-f", path)
        self.assertEqual(code, 2, out + err)
        self.assertIn('unknown operation "fetch"', err)
        code, out, err = run("--route-key", "get")
        self.assertEqual(code, 2, out + err)
        self.assertIn("--route-key needs two arguments", err)


@skip_without_proxy()
class TestValidateConfig(unittest.TestCase):
    GOOD = {"pools": {"A": {"servers": ["127.0.0.1:5001", "127.0.0.1:5002"]}}, "route": "PoolRoute|A"}

    def validate_file(self, text):
        path = write_temp(text)
        self.addCleanup(os.unlink, path)
        code, out, err = run("--validate-config", "--config", f"file:{path}")
        return path, code, out + err

    def assert_invalid(self, text, message):
        path, code, out = self.validate_file(text)
        self.assertEqual(code, 3, f"exit code for an invalid config (mcrouter's: 3); output: {out}")
        self.assertIn(message.replace("{file}", path), out)
        return out

    def test_good_file(self):
        text = json.dumps(self.GOOD)
        path, code, out = self.validate_file(text)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.strip(), f"config OK: {path} (1 pools, 1 routes, md5 {md5_hex(text)})")

    def test_good_inline_and_dash_f(self):
        code, out, err = run("--validate-config", "--config", json.dumps(self.GOOD))
        self.assertEqual(code, 0, out + err)
        self.assertIn("config OK: <command line>", out)
        path = write_temp(json.dumps(self.GOOD))
        self.addCleanup(os.unlink, path)
        for args in (["-f", path], [f"--config-file={path}"], ["--config-file", path]):
            code, out, err = run("--validate-config", *args)
            self.assertEqual(code, 0, f"{args}: {out}{err}")

    def test_comments_and_trailing_commas(self):
        text = ("// the Helm chart's style\n{\n  /* pools */\n  \"pools\": {\"A\": {\"servers\": [\n"
                "    \"127.0.0.1:5001\",\n    \"127.0.0.1:5002\",\n  ]}},\n"
                "  \"route\": \"PoolRoute|A\", // default\n}\n")
        _, code, out = self.validate_file(text)
        self.assertEqual(code, 0, out)

    def test_syntax_error_gives_file_line_column(self):
        text = '{\n  "pools": {"A": {"servers": ["127.0.0.1:5001"]}}\n  "route": "PoolRoute|A"\n}\n'
        self.assert_invalid(text, "{file}:3:3: expected ',' or '}'")

    def test_syntax_error_column_counts_characters(self):
        # "é" is 2 bytes but 1 column: the unexpected "x" is at column 25 (byte 26).
        text = '{"pools": {"A": {"servers": ["127.0.0.1:5001"]}},\n "route": "PoolRoute|é" "x"}\n'
        self.assert_invalid(text, "{file}:2:25:")

    def test_unterminated_comment(self):
        self.assert_invalid('{"pools": {}, /* oops\n "route": "NullRoute"}', "{file}:1:15:")

    def test_unknown_handle_gives_json_path_and_suggestion(self):
        failover_known = handle_registered("FailoverRoute")
        cfg = {"pools": {"A": {"servers": ["127.0.0.1:5001"]}, "B": {"servers": ["127.0.0.1:5002"]}},
               "route": {"type": "HashRoute",
                         "children": ["PoolRoute|A", "PoolRoute|B", {"type": "FailovrRoute", "children": "Pool|A"}]}}
        out = self.assert_invalid(json.dumps(cfg),
                                  '{file}: route.children[2]: unknown route handle type "FailovrRoute"')
        if failover_known:
            self.assertIn('did you mean "FailoverRoute"?', out)
        cfg["route"] = {"type": "HashRout", "children": "Pool|A"}
        self.assert_invalid(json.dumps(cfg), '{file}: route: unknown route handle type "HashRout"; '
                                             'did you mean "HashRoute"?')

    def test_unknown_pool_and_key_suggestions(self):
        self.assert_invalid(json.dumps({"pools": {"main": {"servers": ["127.0.0.1:1"]}}, "route": "PoolRoute|mian"}),
                            '{file}: route.pool: unknown pool "mian"; did you mean "main"?')
        self.assert_invalid(json.dumps({"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "rotue": "PoolRoute|A"}),
                            '{file}: rotue: unknown top-level key "rotue" (did you mean "route"?)')

    def test_routes_errors(self):
        self.assert_invalid(json.dumps({"pools": {"A": {"servers": ["127.0.0.1:1"]}},
                                        "routes": [{"aliases": ["/a/b/"], "route": "PoolRoute|A"},
                                                   {"aliases": ["/a/b/"], "route": "PoolRoute|A"}]}),
                            '{file}: routes[1].aliases[0]: routing prefix "/a/b/" is already used at '
                            'routes[0].aliases[0]')
        self.assert_invalid(json.dumps({"pools": {"A": {"servers": ["127.0.0.1:1"]}},
                                        "routes": [{"aliases": ["a/b"], "route": "PoolRoute|A"}]}),
                            '{file}: routes[0].aliases[0]: invalid routing prefix "a/b"')
        self.assert_invalid(json.dumps({"pools": {"A": {"servers": ["127.0.0.1:1"]}},
                                        "route": "PoolRoute|A", "routes": {"/a/b/": "PoolRoute|A"}}),
                            'both "route" and "routes" are given')
        self.assert_invalid(json.dumps({"pools": {"A": {"servers": []}}, "route": "PoolRoute|A"}),
                            "{file}: pools.A.servers: must not be empty")

    def test_pool_route_shadows_and_unknown_keys(self):
        # mcrouter's "shadows" loads (mcrelay shadows traffic), with its errors named by path; a misspelt key is
        # never ignored: 'unknown key "x" in <Type>'.
        base = {"pools": {"A": {"servers": ["127.0.0.1:1"]}, "S": {"servers": ["127.0.0.1:2"]}}}
        cfg = dict(base, route={"type": "PoolRoute", "pool": "A",
                                "shadows": [{"target": "PoolRoute|S", "index_range": [0, 1]}]})
        _, code, out = self.validate_file(json.dumps(cfg))
        self.assertEqual(code, 0, out)
        cfg = dict(base, route={"type": "PoolRoute", "pool": "A",
                                "shadows": [{"target": "PoolRoute|S", "index_rnage": [0, 1]}]})
        self.assert_invalid(json.dumps(cfg), '{file}: route.shadows[0]: unknown key "index_rnage"')
        cfg = dict(base, route={"type": "PoolRoute", "pool": "A", "hsah": {"hash_func": "Crc32"}})
        out = self.assert_invalid(json.dumps(cfg), "{file}: route")
        self.assertIn("hsah", out)

    def test_jsonm_macros_are_expanded(self):
        # An unknown macro is an error at its path; defined macros expand, and the macros are not a top-level key.
        self.assert_invalid(json.dumps({"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": "@route(A)"}),
                            "{file}: route: unknown macro @route")
        path, code, out = self.validate_file(json.dumps({
            "macros": {"route": {"type": "macroDef", "params": ["p"], "result": "PoolRoute|%p%"}},
            "pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": "@route(A)"}))
        self.assertEqual(code, 0, out)
        self.assertIn(f"config OK: {path} (1 pools, 1 routes", out)

    def test_unreadable_file(self):
        code, out, err = run("--validate-config", "--config", "file:/nonexistent/mcrelay.json")
        self.assertEqual(code, 3, out + err)
        self.assertIn("cannot read /nonexistent/mcrelay.json: No such file or directory", out + err)

    def test_starting_with_an_invalid_config_fails(self):
        path = write_temp('{"pools": {}, "route": "PoolRoute|A"}')
        self.addCleanup(os.unlink, path)
        code, out, err = run("-p", "0", "--listen-addresses", "127.0.0.1", "-f", path)
        self.assertEqual(code, 2, out + err)  # mcrouter's status for a config that does not load at start-up
        self.assertIn(f'{path}: route.pool: unknown pool "A"', out + err)


@skip_without_proxy()
class TestCommandLine(unittest.TestCase):
    def test_unknown_flags_exit_2(self):
        for args, message in ((["--bogus"], 'unknown option "--bogus"'), (["-Z"], 'unknown option "-Z"'),
                              (["--validate-config", "stray"], 'unexpected argument "stray"'),
                              (["--num-proxies"], 'option "--num-proxies" needs a value'),
                              (["--validate-config=yes"], 'invalid --validate-config "yes" (exit or run)'),
                              (["--log-level", "loud"], 'invalid --log-level "loud"')):
            with self.subTest(args=args):
                code, out, err = run(*args)
                self.assertEqual(code, 2, f"{args}: {out}{err}")
                self.assertIn(message, err)
                self.assertEqual(out, "", "errors go to stderr")

    def test_help_and_version_exit_0(self):
        code, out, _ = run("--help")
        self.assertEqual(code, 0)
        for flag in ("--config", "--validate-config", "--route-key", "--route-prefix", "--num-proxies"):
            self.assertIn(flag, out)
        code, out, _ = run("-V")
        self.assertEqual(code, 0)
        self.assertRegex(out.strip(), r"^mcrelay \S+$")


if __name__ == "__main__":
    unittest.main()
