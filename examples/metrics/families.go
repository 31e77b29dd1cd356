package main

import (
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one exposed series: its labels and value.
type sample struct {
	labels map[string]string
	value  float64
}

// families maps each series name as PromQL sees it (a histogram's
// name_bucket, name_sum and name_count separately) to its samples.
type families map[string][]sample

// parseText reads the Prometheus text exposition format.
func parseText(r io.Reader) (families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	return fromFamilies(slices.Collect(maps.Values(mfs))), nil
}

// fromFamilies flattens gathered metric families.
func fromFamilies(mfs []*dto.MetricFamily) families {
	f := families{}
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				f.add(name, labels, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				f.add(name, labels, m.GetGauge().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				f.add(name+"_count", labels, float64(h.GetSampleCount()))
				f.add(name+"_sum", labels, h.GetSampleSum())
				for _, b := range h.GetBucket() {
					f.add(name+"_bucket", with(labels, "le", formatFloat(b.GetUpperBound())), float64(b.GetCumulativeCount()))
				}
				f.add(name+"_bucket", with(labels, "le", "+Inf"), float64(h.GetSampleCount()))
			default:
				f.add(name, labels, m.GetUntyped().GetValue())
			}
		}
	}
	return f
}

func (f families) add(name string, labels map[string]string, v float64) {
	f[name] = append(f[name], sample{labels: labels, value: v})
}

func with(labels map[string]string, k, v string) map[string]string {
	out := maps.Clone(labels)
	out[k] = v
	return out
}

func formatFloat(v float64) string { return model.SampleValue(v).String() }

// sum adds the values of name's samples whose labels include match.
func (f families) sum(name string, match map[string]string) float64 {
	var total float64
	for _, s := range f.matching(name, match) {
		total += s.value
	}
	return total
}

// matching returns name's samples whose labels include match.
func (f families) matching(name string, match map[string]string) []sample {
	var out []sample
next:
	for _, s := range f[name] {
		for k, v := range match {
			if s.labels[k] != v {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// labelNames returns every label name name's samples carry, sorted.
func (f families) labelNames(name string) []string {
	set := map[string]bool{}
	for _, s := range f[name] {
		for k := range s.labels {
			set[k] = true
		}
	}
	out := slices.Collect(maps.Keys(set))
	sort.Strings(out)
	return out
}

// names returns the series names with the given prefix, sorted.
func (f families) names(prefix string) []string {
	var out []string
	for n := range f {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
