package poot

import (
	"math"
	"time"
)

// Policy holds the parameters of the standard score, the threshold and anomaly detection.
// DefaultPolicy documents the defaults; the package documentation gives the formula.
type Policy struct {
	// Threshold is the score a proof must reach to be valid (default 70).
	Threshold float64
	// WeightReputation, WeightUptime and WeightTimeliness weigh the three components; they
	// should sum to 1 (defaults 0.60, 0.25, 0.15).
	WeightReputation float64
	WeightUptime     float64
	WeightTimeliness float64
	// PriorSuccess and PriorWeight form the Bayesian prior of the reputation: a new node
	// starts as if it had PriorWeight outcomes with success ratio PriorSuccess (0.5, 1).
	PriorSuccess float64
	PriorWeight  float64
	// HalfLife is the forgetting factor: an outcome's weight halves every HalfLife (7 days).
	HalfLife time.Duration
	// ChallengeTTL is how long an issued challenge stays answerable (2 minutes).
	ChallengeTTL time.Duration
	// TimelinessGrace is the latency answered with full timeliness (10 s); timeliness falls
	// linearly from 1 at TimelinessGrace to 0 at ChallengeTTL.
	TimelinessGrace time.Duration
	// UnchallengedTimeliness is the timeliness of a proof with a client-chosen nonce, whose
	// latency the server cannot measure (0.5).
	UnchallengedTimeliness float64
	// UnkeyedAssurance multiplies score and confidence of nodes without a public key, whose
	// proofs anyone could have made (0.85).
	UnkeyedAssurance float64
	// ProbationProofs and ProbationFloor cap the score of a new node: with m passed proofs
	// (this one included) the score is at most ProbationFloor + (100-ProbationFloor)·min(1,
	// m/ProbationProofs) (10 proofs, floor 75, so an honest first proof can be valid).
	ProbationProofs int
	ProbationFloor  float64
	// ProbationAge is the node age at which the age part of confidence is complete (7 days).
	ProbationAge time.Duration
	// ConfidenceScale is the evidence at which the evidence part of confidence is 1/2 (5).
	ConfidenceScale float64
	// AnomalySigma, AnomalyMinHistory, AnomalyWindow and AnomalyMinStdDev configure anomaly
	// detection: a score is flagged when it is more than AnomalySigma standard deviations (at
	// least AnomalyMinStdDev points) from the mean of the node's last AnomalyWindow evidence
	// scores, once there are at least AnomalyMinHistory of them (3, 10, 32, 0.5).
	AnomalySigma      float64
	AnomalyMinHistory int
	AnomalyWindow     int
	AnomalyMinStdDev  float64
}

// DefaultPolicy returns the documented default policy.
func DefaultPolicy() Policy {
	return Policy{
		Threshold:              70,
		WeightReputation:       0.60,
		WeightUptime:           0.25,
		WeightTimeliness:       0.15,
		PriorSuccess:           0.5,
		PriorWeight:            1,
		HalfLife:               7 * 24 * time.Hour,
		ChallengeTTL:           2 * time.Minute,
		TimelinessGrace:        10 * time.Second,
		UnchallengedTimeliness: 0.5,
		UnkeyedAssurance:       0.85,
		ProbationProofs:        10,
		ProbationFloor:         75,
		ProbationAge:           7 * 24 * time.Hour,
		ConfidenceScale:        5,
		AnomalySigma:           3,
		AnomalyMinHistory:      10,
		AnomalyWindow:          32,
		AnomalyMinStdDev:       0.5,
	}
}

// Outcome is one verified fact about a node: an evidence validation.
type Outcome struct {
	// At is the server time of the validation.
	At time.Time `json:"at"`
	// Passed is true when every check passed.
	Passed bool `json:"passed"`
	// Timeliness is the server-measured 0–1 timeliness of the proof (0 when it failed).
	Timeliness float64 `json:"timeliness"`
}

// State is a node's reputation memory after an evidence validation: exponentially decayed
// sums over all its evidence outcomes, as of At. It is stored with each validation
// (Validation.State) so the next score needs only the latest one: O(1) work per proof.
type State struct {
	// At is the time of the last outcome folded in (zero for a new node).
	At time.Time `json:"at,omitzero"`
	// Evidence is Σ w_i, Success Σ w_i·s_i and Timely Σ w_i·s_i·t_i, with w_i = 2^(−age_i/HalfLife).
	Evidence float64 `json:"evidence"`
	Success  float64 `json:"success"`
	Timely   float64 `json:"timely"`
	// Passed counts all passed outcomes (not decayed); it ends probation.
	Passed int `json:"passed"`
	// Seq counts all outcomes folded in; the State with the highest Seq is the latest, even
	// when several validations share a timestamp.
	Seq int64 `json:"seq"`
}

