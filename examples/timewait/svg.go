package main

import (
	"bytes"
	"fmt"
	"github.com/keepconn/keepconn/examples/internal/axis"
	"os"
	"time"
)

var colors = []string{"#d62728", "#ff7f0e", "#9467bd", "#2ca02c"}

// writeSVG draws the TIME_WAIT count over time, one line per case, each
// case's time starting at zero.
func writeSVG(path string, o options, results []*result) error {
	const w, h, left, right, top, bottom = 900, 460, 80, 250, 70, 60
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	maxT, maxTW := time.Duration(0), 1
	for _, r := range results {
		for _, s := range r.series {
			maxT, maxTW = max(maxT, s.at), max(maxTW, s.tw)
		}
	}
	maxT = time.Duration(axis.CeilSeconds(max(maxT, 100*time.Millisecond).Seconds()) * float64(time.Second))
	yTop := int(axis.Ceil(float64(maxTW)))
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	sub := fmt.Sprintf("%d GETs per client, %d concurrent, loopback", o.n, o.c)
	if inNetns() {
		sub += fmt.Sprintf("; private namespace with %d ephemeral ports, tcp_tw_reuse 0", o.portRange)
	}
	fmt.Fprintf(&b, `<text x="%d" y="26" font-size="16" font-weight="bold">TIME_WAIT sockets on this host, per client</text>`+"\n", left)
	fmt.Fprintf(&b, `<text x="%d" y="46" fill="#444">%s</text>`+"\n", left, sub)
	for i := 0; i <= 5; i++ {
		v := yTop * i / 5
		y := float64(top) + ph - ph*float64(i)/5
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y, float64(left)+pw, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%d</text>`+"\n", left-6, y+4, v)
	}
	for i := 0; i <= 5; i++ {
		x := float64(left) + pw*float64(i)/5
		sec := maxT.Seconds() * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x, top, x, float64(top)+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%g s</text>`+"\n", x, float64(top)+ph+18, float64(int(sec*100+0.5))/100)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">time since the case started</text>`+"\n", float64(left)+pw/2, h-14)
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">TIME_WAIT sockets added</text>`+"\n", float64(top)+ph/2)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	for i, r := range results {
		color := colors[i%len(colors)]
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="`, color)
		for _, s := range r.series {
			x := float64(left) + pw*s.at.Seconds()/maxT.Seconds()
			y := float64(top) + ph - ph*float64(s.tw)/float64(yTop)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		b.WriteString(`"/>` + "\n")
		ly := top + 20 + i*40
		lx := w - right + 14
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", lx, ly, lx+22, ly, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%d %s</text>`+"\n", lx+28, ly+4, i+1, r.name)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">%d conns, %d errors</text>`+"\n", lx+28, ly+20, r.newConns, r.errs)
	}
	b.WriteString("</svg>\n")
	return os.WriteFile(path, b.Bytes(), 0o644)
}
