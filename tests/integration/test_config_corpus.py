"""The mcrouter config corpus: real configs from mcrouter's repository, wiki and public deployments.

Every file in tests/config_corpus/ (listed with its origin in tests/config_corpus/INDEX.md) is given to
`mcrelay --validate-config --config file:<path>`:
  - a config mcrelay supports must exit 0;
  - a config mcrelay refuses by design (the caret protocol, Facebook-internal handles) is listed in
    REFUSED_BY_DESIGN with the refusal it must give (exit 3, mcrouter's status for an invalid config);
  - a config that fails for a gap (an option or handle mcrelay does not implement yet) is listed in
    KNOWN_GAPS with the exact current error, so this test fails as soon as the gap changes (closed, or a
    different error): then move the file out of KNOWN_GAPS and give it ROUTES.
For the configs that load, `mcrelay --route-key OP KEY` is compared with what mcrouter's wiki or tests say
about that config (or, where no source states it, what its structure implies). ROUTE_DIFFERENCES holds the
answers where mcrelay differs from mcrouter on purpose (documented in docs/routing.md), asserted as they are.

No server is contacted: --validate-config and --route-key only build the route tree, so the addresses in
the configs (some are documentation or private-range examples) are never dialled.
"""

import os
import re
import subprocess
import unittest

from mcrelay_testlib import MCRELAY_BIN, SOURCE_DIR, skip_without_proxy

CORPUS_DIR = os.path.join(SOURCE_DIR, "tests", "config_corpus")
INDEX = os.path.join(CORPUS_DIR, "INDEX.md")

CARET_REFUSAL = ("the caret protocol (Facebook's Carbon binary protocol for Thrift-based services) is not "
                 "supported: mcrelay talks to memcached servers in the ascii protocol")

# file -> the refusal (the text after "invalid config: <path>: ").
REFUSED_BY_DESIGN = {
    "mcrouter-test_loadbalancer_route.json": 'pools["A.wildcard"].protocol: ' + CARET_REFUSAL,
    "mcrouter-test_latency_injection_total.json": "pools.A.protocol: " + CARET_REFUSAL,
    "mcrouter-test_carbonlookaside_route.json":
        "route: CarbonLookasideRoute is not supported: it caches the replies of Carbon (Thrift-based) services, "
        "which only Facebook's Carbon router speaks; mcrelay serves memcached's protocols",
}

# file -> the exact current error (the text after "invalid config: <path>: ").
KNOWN_GAPS = {
    # (wikimedia-puppet_profile_idp_memcached.json, with a "host:port:ascii:ssl" server, loads since TLS to
    # servers is supported: docs/tls.md.)
}


class Exact:
    """The destinations, in order."""

    def __init__(self, *servers):
        self.servers = list(servers)

    def check(self, test, got, what):
        test.assertEqual(got, self.servers, what)


class SameSet:
    """The destinations in any order (fan-out handles, or LatestRoute whose order depends on the host id)."""

    def __init__(self, *servers):
        self.servers = sorted(servers)

    def check(self, test, got, what):
        test.assertEqual(sorted(got), self.servers, what)


class Steps:
    """One destination per step, each taken from its own set of servers (a shard of each pool, in order)."""

    def __init__(self, *choices):
        self.choices = [set(c) for c in choices]

    def check(self, test, got, what):
        test.assertEqual(len(got), len(self.choices), what)
        for server, allowed in zip(got, self.choices):
            test.assertIn(server, allowed, what)


def local(*ports, host="127.0.0.1"):
    return [f"{host}:{p}" for p in ports]


