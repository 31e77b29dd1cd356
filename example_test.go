package keepconn_test

import (
	"fmt"

	"github.com/keepconn/keepconn"
)

// Every package's Stats embeds ConnStats, so the same few lines read the
// churn of a dialer, a pool or an HTTP transport.
func ExampleConnStats() {
	var s keepconn.ConnStats
	s.Opened = 5
	s.AddClose(keepconn.ReasonMaxIdle, keepconn.SideActive, 3)
	s.AddClose(keepconn.ReasonPeerClosed, keepconn.SidePassive, 1)
	s.Open = s.Opened - s.TotalClosed()

	fmt.Printf("open %d, closed %d: %d left a TIME_WAIT here, %d by the idle cap\n",
		s.Open, s.TotalClosed(), s.ActiveCloses, s.MaxIdleClosed)
	// Output: open 1, closed 4: 3 left a TIME_WAIT here, 3 by the idle cap
}
