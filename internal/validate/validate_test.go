package validate

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/keepconn/keepconn"
)

func TestChecks(t *testing.T) {
	cases := []struct {
		err  error
		want string // "" means no error
	}{
		{NonNegative("x.Config.A", -1), "x.Config.A = -1: must not be negative"},
		{NonNegative("x.Config.A", 0), ""},
		{Positive("x.Config.B", 0), "x.Config.B = 0: must be positive"},
		{Positive("x.Config.B", math.MaxInt64), ""},
		{AtMost("x.Config.C", time.Duration(math.MaxInt64), time.Hour), "must be at most 1h0m0s"},
		{AtMost("x.Config.D", 128, 127), "x.Config.D = 128: must be at most 127"},
		{AtMost("x.Config.D", math.MinInt64, -5), ""},
		{AtMost("x.Config.E", 6, -5), "must be at most -5"},
	}
	for i, c := range cases {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("%d: unexpected %v", i, c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("%d: got %v, want %q", i, c.err, c.want)
		}
		var ce *keepconn.ConfigError
		if c.err != nil && !errors.As(c.err, &ce) {
			t.Errorf("%d: %T is not a *keepconn.ConfigError", i, c.err)
		}
	}
	if First(nil, Positive("f", 0), NonNegative("g", -1)).Error() != Positive("f", 0).Error() {
		t.Error("First does not return the first error")
	}
	if First(nil, nil) != nil {
		t.Error("First of nils is not nil")
	}
}
