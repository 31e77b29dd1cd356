package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/httpx"
)

// Every numeric field at 0, negative and the maximum of its type either
// works (a request goes through, its body closed unread so the drain
// arithmetic runs) or is a *ConfigError naming the field and the value.
func TestConfigNumericFields(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", 512, nil)
	type setter func(*httpx.Config, int64)
	fields := []struct {
		name string
		set  setter
	}{
		{"MaxConnsPerHost", func(c *httpx.Config, v int64) { c.MaxConnsPerHost = int(v) }},
		{"IdleConnTimeout", func(c *httpx.Config, v int64) { c.IdleConnTimeout = time.Duration(v) }},
		{"MaxConnLifetime", func(c *httpx.Config, v int64) { c.MaxConnLifetime = time.Duration(v) }},
		{"MaxConnLifetimeJitter", func(c *httpx.Config, v int64) {
			c.MaxConnLifetime, c.MaxConnLifetimeJitter = math.MaxInt64, time.Duration(v)
		}},
		{"ConnectTimeout", func(c *httpx.Config, v int64) { c.ConnectTimeout = time.Duration(v) }},
		{"DrainLimit", func(c *httpx.Config, v int64) { c.DrainLimit = v }},
		{"DrainTimeout", func(c *httpx.Config, v int64) { c.DrainTimeout = time.Duration(v) }},
		{"DialBackoff", func(c *httpx.Config, v int64) { c.DialBackoff, c.DialBackoffMax = time.Duration(v), math.MaxInt64 }},
		{"DialBackoffMax", func(c *httpx.Config, v int64) { c.DialBackoffMax = time.Duration(v) }},
	}
	for _, f := range fields {
		for _, v := range []int64{0, -1, math.MinInt64, math.MaxInt64} {
			var cfg httpx.Config
			f.set(&cfg, v)
			tr, err := httpx.New(cfg)
			if v < 0 {
				var ce *httpx.ConfigError
				if !errors.As(err, &ce) || tr != nil || ce.Field != "httpx.Config."+f.name {
					t.Errorf("%s = %d: err %v, want a ConfigError naming httpx.Config.%s", f.name, v, err, f.name)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s = %d: %v", f.name, v, err)
				continue
			}
			if err := get(t.Context(), &http.Client{Transport: tr}, ts.URL, false); err != nil {
				t.Errorf("%s = %d: request: %v", f.name, v, err)
			}
			if s := tr.Stats(); s.Drained != 1 || s.Opened != 1 {
				t.Errorf("%s = %d: %+v", f.name, v, s)
			}
			tr.Close()
		}
	}
}

func TestConfigRules(t *testing.T) {
	for _, c := range []struct {
		cfg   httpx.Config
		field string
	}{
		{httpx.Config{MaxConnLifetimeJitter: time.Second}, "httpx.Config.MaxConnLifetimeJitter"},
		{httpx.Config{DialBackoff: time.Minute, DialBackoffMax: time.Second}, "httpx.Config.DialBackoffMax"},
	} {
		_, err := httpx.New(c.cfg)
		var ce *keepconn.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("%+v: err %v, want a ConfigError for %s", c.cfg, err, c.field)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNew did not panic on an invalid Config")
		}
	}()
	httpx.MustNew(httpx.Config{MaxConnsPerHost: -1})
}

// A dial to a silent peer (a listener whose accept queue is full drops
// SYNs) ends at ConnectTimeout instead of hanging until the kernel gives
// up; the zero Config sets DefaultConnectTimeout, http.DefaultTransport's.
func TestConnectTimeout(t *testing.T) {
	if httpx.DefaultConnectTimeout != 30*time.Second {
		t.Fatalf("DefaultConnectTimeout = %v", httpx.DefaultConnectTimeout)
	}
	zero := httpx.MustNew(httpx.Config{})
	zero.Close()
	if zero.ConnectTimeout() != httpx.DefaultConnectTimeout {
		t.Fatalf("the zero Config's connect timeout is %v", zero.ConnectTimeout())
	}
	addr := silentListener(t)
	tr := httpx.MustNew(httpx.Config{ConnectTimeout: 300 * time.Millisecond})
	defer tr.Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := get(ctx, &http.Client{Transport: tr}, "http://"+addr+"/", true)
	if err == nil || ctx.Err() != nil || time.Since(start) > 10*time.Second {
		t.Fatalf("dial to a silent peer: %v after %v", err, time.Since(start))
	}
	if s := tr.Stats(); s.DialErrors != 1 {
		t.Fatalf("DialErrors = %d, want 1", s.DialErrors)
	}
}

// silentListener returns the address of a loopback listener with a
// backlog of 0 whose queue is filled, so that new SYNs go unanswered.
func silentListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue: connections that complete, never accepted.
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}
