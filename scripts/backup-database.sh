#!/usr/bin/env bash
# Backs up the Lucid Node Management database named by a DATABASE_URL.
#
# Usage: scripts/backup-database.sh [-o DIR] [-k] [DATABASE_URL]
#   DATABASE_URL  default $DATABASE_URL, else sqlite:${DATA_DIR:-./data}/lucid.db (the server's default)
#   -o DIR        where the backup is written (default ./backups), created mode 0700
#   -k            also copy the generated jwt_secret and encryption_key files of DATA_DIR
#                 (only for deployments that do not set JWT_SECRET_KEY / ENCRYPTION_KEY)
#
# sqlite:PATH   online, consistent copy through SQLite's backup API (`sqlite3 .backup`), safe
#               while the server runs (WAL mode), then `PRAGMA integrity_check` on the copy.
#               Without the sqlite3 program: stop the server and copy the file (see
#               docs/deployment.md, "Backups").
# postgres://…  pg_dump in custom format (restore with scripts/restore-database.sh), checked
#               with pg_restore --list.
#
# The sealed columns of a backup can only be read with the same ENCRYPTION_KEY: keep the key,
# separately and safely, for as long as the backup.
set -euo pipefail

out=./backups
keys=0
while getopts 'o:kh' opt; do
	case "$opt" in
	o) out=$OPTARG ;;
	k) keys=1 ;;
	h)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

data_dir=${DATA_DIR:-./data}
url=${1:-${DATABASE_URL:-sqlite:${data_dir}/lucid.db}}
stamp=$(date -u +%Y%m%dT%H%M%SZ)

die() {
	echo "backup-database: $*" >&2
	exit 1
}

umask 077
mkdir -p "$out"
case "$out" in
*\'*) die "the output directory must not contain a single quote" ;;
esac

case "$url" in
sqlite:*)
	db=${url#sqlite:}
	[ -f "$db" ] || die "no SQLite database at $db"
	command -v sqlite3 >/dev/null 2>&1 ||
		die "sqlite3 not found: install it, or stop the server and copy $db (docs/deployment.md, Backups)"
	dest="$out/lucid-$stamp.db"
	# .timeout waits for the writer instead of failing with "database is locked".
	sqlite3 "$db" ".timeout 10000" ".backup '$dest'"
	check=$(sqlite3 "$dest" "PRAGMA integrity_check;")
	[ "$check" = ok ] || die "integrity check of $dest failed: $check"
	if [ "$keys" = 1 ]; then
		for f in jwt_secret encryption_key; do
			if [ -f "$data_dir/$f" ]; then
				cp "$data_dir/$f" "$out/$f-$stamp"
			fi
		done
	fi
	;;
postgres://* | postgresql://*)
	command -v pg_dump >/dev/null 2>&1 || die "pg_dump not found (install the PostgreSQL client)"
	dest="$out/lucid-$stamp.pgdump"
	pg_dump --format=custom --no-owner --no-privileges --file="$dest" "$url"
	pg_restore --list "$dest" >/dev/null || die "pg_restore cannot read $dest"
	;;
memory:*)
	die "memory: keeps nothing to back up"
	;;
*)
	die "unsupported DATABASE_URL (want sqlite:PATH or postgres://…)"
	;;
esac

echo "$dest"
echo "backup-database: wrote $dest; it needs the same ENCRYPTION_KEY to be read" >&2
