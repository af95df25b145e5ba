#!/usr/bin/env bash
# Applies the Kubernetes manifests of deploy/k8s in dependency order and waits for the rollout.
#
# Usage: scripts/deploy.sh
# Environment:
#   IMAGE     image to run (default: the one written in deploy/k8s/deployment.yaml)
#   KUBECTL   kubectl command (default kubectl), e.g. "kubectl --context prod"
#   TIMEOUT   rollout wait (default 300s)
#   DRY_RUN   1: validate against the API server (--dry-run=server), change nothing
#
# The Secret "lucid-node-management" must exist first (deploy/k8s/secret.template.yaml explains
# how to create it from scripts/generate-secrets.sh); the template itself is never applied.
# The ServiceMonitor is applied only when the Prometheus Operator CRD is installed.
# On a failed rollout: `kubectl -n lucid-node-management rollout undo deployment/lucid-node-management`.
set -euo pipefail

if [ "$#" -gt 0 ]; then
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	case "$1" in -h | --help) exit 0 ;; *) exit 2 ;; esac
fi

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/deploy/k8s
ns=lucid-node-management
app=lucid-node-management
read -r -a kubectl <<<"${KUBECTL:-kubectl}"
timeout=${TIMEOUT:-300s}
dry=()
if [ "${DRY_RUN:-0}" = 1 ]; then
	dry=(--dry-run=server)
fi

log() { printf '==> %s\n' "$*" >&2; }
die() {
	echo "deploy: $*" >&2
	exit 1
}

apply() {
	log "apply $(basename "$1")"
	"${kubectl[@]}" apply "${dry[@]}" -f "$1"
}

command -v "${kubectl[0]}" >/dev/null 2>&1 || die "${kubectl[0]} not found"

apply "$dir/namespace.yaml"
if ! "${kubectl[@]}" -n "$ns" get secret "$app" >/dev/null 2>&1; then
	die "secret $ns/$app is missing; create it first (see deploy/k8s/secret.template.yaml)"
fi
for f in serviceaccount.yaml rbac.yaml configmap.yaml; do
	apply "$dir/$f"
done

deployment=$dir/deployment.yaml
if [ -n "${IMAGE:-}" ]; then
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	# Replace the one image line of the refserver container.
	sed "s|^\([[:space:]]*image:[[:space:]]*\)lucid-node-management:.*$|\1${IMAGE}|" "$deployment" >"$tmp"
	grep -q "image: ${IMAGE}\$" "$tmp" || die "could not set the image in $deployment"
	deployment=$tmp
	log "image $IMAGE"
fi
apply "$deployment"

for f in service.yaml pdb.yaml hpa.yaml networkpolicy.yaml ingress.yaml; do
	apply "$dir/$f"
done

if "${kubectl[@]}" api-resources --api-group=monitoring.coreos.com -o name 2>/dev/null | grep -q '^servicemonitors'; then
	apply "$dir/servicemonitor.yaml"
else
	log "skip servicemonitor.yaml (Prometheus Operator CRDs not installed)"
fi

if [ "${#dry[@]}" -gt 0 ]; then
	log "dry run: nothing changed"
	exit 0
fi

log "waiting for the rollout (timeout $timeout)"
if ! "${kubectl[@]}" -n "$ns" rollout status "deployment/$app" --timeout="$timeout"; then
	"${kubectl[@]}" -n "$ns" get pods -l "app.kubernetes.io/name=$app" >&2 || true
	die "rollout did not complete; inspect with '${kubectl[*]} -n $ns describe pods' and roll back with '${kubectl[*]} -n $ns rollout undo deployment/$app'"
fi
log "deployed"
