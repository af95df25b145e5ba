// Package nodemgmt is the node registry of Lucid Node Management: worker nodes and pools, the
// lifecycle state machine, heartbeats and the separate health axis, maintenance and drain
// records, and the audit trail of every node and pool operation.
//
// The Service holds the rules; it runs against the Store interface declared here, which the
// storage packages implement, and reads time only through an injected clock so that the
// heartbeat reaper and every transition are deterministic under test.
//
// # Lifecycle and health
//
// Lifecycle status is what an operator asked for (inactive, starting, active, stopping,
// maintenance, error); see Transition for the allowed moves. Health is what the node proves by
// heartbeating: healthy while heartbeats arrive within the TTL the server hands out, unknown
// once the TTL has passed, down once a further grace period has passed. After the server
// starts, every node gets a longer first deadline (RestartTTL) so that a server restart does
// not mark the whole fleet down.
package nodemgmt
