package nodemgmt

import "fmt"

// Action is a lifecycle request or system event applied to a node's status.
type Action string

// Lifecycle actions. Begin/complete pairs let a start or stop take time on the node.
const (
	ActionStart            Action = "start"             // inactive → starting
	ActionStarted          Action = "started"           // starting → active
	ActionStop             Action = "stop"              // active → stopping
	ActionStopped          Action = "stopped"           // stopping → inactive
	ActionEnterMaintenance Action = "enter_maintenance" // any but stopping → maintenance
	ActionExitMaintenance  Action = "exit_maintenance"  // maintenance → previous status (or inactive)
	ActionFail             Action = "fail"              // any → error
	ActionRecover          Action = "recover"           // error → inactive
)

// transitions is the whole lifecycle state machine: the status each action moves a node to,
// by the status it is in. Anything not listed is refused.
var transitions = map[Status]map[Action]Status{
	StatusInactive: {
		ActionStart:            StatusStarting,
		ActionEnterMaintenance: StatusMaintenance,
		ActionFail:             StatusError,
	},
	StatusStarting: {
		ActionStarted:          StatusActive,
		ActionStop:             StatusStopping, // abort a start that hangs
		ActionEnterMaintenance: StatusMaintenance,
		ActionFail:             StatusError,
	},
	StatusActive: {
		ActionStop:             StatusStopping,
		ActionEnterMaintenance: StatusMaintenance,
		ActionFail:             StatusError,
	},
	StatusStopping: {
		ActionStopped: StatusInactive,
		ActionFail:    StatusError,
	},
	StatusMaintenance: {
		ActionExitMaintenance: StatusInactive,
		ActionFail:            StatusError,
	},
	StatusError: {
		ActionRecover:          StatusInactive,
		ActionEnterMaintenance: StatusMaintenance,
	},
}

// Transition returns the status action moves a node in status from to, or a
// LUCID_ERR_5003 error naming both when the move is not allowed.
func Transition(from Status, action Action) (Status, error) {
	if to, ok := transitions[from][action]; ok {
		return to, nil
	}
	return from, &Error{
		Code:    CodeInvalidStatus,
		Message: fmt.Sprintf("cannot %s a node that is %s", action, from),
		Details: map[string]any{"status": string(from), "action": string(action)},
	}
}

// AllowedActions lists the actions allowed from a status, for error messages and docs.
func AllowedActions(from Status) []Action {
	var out []Action
	for _, a := range []Action{ActionStart, ActionStarted, ActionStop, ActionStopped,
		ActionEnterMaintenance, ActionExitMaintenance, ActionFail, ActionRecover} {
		if _, ok := transitions[from][a]; ok {
			out = append(out, a)
		}
	}
	return out
}
