// Package lucid is the front page of Lucid Node Management: the library and reference server
// that run the node-management cluster of the Lucid network.
//
// The module is a set of packages that compose:
//
//   - nodemgmt: nodes, pools, the lifecycle state machine, heartbeats and health, resource
//     samples, thresholds and allocation. Its Service runs against the Store interface it declares.
//   - nodemgmt/hostmetrics: a nodemgmt.MetricsSource for the local host (gopsutil).
//   - poot: Proof of Output Time — proofs, challenges, ed25519 signatures, validation rules and
//     a deterministic score. Standard library only, so tests can embed it cheaply.
//   - poot/poottest: deterministic keys, proof builders and a fake clock for tests that embed PoOT.
//   - payout: money in integer minor units, addresses, payouts and batches, epoch planning from
//     scores and the exactly-once processor over the ChainClient interface.
//   - payout/tron: the ChainClient on TRON through gotron-sdk; payout/tron/trontest is an
//     in-process TRON node serving the real gRPC wallet API for tests and development.
//   - storage: storage.Open(dsn) returns one value that satisfies every domain store interface,
//     backed by memory, SQLite (the embedded default) or PostgreSQL.
//   - refserver: the reference HTTP server (the composition root), with auth, rate limiting,
//     a typed client and the refserver binary.
//
// Domain packages never import each other: each declares the narrow interfaces it consumes and
// the composition root (refserver) wires them together.
package lucid
