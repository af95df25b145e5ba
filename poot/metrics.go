package poot

import "math"

// OutputTimeMetrics are the Lucid output-time metrics a node reports about itself. They are
// self-reported, so they are scored by MetricsScore and reported next to the standard score
// (Validation.MetricsScore), never fed into it.
type OutputTimeMetrics struct {
	// SessionHours is the session time in hours.
	SessionHours float64 `json:"session_hours"`
	// Credits is the number of credits earned.
	Credits float64 `json:"credits"`
	// ResourceUtilization is the 0–1 resource utilisation.
	ResourceUtilization float64 `json:"resource_utilization"`
	// BandwidthMbps is the bandwidth in megabits per second.
	BandwidthMbps float64 `json:"bandwidth_mbps"`
	// UptimePercent is the uptime in percent (0–100).
	UptimePercent float64 `json:"uptime_percent"`
	// Quality is the 0–1 output quality.
	Quality float64 `json:"quality"`
	// Trust is the 0–1 trust level.
	Trust float64 `json:"trust"`
}

// Weights of the output-time metrics score.
const (
	MetricsWeightSession   = 0.25
	MetricsWeightCredits   = 0.20
	MetricsWeightResource  = 0.15
	MetricsWeightBandwidth = 0.10
	MetricsWeightUptime    = 0.15
	MetricsWeightQuality   = 0.10
	MetricsWeightTrust     = 0.05
)

// component clamps a component to [0, 100]; NaN and negative values count as 0.
func component(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return math.Min(100, x)
}

// MetricsScore is the Lucid output-time metrics score, rounded to 2 decimals:
//
//	0.25·min(100, hours·10) + 0.20·min(100, credits/100) + 0.15·min(100, utilisation·100)
//	+ 0.10·min(100, Mbps/10) + 0.15·uptime% + 0.10·quality·100 + 0.05·trust·100
//
// with every component clamped to 0–100 and the total to 0–100.
func MetricsScore(m OutputTimeMetrics) float64 {
	total := MetricsWeightSession*component(m.SessionHours*10) +
		MetricsWeightCredits*component(m.Credits/100) +
		MetricsWeightResource*component(m.ResourceUtilization*100) +
		MetricsWeightBandwidth*component(m.BandwidthMbps/10) +
		MetricsWeightUptime*component(m.UptimePercent) +
		MetricsWeightQuality*component(m.Quality*100) +
		MetricsWeightTrust*component(m.Trust*100)
	return round(math.Max(0, math.Min(100, total)), 2)
}
