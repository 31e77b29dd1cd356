package redisdemo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/alicebob/miniredis/v2"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/examples/timewait/internal/table"
	"github.com/keepconn/keepconn/internal/redistest"
	"github.com/keepconn/keepconn/redisx"
	"github.com/redis/go-redis/v9"
)

// Options say what the demo runs. The zero value runs 200 bursts of 50
// concurrent GETs per case against the first server found.
type Options struct {
	// Bursts and Concurrency shape the load: Bursts rounds of Concurrency
	// concurrent GETs, each round after the previous one ended. Zero
	// means 200 and 50.
	Bursts, Concurrency int
	// Addr points the demo at the user's server (host:port, no password).
	// Empty: start one (see the package doc).
	Addr string
	// Server picks what to start without Addr: "redis-server",
	// "miniredis", or empty for the first available in that order.
	Server string
	// Where describes the network namespace, for the header; empty:
	// nothing.
	Where string
}

// MiniredisPort is the first port the in-process miniredis servers
// listen on (one per case, on 127.0.0.1): fixed ports outside the demo
// namespace's ephemeral range.
const MiniredisPort = 26390

// target is the server one case runs against.
type target struct {
	label string
	addr  netip.AddrPort
	stop  func()
}

// Run runs the three cases and prints the table to w. Each case gets a
// server of its own (a port of its own), so the TIME_WAITs one case
// leaves on the client cannot block the next; against the user's server
// (Options.Addr) they share it.
func Run(ctx context.Context, w io.Writer, opts Options) error {
	if opts.Bursts == 0 {
		opts.Bursts = 200
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 50
	}
	cases := []struct {
		name string
		run  func(context.Context, *target, Options) (table.Row, error)
	}{
		{"conn per command", perCommand},
		{"go-redis Pool 10/Idle 2", plainPool},
		{"keepconn redisx", redisxPool},
	}
	for i, c := range cases {
		tg, err := pickTarget(opts, i)
		if err != nil {
			return err
		}
		defer tg.stop() // kept to the end: the next case gets the next port
		if i == 0 {
			fmt.Fprintf(w, "server: %s\n", tg.label)
			table.PrintHeader(w, table.Header{Requests: opts.Bursts * opts.Concurrency, Concurrency: opts.Concurrency,
				Detail: fmt.Sprintf("%d bursts of GET", opts.Bursts), Where: opts.Where, Unit: "commands", RateTitle: "cmd/s"})
		}
		row, err := measure(ctx, tg, opts, c.run)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		row.Index, row.Name = i+1, c.name
		table.PrintRow(w, row)
	}
	table.PrintFooter(w, table.Footer{Notes: footer(opts)})
	return nil
}

func footer(opts Options) []string {
	notes := []string{
		"new conns: dials through a keepconn dialer. 1: a go-redis client per command, closed after it (as scripts do);",
		"2: redis.Options{PoolSize: 10, MaxIdleConns: 2}; 3: the same options through redisx.NewClient (idle cap raised",
		"to PoolSize, QUIT before each close so the server keeps the TIME_WAIT). TIME_WAIT counts are the growth during",
		"each case; outside a private namespace (-port-range) the host's tcp_tw_reuse lets connect() take over",
		"TIME_WAIT ports, so they can read low.",
	}
	if opts.Addr != "" {
		return append(notes, "All cases ran against your server: one case's TIME_WAITs block ports towards it for the next.")
	}
	return append(notes, "Each case ran against a server of its own, on the next port: one case's TIME_WAITs do not block the next.")
}

