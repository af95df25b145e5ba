package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunPacesAndMeasures(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(500)
		}
	}))
	defer ts.Close()
	res, err := Run(context.Background(), Config{Rate: 200, Duration: 250 * time.Millisecond,
		NewRequest: func(ctx context.Context, i int) (*http.Request, error) {
			u := ts.URL
			if i%10 == 0 {
				u += "?fail=1"
			}
			return http.NewRequestWithContext(ctx, "GET", u, nil)
		}})
	require.NoError(t, err)
	assert.Equal(t, 50, res.Sent)
	assert.Equal(t, 5, res.Errors)
	assert.Equal(t, 45, res.OK)
	assert.GreaterOrEqual(t, res.Elapsed, 240*time.Millisecond)
	assert.LessOrEqual(t, res.P50, res.P99)
	assert.LessOrEqual(t, res.P99, res.Max)
	_, err = Run(context.Background(), Config{})
	require.Error(t, err)
}
