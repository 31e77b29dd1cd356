package dialer

import (
	"context"
	"math/rand/v2"
	"sync"
)

// dialPlan carries, through the context, which source address and port a
// dial tries next. One DialContext call owns one plan; with Happy Eyeballs
// the control functions of two attempts can use it at once, hence the lock.
type dialPlan struct {
	d  *Dialer
	mu sync.Mutex

	srcStart  int // round-robin starting source of this dial
	srcTried  int // sources given up on
	srcCount  int // sources of the family last bound
	portStart int // random offset into the port range (explicit binds)
	portTried int // ports tried on the current source
}

type planKey struct{}

func withPlan(ctx context.Context, p *dialPlan) context.Context {
	return context.WithValue(ctx, planKey{}, p)
}

func planFrom(ctx context.Context) *dialPlan {
	p, _ := ctx.Value(planKey{}).(*dialPlan)
	return p
}

func (d *Dialer) newPlan() *dialPlan {
	p := &dialPlan{d: d, srcStart: int(d.roundRobin.Add(1) - 1)}
	if n := d.cfg.PortRange.Size(); d.ports == portBind && n > 0 {
		p.portStart = rand.IntN(n)
	}
	return p
}

// source returns the source to bind from srcs (one family's), or false
// when srcs is empty.
func (p *dialPlan) source(srcs []sockSource) (sockSource, bool) {
	p.srcCount = len(srcs)
	if len(srcs) == 0 {
		return sockSource{}, false
	}
	return srcs[(p.srcStart+p.srcTried)%len(srcs)], true
}

// port returns the next port to try with an explicit bind, or false when
// the range is used up on the current source.
func (p *dialPlan) port() (uint16, bool) {
	r := p.d.cfg.PortRange
	n := r.Size()
	if p.portTried >= n {
		return 0, false
	}
	return r.Low + uint16((p.portStart+p.portTried)%n), true
}

// advance moves the plan on after a dial failed with EADDRNOTAVAIL: to the
// next port, or when the ports are used up, to the next source. It reports
// whether anything is left to try.
func (p *dialPlan) advance() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d.ports == portBind {
		p.portTried++
		if p.portTried < p.d.cfg.PortRange.Size() {
			return true
		}
		p.portTried = 0
	}
	p.srcTried++
	return p.srcTried < max(p.srcCount, 1)
}
