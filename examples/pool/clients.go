package main

import (
	"bufio"
	"context"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/pool"
)

// pooled sends requests over a keepconn pool, through a dialer of its own.
type pooled struct {
	p *pool.Pool
	d *dialer.Dialer
}

func newPooled(cfg pool.Config) (*pooled, error) {
	d, err := dialer.New(dialer.Config{})
	if err != nil {
		return nil, err
	}
	cfg.Dial = d.DialContext
	p, err := pool.New(cfg)
	if err != nil {
		return nil, err
	}
	return &pooled{p: p, d: d}, nil
}

func (c *pooled) request(ctx context.Context, line string) error {
	conn, err := c.p.Acquire(ctx)
	if err != nil {
		return err
	}
	r, _ := conn.Value().(*bufio.Reader)
	if r == nil {
		r = bufio.NewReader(conn.NetConn()) // per-connection state wraps the net.Conn, not the acquisition
		conn.SetValue(r)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := exchange(conn.NetConn(), r, line); err != nil {
		conn.Destroy()
		return err
	}
	conn.Release()
	return nil
}

func (c *pooled) close(ctx context.Context) (opened, reused, active int64) {
	c.p.Close()
	c.d.Shutdown(ctx)
	s := c.p.Stats()
	return s.Opened, s.Reused, c.d.Stats().ActiveCloses
}

// perRequest opens a connection per request, as clients without a pool
// do; with quit it ends each with the protocol's goodbye before closing,
// as database drivers end theirs.
type perRequest struct {
	d    *dialer.Dialer
	addr string
	quit bool
}

func newPerRequest(addr string, cfg dialer.Config, quit bool) (*perRequest, error) {
	d, err := dialer.New(cfg)
	if err != nil {
		return nil, err
	}
	return &perRequest{d: d, addr: addr, quit: quit}, nil
}

func (c *perRequest) request(ctx context.Context, line string) error {
	conn, err := c.d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := exchange(conn, bufio.NewReader(conn), line); err != nil {
		return err
	}
	if c.quit {
		_, err = conn.Write([]byte("quit\n"))
	}
	return err
}

func (c *perRequest) close(ctx context.Context) (opened, reused, active int64) {
	c.d.Shutdown(ctx) // lets the closes waiting for the server's FIN end
	s := c.d.Stats()
	return s.Opened, 0, s.ActiveCloses
}
