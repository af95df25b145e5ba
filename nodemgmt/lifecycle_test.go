package nodemgmt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allStatuses = []Status{StatusInactive, StatusStarting, StatusActive, StatusStopping, StatusMaintenance, StatusError}
var allActions = []Action{ActionStart, ActionStarted, ActionStop, ActionStopped, ActionEnterMaintenance,
	ActionExitMaintenance, ActionFail, ActionRecover}

// TestTransitionExhaustive checks every (status, action) pair against the rules of the
// specification, stated here independently of the transition table.
func TestTransitionExhaustive(t *testing.T) {
	t.Parallel()
	want := func(from Status, a Action) (Status, bool) {
		switch a {
		case ActionStart: // start is refused unless inactive
			return StatusStarting, from == StatusInactive
		case ActionStarted:
			return StatusActive, from == StatusStarting
		case ActionStop: // stop is refused unless the node runs (or is still starting)
			return StatusStopping, from == StatusActive || from == StatusStarting
		case ActionStopped:
			return StatusInactive, from == StatusStopping
		case ActionEnterMaintenance: // not in the middle of stopping, not twice
			return StatusMaintenance, from != StatusStopping && from != StatusMaintenance
		case ActionExitMaintenance:
			return StatusInactive, from == StatusMaintenance
		case ActionFail:
			return StatusError, from != StatusError
		case ActionRecover:
			return StatusInactive, from == StatusError
		}
		return "", false
	}
	for _, from := range allStatuses {
		for _, a := range allActions {
			to, err := Transition(from, a)
			exp, ok := want(from, a)
			if ok {
				require.NoError(t, err, "%s --%s-->", from, a)
				assert.Equal(t, exp, to, "%s --%s-->", from, a)
				assert.Contains(t, AllowedActions(from), a)
				continue
			}
			require.Error(t, err, "%s --%s--> must be refused", from, a)
			assert.ErrorIs(t, err, ErrInvalidStatus)
			assert.Equal(t, from, to, "a refused transition keeps the status")
			var de *Error
			require.ErrorAs(t, err, &de)
			assert.Equal(t, string(from), de.Details["status"])
			assert.NotContains(t, AllowedActions(from), a)
		}
	}
}

// TestEveryStatusReachableAndLeavable guards against a status that traps a node forever.
func TestEveryStatusReachableAndLeavable(t *testing.T) {
	t.Parallel()
	reach := map[Status]bool{StatusInactive: true}
	for changed := true; changed; {
		changed = false
		for from := range reach {
			for _, a := range allActions {
				if to, err := Transition(from, a); err == nil && !reach[to] {
					reach[to], changed = true, true
				}
			}
		}
	}
	for _, s := range allStatuses {
		assert.True(t, reach[s], "%s unreachable from inactive", s)
		assert.NotEmpty(t, AllowedActions(s), "%s has no way out", s)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}
