package redisx

import (
	"context"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Close closes the client and its connections (counted as Closed), stops
// the reaper and its metrics, and waits for the connections' goodbyes
// (at most the dialer's AwaitPeerClose). Calling it again returns the
// first call's error.
func (c *Client) Close() error { return c.h.close() }

// Stats returns a snapshot of the client's connections. It is safe to
// call at any time, also after Close.
func (c *Client) Stats() Stats { return c.h.m.stats() }

// Tuning returns the pool settings in force.
func (c *Client) Tuning() Tuning { return c.h.m.Tuning() }

// Dialer returns the keepconn dialer of the client's connections, for its
// Stats. Closing it is Close's job.
func (c *Client) Dialer() *dialer.Dialer { return c.h.m.d }

// Close closes the client; see Client.Close.
func (c *ClusterClient) Close() error { return c.h.close() }

// Stats returns a snapshot of the connections to every node.
func (c *ClusterClient) Stats() Stats { return c.h.m.stats() }

// Tuning returns the pool settings in force, per node.
func (c *ClusterClient) Tuning() Tuning { return c.h.m.Tuning() }

// Dialer returns the keepconn dialer of the client's connections.
func (c *ClusterClient) Dialer() *dialer.Dialer { return c.h.m.d }

// Close closes the ring; see Client.Close.
func (c *Ring) Close() error { return c.h.close() }

// Stats returns a snapshot of the connections to every shard.
func (c *Ring) Stats() Stats { return c.h.m.stats() }

// Tuning returns the pool settings in force, per shard.
func (c *Ring) Tuning() Tuning { return c.h.m.Tuning() }

// Dialer returns the keepconn dialer of the ring's connections.
func (c *Ring) Dialer() *dialer.Dialer { return c.h.m.d }

// Close closes the client; see Client.Close.
func (c *UniversalClient) Close() error { return c.h.close() }

// Stats returns a snapshot of the client's connections.
func (c *UniversalClient) Stats() Stats { return c.h.m.stats() }

// Tuning returns the pool settings in force.
func (c *UniversalClient) Tuning() Tuning { return c.h.m.Tuning() }

// Dialer returns the keepconn dialer of the client's connections.
func (c *UniversalClient) Dialer() *dialer.Dialer { return c.h.m.d }

// close is Close's work: the reaper and its background commands first
// (a server-timeout probe or a warm-up still holding a connection would
// otherwise have go-redis close it under them, late), then the go-redis
// client (its closes count as Closed), then the pending goodbyes, which
// end within the dialer's AwaitPeerClose (one second more is allowed
// before the dialer cuts them short), then the metrics.
func (m *monitor) close(closeClient func() error) error {
	m.closing.Store(true)
	m.samplePool() // a ring or cluster forgets its nodes' counts when closed
	close(m.stop)
	<-m.done
	err := closeClient()
	m.poolMu.Lock()
	m.poolStats, m.pool.idle = nil, 0
	m.poolMu.Unlock()
	for _, c := range m.snapshot() { // dialed after go-redis closed
		m.closeConn(c, telemetry.ReasonClosed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.await+time.Second)
	m.d.Shutdown(ctx)
	cancel()
	// Shutdown returns once every waiting socket is closed; their reports
	// follow at once. A close go-redis starts later (a dial finishing
	// after Close) is counted when it reports, not waited for.
	for end := time.Now().Add(time.Second); m.pending.Load() > 0 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if m.metrics != nil {
		m.metrics.Unregister()
	}
	return err
}
