package httpx_test

import (
	"errors"
	"math"
	"net/http"
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
