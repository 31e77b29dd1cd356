package dialer

import "testing"

func TestNarrowNetworkToTheSourcesFamily(t *testing.T) {
	cases := []struct {
		sources []string
		network string
		want    string
	}{
		{nil, "tcp", "tcp"},
		{[]string{"127.0.0.1"}, "tcp", "tcp4"},
		{[]string{"::1"}, "tcp", "tcp6"},
		{[]string{"127.0.0.1", "::1"}, "tcp", "tcp"},
		{[]string{"127.0.0.1"}, "tcp6", "tcp6"}, // the caller's choice stands
	}
	for _, tc := range cases {
		d := &Dialer{cfg: Config{SourceAddrs: addrs(tc.sources...)}}
		if err := d.initSources(); err != nil {
			t.Fatal(err)
		}
		if got := d.narrowNetwork(tc.network); got != tc.want {
			t.Errorf("sources %v, %q → %q, want %q", tc.sources, tc.network, got, tc.want)
		}
	}
}

// Each family walks its own sources: an IPv6 family with one source must
// not cut short an IPv4 family with four.
func TestPlanAdvancesEachFamilyOnItsOwn(t *testing.T) {
	d := &Dialer{cfg: Config{SourceAddrs: addrs("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "::1")}}
	if err := d.initSources(); err != nil {
		t.Fatal(err)
	}
	p := d.newPlan()
	var seen []string
	for {
		src, _ := p.fam[0].source(d.v4, p.srcStart)
		p.fam[1].source(d.v6, p.srcStart)
		seen = append(seen, src.addr.String())
		if !p.advance() {
			break
		}
	}
	if len(seen) != 4 {
		t.Fatalf("IPv4 sources tried %v, want all four", seen)
	}
}
