package client

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/payout"
	"github.com/hamigames/lucid-node-management/poot"
	"github.com/hamigames/lucid-node-management/refserver"
)

// openAPI is the part of docs/openapi.yaml the checks below read.
type openAPI struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]any `yaml:"properties"`
		} `yaml:"schemas"`
	} `yaml:"components"`
}

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	require.NoError(t, err)
	var doc openAPI
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	return doc
}

// jsonFields lists the JSON names of a struct's fields, embedded structs flattened.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPISchemasMatchTypes checks that every documented schema has exactly the JSON fields
// of the Go type it describes.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"Node": nodemgmt.Node{}, "NodeList": nodemgmt.NodeList{}, "CreateNodeRequest": nodemgmt.CreateNodeRequest{},
		"UpdateNodeRequest": nodemgmt.UpdateNodeRequest{}, "LifecycleResult": nodemgmt.LifecycleResult{},
		"HeartbeatAck": nodemgmt.HeartbeatAck{}, "MaintenanceRequest": nodemgmt.MaintenanceRequest{},
		"HardwareInfo": nodemgmt.HardwareInfo{}, "Configuration": nodemgmt.Configuration{}, "Location": nodemgmt.Location{},
		"Pagination": nodemgmt.Pagination{}, "Pool": nodemgmt.Pool{}, "PoolList": nodemgmt.PoolList{},
		"CreatePoolRequest": nodemgmt.CreatePoolRequest{}, "UpdatePoolRequest": nodemgmt.UpdatePoolRequest{},
		"AddPoolNodeRequest": nodemgmt.AddPoolNodeRequest{}, "AuditEntry": nodemgmt.AuditEntry{},
		"AuditList": refserver.AuditList{}, "HealthReport": refserver.HealthReport{}, "HealthCheck": refserver.HealthCheck{},
		"PoOTChallenge": poot.Challenge{}, "PoOTProof": poot.Proof{}, "PoOTValidation": poot.Validation{},
		"PoOTScore": poot.Score{}, "PoOTBatchRequest": poot.BatchRequest{}, "PootBatchResponse": refserver.PootBatchResponse{},
		"PootHistory": refserver.PootHistory{}, "ResourceSample": nodemgmt.ResourceSample{},
		"ReportResult": nodemgmt.ReportResult{}, "ResourceSummary": nodemgmt.ResourceSummary{},
		"MetricsResult": nodemgmt.MetricsResult{}, "ThresholdsUpdate": nodemgmt.ThresholdsUpdate{},
		"Thresholds": nodemgmt.Thresholds{}, "AllocationRequest": nodemgmt.AllocationRequest{},
		"Allocation": nodemgmt.Allocation{}, "Alert": nodemgmt.Alert{}, "AlertList": refserver.AlertList{},
		"PayoutBatchRequest": payout.BatchRequest{}, "PayoutRequest": payout.PayoutRequest{},
		"PayoutBatchResponse": payout.BatchResponse{}, "Payout": payout.PayoutView{},
		"PayoutListResponse": payout.PayoutListResponse{}, "ScheduleView": payout.ScheduleView{},
		"ScheduleRequest": payout.ScheduleRequest{}, "WalletRequest": refserver.WalletRequest{},
		"WalletView": refserver.WalletView{}, "PayoutAuditReport": payout.AuditReport{},
	} {
		s, ok := doc.Components.Schemas[name]
		if !assert.True(t, ok, "schema %s missing", name) {
			continue
		}
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		assert.Equal(t, jsonFields(reflect.TypeOf(v)), props, "schema %s", name)
	}
}

// routePattern finds the route literals of the server's route tables.
var routePattern = regexp.MustCompile(`method:\s*"([A-Z]+)",\s*path:\s*"([^"]+)"`)

// TestOpenAPIRoutesMatchServer checks both directions: every route the server registers (read
// from its route tables) is documented, and every documented route is served (the real server
// answers it with something other than "no such route").
func TestOpenAPIRoutesMatchServer(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}

	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	require.NoError(t, err)
	registered := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
			registered[m[1]+" "+m[2]] = true
		}
	}
	require.NotEmpty(t, registered)
	for r := range registered {
		assert.True(t, documented[r], "route %s is served but not in docs/openapi.yaml", r)
	}

	e := newTestEnv(t)
	ids := strings.NewReplacer("{node_id}", "node_probe_0001", "{pool_id}", "pool_probe_0001", "{batch_id}", "batch_probe_1")
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range documented {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		assert.True(t, registered[k], "route %s is documented but not registered", k)
		method, path, _ := strings.Cut(k, " ")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, method, e.ts.URL+ids.Replace(path), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+e.admin)
		resp, err := e.ts.Client().Do(req)
		require.NoError(t, err)
		ae := parseError(resp, mustRead(t, resp))
		cancel()
		// LUCID_ERR_4040 also means an unknown payout batch or wallet; the router's own answer
		// says "no such route".
		assert.False(t, ae.Code == CodeRouteNotFound && ae.Message == "no such route",
			"%s is documented but the server has no such route", k)
		assert.NotEqual(t, CodeMethodNotAllowed, ae.Code, "%s is documented but the server does not serve this method", k)
	}
}

func mustRead(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return b
}
