package dialer

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestNewRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name  string
		cfg   Config
		field string
		value string // must appear in the message
	}{
		{"source not on this host", Config{SourceAddrs: addrs("127.0.0.1", "192.0.2.7")}, "SourceAddrs[1]", "192.0.2.7"},
		{"duplicate source", Config{SourceAddrs: addrs("127.0.0.1", "127.0.0.1")}, "SourceAddrs[1]", "127.0.0.1"},
		{"duplicate source, mapped", Config{SourceAddrs: addrs("127.0.0.1", "::ffff:127.0.0.1")}, "SourceAddrs[1]", "127.0.0.1"},
		{"unspecified source", Config{SourceAddrs: addrs("0.0.0.0")}, "SourceAddrs[0]", "0.0.0.0"},
		{"invalid source", Config{SourceAddrs: []netip.Addr{{}}}, "SourceAddrs[0]", "invalid IP"},
		{"Low above High", Config{PortRange: PortRange{5000, 4000}}, "PortRange", "{5000 4000}"},
		{"Low zero", Config{PortRange: PortRange{0, 4000}}, "PortRange", "{0 4000}"},
		{"High zero", Config{PortRange: PortRange{4000, 0}}, "PortRange", "{4000 0}"},
		{"negative connect timeout", Config{ConnectTimeout: -time.Second}, "ConnectTimeout", "-1s"},
		{"negative keepalive idle", Config{KeepAlive: KeepAlive{Idle: -1}}, "KeepAlive.Idle", "-1ns"},
		{"negative keepalive interval", Config{KeepAlive: KeepAlive{Interval: -time.Minute}}, "KeepAlive.Interval", "-1m0s"},
		{"negative keepalive count", Config{KeepAlive: KeepAlive{Count: -3}}, "KeepAlive.Count", "-3"},
		{"negative user timeout", Config{UserTimeout: -time.Millisecond}, "UserTimeout", "-1ms"},
		{"linger without CloseLinger", Config{LingerTimeout: time.Second}, "LingerTimeout", "1s"},
		{"CloseLinger without timeout", Config{Close: CloseLinger}, "LingerTimeout", "0s"},
		{"CloseLinger with a fraction", Config{Close: CloseLinger, LingerTimeout: 1500 * time.Millisecond}, "LingerTimeout", "1.5s"},
		{"keepalive count over the kernel's 127", Config{KeepAlive: KeepAlive{Count: 128}}, "KeepAlive.Count", "128"},
		{"keepalive idle over the kernel's limit", Config{KeepAlive: KeepAlive{Idle: 10 * time.Hour}}, "KeepAlive.Idle", "10h0m0s"},
		{"keepalive interval over the kernel's limit", Config{KeepAlive: KeepAlive{Interval: 10 * time.Hour}}, "KeepAlive.Interval", "10h0m0s"},
		{"keepalive tuned but disabled", Config{DisableKeepAlive: true, KeepAlive: KeepAlive{Count: 3}}, "KeepAlive", "{0s 0s 3}"},
		{"user timeout below a millisecond", Config{UserTimeout: time.Microsecond}, "UserTimeout", "1µs"},
		{"user timeout over an int of ms", Config{UserTimeout: 30 * 24 * time.Hour}, "UserTimeout", "720h0m0s"},
		{"unknown close mode", Config{Close: CloseMode(9)}, "Close", "CloseMode(9)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.cfg)
			if err == nil {
				d.Close()
				t.Fatalf("New accepted %+v", tc.cfg)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != "dialer.Config."+tc.field {
				t.Fatalf("error %v (%T), want a *ConfigError for field %s", err, err, tc.field)
			}
			msg := err.Error()
			if !strings.Contains(msg, "dialer.Config."+tc.field) || !strings.Contains(msg, tc.value) {
				t.Fatalf("message %q does not name Config.%s and the value %s", msg, tc.field, tc.value)
			}
		})
	}
}

func TestNewAcceptsGoodConfig(t *testing.T) {
	cfgs := []Config{
		{},
		{Close: CloseAbortive},
		{Close: CloseLinger, LingerTimeout: 3 * time.Second},
		{PortRange: PortRange{1, 65535}},
		{SourceAddrs: addrs("127.0.0.1", "::1", "127.0.0.2")},
	}
	for _, cfg := range cfgs {
		d, err := New(cfg)
		if err != nil {
			t.Fatalf("New(%+v): %v", cfg, err)
		}
		d.Close()
	}
}

func TestNewCopiesSourceAddrs(t *testing.T) {
	src := addrs("127.0.0.1")
	d := mustNew(t, Config{SourceAddrs: src})
	src[0] = netip.MustParseAddr("192.0.2.1")
	if got := d.cfg.SourceAddrs[0]; got != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("the dialer's sources changed with the caller's slice: %v", got)
	}
}

func TestUnsupportedNetwork(t *testing.T) {
	d := mustNew(t, Config{})
	_, err := d.Dial("udp", "127.0.0.1:53")
	if err == nil || !strings.Contains(err.Error(), `"udp"`) {
		t.Fatalf("Dial(udp) = %v, want an error naming the network", err)
	}
	if s := d.Stats(); s.DialErrors != 1 {
		t.Fatalf("DialErrors = %d, want 1", s.DialErrors)
	}
}
