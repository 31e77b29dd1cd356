package dialer

import (
	"context"
	"math/rand/v2"
	"sync"
)

// dialPlan carries, through the context, which source address and port a
// dial tries next. One DialContext call owns one plan. With Happy Eyeballs
// the control functions of an IPv4 and an IPv6 attempt can use it at once,
// hence the lock and the state kept per family.
type dialPlan struct {
	d  *Dialer
	mu sync.Mutex

	srcStart  int // round-robin starting source of this dial
	portStart int // random offset into the port range (explicit binds)
	fam       [2]familyPlan
	ops       [2]ctlOp // the control function of each family (control_linux.go)
	noPort    bool     // a connect or explicit bind found no port: exhaustion
}

// familyPlan is the progress of a plan through one family's sources.
type familyPlan struct {
	used      bool // a socket of this family was bound
	srcTried  int  // sources given up on
	srcCount  int  // sources of the family
	portTried int  // ports tried on the current source
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

// familyIndex maps "tcp4" to 0 and "tcp6" to 1.
func familyIndex(network string) int {
	if network == "tcp6" {
		return 1
	}
	return 0
}

// source returns the source to bind from srcs (one family's), or false
// when srcs is empty.
func (f *familyPlan) source(srcs []sockSource, start int) (sockSource, bool) {
	f.used, f.srcCount = true, len(srcs)
	if len(srcs) == 0 {
		return sockSource{}, false
	}
	return srcs[(start+f.srcTried)%len(srcs)], true
}

// port returns the next port to try with an explicit bind, or false when
// the range is used up on the current source.
func (f *familyPlan) port(r PortRange, start int) (uint16, bool) {
	n := r.Size()
	if f.portTried >= n {
		return 0, false
	}
	return r.Low + uint16((start+f.portTried)%n), true
}

// advance moves the plan on after a dial failed with EADDRNOTAVAIL: to the
// next port, or when the ports are used up, to the next source, in every
// family that was tried (the error does not say which one ran out). It
// reports whether anything is left to try.
func (p *dialPlan) advance() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	left := false
	for i := range p.fam {
		if f := &p.fam[i]; f.used {
			left = f.advance(p.d.ports == portBind, p.d.cfg.PortRange.Size()) || left
		}
	}
	return left
}

func (f *familyPlan) advance(explicitPorts bool, ports int) bool {
	if explicitPorts {
		f.portTried++
		if f.portTried < ports {
			return true
		}
		f.portTried = 0
	}
	f.srcTried++
	return f.srcTried < max(f.srcCount, 1)
}

// noteFailure records a failed attempt with EADDRNOTAVAIL: a source
// address that could not be bound (gone), or no port left (exhaustion).
func (p *dialPlan) noteFailure(gone bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !gone {
		p.noPort = true
	}
}

// exhausted reports whether an attempt of this dial found no port.
func (p *dialPlan) exhausted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.noPort
}

// restart makes every source and port worth trying again, after a
// peer-first close freed a port.
func (p *dialPlan) restart() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fam = [2]familyPlan{}
}
