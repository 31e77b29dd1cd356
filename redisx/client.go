package redisx

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client is a go-redis client (a single server, or a failover client
// through Sentinel) whose every connection dials through a keepconn
// dialer. Every command method is *redis.Client's; pass Client.Client
// where a *redis.Client is wanted. Close it with Client.Close, which
// counts the closes it makes as Closed and stops the reaper; closing the
// embedded client directly leaves the reaper running and its closes
// counted as if go-redis had evicted them.
type Client struct {
	*redis.Client
	h *handle
}

// ClusterClient is a go-redis cluster client (or a failover cluster
// client) whose every connection, to every node, dials through a keepconn
// dialer. See Client.
type ClusterClient struct {
	*redis.ClusterClient
	h *handle
}

// Ring is a go-redis ring whose every connection dials through a keepconn
// dialer. See Client.
type Ring struct {
	*redis.Ring
	h *handle
}

// UniversalClient is the client redis.NewUniversalClient chooses, whose
// every connection dials through a keepconn dialer. See Client.
type UniversalClient struct {
	redis.UniversalClient
	h *handle
}

// NewClient returns a client for opt whose connections dial through a
// keepconn dialer configured by cfg, with pool settings that do not churn
// (see Tuning) and QUIT sent before each close. opt is not modified.
// opt.Dialer must be nil (redisx dials), opt.Network empty or TCP; with
// opt.TLSConfig set, redisx does the TLS handshake (go-redis skips it for
// a custom Dialer). Invalid settings are a *ConfigError.
func NewClient(opt *redis.Options, cfg Config) (*Client, error) {
	o := *opt
	m, err := monitorFor(cfg, clientFields(&o))
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(&o)
	return &Client{Client: c, h: start(m, c.PoolStats, c.Close, clientBackground(c))}, nil
}

// NewFailoverClient returns a Sentinel-backed failover client as
// redis.NewFailoverClient does, dialing masters, replicas and sentinels
// through a keepconn dialer. See NewClient.
func NewFailoverClient(opt *redis.FailoverOptions, cfg Config) (*Client, error) {
	o := *opt
	m, err := monitorFor(cfg, failoverFields(&o))
	if err != nil {
		return nil, err
	}
	c := redis.NewFailoverClient(&o)
	return &Client{Client: c, h: start(m, c.PoolStats, c.Close, clientBackground(c))}, nil
}

// NewClusterClient returns a cluster client as redis.NewClusterClient
// does, dialing every node through one keepconn dialer. The pool settings
// apply per node. See NewClient.
func NewClusterClient(opt *redis.ClusterOptions, cfg Config) (*ClusterClient, error) {
	o := *opt
	m, err := monitorFor(cfg, clusterFields(&o))
	if err != nil {
		return nil, err
	}
	c := redis.NewClusterClient(&o)
	return &ClusterClient{ClusterClient: c, h: start(m, c.PoolStats, c.Close, clusterBackground(c))}, nil
}

// NewFailoverClusterClient returns a Sentinel-backed cluster client as
// redis.NewFailoverClusterClient does. See NewClusterClient.
func NewFailoverClusterClient(opt *redis.FailoverOptions, cfg Config) (*ClusterClient, error) {
	o := *opt
	m, err := monitorFor(cfg, failoverFields(&o))
	if err != nil {
		return nil, err
	}
	c := redis.NewFailoverClusterClient(&o)
	return &ClusterClient{ClusterClient: c, h: start(m, c.PoolStats, c.Close, clusterBackground(c))}, nil
}

// NewRing returns a ring as redis.NewRing does, dialing every shard
// through one keepconn dialer. See NewClient.
func NewRing(opt *redis.RingOptions, cfg Config) (*Ring, error) {
	o := *opt
	m, err := monitorFor(cfg, ringFields(&o))
	if err != nil {
		return nil, err
	}
	c := redis.NewRing(&o)
	return &Ring{Ring: c, h: start(m, c.PoolStats, c.Close, ringBackground(c))}, nil
}

// NewUniversalClient returns the client redis.NewUniversalClient chooses
// for opt (cluster, failover or single), dialing through a keepconn
// dialer. See NewClient.
func NewUniversalClient(opt *redis.UniversalOptions, cfg Config) (*UniversalClient, error) {
	o := *opt
	m, err := monitorFor(cfg, universalFields(&o))
	if err != nil {
		return nil, err
	}
	uc := redis.NewUniversalClient(&o)
	var bg background
	var stats func() *redis.PoolStats
	switch c := uc.(type) {
	case *redis.ClusterClient:
		bg, stats = clusterBackground(c), c.PoolStats
	case *redis.Client:
		bg, stats = clientBackground(c), c.PoolStats
	case *redis.Ring:
		bg, stats = ringBackground(c), c.PoolStats
	}
	return &UniversalClient{UniversalClient: uc, h: start(m, stats, uc.Close, bg)}, nil
}

func clientBackground(c *redis.Client) background {
	return background{
		config: func(ctx context.Context) (map[string]string, error) { return c.ConfigGet(ctx, "timeout").Result() },
		warm:   func(ctx context.Context, n int, pace time.Duration) { warmClient(ctx, c, n, pace) },
	}
}

func ringBackground(c *redis.Ring) background {
	return background{
		config: func(ctx context.Context) (map[string]string, error) { return c.ConfigGet(ctx, "timeout").Result() },
		warm: func(ctx context.Context, n int, pace time.Duration) {
			c.ForEachShard(ctx, func(ctx context.Context, s *redis.Client) error { warmClient(ctx, s, n, pace); return nil })
		},
	}
}

func clusterBackground(c *redis.ClusterClient) background {
	return background{
		config: func(ctx context.Context) (map[string]string, error) { return c.ConfigGet(ctx, "timeout").Result() },
		warm: func(ctx context.Context, n int, pace time.Duration) {
			c.ForEachShard(ctx, func(ctx context.Context, s *redis.Client) error { warmClient(ctx, s, n, pace); return nil })
		},
	}
}

// handle ties a go-redis client to its monitor and closes both once.
type handle struct {
	m           *monitor
	closeClient func() error
	once        sync.Once
	err         error
}

func start(m *monitor, stats func() *redis.PoolStats, closeClient func() error, bg background) *handle {
	m.poolMu.Lock()
	m.poolStats = stats
	m.poolMu.Unlock()
	go m.run(bg)
	return &handle{m: m, closeClient: closeClient}
}

// close closes the go-redis client, counting its closes as Closed, stops
// the reaper, and waits for the pending goodbyes.
func (h *handle) close() error {
	h.once.Do(func() { h.err = h.m.close(h.closeClient) })
	return h.err
}
