#!/usr/bin/env bash
# Checks a Lucid Node Management server over HTTP and exits with its health.
#
# Usage: scripts/health-check.sh [BASE_URL] [full|ready|live]
#   BASE_URL  default $LUCID_URL or http://127.0.0.1:8083
#   full      GET /health        database and heartbeat-ratio checks (default)
#   ready     GET /health/ready  database reachable and not shutting down
#   live      GET /health/live   the process answers
#
# Prints the JSON answer on stdout. Exit status:
#   0  healthy (or degraded, unless STRICT=1)
#   1  unhealthy (HTTP 503) or degraded with STRICT=1
#   2  unreachable, timeout, or an unexpected answer
# Environment: HEALTH_TIMEOUT (seconds, default 5), STRICT (1: degraded fails).
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

base=${1:-${LUCID_URL:-http://127.0.0.1:8083}}
kind=${2:-full}
timeout=${HEALTH_TIMEOUT:-5}
strict=${STRICT:-0}

case "$base" in
-h | --help)
	usage
	exit 0
	;;
esac
case "$kind" in
full) path=/health ;;
ready) path=/health/ready ;;
live) path=/health/live ;;
*)
	usage >&2
	exit 2
	;;
esac

command -v curl >/dev/null 2>&1 || {
	echo "health-check: curl is required" >&2
	exit 2
}

body=$(mktemp)
trap 'rm -f "$body"' EXIT

if ! code=$(curl -sS -o "$body" -w '%{http_code}' --max-time "$timeout" "${base%/}$path"); then
	echo "health-check: ${base%/}$path unreachable" >&2
	exit 2
fi
cat "$body"

# The answer starts with {"status":"healthy|degraded|unhealthy", (refserver/health.go).
status=$(sed -n 's/^{"status":"\([a-z]*\)".*/\1/p' "$body" | head -n 1)

case "$code:$status" in
200:healthy)
	exit 0
	;;
200:degraded)
	echo "health-check: degraded (fewer than 90 % of active nodes are healthy)" >&2
	[ "$strict" = 1 ] && exit 1
	exit 0
	;;
503:unhealthy)
	echo "health-check: unhealthy" >&2
	exit 1
	;;
*)
	echo "health-check: unexpected answer (HTTP $code, status '${status}')" >&2
	exit 2
	;;
esac
