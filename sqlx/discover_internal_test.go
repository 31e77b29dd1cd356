package sqlx

import (
	"testing"
	"time"
)

func TestParseIdleTimeout(t *testing.T) {
	cases := []struct {
		d    Dialect
		in   string
		want time.Duration
	}{
		{DialectMySQL, "28800", 8 * time.Hour},
		{DialectMySQL, "2", 2 * time.Second},
		{DialectMySQL, "2.500000", 2500 * time.Millisecond},
		{DialectPostgres, "0", 0},
		{DialectPostgres, "2s", 2 * time.Second},
		{DialectPostgres, "10min", 10 * time.Minute},
		{DialectPostgres, "1500ms", 1500 * time.Millisecond},
		{DialectPostgres, "1h", time.Hour},
		{DialectPostgres, "1d", 24 * time.Hour},
		{DialectPostgres, "250", 250 * time.Millisecond},
	}
	for _, c := range cases {
		got, err := parseIdleTimeout(c.d, c.in)
		if err != nil || got != c.want {
			t.Errorf("parseIdleTimeout(%d, %q) = %v, %v; want %v", c.d, c.in, got, err, c.want)
		}
	}
	if _, err := parseIdleTimeout(DialectPostgres, "soon"); err == nil {
		t.Errorf("parseIdleTimeout accepted %q", "soon")
	}
}

func TestSafeIdleTime(t *testing.T) {
	cases := []struct{ server, want time.Duration }{
		{8 * time.Hour, 8*time.Hour - IdleTimeoutMargin},
		{60 * time.Second, 55 * time.Second},
		{8 * time.Second, 6 * time.Second},
		{2 * time.Second, 700 * time.Millisecond},
		{time.Second, 500 * time.Millisecond},
	}
	for _, c := range cases {
		if got := safeIdleTime(c.server); got != c.want {
			t.Errorf("safeIdleTime(%s) = %s, want %s", c.server, got, c.want)
		}
	}
}

func TestEvaluateNoAdviceWhenIdleCapIsZero(t *testing.T) {
	now := time.Now()
	prev := sample{at: now.Add(-time.Second), maxIdle: 0, opened: -1, active: -1}
	cur := prev
	cur.at, cur.peakInUse = now, 50
	cur.db.MaxIdleClosed = 5000
	if r := evaluate(prev, cur, 100, 470); len(r.Advice) != 0 {
		t.Errorf("MaxIdle 0 on purpose got advice: %+v", r.Advice)
	}
	cur.maxIdle = 10
	if r := evaluate(prev, cur, 100, 470); len(r.Advice) != 2 || r.Advice[0].Suggested != 50 {
		t.Errorf("MaxIdle 10 under 50 in use: %+v, want MaxIdle -> 50 and the port budget warning", r.Advice)
	}
}
