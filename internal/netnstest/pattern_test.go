package netnstest

import "testing"

func TestChildPattern(t *testing.T) {
	for _, tc := range []struct{ name, parent, want string }{
		{"BenchmarkDial", "", "^BenchmarkDial$"},
		{"BenchmarkDial", ".", "^BenchmarkDial$"},
		{"BenchmarkDecode", "^BenchmarkDecode$/^netlink$", "^BenchmarkDecode$/^netlink$"},
		{"BenchmarkDial/net.Dialer", "^BenchmarkDial$/^net\\.Dialer$", "^BenchmarkDial$/^net\\.Dialer$"},
		{"BenchmarkRT", "RT/serial/(httpx|tuned)", "^BenchmarkRT$/serial/(httpx|tuned)"},
		{"BenchmarkRT", "RT/[/]x", "^BenchmarkRT$/[/]x"},
		{"BenchmarkRT", `RT\/x/y`, `^BenchmarkRT$/y`},
		{"BenchmarkRT", "RT/a|Other/b", "^BenchmarkRT$"},
		{"TestX/sub", "TestX/sub/leaf", "^TestX$/^sub$/leaf"},
	} {
		if got := childPattern(tc.name, tc.parent); got != tc.want {
			t.Errorf("childPattern(%q, %q) = %q, want %q", tc.name, tc.parent, got, tc.want)
		}
	}
}

func TestQuickRaceExit(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"A=1"}, "GORACE=atexit_sleep_ms=0"},
		{[]string{"GORACE=halt_on_error=1", "A=1"}, "GORACE=halt_on_error=1 atexit_sleep_ms=0"},
		{[]string{"GORACE=atexit_sleep_ms=50"}, "GORACE=atexit_sleep_ms=50"},
	} {
		got := quickRaceExit(append([]string(nil), tc.env...))
		n := 0
		for _, kv := range got {
			if len(kv) > 7 && kv[:7] == "GORACE=" {
				n++
				if kv != tc.want {
					t.Errorf("quickRaceExit(%q) sets %q, want %q", tc.env, kv, tc.want)
				}
			}
		}
		if n != 1 {
			t.Errorf("quickRaceExit(%q) = %q: %d GORACE entries, want 1", tc.env, got, n)
		}
	}
}
