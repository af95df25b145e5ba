// Package refserver is the reference HTTP server of Lucid Node Management: the composition root
// that wires the node registry, storage, authentication and rate limiting behind the /api/v1
// routes of the specification, with health checks, Prometheus metrics and one error mapper.
//
// A Server is built with New from a Config (environment and flags, see LoadConfig) and Deps (the
// store and optional collaborators), and served with Run (or Serve on a listener), which also
// prepares the fleet after a restart, runs the heartbeat reaper under its lease and shuts down
// gracefully when its context ends.
//
// # Middleware
//
// Outermost first: request id (X-Request-ID; an incoming one is kept only if it is a uuid),
// panic recovery (500 LUCID_ERR_5000, stack only in the log), access log and metrics, security
// headers, body size limit, routing (unknown route 404 LUCID_ERR_4040, wrong method 405
// LUCID_ERR_4050 with Allow, both JSON). Per route: authentication, rate limiting (before a bad
// token is refused, so guessing tokens spends the guesser's budget), the access rule, the
// handler.
//
// # Access rules
//
// Every /api/v1 route needs a bearer token: reads node:read, writes node:write. Worker tokens may
// only read their own node, send its heartbeat, read its resources, metrics and alerts, report
// its resource samples (POST …/resources/metrics) and its PoOT proofs; every other route
// (thresholds and allocation included, listing nodes included) answers 403 to a worker. GET /api/v1/audit is for
// admin tokens. /health, /health/ready, /health/live and /metrics need no token.
//
// # Rate limits
//
// Unauthenticated requests are keyed by client address (the TCP peer; X-Forwarded-For only from
// TRUSTED_PROXIES), authenticated ones by token subject: admin tokens in the admin tier, others
// in the node tier (RATE_LIMIT_PER_MINUTE). PoOT and payout routes add their own tier. /health,
// /health/ready and /metrics count in the unauthenticated tier; /health/live is never limited.
//
// # Errors
//
// Handlers return errors; writeError is the only place that writes an error body, in the shape
// {"error":{"code","message","details","request_id","timestamp"}}. Codes and statuses:
//
//	LUCID_ERR_4000 400 validation failed          LUCID_ERR_5001 404 node not found
//	LUCID_ERR_4001 400 malformed body (field)     LUCID_ERR_5002 404 pool not found
//	LUCID_ERR_4010 401 unauthorized               LUCID_ERR_5003 400 invalid node status
//	LUCID_ERR_4030 403 forbidden                  LUCID_ERR_5004 409 resource limit exceeded
//	LUCID_ERR_4040 404 no such route              LUCID_ERR_5005 422 PoOT validation failed
//	LUCID_ERR_4050 405 method not allowed         LUCID_ERR_5006 422 payout processing failed
//	LUCID_ERR_4090 409 conflict                   LUCID_ERR_5007 409 node already exists
//	LUCID_ERR_4130 413 body too large             LUCID_ERR_5008 409 pool already exists
//	LUCID_ERR_4150 415 unsupported media type     LUCID_ERR_5009 400 invalid resource allocation
//	LUCID_ERR_4291 429 rate limited               LUCID_ERR_5010 422 batch operation failed
//	LUCID_ERR_5000 500 internal (generic message) LUCID_ERR_5030 503 unavailable
//
// # Adding a route group
//
// Route groups live in their own files and are registered in routes.go. Write
// func (s *Server) registerXRoutes() that calls s.handle(route{...}) for each route (method,
// path, scope, workers, admin, extra rate-limit tier, handler) and call it from registerRoutes.
// Routes of the form /api/v1/nodes/{node_id}/<name> are dispatched by one pattern per method so
// they never conflict with /api/v1/nodes/pools/{pool_id}; handle does that by itself.
package refserver
