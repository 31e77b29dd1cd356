package redisx

import (
	"time"

	"github.com/keepconn/keepconn"
	"github.com/redis/go-redis/v9"
)

// Stats is a snapshot of a client's connections in keepconn's shared
// churn vocabulary (see keepconn.PoolStats for each field), summed over
// every server of a cluster, ring or failover client, with what only
// redisx knows added.
//
// Opened, the closes by reason and by side, and Open are redisx's own
// counts of the connections its dialer opened: every connection go-redis
// uses (commands, pipelines, Pub/Sub, TLS or not). The reasons come from
// evidence: MaxIdleTimeClosed and MaxLifetimeClosed are connections
// redisx ended at go-redis's check before reuse; PeerClosed those the
// server closed (found by the reaper, the reuse check, or a read that met
// the server's FIN or reset); BrokenClosed those whose last read or write
// failed otherwise, or that held bytes nobody asked for; Closed those
// closed by Client.Close; and MaxIdleClosed the rest when go-redis's idle
// cap is below its pool size (returned to a full idle list), else Closed.
//
// Reused, Acquisitions, WaitCount, WaitDuration and Timeouts come from
// go-redis's pool counters (PoolStats Hits, Hits+Misses, WaitCount,
// WaitDurationNs, Timeouts of the command and pipeline pools), which are
// uint32 and wrap: redisx samples them every ReaperInterval and adds the
// differences into int64 counters, so they never wrap or go backwards (a
// server leaving a cluster takes its counts with it: its share stops
// growing rather than being subtracted). Idle is go-redis's idle count
// without the connections the reaper closed; InUse is Open - Idle.
type Stats struct {
	keepconn.PoolStats

	// Timeouts counts acquisitions ended by their context or timeout
	// before a connection was handed out (keepconn's vocabulary; see
	// keepconn.PoolStats).
	Timeouts int64

	// PoolSize is go-redis's PoolSize: the cap per server.
	PoolSize int64
	// Reaped counts the idle connections the server closed that the
	// reaper closed (they are in PeerClosed too): without it their
	// sockets would have waited in CLOSE_WAIT until go-redis reused them.
	Reaped int64
}

// poolCounters accumulates go-redis's uint32 pool counters into int64s.
type poolCounters struct {
	last                          redis.PoolStats
	hits, misses, waits, timeouts int64
	waitNs                        int64
	idle                          int64
}

// add folds one sample in: a counter that grew by d since the last
// sample adds d, modulo 2^32; one that went down (a node left) adds
// nothing and is followed from its new value.
func (p *poolCounters) add(s *redis.PoolStats) {
	cur := flatten(s)
	p.hits += delta32(p.last.Hits, cur.Hits)
	p.misses += delta32(p.last.Misses, cur.Misses)
	p.waits += delta32(p.last.WaitCount, cur.WaitCount)
	p.timeouts += delta32(p.last.Timeouts, cur.Timeouts)
	if d := cur.WaitDurationNs - p.last.WaitDurationNs; d > 0 {
		p.waitNs += d
	}
	p.idle = int64(cur.IdleConns)
	p.last = cur
}

// delta32 is how far a wrapping uint32 counter moved forward, or 0 when it
// moved back by less than half its range.
func delta32(prev, cur uint32) int64 {
	d := cur - prev
	if int32(d) < 0 {
		return 0
	}
	return int64(d)
}

// flatten adds the pipeline pool's counters to the command pool's.
func flatten(s *redis.PoolStats) redis.PoolStats {
	out := redis.PoolStats{Hits: s.Hits, Misses: s.Misses, Timeouts: s.Timeouts,
		WaitCount: s.WaitCount, WaitDurationNs: s.WaitDurationNs, IdleConns: s.IdleConns}
	if p := s.PipelineStats; p != nil {
		out.Hits += p.Hits
		out.Misses += p.Misses
		out.Timeouts += p.Timeouts
		out.WaitCount += p.WaitCount
		out.WaitDurationNs += p.WaitDurationNs
		out.IdleConns += p.IdleConns
	}
	return out
}

// samplePool reads go-redis's counters and folds them in.
func (m *monitor) samplePool() poolCounters {
	m.poolMu.Lock()
	defer m.poolMu.Unlock()
	if m.poolStats != nil {
		m.pool.add(m.poolStats())
	}
	return m.pool
}

// stats returns the snapshot.
func (m *monitor) stats() Stats {
	p := m.samplePool()
	var s Stats
	closes := m.closes.Snapshot() // before the dials: Open never negative
	m.dials.AddTo(&s.ConnStats)
	closes.AddTo(&s.ConnStats)
	s.Open = s.Opened - closes.Total()
	s.Idle = min(max(p.idle-m.zombies.Load(), 0), s.Open)
	s.InUse = s.Open - s.Idle
	s.Acquisitions = p.hits + p.misses
	s.Reused = p.hits
	s.WaitCount = p.waits
	s.WaitDuration = time.Duration(p.waitNs)
	s.Timeouts = p.timeouts
	s.PoolSize = int64(m.Tuning().PoolSize)
	s.Reaped = m.reaped.Load()
	return s
}
