#!/usr/bin/env bash
# Restores a backup made by scripts/backup-database.sh.
#
# Usage: scripts/restore-database.sh --yes BACKUP [DATABASE_URL]
#   BACKUP        lucid-….db (SQLite) or lucid-….pgdump (PostgreSQL)
#   DATABASE_URL  default $DATABASE_URL, else sqlite:${DATA_DIR:-./data}/lucid.db
#   --yes         required: the current database is replaced
#
# Stop every server that uses the database first (SQLite: the one server; PostgreSQL: scale the
# replicas to zero) and start them again afterwards with the ENCRYPTION_KEY the backup was made
# with; a different key makes the server refuse to start (encryption key mismatch).
#
# sqlite:PATH   checks the backup's integrity, keeps the current file (and its -wal/-shm) as
#               PATH.before-restore-<time>, then puts the backup in place, mode 0600.
# postgres://…  pg_restore --clean --if-exists --single-transaction into the database.
set -euo pipefail

die() {
	echo "restore-database: $*" >&2
	exit 1
}

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
fi
[ "${1:-}" = --yes ] || die "refusing without --yes (this replaces the database); see --help"
shift
[ "$#" -ge 1 ] || die "which backup? see --help"
backup=$1
[ -f "$backup" ] || die "no backup file at $backup"
url=${2:-${DATABASE_URL:-sqlite:${DATA_DIR:-./data}/lucid.db}}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
umask 077

case "$url" in
sqlite:*)
	db=${url#sqlite:}
	command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 not found"
	check=$(sqlite3 "file:$backup?mode=ro" "PRAGMA integrity_check;")
	[ "$check" = ok ] || die "integrity check of $backup failed: $check"
	if command -v fuser >/dev/null 2>&1 && [ -f "$db" ] && fuser "$db" >/dev/null 2>&1; then
		die "$db is open by a running process; stop the server first"
	fi
	mkdir -p "$(dirname "$db")"
	for suffix in "" -wal -shm; do
		if [ -f "$db$suffix" ]; then
			mv "$db$suffix" "$db$suffix.before-restore-$stamp"
		fi
	done
	cp "$backup" "$db"
	chmod 600 "$db"
	echo "restore-database: restored $backup to $db (previous file kept as $db.before-restore-$stamp)" >&2
	;;
postgres://* | postgresql://*)
	command -v pg_restore >/dev/null 2>&1 || die "pg_restore not found (install the PostgreSQL client)"
	pg_restore --list "$backup" >/dev/null || die "$backup is not a pg_dump custom-format archive"
	pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
		--dbname="$url" "$backup"
	echo "restore-database: restored $backup into the PostgreSQL database" >&2
	;;
*)
	die "unsupported DATABASE_URL (want sqlite:PATH or postgres://…)"
	;;
esac