WIKI_ROUTING_PREFIX = [
    # docs: wiki "Routing Prefix", examples 1-5, mcrouter run with -R /datacenter/cluster0/.
    (["-R", "/datacenter/cluster0/", "get", "a"], Exact("127.0.0.1:11101")),
    (["-R", "/datacenter/cluster0/", "get", "/datacenter/cluster0/a"], Exact("127.0.0.1:11101")),
    (["-R", "/datacenter/cluster0/", "get", "/datacenter/cluster1/a"], Exact("127.0.0.1:11201")),
    (["-R", "/datacenter/cluster0/", "get", "shr:a"], Exact("127.0.0.1:11301")),
    (["-R", "/datacenter/cluster0/", "get", "/datacenter/cluster1/shr:a"], Exact("127.0.0.1:11301")),
    (["-R", "/datacenter/cluster1/", "get", "a"], Exact("127.0.0.1:11201")),
]

# file -> [(arguments before --config, expectation)].
ROUTES = {
    # wiki "Prefix routing setup": "abcd" to workload1, "bar" to workload2, "zzz" to common_cache.
    "wiki-prefix_routing_setup.json": [
        (["get", "abcd"], Exact("127.0.0.1:11101")),
        (["get", "bar"], Exact("127.0.0.1:11201")),
        (["get", "zzz"], Exact("127.0.0.1:11301")),
    ],
    # wiki "Config Files": "/a/a/abcd" to B, "/a/a/acdc" to A, "/a/a/b" to C (longest prefix wins).
    "wiki-config_files_prefix_selector.json": [
        (["get", "/a/a/abcd"], Exact("127.0.0.1:11201")),
        (["get", "/a/a/acdc"], Exact("127.0.0.1:11101")),
        (["get", "/a/a/b"], Exact("127.0.0.1:11301")),
    ],
    # wiki "Config Files", named handles: /a/a/ is A then B, /b/b/ is B then A (FailoverRoute order).
    "wiki-config_files_named_handles.json": [
        (["get", "/a/a/k"], Exact("127.0.0.1:11101", "127.0.0.1:11201")),
        (["get", "/b/b/k"], Exact("127.0.0.1:11201", "127.0.0.1:11101")),
    ],
    "wiki-routing_prefix.json": WIKI_ROUTING_PREFIX,
    # wiki: "The expanded config will look very similar to the no macro version above".
    "wiki-routing_prefix_macros.json": WIKI_ROUTING_PREFIX,
    # wiki "Multi-cluster broadcast setup": /a/a/ and /A/A/ to pool A, /b/b/ to pool B.
    "wiki-multi_cluster_broadcast_setup.json": [
        (["-R", "/a/a/", "get", "/a/a/key"], Exact("127.0.0.1:11101")),
        (["-R", "/a/a/", "get", "/A/A/other_key"], Exact("127.0.0.1:11101")),
        (["-R", "/a/a/", "get", "/b/b/yet_another_key"], Exact("127.0.0.1:11201")),
        (["-R", "/a/a/", "get", "key"], Exact("127.0.0.1:11101")),
    ],
    # wiki "Replicated pools setup": add/set/delete to all hosts, get to one host with failover to the others.
    "wiki-replicated_pools_setup.json": [
        (["set", "foo"], SameSet("127.0.0.1:12345", "[::1]:12346")),
        (["add", "foo"], SameSet("127.0.0.1:12345", "[::1]:12346")),
        (["delete", "foo"], SameSet("127.0.0.1:12345", "[::1]:12346")),
        (["get", "foo"], SameSet("127.0.0.1:12345", "[::1]:12346")),
    ],
    # wiki "Cold cache warm up setup": sets go to cold; gets try cold, then warm.
    "wiki-cold_cache_warm_up_setup.json": [
        (["set", "foo"], Steps(local(11101, 11102))),
        (["get", "foo"], Steps(local(11101, 11102), local(11201, 11202))),
    ],
    # wiki "Shadowing setup": every request goes to production (the shadow copy is extra).
    "wiki-shadowing_setup.json": [
        (["get", "foo"], Steps(local(11101, 11102, 11103))),
    ],
    # wiki "Two level caching", small TTL: gets local then shared; sets to shared and local.
    "wiki-two_level_caching_small_ttl.json": [
        (["get", "foo"], Steps(["localhost:11201"], local(11101, 11102))),
        (["set", "foo"], SameSet("127.0.0.1:11102", "localhost:11201")),
    ],
    # wiki "Two level caching", replicate everything: deletes to shared and to ALL local instances.
    "wiki-two_level_caching_replicate_all.json": [
        (["get", "foo"], Steps(["localhost:11201"], local(11101, 11102))),
        (["delete", "foo"], SameSet("127.0.0.1:11102", "localhost:11201", "localhost:11202")),
    ],
    # mcrouter test_dev_null.py: "good" to A.good, "null" to DevNullRoute (nowhere), others to wildcard.
    "mcrouter-test_dev_null.json": [
        (["get", "/a/a/good:x"], Exact("localhost:12345")),
        (["get", "/a/a/null:x"], Exact()),
        (["get", "/a/a/other"], Exact("localhost:12347")),
    ],
    # WarmUpRoute: cold is A, warm is B.
    "mcrouter-test_basic_l1_l2.json": [
        (["get", "k"], Exact("localhost:12345", "localhost:12346")),
        (["set", "k"], Exact("localhost:12345")),
    ],
    # MigrateRoute whose migration ended in 2013: all to "to", a WarmUpRoute (cold A-cold, warm A-warm).
    "mcrouter-test_warmup.json": [
        (["get", "/region/cluster/foo:x"], Exact("127.0.0.1:11611", "127.0.0.1:11610")),
    ],
    # MigrateRoute long after start_time + 2 * interval: everything to "to".
    "mcrouter-test_migrated_pools.json": [
        (["get", "k"], Exact("localhost:12345")),
        (["delete", "k"], Exact("localhost:12345")),
    ],
    "mcrouter-test_failover_limit.json": [
        (["get", "k"], Exact("localhost:12346", "localhost:12345")),
    ],
    # test_send_to_all_hosts.py: "a" keys go to poolA and to every host of poolB.
    "mcrouter-test_send_to_all_hosts.json": [
        (["set", "/test/clusterA/a1"], SameSet("127.0.0.1:11810", "127.0.0.1:11811", "127.0.0.1:11812")),
        (["get", "/test/clusterA/b1"], Exact("127.0.0.1:11810")),
    ],
    "mcrouter-test_miss_on_error_arith_ops.json": [
        (["incr", "/././foo:x"], Exact("127.0.0.1:11610")),
    ],
    "mcrouter-test_modify_key.json": [
        (["get", "/a/a/x"], Exact("localhost:12345")),
        (["get", "/j/k/foo.x"], Exact("localhost:12345")),
    ],
    # examples/README.md: mutations to both pools (async), gets to A then B on a miss.
    "mcrouter-examples_sharded_repl_async_missfailover.json": [
        (["get", "k"], Steps(["192.168.45.101:11211", "192.168.45.102:11211"],
                             ["192.168.45.103:11211", "192.168.45.104:11211"])),
        (["set", "k"], Steps(["192.168.45.101:11211", "192.168.45.102:11211"],
                             ["192.168.45.103:11211", "192.168.45.104:11211"])),
    ],
    "mcrouter-docker_ubuntu_packaged.json": [(["get", "foo"], Exact("127.0.0.1:5001"))],
    "mcrouter-packaging_xenial_dockertest.json": [(["get", "foo"], Exact("localhost:11302"))],
    "jamescarr-mcrouter_docker_readme.json": [(["get", "foo"], Exact("127.0.0.1:5001"))],
    "helm-stable_mcrouter_configmap.json": [
        (["get", "foo"], Steps([f"release-memcached-{i}.release-memcached.default.svc.cluster.local:11211"
                                for i in range(3)])),
    ],
    # Replicated: add/set/delete to every replica (AllFastestRoute), gets LatestRoute over the replicas.
    "deathstarbench-socialnetwork_helm_mcrouter.json": [
        (["set", "foo"], SameSet(*[f"dsb-memcached-{i}.dsb-memcached:11211" for i in range(3)])),
        (["get", "foo"], SameSet(*[f"dsb-memcached-{i}.dsb-memcached:11211" for i in range(3)])),
    ],
    "memshack-shard.json": [
        (["set", "foo"], SameSet(*[f"test-shard-0-{i}.test-shard-0.default.svc.cluster.local:11211"
                                   for i in range(2)])),
    ],
    # The old top-level "clusters" form: each cluster's pools are pools (test_basic_failover.py and friends).
    # FailoverWithExptimeRoute: normal A, then failover B.
    "mcrouter-test_basic_failover.json": [(["get", "/a/a/k"], Exact("localhost:12345", "localhost:12346"))],
    "mcrouter-test_basic_all_majority.json": [
        (["set", "/a/a/k"], SameSet(*[f"localhost:{p}" for p in range(12345, 12349)])),
    ],
    "mcrouter-test_basic_all_sync.json": [
        (["set", "/a/a/k"], SameSet(*[f"localhost:{p}" for p in range(12345, 12348)])),
    ],
    # test_logical_routing_policies.py: every alias is served by pool A-foo.
    "mcrouter-test_logical_routing_policies.json": [
        (["get", f"{prefix}k"], Exact("127.0.0.1:11610"))
        for prefix in ("/region1/cluster1/", "/region1/cluster2/", "/region2/cluster3/")
    ],
    # ConstShard: the number between the first two colons is the server index.
    "mcrouter-test_const_shard_hash.json": [
        (["get", "/region/cluster/foo:0:bar"], Exact("127.0.0.1:11610")),
        (["get", "/region/cluster/foo:1:bar"], Exact("127.0.0.1:11611")),
    ],
    # FailoverWithExptimeRoute with the old "settings" object: normal A.wildcard, then failover A.gut.
    "mcrouter-test_get_failover_with_failover_tag.json": [
        (["get", "k"], Exact("localhost:12346", "localhost:12345")),
    ],
    # test_server_list_from_another_pool.py: A.alt takes A.pri's servers.
    "mcrouter-test_server_list_from_another_pool.json": [
        (["get", "alt:k"], Exact("localhost:12345")),
        (["get", "pri:k"], Exact("localhost:12345")),
    ],
    # The shadows mcrouter drops (broken ranges, bad targets, non-objects) are dropped; the routes stand.
    "mcrouter-test_shadow.json": [
        (["get", "b_old:k"], Exact("127.0.0.1:11720")),
        (["get", "b_new:k"], Exact("127.0.0.1:11721")),
    ],
    # OperationSelectorRoute (and its old name PrefixPolicyRoute) with the "default" key mcrouter ignores:
    # deletes to both copies, gets to the salted hash then the five failover hashes, nothing else routed.
    "mcrouter-test_same_pool_failover.json": [
        (["delete", "k"], Exact("localhost:12345", "localhost:12345")),
        (["get", "k"], Exact(*["localhost:12345"] * 6)),
        (["incr", "k"], Exact()),
    ],
    "mcrouter-test_reliable_pool_policy.json": [
        (["delete", "k"], SameSet("127.0.0.1:11610", "127.0.0.1:11611")),
        (["get", "k"], Steps(*[["127.0.0.1:11610", "127.0.0.1:11611"]] * 6)),
        (["incr", "k"], Exact()),
    ],
    # test_shard_splits.py: "a:1:" keys are split 3 ways: deletes go to all three copies ("a:1:x", "a:1aa:x",
    # "a:1ba:x"), sets and gets to this host's copy; "a:5:" is not split.
    "mcrouter-test_shard_splits.json": [
        (["delete", "a:1:foo"], Steps(local(11610, 11611, 11612), local(11610, 11611, 11612),
                                      local(11610, 11611, 11612))),
        (["set", "a:1:foo"], Steps(local(11610, 11611, 11612))),
        (["get", "a:1:foo"], Steps(local(11610, 11611, 11612))),
        (["delete", "a:5:bar"], Steps(local(11610, 11611, 11612))),
        (["delete", "b:1:foo"], Steps(local(11610, 11611, 11612), local(11610, 11611, 11612))),
        # "2": -1 is ignored (with a warning): not split.
        (["delete", "b:2:foo"], Steps(local(11610, 11611, 11612))),
    ],
}

