package dialer

import (
	"sync"

	"github.com/keepconn/keepconn/internal/sockopt"
)

// probes recycles the probes that classify closes (sockopt.Probe): a
// probe makes its system-call closures once, not once per connection, and
// an open Conn carries none.
var probes = sync.Pool{New: func() any { return new(sockopt.Probe) }}

// getProbe returns a cleared probe; putProbe gives it back once its
// results are read.
func getProbe() *sockopt.Probe {
	p := probes.Get().(*sockopt.Probe)
	p.Clear()
	return p
}

func putProbe(p *sockopt.Probe) { probes.Put(p) }
