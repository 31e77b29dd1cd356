package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/keepconn/keepconn/examples/internal/axis"
	"os"
	"slices"
	"sync"
	"time"
)

// point is one sample of the run: per client, the TIME_WAIT sockets
// towards its server and its locally-closed connections so far (-1: no
// series of its own).
type point struct {
	at     time.Duration
	tw     []float64
	closes []float64
}

// recorder samples the service's own metrics while the workload runs.
type recorder struct {
	names  []string
	mu     sync.Mutex
	points []point
	done   chan struct{}
}

// startRecorder gathers the service's metrics every interval until ctx is
// done.
func startRecorder(ctx context.Context, s *service, every time.Duration) *recorder {
	r := &recorder{done: make(chan struct{})}
	for _, c := range s.clients(nil) {
		r.names = append(r.names, c.name)
	}
	start := time.Now()
	go func() {
		defer close(r.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			r.sample(s, time.Since(start))
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *recorder) sample(s *service, at time.Duration) {
	mfs, err := s.registry.Gather()
	if err != nil {
		return
	}
	f := fromFamilies(mfs)
	p := point{at: at}
	for _, c := range s.clients(nil) {
		p.tw = append(p.tw, f.sum(promTimeWait, c.dest))
		n, ok := c.activeCloses(f)
		if !ok {
			n = -1
		}
		p.closes = append(p.closes, n)
	}
	r.mu.Lock()
	r.points = append(r.points, p)
	r.mu.Unlock()
}

var colors = []string{"#d62728", "#1f77b4", "#ff7f0e", "#9467bd", "#2ca02c"}

// chart geometry: two plots stacked, TIME_WAIT above, close rate below.
const (
	svgW, svgLeft, svgRight = 900, 80, 200
	plotH, plotGap, svgTop  = 220, 80, 84
)

// writeSVG draws the samples: TIME_WAIT per destination, and
// locally-closed connections per second per client against the
// sustainable rate of one source address towards one destination.
func (r *recorder) writeSVG(path string, o options, mode string) error {
	<-r.done
	r.mu.Lock()
	pts := r.points
	r.mu.Unlock()
	if len(pts) < 2 {
		return fmt.Errorf("-svg: %d samples; run longer than -sample", len(pts))
	}
	// The axis ends at the run's end; the last sample, taken as the run
	// ends, may be a few milliseconds later.
	maxT := axis.CeilSeconds(min(pts[len(pts)-1].at.Seconds(), o.duration.Seconds()))
	rates := closeRates(pts)
	h := svgTop + 2*plotH + plotGap + 50
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, h, svgW, h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	fmt.Fprintf(&b, `<text x="%d" y="26" font-size="16" font-weight="bold">keepconn metrics of examples/metrics, %s configuration</text>`+"\n", svgLeft, mode)
	fmt.Fprintf(&b, `<text x="%d" y="46" fill="#444">bursts of %d requests per client every %s, loopback; read from its own /metrics every %s</text>`+"\n", svgLeft, o.burst, o.gap, o.sample)
	tw := make([][]float64, len(r.names))
	for _, p := range pts {
		for i, v := range p.tw {
			tw[i] = append(tw[i], v)
		}
	}
	plot(&b, svgTop, "keepconn_tcp_time_wait per destination", "TIME_WAIT sockets", pts, maxT, tw, -1)
	plot(&b, svgTop+plotH+plotGap, "rate(keepconn_connection_closed_total{keepconn_close_side=\"active\"}) per client", "closed by this host / s", pts, maxT, rates, sustainableDefault)
	for i, name := range r.names {
		ly, lx := svgTop+20+i*24, svgW-svgRight+16
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", lx, ly, lx+22, ly, colors[i%len(colors)])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", lx+28, ly+4, name)
		if !slices.ContainsFunc(rates[i], func(v float64) bool { return v >= 0 }) {
			ly2 := svgTop + plotH + plotGap + 44 + i*16
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555" font-size="10">%s: no close series</text>`+"\n", lx, ly2, name)
		}
	}
	ly, lx := svgTop+plotH+plotGap+20, svgW-svgRight+16
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-dasharray="6 4" stroke-width="2"/>`+"\n", lx, ly, lx+22, ly)
	fmt.Fprintf(&b, `<text x="%d" y="%d">sustainable: 470/s</text>`+"\n", lx+28, ly+4)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">seconds since start</text>`+"\n", float64(svgLeft)+float64(svgW-svgLeft-svgRight)/2, h-12)
	b.WriteString("</svg>\n")
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// sustainableDefault is the default ephemeral range (28,232 ports) over
// the 60 s a TIME_WAIT lasts: new locally-closed connections per second
// one source address can open towards one destination for ever.
const sustainableDefault = 28232.0 / 60

// closeRates turns cumulative closes into per-second rates between
// samples; a client without series gets none.
func closeRates(pts []point) [][]float64 {
	out := make([][]float64, len(pts[0].closes))
	for i := range out {
		out[i] = append(out[i], -1)
		for j := 1; j < len(pts); j++ {
			a, b := pts[j-1].closes[i], pts[j].closes[i]
			dt := (pts[j].at - pts[j-1].at).Seconds()
			if a < 0 || b < 0 || dt <= 0 {
				out[i] = append(out[i], -1)
				continue
			}
			out[i] = append(out[i], (b-a)/dt)
		}
	}
	return out
}

// plot draws one set of lines (negative values are gaps) in a box at top;
// ref > 0 adds a dashed reference line.
func plot(b *bytes.Buffer, top int, title, ylabel string, pts []point, maxT float64, lines [][]float64, ref float64) {
	pw, ph := float64(svgW-svgLeft-svgRight), float64(plotH)
	maxV := max(ref, 1)
	for _, l := range lines {
		for _, v := range l {
			maxV = max(maxV, v)
		}
	}
	yTop := axis.Ceil(maxV)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", svgLeft, top-8, escape(title))
	for i := 0; i <= 5; i++ {
		y := float64(top) + ph - ph*float64(i)/5
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", svgLeft, y, float64(svgLeft)+pw, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n", svgLeft-6, y+4, yTop*float64(i)/5)
		x := float64(svgLeft) + pw*float64(i)/5
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x, top, x, float64(top)+ph)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`+"\n", x, float64(top)+ph+16, float64(int(maxT*float64(i)/5*100+0.5))/100)
	}
	fmt.Fprintf(b, `<text transform="translate(22 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", float64(top)+ph/2, escape(ylabel))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", svgLeft, top, pw, ph)
	xy := func(t, v float64) (float64, float64) {
		return float64(svgLeft) + pw*t/maxT, float64(top) + ph - ph*v/yTop
	}
	if ref > 0 {
		x0, y := xy(0, ref)
		x1, _ := xy(maxT, ref)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333" stroke-dasharray="6 4" stroke-width="2"/>`+"\n", x0, y, x1, y)
	}
	for i, l := range lines {
		var seg bytes.Buffer
		flush := func() {
			if seg.Len() > 0 {
				fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", colors[i%len(colors)], seg.String())
				seg.Reset()
			}
		}
		for j, v := range l {
			if v < 0 {
				flush()
				continue
			}
			x, y := xy(pts[j].at.Seconds(), v)
			fmt.Fprintf(&seg, "%.1f,%.1f ", x, y)
		}
		flush()
	}
}

func escape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
