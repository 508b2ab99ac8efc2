#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the cases below.

The seeds are checked in; run this again only to change them (it rewrites the generated seed files and
leaves others, e.g. ones minimized from a fuzzing run, alone). Crash reproducers are kept apart, in
tests/fuzz/regressions/<target>/, and scripts/fuzz.sh adds them to the corpus it runs.

Seed layout (see tests/fuzz/fuzz_util.hpp):
  request_parser: chunk plan + client stream
  reply_parser:   expect byte (retrieval=0 storage=1 deletion=2 arith=3 touch=4 ok=5 version=6 meta=7
                  stats=8)
                  + chunk plan
                  + server stream
  config:         the config text
A chunk plan is a byte k (k % 8 size bytes follow; 0: one byte at a time) then the sizes (b < 192: b + 1).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Chunk plans the seeds cycle through: one byte at a time, 5-byte chunks, 1/2/3, 7 then 64, one 2 KiB-ish chunk.
PLANS = [b"\x00", b"\x01\x04", b"\x03\x00\x01\x02", b"\x02\x06\x3f", b"\x01\xc8"]

REQUESTS = [
    b"get a\r\n",
    b"get a b  c\r\n",
    b"gets a a\r\n",
    b"gat 100 a b\r\n",
    b"gats -1 k\r\n",
    b"gat 10\r\n",
    b"get a\n",
    b"get\r\n",
    b"gat x k\r\n",
    b"getx a\r\n",
    b"get" + b"".join(b" k%d" % i for i in range(40)) + b"\r\n",
    b"get " + b"k" * 250 + b"\r\n",
    b"get a " + b"k" * 251 + b"\r\n",
    b"set " + b"k" * 251 + b" 0 0 1\r\nx\r\n",
    b"set k 1 2 5\r\nhello\r\n",
    b"add k 0 0 0\r\n\r\n",
    b"replace k 4294967295 -1 3 noreply\r\nabc\r\n",
    b"append k 0 0 2\r\n\r\n\r\n",
    b"prepend k 0 0 1 whatever\r\nx\r\n",
    b"cas k 0 0 1 99\r\nx\r\n",
    b"cas k 0 0 1 99 noreply\r\nx\r\n",
    b"set k 0 0\r\n",
    b"set k 0 0 1 noreply extra\r\n",
    b"set k x 0 1\r\n",
    b"set k 0 0 -1\r\nhello\r\n",
    b"cas k 0 0 1 x\r\n",
    b"set k x 0 1 noreply\r\n",
    b"set k 0 0 3\r\nabcde\r\nget k\r\n",
    b"set k 0 0 3 noreply\r\nabcXY",
    b"set k 0 0 1100\r\n" + b"v" * 1100 + b"\r\nget k\r\n",
    b"add k 0 0 2000 noreply\r\n" + b"v" * 300,
    b"set k 0 0 1024\r\n" + b"v" * 1024 + b"\r\n",
    b"delete k\r\ndelete k noreply\r\ndelete k 0\r\ndelete k 0 noreply\r\ndelete k 5\r\ndelete\r\n",
    b"incr k 5\r\ndecr k 18446744073709551615 noreply\r\nincr k -1\r\nincr k 18446744073709551616\r\nincr k\r\n",
    b"touch k 10\r\ntouch k x\r\ntouch k 10 noreply\r\n",
    b"flush_all\r\nflush_all 10\r\nflush_all noreply\r\nflush_all 0 noreply\r\nflush_all x\r\n",
    b"version\r\nverbosity 1\r\nverbosity\r\nverbosity 1 noreply\r\n",
    b"stats\r\nstats  items\r\nstats slabs\r\n",
    b"quit\r\n",
    b"mn\r\nmg k v\r\nms k 2\r\nhi\r\nmd k\r\nma k\r\nme k\r\n",
    b"\r\n\n\r\rx\r\nshutdown\r\nGET k\r\n",
    b"set a 0 0 1\r\n1\r\nget a b\r\ndelete a\r\nbogus\r\nincr n 1\r\n",
    b"x" * 2100,
    b"y" * 3000 + b"\r\nget a\r\n",  # split: closed past 2048 bytes without a newline; whole: ERROR
    b"get" + b" key" * 2100 + b"\r\n",  # past max_get_line
    b"get" + b" key" * 1300 + b"\r\nget a\r\n",
    b"get" + b" k" * 120 + b"\r\n",
    b" " * 120 + b"get a\r\n",
    b"set /a/b/k 0 0 1\r\nx\r\nget /a/b/k\r\n",
    # Meta commands.
    b"mg foo v f t\r\nmg foo q v Oab\r\nmn\r\n",
    b"ms foo 2 T0 F5\r\nhi\r\nms foo 0\r\n\r\n",
    b"md foo q\r\nma cnt N0 J10 v\r\nme foo\r\n",
    b"mg Zm9v b v\r\nms Zm9vYmFy 3 b q\r\nabc\r\n",
    b"mg\r\nmx foo\r\nms foo\r\nms foo x\r\n",
    b"mg " + b"k" * 251 + b" v\r\n",
    b"mg @@@ b v\r\nmd @@@ b\r\nms @@@ 3 b\r\nabc\r\nmn\r\n",
    b"ms foo 2 q\r\nhiXX\r\n",
    b"ms foo 1100 q\r\n" + b"a" * 1100 + b"\r\nmn\r\n",
    b"ms Zm9v 1100 b\r\n" + b"a" * 1100 + b"\r\nmn\r\n",
    b"mg k" + b" v" * 22 + b"\r\n",
    b"lease-get k a\r\nlease-set k 2 5 60 3\r\nabc\r\nmetaget k a\r\nlease-set k 1 0 0 1 noreply\r\nx\r\n",
]

