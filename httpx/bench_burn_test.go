package httpx_test

import (
	"net/http"

	"github.com/keepconn/keepconn/internal/benchpair"
)

// burnTransport spends a known amount of CPU on the calling goroutine
// before each request (benchpair.Burner). Over "traced" it is a
// calibration: its ratio to "traced" is what that much client CPU per
// request measures as, which puts the other ratios of the paired
// benchmark in microseconds of work.
type burnTransport struct {
	base http.RoundTripper
	cpu  benchpair.Burner
}

func (t burnTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.cpu.Burn()
	return t.base.RoundTrip(req)
}
