// Package rowcodec holds the column encodings the SQL backends share: which columns are sealed
// and with what associated data, and how nullable JSON columns are written and read; and the
// listing rules that must agree between them (payout filters and page size, cursors). A value
// sealed or encoded by one backend must mean the same in the other (a database can be moved
// between them, and the tests compare them), so the rules live here once. What differs between
// the dialects — placeholders, NULL wrapper types, time columns — stays in each backend, which
// converts to and from the plain forms used here (nil bytes for NULL).
package rowcodec

import (
	"encoding/json"
	"fmt"

	"github.com/hamigames/lucid-node-management/nodemgmt"
	"github.com/hamigames/lucid-node-management/storage/internal/clone"
	"github.com/hamigames/lucid-node-management/storage/seal"
)

// AADHardware is the associated data of a node's sealed hardware_info. It names the table,
// column and row, so a sealed value copied into another row or column fails to open.
func AADHardware(nodeID string) []byte { return []byte("nodes.hardware_info:" + nodeID) }

// AADPublicKey is the associated data of a node's sealed public_key, for the same reason as
// AADHardware.
func AADPublicKey(nodeID string) []byte { return []byte("nodes.public_key:" + nodeID) }

// JSON encodes v for a nullable JSON column. isNil gives nil, which the backends store as NULL,
// so an absent optional value is told apart from an empty one.
func JSON(v any, isNil bool) ([]byte, error) {
	if isNil {
		return nil, nil
	}
	return json.Marshal(v)
}

// NodeColumns are the columns of a node that need more than a plain value: sealed ones and JSON
// ones. A nil slice is a NULL column.
type NodeColumns struct {
	// Hardware is the sealed JSON of HardwareInfo; never NULL.
	Hardware []byte
	// PublicKey is the sealed public key, or nil when the node has none.
	PublicKey []byte
	// Location, Configuration and Maintenance are JSON, or nil when the node has none.
	Location, Configuration, Maintenance []byte
}

// EncodeNode seals and encodes n's columns. Maintenance.Since is normalised to the stored time
// form here because it is written inside JSON, where the backends' time handling does not reach.
func EncodeNode(s *seal.Sealer, n *nodemgmt.Node) (NodeColumns, error) {
	var c NodeColumns
	hw, err := json.Marshal(n.HardwareInfo)
	if err != nil {
		return c, fmt.Errorf("encode hardware_info: %w", err)
	}
	c.Hardware = s.Seal(hw, AADHardware(n.NodeID))
	if c.Location, err = JSON(n.Location, n.Location == nil); err != nil {
		return c, fmt.Errorf("encode location: %w", err)
	}
	if c.Configuration, err = JSON(n.Configuration, n.Configuration == nil); err != nil {
		return c, fmt.Errorf("encode configuration: %w", err)
	}
	if n.Maintenance != nil {
		m := *n.Maintenance
		m.Since = clone.Norm(m.Since)
		if c.Maintenance, err = JSON(m, false); err != nil {
			return c, fmt.Errorf("encode maintenance: %w", err)
		}
	}
	if n.PublicKey != "" {
		c.PublicKey = s.Seal([]byte(n.PublicKey), AADPublicKey(n.NodeID))
	}
	return c, nil
}

// DecodeNode opens and decodes c into n, whose NodeID must already be set: it is part of the
// associated data, so a row whose sealed columns were swapped with another's is refused.
func DecodeNode(s *seal.Sealer, n *nodemgmt.Node, c NodeColumns) error {
	hw, err := s.Open(c.Hardware, AADHardware(n.NodeID))
	if err != nil {
		return fmt.Errorf("node %s: hardware_info: %w", n.NodeID, err)
	}
	if err := json.Unmarshal(hw, &n.HardwareInfo); err != nil {
		return fmt.Errorf("node %s: hardware_info: %w", n.NodeID, err)
	}
	if c.PublicKey != nil {
		pk, err := s.Open(c.PublicKey, AADPublicKey(n.NodeID))
		if err != nil {
			return fmt.Errorf("node %s: public_key: %w", n.NodeID, err)
		}
		n.PublicKey = string(pk)
	}
	if c.Location != nil {
		n.Location = new(nodemgmt.Location)
		if err := json.Unmarshal(c.Location, n.Location); err != nil {
			return fmt.Errorf("node %s: location: %w", n.NodeID, err)
		}
	}
	if c.Configuration != nil {
		n.Configuration = new(nodemgmt.Configuration)
		if err := json.Unmarshal(c.Configuration, n.Configuration); err != nil {
			return fmt.Errorf("node %s: configuration: %w", n.NodeID, err)
		}
	}
	if c.Maintenance != nil {
		n.Maintenance = new(nodemgmt.MaintenanceInfo)
		if err := json.Unmarshal(c.Maintenance, n.Maintenance); err != nil {
			return fmt.Errorf("node %s: maintenance: %w", n.NodeID, err)
		}
		n.Maintenance.Since = n.Maintenance.Since.UTC()
	}
	return nil
}
