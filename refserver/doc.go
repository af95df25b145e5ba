// Package refserver is the reference HTTP server of Lucid Node Management: the composition root
// that wires the node registry, storage, authentication and rate limiting behind the /api/v1
// routes of the specification, with health checks, Prometheus metrics and one error mapper.
//
// A Server is built with New from a Config (environment and flags, see LoadConfig) and Deps (the
// store and optional collaborators), and served with Run, which also runs the background loops
// and shuts down gracefully when its context ends.
//
// Route groups live in their own files and are registered in routes.go. To add one, write a
// register function on *Server that calls s.handle for each route (which wires authentication,
// rate limiting, metrics and the route label) and call it from registerRoutes.
package refserver