// Fold returns s decayed to o.At with o added (weight 1). Folding a node's outcomes in time
// order gives the State that Score would have stored.
func (p Policy) Fold(s State, o Outcome) State {
	if !s.At.IsZero() && p.HalfLife > 0 {
		if age := o.At.Sub(s.At); age > 0 {
			f := math.Exp2(-float64(age) / float64(p.HalfLife))
			s.Evidence *= f
			s.Success *= f
			s.Timely *= f
		}
	}
	s.Evidence++
	s.Seq++
	if o.Passed {
		s.Success++
		s.Timely += clamp01(o.Timeliness)
		s.Passed++
	}
	if o.At.After(s.At) {
		s.At = o.At
	}
	return s
}

// Facts are the verified inputs of the score. Nothing in them is chosen freely by the node:
// output size, the node's timestamp and nonce content do not appear.
type Facts struct {
	// Now is the server time of the judgement (the time of Current).
	Now time.Time `json:"now"`
	// NodeCreatedAt is the registration time of the node (from the node registry).
	NodeCreatedAt time.Time `json:"node_created_at"`
	// Keyed is true when the node has a public key (its proofs are signed and challenged).
	Keyed bool `json:"keyed"`
	// Uptime is the 0–1 fraction of expected heartbeats received (from the node registry).
	Uptime float64 `json:"uptime"`
	// Current is the outcome of the proof being judged.
	Current Outcome `json:"current"`
	// Prior is the node's State before this proof (zero for a new node).
	Prior State `json:"prior"`
}

// ScoreResult is the output of Policy.Score.
type ScoreResult struct {
	// Score is 0–100 rounded to 2 decimals.
	Score float64
	// Confidence is 0–1 rounded to 4 decimals.
	Confidence float64
	// Reputation, Uptime and Timeliness are the 0–1 components before weighting.
	Reputation float64
	Uptime     float64
	Timeliness float64
	// Cap is the probation cap that applied (100 once probation is over).
	Cap float64
	// State is the node's reputation memory with the current outcome folded in.
	State State
}

// clamp01 maps x into [0, 1]; NaN becomes 0.
func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// Timeliness maps a challenge response latency measured by the server clock to 0–1: 1 up to
// TimelinessGrace, falling linearly to 0 at ChallengeTTL.
func (p Policy) Timeliness(latency time.Duration) float64 {
	if latency <= p.TimelinessGrace {
		return 1
	}
	if latency >= p.ChallengeTTL || p.ChallengeTTL <= p.TimelinessGrace {
		return 0
	}
	return 1 - float64(latency-p.TimelinessGrace)/float64(p.ChallengeTTL-p.TimelinessGrace)
}

// Score computes the standard score of Facts; it is pure, deterministic and O(1). See the
// package documentation for the formula.
func (p Policy) Score(f Facts) ScoreResult {
	cur := f.Current
	cur.At = f.Now
	if !cur.Passed {
		cur.Timeliness = 0
	}
	st := p.Fold(f.Prior, cur)
	n := st.Evidence
	rep := (st.Success + p.PriorWeight*clamp01(p.PriorSuccess)) / (n + p.PriorWeight)
	tim := clamp01(st.Timely / n)
	up := clamp01(f.Uptime)
	assurance := 1.0
	if !f.Keyed {
		assurance = clamp01(p.UnkeyedAssurance)
	}
	raw := 100 * assurance * (p.WeightReputation*rep + p.WeightUptime*up + p.WeightTimeliness*tim)

	capv := 100.0
	if p.ProbationProofs > 0 && st.Passed < p.ProbationProofs {
		capv = p.ProbationFloor + (100-p.ProbationFloor)*float64(st.Passed)/float64(p.ProbationProofs)
	}
	score := math.Max(0, math.Min(100, math.Min(raw, capv)))

	ageFrac := 1.0
	if p.ProbationAge > 0 {
		ageFrac = clamp01(float64(f.Now.Sub(f.NodeCreatedAt)) / float64(p.ProbationAge))
	}
	conf := n / (n + p.ConfidenceScale) * (0.5 + 0.5*ageFrac) * assurance

	return ScoreResult{
		Score:      round(score, 2),
		Confidence: round(clamp01(conf), 4),
		Reputation: rep,
		Uptime:     up,
		Timeliness: tim,
		Cap:        capv,
		State:      st,
	}
}

// Anomaly reports whether score lies more than AnomalySigma standard deviations from the mean
// of history (population standard deviation, floored at AnomalyMinStdDev), and the deviation
// in standard deviations. With fewer than AnomalyMinHistory scores nothing is flagged.
func (p Policy) Anomaly(score float64, history []float64) (bool, float64) {
	if len(history) == 0 || len(history) < p.AnomalyMinHistory {
		return false, 0
	}
	var sum float64
	for _, h := range history {
		sum += h
	}
	mean := sum / float64(len(history))
	var ss float64
	for _, h := range history {
		d := h - mean
		ss += d * d
	}
	sd := math.Max(math.Sqrt(ss/float64(len(history))), p.AnomalyMinStdDev)
	if sd <= 0 {
		return false, 0
	}
	z := (score - mean) / sd
	return math.Abs(z) > p.AnomalySigma, round(z, 4)
}
