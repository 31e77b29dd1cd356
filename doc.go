// Package keepconn holds the churn vocabulary that every keepconn package
// speaks: why a connection closed (Reason), which side closed it first and
// so keeps the TIME_WAIT (Side), and the two value structs that each
// package's Stats embeds (ConnStats for connections, PoolStats for pools
// of them).
//
// The work is done by the sub-packages:
//
//   - dialer: a DialContext with socket options, source spreading and
//     closes classified by side; the kernel's TIME_WAIT census.
//   - pool: a connection pool for any TCP protocol.
//   - httpx: http.RoundTripper and http.Client that keep their connections.
//
// Every field of ConnStats and PoolStats has one meaning, one type and one
// unit wherever it appears, so a dashboard built on one package's figures
// reads the same in another's. After everything is closed,
//
//	Opened == MaxIdleClosed + MaxIdleTimeClosed + MaxLifetimeClosed +
//	          PeerClosed + BrokenClosed + Closed
//	       == ActiveCloses + PassiveCloses + AbortiveCloses
//
// and while connections are open both sums plus Open equal Opened.
package keepconn
