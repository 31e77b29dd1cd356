package dialer

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// Every numeric Config field at zero, negative and the maximum of its
// type either works as documented or is a ConfigError naming the field
// and the value.
func TestConfigNumericLimits(t *testing.T) {
	const maxDur = time.Duration(math.MaxInt64)
	await := func(c Config) Config { c.AwaitPeerClose = time.Second; return c }
	cases := []struct {
		name  string
		cfg   Config
		field string // "" when the value must work
	}{
		{"ConnectTimeout 0: no limit", Config{ConnectTimeout: 0}, ""},
		{"ConnectTimeout negative", Config{ConnectTimeout: -1}, "ConnectTimeout"},
		{"ConnectTimeout max", Config{ConnectTimeout: maxDur}, ""},
		{"ConnectTimeout max, with a plan", Config{ConnectTimeout: maxDur, SourceAddrs: addrs("127.0.0.1")}, ""},
		{"KeepAlive.Idle 0: default", Config{KeepAlive: KeepAlive{Idle: 0}}, ""},
		{"KeepAlive.Idle negative", Config{KeepAlive: KeepAlive{Idle: -1}}, "KeepAlive.Idle"},
		{"KeepAlive.Idle max", Config{KeepAlive: KeepAlive{Idle: maxDur}}, "KeepAlive.Idle"},
		{"KeepAlive.Idle kernel max", Config{KeepAlive: KeepAlive{Idle: maxKeepAliveTime}}, ""},
		{"KeepAlive.Interval negative", Config{KeepAlive: KeepAlive{Interval: -1}}, "KeepAlive.Interval"},
		{"KeepAlive.Interval max", Config{KeepAlive: KeepAlive{Interval: maxDur}}, "KeepAlive.Interval"},
		{"KeepAlive.Count 0: the kernel's", Config{KeepAlive: KeepAlive{Count: 0}}, ""},
		{"KeepAlive.Count negative", Config{KeepAlive: KeepAlive{Count: -1}}, "KeepAlive.Count"},
		{"KeepAlive.Count max", Config{KeepAlive: KeepAlive{Count: math.MaxInt}}, "KeepAlive.Count"},
		{"UserTimeout 0: off", Config{UserTimeout: 0}, ""},
		{"UserTimeout negative", Config{UserTimeout: -1}, "UserTimeout"},
		{"UserTimeout max", Config{UserTimeout: maxDur}, "UserTimeout"},
		{"UserTimeout kernel max", Config{UserTimeout: maxUserTimeout}, ""},
		{"LingerTimeout 0 with CloseLinger", Config{Close: CloseLinger}, "LingerTimeout"},
		{"LingerTimeout negative", Config{Close: CloseLinger, LingerTimeout: -time.Second}, "LingerTimeout"},
		{"LingerTimeout max", Config{Close: CloseLinger, LingerTimeout: maxDur}, "LingerTimeout"},
		{"LingerTimeout max whole seconds", Config{Close: CloseLinger, LingerTimeout: maxDur / time.Second * time.Second}, "LingerTimeout"},
		{"LingerTimeout MaxLingerTimeout", Config{Close: CloseLinger, LingerTimeout: MaxLingerTimeout}, ""},
		{"AwaitPeerClose 0: off", Config{AwaitPeerClose: 0}, ""},
		{"AwaitPeerClose negative", Config{AwaitPeerClose: -1}, "AwaitPeerClose"},
		{"AwaitPeerClose max", Config{AwaitPeerClose: maxDur}, ""},
		{"MaxAwaitingClose 0: default", await(Config{MaxAwaitingClose: 0}), ""},
		{"MaxAwaitingClose negative", await(Config{MaxAwaitingClose: -1}), "MaxAwaitingClose"},
		{"MaxAwaitingClose max", await(Config{MaxAwaitingClose: math.MaxInt}), ""},
		{"MaxAwaitingClose without AwaitPeerClose", Config{MaxAwaitingClose: 1}, "MaxAwaitingClose"},
		{"PortRange max", Config{PortRange: PortRange{math.MaxUint16, math.MaxUint16}}, ""},
		{"PortRange Low 0", Config{PortRange: PortRange{0, math.MaxUint16}}, "PortRange"},
	}
	srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.cfg)
			if tc.field != "" {
				assertConfigError(t, err, tc.field)
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer d.Close()
			if !tc.cfg.PortRange.IsZero() {
				return // a range above the system's: built, not dialed here
			}
			c, err := d.Dial("tcp", srv.addr())
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			if err := c.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if tc.cfg.AwaitPeerClose == maxDur {
				time.Sleep(10 * time.Millisecond)
				if s := d.Stats(); s.AwaitingClose != 1 || s.AwaitTimeouts != 0 {
					t.Fatalf("stats %+v: the longest wait must still be waiting, not overflow into the past", s)
				}
			}
		})
	}
}

func assertConfigError(t *testing.T, err error, name string) {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "dialer.Config."+name {
		t.Fatalf("error %v, want a ConfigError for dialer.Config.%s", err, name)
	}
	if msg := err.Error(); !strings.Contains(msg, "dialer.Config."+name) || !strings.Contains(msg, fmt.Sprint(ce.Value)) {
		t.Fatalf("message %q does not name the field and the value %v", msg, ce.Value)
	}
}
