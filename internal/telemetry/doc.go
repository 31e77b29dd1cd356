// Package telemetry holds what every keepconn package shares to report churn
// the same way: the names of the OpenTelemetry instruments and attributes,
// the close vocabulary (why a connection closed and which side closed it
// first), lock-free counters for that vocabulary, and the helpers that turn
// a Stats snapshot into observations inside one metric callback.
//
// keepconn reports through the OpenTelemetry metrics API only: pull, not
// push. Each package keeps plain atomic counters on its hot paths and
// observes them from a single registered callback, so an application that
// never reads its metrics pays nothing but the counter increments.
package telemetry
