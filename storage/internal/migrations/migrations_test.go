package migrations

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	good := fstest.MapFS{
		"0002_poot.sql":  {Data: []byte("CREATE TABLE b (x);")},
		"0001_nodes.sql": {Data: []byte("CREATE TABLE a (x);")},
		"0010_later.sql": {Data: []byte("CREATE TABLE c (x);")},
		"README.md":      {Data: []byte("not a migration")},
	}
	migs, err := Load(good)
	require.NoError(t, err)
	var versions []int
	for _, m := range migs {
		versions = append(versions, m.Version)
	}
	assert.Equal(t, []int{1, 2, 10}, versions)

	for name, fsys := range map[string]fs.FS{
		"duplicate version": fstest.MapFS{"0001_a.sql": {}, "1_b.sql": {}},
		"no number":         fstest.MapFS{"nodes.sql": {}},
		"zero":              fstest.MapFS{"0000_x.sql": {}},
	} {
		_, err := Load(fsys)
		assert.Error(t, err, name)
	}
}
