package httpx

import "time"

// SetHostForgetAfter shortens how long a quiet host keeps its entry, for
// tests.
func (t *Transport) SetHostForgetAfter(d time.Duration) {
	t.hosts.mu.Lock()
	t.hosts.forget = d
	t.hosts.mu.Unlock()
}

// ConnectTimeout is the connect timeout the Transport applies, for tests.
func (t *Transport) ConnectTimeout() time.Duration { return t.cfg.ConnectTimeout }

// Waiters is the number of requests waiting at a host's cap now.
func (t *Transport) Waiters() int64 {
	hosts, _ := t.hosts.all(t)
	var n int64
	for _, h := range hosts {
		n += h.waiters.Load()
	}
	return n
}