# mcrelay answers differently from mcrouter here on purpose (docs/routing.md, "Different or not supported").
ROUTE_DIFFERENCES = {
    # wiki "Multi-cluster broadcast setup": mcrouter sends `delete /*/*/one_more_key` to pools A and B.
    # mcrelay does not broadcast wildcard routing prefixes; --route-key answers with the default route.
    "wiki-multi_cluster_broadcast_setup.json": [
        (["-R", "/a/a/", "delete", "/*/*/one_more_key"], Exact("127.0.0.1:11101")),
    ],
}


def corpus_files():
    return sorted(f for f in os.listdir(CORPUS_DIR) if f.endswith(".json"))


def run(args, timeout=10):
    proc = subprocess.run([MCRELAY_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


class TestCorpusFiles(unittest.TestCase):
    """Checks of the corpus itself; no binary needed."""

    def test_at_least_40_configs_each_with_a_source(self):
        files = corpus_files()
        self.assertGreaterEqual(len(files), 40)
        with open(INDEX, encoding="utf-8") as f:
            index = f.read()
        listed = set(re.findall(r"^\| `([^`]+\.json)` \|", index, re.M))
        self.assertEqual(sorted(set(files) - listed), [], "corpus files missing from INDEX.md")
        self.assertEqual(sorted(listed - set(files)), [], "INDEX.md lists files that do not exist")

    def test_tables_name_existing_files(self):
        files = set(corpus_files())
        for table in (REFUSED_BY_DESIGN, KNOWN_GAPS, ROUTES, ROUTE_DIFFERENCES):
            self.assertEqual(sorted(set(table) - files), [])
        self.assertEqual(set(REFUSED_BY_DESIGN) & set(KNOWN_GAPS), set())
        self.assertEqual(sorted((set(REFUSED_BY_DESIGN) | set(KNOWN_GAPS)) & set(ROUTES)), [],
                         "a config that does not load cannot be routed")


@skip_without_proxy("needs the real mcrelay binary to load the corpus")
class TestConfigCorpus(unittest.TestCase):
    def test_every_config_loads_or_fails_as_listed(self):
        loaded = 0
        for name in corpus_files():
            path = os.path.join(CORPUS_DIR, name)
            with self.subTest(config=name):
                code, out, err = run(["--validate-config", "--config", f"file:{path}"])
                text = (out + err).strip()
                expected_error = REFUSED_BY_DESIGN.get(name) or KNOWN_GAPS.get(name)
                if expected_error is None:
                    self.assertEqual(code, 0, f"{name} must load: {text}")
                    loaded += 1
                    continue
                self.assertEqual(code, 3, f"{name}: expected exit 3 (invalid config): {text}")
                prefix = f"invalid config: {path}: "
                lines = [l for l in text.splitlines() if l.startswith(prefix)]
                self.assertEqual(len(lines), 1, f"{name}: one 'invalid config' line expected: {text}")
                got = lines[0][len(prefix):]
                what = "refusal by design changed" if name in REFUSED_BY_DESIGN else \
                    "known gap changed (closed? then move it out of KNOWN_GAPS and add ROUTES)"
                self.assertEqual(got, expected_error, f"{name}: {what}")
        self.assertGreaterEqual(loaded, 25)

    def _check_routes(self, table):
        checked = 0
        for name, cases in table.items():
            path = os.path.join(CORPUS_DIR, name)
            for args, expect in cases:
                with self.subTest(config=name, request=" ".join(args)):
                    # Options before --route-key: -R must not be read as the key.
                    opts, req = (args[:2], args[2:]) if args[0] == "-R" else ([], args)
                    code, out, err = run([*opts, "--route-key", *req, "--config", f"file:{path}"])
                    self.assertEqual(code, 0, f"{name}: --route-key {' '.join(args)}: {err.strip()}")
                    got = [l.strip() for l in out.splitlines() if l.strip()]
                    expect.check(self, got, f"{name}: --route-key {' '.join(args)} printed {got}")
                    checked += 1
        return checked

    def test_route_keys_match_mcrouter_docs_and_tests(self):
        self.assertGreater(self._check_routes(ROUTES), 50)

    def test_documented_differences_hold(self):
        self._check_routes(ROUTE_DIFFERENCES)

    def test_sharded_pool_spreads_keys(self):
        # wiki "Sharded pools setup": one server per key, by consistent hashing; both servers get keys.
        path = os.path.join(CORPUS_DIR, "wiki-sharded_pools_setup.json")
        seen = set()
        for i in range(16):
            code, out, err = run(["--route-key", "get", f"key{i}", "--config", f"file:{path}"])
            self.assertEqual(code, 0, err)
            got = out.split()
            self.assertEqual(len(got), 1, out)
            self.assertIn(got[0], ("127.0.0.1:12345", "[::1]:12346"))
            seen.add(got[0])
        self.assertEqual(len(seen), 2, "16 keys all went to one server")

    def test_wch3_weights(self):
        # test_wch3.py: the same key goes to the same server under /test/A/, /test/B/ (weights list longer than
        # the servers: the extra entries are ignored) and /test/C/ (one weight short: the last server gets 0.5);
        # servers of weight 0 (indexes 0 and 3) get no key.
        path = os.path.join(CORPUS_DIR, "mcrouter-test_wch3.json")
        seen = set()
        for i in range(12):
            key = f"someprefix:{i}:|#|id=123"
            got = []
            for prefix in ("/test/A/", "/test/B/", "/test/C/"):
                code, out, err = run(["--route-key", "get", prefix + key, "--config", f"file:{path}"])
                self.assertEqual(code, 0, err)
                got.append(out.strip())
            self.assertEqual(len(set(got)), 1, f"{key}: {got}")
            self.assertNotIn(got[0], ("127.0.0.1:11610", "127.0.0.1:11613"), key)
            seen.add(got[0])
        self.assertGreater(len(seen), 2, "12 keys went to at most 2 servers")

    def test_config_warnings_name_what_is_ignored(self):
        # mcrouter ignores unknown keys and the shadows it cannot use; mcrelay loads such configs and says what
        # it ignored, once, as a warning.
        path = os.path.join(CORPUS_DIR, "mcrouter-test_shadow.json")
        code, out, err = run(["--validate-config", "--config", f"file:{path}"])
        self.assertEqual(code, 0, out + err)
        warnings = [l for l in err.splitlines() if "shadow ignored" in l]
        self.assertEqual(len(warnings), 6, err)
        self.assertIn('route.policies.f.shadows[3]: shadow ignored, as mcrouter ignores it: its target cannot be '
                      'built: route.policies.f.shadows[3].target: unknown route handle or name "do_not_exist"', err)
        path = os.path.join(CORPUS_DIR, "mcrouter-test_same_pool_failover.json")
        code, out, err = run(["--validate-config", "--config", f"file:{path}"])
        self.assertEqual(code, 0, out + err)
        self.assertIn('route: unknown key "default" in OperationSelectorRoute ignored (known keys: '
                      'operation_policies, default_policy)', err)

    def test_deterministic_failover_tries(self):
        # FailoverRoute with DeterministicOrderPolicy max_tries 10: the normal pool's shard, then 9 distinct
        # servers of the failover pool B1.
        path = os.path.join(CORPUS_DIR, "mcrouter-test_deterministic_failover.json")
        code, out, err = run(["--route-key", "get", "k", "--config", f"file:{path}"])
        self.assertEqual(code, 0, err)
        got = out.split()
        self.assertEqual(len(got), 10, out)
        self.assertIn(got[0], [f"localhost:{p}" for p in range(5001, 5006)])
        self.assertTrue(set(got[1:]) <= {f"localhost:{p}" for p in range(5006, 5018)}, out)
        self.assertEqual(len(set(got[1:])), 9, out)


if __name__ == "__main__":
    unittest.main()