// pickTarget returns the server for case i.
func pickTarget(opts Options, i int) (*target, error) {
	if opts.Addr != "" {
		ap, err := netip.ParseAddrPort(opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("-addr %q: want ip:port: %w", opts.Addr, err)
		}
		return &target{label: "your Redis at " + opts.Addr, addr: ap, stop: func() {}}, nil
	}
	if opts.Server == "" || opts.Server == "redis-server" {
		s, err := redistest.Start(redistest.Options{})
		switch {
		case err == nil:
			return &target{label: "redis-server (installed binary, temporary directory) at " + s.Addr(),
				addr: netip.MustParseAddrPort(s.Addr()), stop: func() { s.Stop() }}, nil
		case opts.Server != "" || !errors.Is(err, redistest.ErrNotInstalled):
			return nil, err
		}
	}
	if opts.Server != "" && opts.Server != "miniredis" {
		return nil, fmt.Errorf("unknown server %q: want redis-server or miniredis", opts.Server)
	}
	mr := miniredis.NewMiniRedis()
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), MiniredisPort+uint16(i))
	if err := mr.StartAddr(addr.String()); err != nil {
		return nil, err
	}
	return &target{label: "miniredis in process at " + addr.String() +
		" (no redis-server installed: a Go implementation of the protocol, not Redis)",
		addr: addr, stop: mr.Close}, nil
}

// measure runs one case between two TIME_WAIT listings.
func measure(ctx context.Context, tg *target, opts Options, run func(context.Context, *target, Options) (table.Row, error)) (table.Row, error) {
	cli0, srv0, _ := table.TimeWait(ctx, tg.addr)
	row, err := run(ctx, tg, opts)
	if err != nil {
		return row, err
	}
	cli, srv, _ := table.TimeWait(ctx, tg.addr)
	// TIME_WAITs of earlier cases can be taken over meanwhile (the host's
	// tcp_tw_reuse): a count going down means nothing of this case.
	row.TimeWaitClient, row.TimeWaitServer = max(0, cli-cli0), max(0, srv-srv0)
	row.Reused = max(0, row.OK-row.NewConns)
	return row, nil
}

// perCommand opens a go-redis client per command and closes it after.
func perCommand(ctx context.Context, tg *target, opts Options) (table.Row, error) {
	d, err := dialer.New(dialer.Config{})
	if err != nil {
		return table.Row{}, err
	}
	defer d.Close()
	row := load(ctx, opts, func(ctx context.Context) error {
		c := redis.NewClient(&redis.Options{Addr: tg.addr.String(), Dialer: d.DialContext,
			PoolSize: 2, MaxRetries: -1, DialerRetries: 1})
		defer c.Close()
		return c.Get(ctx, "k").Err()
	})
	row.NewConns = d.Stats().Opened
	return row, nil
}

// plainPool is go-redis with PoolSize 10 / MaxIdleConns 2.
func plainPool(ctx context.Context, tg *target, opts Options) (table.Row, error) {
	d, err := dialer.New(dialer.Config{})
	if err != nil {
		return table.Row{}, err
	}
	defer d.Close()
	c := redis.NewClient(&redis.Options{Addr: tg.addr.String(), Dialer: d.DialContext, PoolSize: 10, MaxIdleConns: 2})
	row := load(ctx, opts, func(ctx context.Context) error { return c.Get(ctx, "k").Err() })
	c.Close()
	row.NewConns = d.Stats().Opened
	return row, nil
}

// redisxPool is the same options through redisx.
func redisxPool(ctx context.Context, tg *target, opts Options) (table.Row, error) {
	c, err := redisx.NewClient(&redis.Options{Addr: tg.addr.String(), PoolSize: 10, MaxIdleConns: 2}, redisx.Config{})
	if err != nil {
		return table.Row{}, err
	}
	row := load(ctx, opts, func(ctx context.Context) error { return c.Get(ctx, "k").Err() })
	c.Close()
	row.NewConns = c.Stats().Opened
	return row, nil
}

// load runs the bursts and returns the row's command figures. A missing
// key (redis.Nil) is a successful GET.
func load(ctx context.Context, opts Options, do func(context.Context) error) table.Row {
	return table.Bursts(ctx, opts.Bursts, opts.Concurrency, do, func(err error) bool { return errors.Is(err, redis.Nil) })
}
