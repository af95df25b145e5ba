package auth_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamigames/lucid-node-management/refserver/auth"
)

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, and whatever it accepts
// must satisfy the role presets.
func FuzzVerify(f *testing.F) {
	a := newAuthority(f, nil)
	for _, tc := range []struct {
		role auth.Role
		node string
	}{{auth.RoleAdmin, ""}, {auth.RoleWorker, "node-1"}} {
		tok, err := a.Issue(tc.role, tc.node, time.Hour)
		require.NoError(f, err)
		f.Add(tok)
	}
	f.Add("")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := a.Verify(token)
		if err != nil {
			var ae *auth.Error
			require.ErrorAs(t, err, &ae)
			require.Equal(t, auth.CodeUnauthorized, ae.LucidCode())
			return
		}
		require.True(t, p.Role.Valid())
		require.NotEmpty(t, p.Subject)
		require.NotEmpty(t, p.Scopes)
		for _, s := range p.Scopes {
			require.True(t, p.Role.Allows(s), "scope %q beyond role %q", s, p.Role)
		}
		if p.Role == auth.RoleWorker {
			require.NotEmpty(t, p.NodeID)
		} else {
			require.Empty(t, p.NodeID)
		}
	})
}

// BenchmarkVerify measures verification of a worker token, in full (cache disabled) and as a
// repeat use of a token already verified (the usual case: a client reuses its token for an
// hour), next to the bare HMAC-SHA256 of the same signing input, the floor of any full HS256
// verification.
func BenchmarkVerify(b *testing.B) {
	full := newAuthority(b, func(c *auth.Config) { c.CacheSize = -1 })
	cached := newAuthority(b, nil)
	tok, err := full.Issue(auth.RoleWorker, "node-1", time.Hour)
	require.NoError(b, err)
	for _, tc := range []struct {
		name string
		a    *auth.Authority
	}{{"Full", full}, {"Cached", cached}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tc.a.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := tc.a.Verify(tok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	b.Run("BaselineHMAC", func(b *testing.B) {
		b.ReportAllocs()
		signing := tok[:len(tok)-44]
		for b.Loop() {
			hmacSHA256(testSecret, signing)
		}
	})
}
