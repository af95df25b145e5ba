#!/usr/bin/env bash
# Prints a fresh JWT_SECRET_KEY and ENCRYPTION_KEY as environment lines, in the formats the
# server accepts:
#   JWT_SECRET_KEY  64 hex characters (32 random bytes); the server requires at least 32 bytes.
#   ENCRYPTION_KEY  32 random bytes as standard base64 (44 characters); 64 hex characters are
#                   accepted too (storage/seal.ParseKey).
#
# Usage: scripts/generate-secrets.sh > secrets.env
#        kubectl -n lucid-node-management create secret generic lucid-node-management \
#          --from-env-file=secrets.env        # add DATABASE_URL / REDIS_URL lines first
#
# Generate ENCRYPTION_KEY once per database and keep it: a database refuses to open under any
# other key. Store both values in a secret manager, never in the repository.
set -euo pipefail

if [ "$#" -gt 0 ]; then
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	[ "$1" = -h ] || [ "$1" = --help ] && exit 0
	exit 2
fi

random_bytes() { head -c 32 /dev/urandom; }

if command -v openssl >/dev/null 2>&1; then
	jwt=$(openssl rand -hex 32)
	key=$(openssl rand -base64 32)
else
	jwt=$(random_bytes | od -An -v -tx1 | tr -d ' \n')
	key=$(random_bytes | base64 | tr -d '\n')
fi

if [ "${#jwt}" -ne 64 ] || [ "${#key}" -ne 44 ]; then
	echo "generate-secrets: unexpected output lengths (${#jwt}, ${#key})" >&2
	exit 1
fi

printf 'JWT_SECRET_KEY=%s\n' "$jwt"
printf 'ENCRYPTION_KEY=%s\n' "$key"
