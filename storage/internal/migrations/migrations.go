// Package migrations reads the versioned schema files the SQL backends embed. Both backends
// name their files the same way (NNNN_description.sql), so the parsing, ordering and duplicate
// checks live here once; how a migration is applied (dialect, locking, transactions) stays with
// each backend.
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one versioned schema step.
type Migration struct {
	// Version orders the steps and is what schema_migrations records as applied.
	Version int
	// Name is the file name, kept in the record so an operator can tell which file ran.
	Name string
	// SQL is the file's content, executed as one script.
	SQL string
}

// Load reads every *.sql file at the root of fsys, ordered by version. Versions must be unique
// positive numbers written before the first underscore: a misnamed or clashing file is an error
// rather than skipped, because silently ignoring it would leave a schema step unapplied.
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, name := range names {
		num, _, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: the name must be NNNN_description.sql", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q have the same version %d", other, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: path.Base(name), SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	return out, nil
}
