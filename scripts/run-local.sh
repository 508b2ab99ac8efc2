#!/usr/bin/env bash
# The main job, locally: installs what is needed, builds, starts three memcached servers and mcrelay on
# port 5000 in front of them (the Kubernetes lab's topology on one machine). Ctrl-C stops everything.
#   telnet localhost 5000      (set mykey 0 0 5 / hello / get mykey)
# Environment: MCRELAY_PORT (5000), MEMCACHED_PORTS ("11311 11312 11313"), MCRELAY_ARGS (extra flags).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$root/build" -DMCRELAY_BUILD_TESTS=OFF

port=${MCRELAY_PORT:-5000}
read -r -a mc_ports <<<"${MEMCACHED_PORTS:-11311 11312 11313}"
run_dir=$(mktemp -d /tmp/mcrelay-local.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT INT TERM

user_flag=()
[ "$(id -u)" -eq 0 ] && user_flag=(-u root)  # memcached refuses to run as root without -u
servers=""
for p in "${mc_ports[@]}"; do
  memcached "${user_flag[@]}" -l 127.0.0.1 -p "$p" -U 0 -m 64 &
  pids+=($!)
  servers+="${servers:+, }\"127.0.0.1:$p\""
done

cat >"$run_dir/config.json" <<JSON
// Written by scripts/run-local.sh: one pool of the local memcached servers, keys placed with Ch3.
{
  "pools": {"local": {"servers": [$servers]}},
  "route": "PoolRoute|local"
}
JSON
echo "mcrelay: memcached on ports ${mc_ports[*]}; proxy on port $port; config $run_dir/config.json" >&2
# shellcheck disable=SC2086
"$root/build/mcrelay" -p "$port" --config "file:$run_dir/config.json" ${MCRELAY_ARGS:-} &
pids+=($!)
wait "${pids[-1]}"
