package dialer_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/keepconn/keepconn/dialer"
)

// TimeWaitCensus answers "how many TIME_WAIT sockets, towards whom?" from
// inside the service, as `ss -tan state time-wait` would.
func ExampleTimeWaitCensus() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := dialer.TimeWaitCensus(ctx)
	if err != nil {
		fmt.Println("no census:", err) // e.g. not Linux
		return
	}
	perPeer := 0
	for peer, n := range c.ByPeer {
		perPeer += n
		_ = peer // e.g. log.Printf("%s: %d in TIME_WAIT", peer, n)
	}
	fmt.Println("per-peer counts add up to the total:", perPeer == c.Total)
	// Output: per-peer counts add up to the total: true
}

// PortBudgetFor says how close one destination is to EADDRNOTAVAIL.
func ExamplePortBudgetFor() {
	dst := netip.MustParseAddrPort("10.0.0.5:5432")
	b, err := dialer.PortBudgetFor(context.Background(), dst)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d of %d ports held (%.0f%%, %d in TIME_WAIT); at most %.0f new closing connections/s per source address\n",
		b.Destination, b.Held, b.Ports, 100*b.Utilization, b.TimeWait, b.SustainableRate)
}

// WatchTimeWait exports the census of the destinations a Dialer dialed as
// OpenTelemetry gauges.
func ExampleWatchTimeWait() {
	d, err := dialer.New(dialer.Config{}) // Config.MeterProvider: nil = global
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	reg, err := dialer.WatchTimeWait(d, dialer.WithWatchTimeout(time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Unregister()
	// … dial through d.DialContext; every collection reports
	// keepconn.tcp.time_wait and keepconn.port.budget.utilization per
	// destination and keepconn.tcp.time_wait.total.
}