REPLIES = [
    (0, b"END\r\n"),
    (0, b"VALUE k 5 3\r\nabc\r\nVALUE z 0 0\r\n\r\nEND\r\n"),
    (0, b"VALUE k 0 4 77\r\na\r\nb\r\nEND\r\n"),
    (0, b"SERVER_ERROR out of memory\r\n"),
    (0, b"VALUE k x 3\r\nabc\r\nEND\r\n"),
    (0, b"VALUE k 0 3\r\nabcXYEND\r\n"),
    (0, b"VALUE k 4294967295 2 18446744073709551615\r\nab\r\nEND\r\n"),
    (0, b"VALUE k 0 2147483648\r\n"),
    (0, b"VALUE " + b"k" * 250 + b" 1 1\r\nx\r\nEND\r\n"),
    (0, b"ERROR\r\nEND\r\n"),
    (1, b"STORED\r\n"),
    (1, b"NOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\n"),
    (1, b"CLIENT_ERROR bad data chunk\r\nSTORED\r\n"),
    (1, b"SERVER_ERROR\r\n"),
    (2, b"DELETED\r\n"),
    (2, b"NOT_FOUND\r\nSTORED\r\n"),
    (3, b"12345\r\n"),
    (3, b"NOT_FOUND\r\n18446744073709551615\r\n"),
    (3, b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"),
    (4, b"TOUCHED\r\nNOT_FOUND\r\n"),
    (5, b"OK\r\n"),
    (6, b"VERSION 1.6.18\r\n"),
    (1, b"ERROR\r\n"),
    (2, b"STORED\r\n"),
    (1, b"HELLO\n"),
    (1, b"x" * 9000),
    (0, b"VALUE k 0 5000\r\n" + b"d" * 5000 + b"\r\nEND\r\n"),
    (7, b"HD\r\nHD c123 Oab\r\n"),
    (7, b"VA 2 f5 t-1\r\nhi\r\nEN\r\n"),
    (7, b"NF\r\nNS\r\nEX\r\nME foo exp=-1\r\n"),
    (7, b"CLIENT_ERROR invalid flag\r\nSERVER_ERROR x\r\n"),
    (7, b"VA x\r\nhi\r\n"),
    (7, b"VA 2\r\nhiXX"),
    (7, b"HDX\r\n"),
    (7, b"VA 2147483648 s\r\n"),
    (8, b"STAT items:1:number 3\r\nSTAT items:1:age 12\r\nEND\r\n"),
    (8, b"END\r\nSTAT a 1\r\nEND\r\n"),
    (8, b"STAT a 1\r\nVALUE k 0 1\r\nx\r\nEND\r\n"),
    (8, b"ERROR\r\n"),
]

# fuzz_config's inert servers answer by port % 4: 0 down, 1 local_error, 2 miss, 3 hit.
POOLS_ABC = ('"pools": {"A": {"servers": ["a:3"]}, "B": {"servers": ["b:2"]}, "C": {"servers": ["c:1"]}, '
             '"ABC": {"servers": ["a:3", "b:2", "c:4", "d:1"], "eject_down_servers": true}}')


def with_route(route):
    return '{%s, "route": %s}' % (POOLS_ABC, route)


CONFIGS = [
    # /work/shared/reference/mcrouter-config.md's examples.
    '{"pools": {"A": {"servers": ["127.0.0.1:5001"]}}, "route": "PoolRoute|A"}',
    '''{"pools": {"A": {"servers": ["10.0.0.1:11211", "10.0.0.2:11211"]}},
 "route": {"type": "OperationSelectorRoute",
           "operation_policies": {"add": "AllSyncRoute|Pool|A", "delete": "AllSyncRoute|Pool|A",
                                  "get": "LatestRoute|Pool|A", "set": "AllSyncRoute|Pool|A"}}}''',
    '''{"pools": {"A.wildcard": {"servers": ["localhost:12345"]}, "B.wildcard": {"servers": ["localhost:12346"]}},
 "route": {"type": "FailoverWithExptimeRoute", "failover": "PoolRoute|B.wildcard",
           "normal": "PoolRoute|A.wildcard"}}''',
    # The Helm chart's style: comments and trailing commas.
    '''{
  "pools": {
    "A": {
      "servers": [
        // hosts of the replicated pool
        "mcrouter-memcached-0.mcrouter-memcached.default.svc.cluster.local:11211",
        "mcrouter-memcached-1.mcrouter-memcached.default.svc.cluster.local:11211",
        "mcrouter-memcached-2.mcrouter-memcached.default.svc.cluster.local:11211",
      ]
    }
  },
  /* one route for every prefix */
  "route": {
    "type": "OperationSelectorRoute",
    "operation_policies": {
      "add": "AllSyncRoute|Pool|A",
      "delete": "AllSyncRoute|Pool|A",
      "get": "LatestRoute|Pool|A",
      "set": "AllSyncRoute|Pool|A",
    },
  },
}
''',
    '{"pools": {"A": {"servers": ["h:1", "h3",],},}, // trailing commas\n'
    '"route": {"type": "ErrorRoute", "response": "/* not a comment */ // nor this, ]"}, /* c */}',
    '''{
    "pools": {
      "A": {"servers": ["h1:1", "[::1]:2", "h3"], "weights": [1, 0.5, 0], "server_timeout": 250,
            "connect_timeout": 1000, "keep_routing_prefix": true, "protocol": "ASCII", "hash": "ch3",
            "use_ssl": false, "security_mech": "plain"},
      "B": {"servers": ["h4:4"], "protocol": "ascii"}
    },
    "route": "PoolRoute|A"
  }''',
    '{"route": "NullRoute"}',
    '''{"pools": {"A": {"servers": ["h:1"]}}, "routes": [
      {"aliases": ["/a/b/", "/a/c/"], "route": "PoolRoute|A"},
      {"aliases": ["/x/*/"], "route": {"type": "NullRoute"}},
    ]}''',
    '{"pools": {"A": {"servers": ["h:1"]}}, "routes": {"/a/b/": "PoolRoute|A", "/././": "NullRoute"}}',
    '''{"pools": {"A": {"servers": ["h:1"]}},
      "named_handles": [{"name": "primary", "type": "PoolRoute", "pool": "A"}, {"name": "none", "type": "NullRoute"}],
      "route": "primary"}''',
    '{"named_handles": {"n": "NullRoute", "e": {"type": "ErrorRoute"}}, "route": "n"}',
    '''{"pools": {"A": {"servers": ["a:1"]}, "B": {"servers": ["b:1"]}},
      "route": {"type": "FailoverRoute", "name": "fo", "children": ["PoolRoute|A", "PoolRoute|B"]},
      "named_handles": [{"name": "again", "type": "MissFailoverRoute", "children": ["fo", "PoolRoute|A"]}]}''',
    # Every route handle type of routes/builtin_routes.cpp.
    with_route('"PoolRoute|A"'),
    with_route('{"type": "PoolRoute", "pool": "ABC", "hash": {"hash_func": "Crc32", "salt": "s1"}}'),
    with_route('{"type": "PoolRoute", "pool": "ABC", "hash": {"hash_func": "WeightedCh3", "weights": [1, 0.5, 0]}}'),
    with_route('{"type": "PoolRoute", "pool": "ABC", "hash": "ConstShard"}'),
    with_route('{"type": "PoolRoute", "pool": "ABC", "hash": {"hash_func": "Ketama"}}'),
    with_route('{"type": "HashRoute", "children": "Pool|ABC", "hash_func": "Ch3", "salt": "x"}'),
    with_route('"HashRoute|Pool|ABC"'),
    with_route('"NullRoute"'),
    with_route('{"type": "ErrorRoute", "response": "go away"}'),
    with_route('{"type": "FailoverRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"], '
               '"failover_errors": ["tko", "connect_error", "timeout"], "failover_limit": {"rate": 0.5, "burst": 3}, '
               '"failover_policy": {"type": "FailoverInOrderPolicy", "max_tries": 2}, "failover_tag": "t", '
               '"enable_lease_pairing": false}'),
    with_route('{"type": "FailoverRoute", "children": "Pool|ABC", '
               '"failover_errors": {"gets": ["tko"], "updates": ["timeout"], "deletes": ["connect_error"]}}'),
    with_route('"FailoverRoute|Pool|ABC"'),
    with_route('{"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A", "failover": "PoolRoute|B", '
               '"failover_exptime": 60}'),
    with_route('{"type": "MissFailoverRoute", "children": "Pool|ABC", "return_best_on_error": true}'),
    with_route('{"type": "AllSyncRoute", "children": ["PoolRoute|A", "PoolRoute|B", "PoolRoute|C"]}'),
    with_route('"AllAsyncRoute|Pool|ABC"'),
    with_route('{"type": "AllInitialRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}'),
    with_route('"AllMajorityRoute|Pool|ABC"'),
    with_route('{"type": "AllFastestRoute", "children": "Pool|ABC"}'),
    with_route('{"type": "OperationSelectorRoute", "operation_policies": {"get": "PoolRoute|A", "set": "PoolRoute|B", '
               '"delete": "AllSyncRoute|Pool|ABC", "incr": "PoolRoute|C", "touch": "NullRoute"}, '
               '"default_policy": "PoolRoute|A"}'),
    with_route('{"type": "PrefixSelectorRoute", "policies": {"user:": "PoolRoute|A", "": "PoolRoute|B"}, '
               '"wildcard": "PoolRoute|C"}'),
    with_route('{"type": "LatestRoute", "failover_count": 2, "seed": 7, "weights": [1, 1, 0.5], "children": "Pool|ABC", '
               '"failover_errors": ["tko"]}'),
    with_route('{"type": "RandomRoute", "children": "Pool|ABC", "seed": 42}'),
    with_route('{"type": "WarmUpRoute", "cold": "PoolRoute|A", "warm": "PoolRoute|B", "exptime": 3600}'),
    with_route('{"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": 10, "action": "min"}'),
    with_route('{"type": "ModifyExptimeRoute", "target": "PoolRoute|A", "exptime": -1}'),
    '{"pools": {"A": {"servers": ["h:4", "h:8", "h:3"], "eject_down_servers": true, "weights": [1, 0.5, 0.25]}}, '
    '"route": "PoolRoute|A"}',
    '{"pools": {"A": {"servers": ["h:3", "h:4", "h:2"], "eject_down_servers": true}}, '
    '"route": {"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "Ketama", "weights": [1, 0, 1]}}}',
    '{"pools": {"A": {"discover": {"service": "mycache-memcached.default.svc.cluster.local", "port": 11211, '
    '"port_name": "memcache", "refresh_ms": 5000, "scale_down_grace": 3}}}, "route": "PoolRoute|A"}',
    # Errors the loader must report (as ConfigError).
    with_route('{"type": "FailovrRoute", "children": ["PoolRoute|A"]}'),
    with_route('{"type": "PoolRoute", "pool": 1}'),
    with_route('{"type": "LatestRoute", "children": "Pool|ABC", "weights": [1, "x"]}'),
    '{"named_handles": [{"name": "a", "type": "FailoverRoute", "children": ["b"]}, '
    '{"name": "b", "type": "FailoverRoute", "children": ["a"]}], "route": "a"}',
    '{"pools": {"A": {"servers": ["h:1"]}}, "route": "@route(A)"}',
    '{"pools": {\n  "A": {"servers": ["h:1"]}\n  "route": "PoolRoute|A"\n}',
    '{"pools": {"A.b": {"servers": ["h:70000"]}}, "route": "NullRoute"}',
    '{"pools": {"A": {"servers": ["h:1"], "connect_timeout": 5000000000}}, "route": "PoolRoute|A"}',
    '{"route": "NullRoute", "routes": {"/a/b/": "NullRoute"}}',
    '{"rotue": "NullRoute"}',
    '[1e400]',
    '{"route": "NullRoute" /* unterminated',
    # JSONM (config/jsonm.hpp): macros, constDefs, built-ins, loops, imports (fuzz_config serves "lib.json"
    # and "servers.json" from memory), escapes, and runaway expansions the bounds must stop.
    '{"macros": {"pool": {"type": "macroDef", "params": ["name", {"name": "tag", "default": "x"}], '
    '"result": "PoolRoute|%name%"}, "hosts": {"type": "constDef", "result": ["a:3", "b:2"]}}, '
    '"pools": {"A": {"servers": "%hosts%"}, "B": {"servers": {"type": "merge", "params": ["%hosts%", ["c:1"]]}}}, '
    '"route": {"type": "FailoverRoute", "children": ["@pool(A)", {"type": "pool", "name": "B"}]}}',
    '{"macros": ["@import(lib.json)", {"n": {"type": "constDef", "result": "@int(3)"}}], '
    '"pools": {"A": {"servers": "@import(servers.json)"}}, '
    '"route": {"type": "if", "condition": "@less(@int(1), %n%)", "is_true": "@lib_route(A)", '
    '"is_false": "NullRoute"}}',
    with_route('{"type": "AllSyncRoute", "children": {"type": "transform", "dictionary": ["A", "B", "C"], '
               '"itemTransform": "PoolRoute|%item%"}}'),
    with_route('{"type": "OperationSelectorRoute", "operation_policies": {"type": "foreach", '
               '"from": {"get": "A", "set": "B", "delete": "C"}, "where": "@not(@equals(%key%, delete))", '
               '"use": {"%key%": "PoolRoute|%item%"}}, "default_policy": "@select(@split(PoolRoute|C\\\\,x, \\\\,), @int(0))"}'),
    with_route('{"type": "define", "vars": {"p": "@keys(%o%)"}, "result": "PoolRoute|@select(%p%, @int(0))"}'),
    with_route('"@str(@add(@int(9223372036854775807), @int(1)))"'),
    with_route('{"type": "process", "initialValue": "PoolRoute|", "dictionary": ["A"], '
               '"transform": {"type": "merge", "params": ["%value%", "%item%"]}}'),
    '{"macros": {"a": {"type": "macroDef", "result": "@a"}}, "route": "@a"}',
    '{"macros": {"c0": {"type": "constDef", "result": ["x", "x"]}, '
    '"c1": {"type": "constDef", "result": ["%c0%", "%c0%"]}, "c2": {"type": "constDef", "result": ["%c1%", "%c1%"]}}, '
    '"route": {"type": "AllSyncRoute", "children": "%c2%"}}',
    '{"pools": {"A": {"servers": ["\\\\@h:1", "%x"]}}, "route": "@hash(@sort(@values(%nope%)))"}',
]


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def main():
    corpus = os.path.join(HERE, "corpus")
    for i, stream in enumerate(REQUESTS):
        data = PLANS[i % len(PLANS)] + stream
        write(os.path.join(corpus, "request_parser"), "seed-%02d" % i, data)
    for i, (expect, stream) in enumerate(REPLIES):
        data = bytes([expect]) + PLANS[i % len(PLANS)] + stream
        write(os.path.join(corpus, "reply_parser"), "seed-%02d" % i, data)
    for i, text in enumerate(CONFIGS):
        write(os.path.join(corpus, "config"), "seed-%02d.json" % i, text.encode())
    print("request_parser: %d, reply_parser: %d, config: %d seeds" % (len(REQUESTS), len(REPLIES), len(CONFIGS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
