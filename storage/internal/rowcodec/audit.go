package rowcodec

import (
	"encoding/json"

	"github.com/hamigames/lucid-node-management/nodemgmt"
)

// DecodeAuditDetails sets e.Details from the JSON details column; nil (NULL) leaves them nil,
// so an entry recorded without details reads back without them.
func DecodeAuditDetails(e *nodemgmt.AuditEntry, details []byte) error {
	if details == nil {
		return nil
	}
	return json.Unmarshal(details, &e.Details)
}
