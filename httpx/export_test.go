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
