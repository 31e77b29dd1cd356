package netns

import (
	"reflect"
	"testing"
)

func TestSysctlsDefaultsAndOverrides(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want [][2]string
	}{
		{"zero config", Config{}, [][2]string{
			{"net.ipv4.tcp_rfc1337", "1"},
			{"net.ipv4.tcp_tw_reuse", "0"},
		}},
		{"port range and reuse", Config{PortLow: 40000, PortHigh: 40009, TWReuse: 2}, [][2]string{
			{"net.ipv4.ip_local_port_range", "40000 40009"},
			{"net.ipv4.tcp_rfc1337", "1"},
			{"net.ipv4.tcp_tw_reuse", "2"},
		}},
		{"Sysctls override the defaults", Config{Sysctls: map[string]string{
			"net.ipv4.tcp_rfc1337": "0", "net.core.somaxconn": "8192",
		}}, [][2]string{
			{"net.core.somaxconn", "8192"},
			{"net.ipv4.tcp_rfc1337", "0"},
			{"net.ipv4.tcp_tw_reuse", "0"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.sysctls(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("sysctls() = %v, want %v", got, tt.want)
			}
		})
	}
}
