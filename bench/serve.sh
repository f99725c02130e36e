#!/usr/bin/env bash
# Load test of `esc serve` on the file ledger: wrk POSTs the same Alertmanager webhook
# (tests/fixtures/alertmanager/firing.json) from CONNECTIONS connections for DURATION, so
# every post after the first is a de-duplicated note on one case. Loopback only; bounded by
# DURATION. Prints wrk's figures (requests/s, p50/p90/p99) and checks the ledger afterwards.
#
#   bench/serve.sh [DURATION=10s] [CONNECTIONS=16]
#
# Needs Debian's `wrk`. Builds the release binary first (skip: ESC_BENCH_NO_BUILD=1).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
connections=${2:-16}
command -v wrk >/dev/null || { echo "bench/serve.sh needs wrk (apt-get install wrk)" >&2; exit 1; }
target=${CARGO_TARGET_DIR:-target}
if [ "${ESC_BENCH_NO_BUILD:-}" != 1 ]; then
    cargo build --release --bin esc >&2
fi
esc="$target/release/esc"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
export ESC_POLICY="$PWD/tests/fixtures/intake/policy.toml"
export ESC_LEDGER="$work/ledger.jsonl"
export ESC_ACTOR=bench
export ESC_BENCH_PAYLOAD="$PWD/tests/fixtures/alertmanager/firing.json"
unset ESC_NOW ESC_SERVE_TOKEN
"$esc" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>&1 &
pid=$!
for _ in $(seq 1 50); do
    grep -q listening "$work/serve.out" && break
    sleep 0.1
done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1)
[ -n "$url" ] || { cat "$work/serve.out" >&2; exit 1; }
threads=$(( connections < 2 ? connections : 2 ))
echo "esc serve at $url; wrk -t$threads -c$connections -d$duration" >&2
wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s -s bench/serve_post.lua "$url/v1/alertmanager"
kill -TERM "$pid"
wait "$pid" || true
echo "ledger: $(($(wc -l <"$ESC_LEDGER") - 1)) events; $("$esc" ledger verify 2>&1 | tail -1)"
"$esc" --json list --all | grep -c '"id"' | sed 's/^/cases: /'
