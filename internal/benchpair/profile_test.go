package benchpair

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"
)

// With ProfileEnv set, Run writes a CPU profile whose samples carry the
// label of the variant whose block ran, in goroutines the block started
// too. (A pprof profile is a gzipped protocol buffer whose string table
// holds every label key and value of its samples: a name that no sample
// carries is not in it.)
func TestProfileLabelsVariants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	t.Setenv(ProfileEnv, path)
	inGoroutine := func(op func()) func() {
		return func() {
			var wg sync.WaitGroup
			wg.Go(op)
			wg.Wait()
		}
	}
	testing.Benchmark(func(b *testing.B) {
		Run(b, 5,
			Serial("alpha-variant", func() { spin(2 * time.Millisecond) }),
			Serial("beta-variant", inGoroutine(func() { spin(2 * time.Millisecond) })))
	})
	strs := profileStrings(t, path)
	for _, want := range []string{"variant", "alpha-variant", "beta-variant"} {
		if !bytes.Contains(strs, []byte(want)) {
			t.Errorf("the profile has no %q", want)
		}
	}
}

// Without ProfileEnv, Run neither profiles nor labels; when it cannot
// start the profile (another one runs), it fails naming the variable.
func TestProfileOffAndRefused(t *testing.T) {
	if p := profileFromEnv(); p != nil {
		t.Fatalf("profiler %+v without %s", p, ProfileEnv)
	}
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		t.Skip("a CPU profile runs already:", err)
	}
	defer pprof.StopCPUProfile()
	p := &profiler{path: filepath.Join(t.TempDir(), "cpu.prof")}
	err := p.start()
	if err == nil || !strings.Contains(err.Error(), ProfileEnv) {
		t.Fatalf("start while another profile runs: %v, want an error naming %s", err, ProfileEnv)
	}
}

// profileStrings is the uncompressed profile at path.
func profileStrings(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
