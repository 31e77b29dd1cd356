// Package table prints the timewait demo's side-by-side table: one row
// per client under the same load, with the same columns for every demo
// (HTTP, SQL, Redis), so that their figures read alike.
//
// A demo prints a Header once, then one Row per case, then a Footer:
//
//	table.PrintHeader(os.Stdout, table.Header{Requests: 2000, Concurrency: 16, Where: "loopback"})
//	table.PrintRow(os.Stdout, table.Row{Index: 1, Name: "http.DefaultClient", Requests: 2000, OK: 2000, Elapsed: time.Second})
//	table.PrintFooter(os.Stdout, table.Footer{})
//
// Columns: the client; requests finished; requests per second; new
// connections (accepted by the server, or dialed: the demo says which in
// its footer); TIME_WAIT sockets left on the client side and on the server
// side; the share of successful requests sent on a reused connection;
// p50/p99 latency of the successful requests; errors, with the count of
// EADDRNOTAVAIL and how many requests had finished before the first.
package table
