package redisx

import (
	"context"
	"crypto/tls"
	"maps"
	"net"
	"slices"

	"github.com/keepconn/keepconn/internal/validate"
	"github.com/redis/go-redis/v9"
)

// dialFunc is the type of the Dialer field of every go-redis options type.
type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// optionFields is what redisx reads and sets in a go-redis options value,
// whatever its type: the pool fields it tunes, the dial fields it takes
// over, and the name of the deployment (its first address, or its master).
type optionFields struct {
	pool    poolFields
	dialer  *dialFunc
	network string
	tls     *tls.Config
	name    string
}

// monitorFor checks the options' dial fields, makes the monitor that
// tunes their pool fields (validating cfg and them), and points their
// Dialer at the monitor's keepconn dialer.
func monitorFor(cfg Config, of optionFields) (*monitor, error) {
	if err := checkDial(of.pool.kind, *of.dialer != nil, of.network); err != nil {
		return nil, err
	}
	m, err := newMonitor(cfg, of.pool, of.tls, of.name)
	if err != nil {
		return nil, err
	}
	*of.dialer = m.dial
	return m, nil
}

func clientFields(o *redis.Options) optionFields {
	return optionFields{
		pool: poolFields{kind: "redis.Options", poolSize: &o.PoolSize, minIdle: &o.MinIdleConns,
			maxIdle: &o.MaxIdleConns, pipelinePoolSize: &o.PipelinePoolSize,
			idleTime: &o.ConnMaxIdleTime, lifetime: &o.ConnMaxLifetime, jitter: &o.ConnMaxLifetimeJitter},
		dialer: &o.Dialer, network: o.Network, tls: o.TLSConfig, name: orDefault(o.Addr, "localhost:6379"),
	}
}

func failoverFields(o *redis.FailoverOptions) optionFields {
	return optionFields{
		pool: poolFields{kind: "redis.FailoverOptions", poolSize: &o.PoolSize, minIdle: &o.MinIdleConns,
			maxIdle: &o.MaxIdleConns, pipelinePoolSize: &o.PipelinePoolSize,
			idleTime: &o.ConnMaxIdleTime, lifetime: &o.ConnMaxLifetime, jitter: &o.ConnMaxLifetimeJitter},
		dialer: &o.Dialer, tls: o.TLSConfig, name: o.MasterName,
	}
}

func clusterFields(o *redis.ClusterOptions) optionFields {
	return optionFields{
		pool: poolFields{kind: "redis.ClusterOptions", poolSize: &o.PoolSize, minIdle: &o.MinIdleConns,
			maxIdle: &o.MaxIdleConns, pipelinePoolSize: &o.PipelinePoolSize,
			idleTime: &o.ConnMaxIdleTime, lifetime: &o.ConnMaxLifetime, jitter: &o.ConnMaxLifetimeJitter},
		dialer: &o.Dialer, tls: o.TLSConfig, name: first(o.Addrs),
	}
}

func ringFields(o *redis.RingOptions) optionFields {
	return optionFields{
		pool: poolFields{kind: "redis.RingOptions", poolSize: &o.PoolSize, minIdle: &o.MinIdleConns,
			maxIdle: &o.MaxIdleConns, pipelinePoolSize: &o.PipelinePoolSize,
			idleTime: &o.ConnMaxIdleTime, lifetime: &o.ConnMaxLifetime, jitter: &o.ConnMaxLifetimeJitter},
		dialer: &o.Dialer, tls: o.TLSConfig, name: first(slices.Sorted(maps.Values(o.Addrs))),
	}
}

func universalFields(o *redis.UniversalOptions) optionFields {
	return optionFields{
		pool: poolFields{kind: "redis.UniversalOptions", poolSize: &o.PoolSize, minIdle: &o.MinIdleConns,
			maxIdle: &o.MaxIdleConns, pipelinePoolSize: &o.PipelinePoolSize,
			idleTime: &o.ConnMaxIdleTime, lifetime: &o.ConnMaxLifetime, jitter: &o.ConnMaxLifetimeJitter},
		dialer: &o.Dialer, tls: o.TLSConfig, name: orDefault(o.MasterName, first(o.Addrs)),
	}
}

// checkDial rejects a Dialer of the user's (redisx dials) and networks
// other than TCP.
func checkDial(kind string, hasDialer bool, network string) error {
	if hasDialer {
		return validate.Error(kind+".Dialer", "func", "must be nil: redisx dials through keepconn")
	}
	switch network {
	case "", "tcp", "tcp4", "tcp6":
		return nil
	}
	return validate.Error(kind+".Network", network, "must be tcp, tcp4 or tcp6")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func first(addrs []string) string {
	if len(addrs) == 0 {
		return ""
	}
	return addrs[0]
}
