package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// opsDir holds the dashboard and the alert rules.
const opsDir = "../../ops"

var (
	dashboardFile  = filepath.Join(opsDir, "grafana", "keepconn.json")
	alertsFile     = filepath.Join(opsDir, "prometheus", "keepconn-alerts.yml")
	alertTestsFile = filepath.Join(opsDir, "prometheus", "keepconn-alerts_test.yml")
)

// exportedBy names the series that only some clients export, and which:
// absent from a scrape where that client did not run, they are logged, not
// failed. Every pool exports the same names (package telemetry's
// PoolInstruments), so none is listed now.
var exportedBy = map[string]string{}

// scrapeLabels are added by Prometheus when it scrapes, or by the
// histogram's exposition, not by the exporter's attributes.
var scrapeLabels = map[string]bool{"job": true, "instance": true, "le": true}

// query is one PromQL expression of the dashboard or the rules.
type query struct {
	where string // "panel 3 \"title\" A", "alert KeepconnPortBudgetHigh"
	expr  string
}

// dashboardVars replaces the dashboard's template variables by values a
// plain PromQL parser accepts.
var dashboardVars = strings.NewReplacer(
	"$__rate_interval", "5m", "$job", ".*", "$instance", ".*", "$ports", "28232", "$sources", "1")

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

// dashboardQueries parses the dashboard and returns its panels'
// expressions, template variables substituted.
func dashboardQueries(t *testing.T) []query {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.Title == "" || d.UID == "" {
		t.Fatalf("%s: title %q uid %q", dashboardFile, d.Title, d.UID)
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	for _, want := range []string{"datasource", "job", "instance", "ports", "sources"} {
		if !slices.Contains(vars, want) {
			t.Errorf("dashboard: no template variable %q (have %v)", want, vars)
		}
	}
	var qs []query
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 || p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %d %q: %d targets, datasource %+v", p.ID, p.Title, len(p.Targets), p.Datasource)
			}
			for _, tg := range p.Targets {
				qs = append(qs, query{fmt.Sprintf("panel %d %q %s", p.ID, p.Title, tg.RefID), dashboardVars.Replace(tg.Expr)})
			}
		}
	}
	walk(d.Panels)
	if len(qs) == 0 {
		t.Fatal("dashboard: no queries")
	}
	return qs
}

// alertQueries returns the expressions of the shipped rules.
func alertQueries(t *testing.T) []query {
	t.Helper()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf struct {
		Groups []struct {
			Rules []struct {
				Alert, Record, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var qs []query
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			qs = append(qs, query{"alert " + r.Alert + r.Record, r.Expr})
		}
	}
	if len(qs) == 0 {
		t.Fatal("no rules")
	}
	return qs
}

// promtool returns promtool's path; without it the test skips, unless
// KEEPCONN_REQUIRE_SERVERS=1.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("KEEPCONN_REQUIRE_SERVERS") == "1" {
			t.Fatalf("promtool not found (KEEPCONN_REQUIRE_SERVERS=1): install the Debian package prometheus")
		}
		t.Skip("promtool not found: install the Debian package prometheus (apt-get install prometheus)")
	}
	return p
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// checkPromQL has promtool parse every expression, as recording rules of a
// generated rules file.
func checkPromQL(t *testing.T, qs []query) {
	t.Helper()
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, q := range qs {
		expr, _ := json.Marshal(q.expr) // a JSON string is a YAML string
		fmt.Fprintf(&b, "      # %s\n      - record: dashboard:query_%d\n        expr: %s\n", strings.ReplaceAll(q.where, "\n", " "), i, expr)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard-rules.yml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, dir, "check", "rules", "dashboard-rules.yml")
}

var (
	stringLit   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchers    = regexp.MustCompile(`\{([^}]*)\}`)
	matcherName = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	labelLists  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	ranges      = regexp.MustCompile(`\[[^\]]*\]`)
	identifier  = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`)
	keywords    = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"group_left": true, "group_right": true, "inf": true, "nan": true}
)

// namesAndLabels picks the series names and the label names out of a
// PromQL expression: enough for the expressions of ops/, which use no
// label_replace and no @ modifiers.
func namesAndLabels(expr string) (names, labels []string) {
	e := stringLit.ReplaceAllString(expr, `""`)
	for _, m := range matchers.FindAllStringSubmatch(e, -1) {
		for _, n := range matcherName.FindAllStringSubmatch(m[1], -1) {
			labels = append(labels, n[1])
		}
	}
	e = matchers.ReplaceAllString(e, " ")
	for _, m := range labelLists.FindAllStringSubmatch(e, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
	}
	e = labelLists.ReplaceAllString(e, " ")
	e = ranges.ReplaceAllString(e, " ")
	for _, id := range identifier.FindAllString(e, -1) {
		if strings.HasSuffix(id, "(") {
			continue // a function or an aggregation
		}
		if id = strings.TrimSpace(id); !keywords[strings.ToLower(id)] {
			names = append(names, id)
		}
	}
	slices.Sort(names)
	slices.Sort(labels)
	return slices.Compact(names), slices.Compact(labels)
}

// checkNamesExported fails for every series name or label of qs that the
// scrape f lacks (but for exportedBy's of clients not in ran). A label must be carried by a series of one of the names
// of its own expression.
func checkNamesExported(t *testing.T, f families, qs []query, ran map[string]bool) {
	t.Helper()
	for _, q := range qs {
		names, labels := namesAndLabels(q.expr)
		if len(names) == 0 && !strings.HasPrefix(q.expr, "vector(") {
			t.Errorf("%s: no metric name found in %s", q.where, q.expr)
		}
		have := map[string]bool{}
		absent := 0 // names allowed to be missing, and missing
		for _, n := range names {
			if len(f[n]) == 0 {
				if c, ok := exportedBy[n]; ok && !ran[c] {
					t.Logf("%s: no %s without a %s client", q.where, n, c)
					absent++
					continue
				}
				t.Errorf("%s: /metrics has no series %s (has %v)", q.where, n, f.names(strings.SplitN(n, "_", 2)[0]+"_"))
				continue
			}
			for _, l := range f.labelNames(n) {
				have[l] = true
			}
		}
		if absent == len(names) {
			continue // nothing here to carry the labels
		}
		for _, l := range labels {
			if !have[l] && !scrapeLabels[l] {
				t.Errorf("%s: no series of %v carries label %s", q.where, names, l)
			}
		}
	}
}
