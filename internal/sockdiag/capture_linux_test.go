package sockdiag

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag/twtest"
)

// captureEnv, set to 1, makes TestCaptureTestdata rewrite testdata/ from
// the running kernel: the netlink datagrams (answers to the v2 requests and
// to the compat one) and /proc/net/tcp{,6} of the scene TestDumpAndProcAgree
// builds, and the fuzz seed corpus cut from them.
const captureEnv = "KEEPCONN_CAPTURE_TESTDATA"

func TestCaptureTestdata(t *testing.T) {
	if os.Getenv(captureEnv) != "1" {
		t.Skipf("set %s=1 to recapture testdata from this kernel", captureEnv)
	}
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	netnstest.Run(t, nsConfig, func(t *testing.T) {
		ctx := context.Background()
		v4, _ := timeWaitScene(t, 7, 5, 3)
		open := dialOpen(t, v4, 2)
		defer func() {
			for _, c := range open {
				c.Close()
			}
		}()
		if n, err := twtest.Await(10*time.Second, 15, func() (int, error) { return countDump(ctx, TimeWait) }); n != 15 || err != nil {
			t.Fatalf("TIME_WAIT = %d, %v; want 15", n, err)
		}
		for _, c := range []struct {
			capture, seed string
			first         func(StateMask, uint32) []byte
		}{{captureV2, "real", nil}, {captureCompat, "real-compat", compatRequest}} {
			for i, g := range captureDump(t, c.first, Connected) {
				writeFile(t, filepath.Join(dir, fmt.Sprintf("%s-%d.bin", c.capture, i)), g)
				writeSeed(t, filepath.Join(dir, "fuzz", "FuzzParseDump", fmt.Sprintf("%s-%d", c.seed, i)), g)
			}
		}
		for _, name := range []string{"tcp", "tcp6"} {
			b, err := os.ReadFile("/proc/net/" + name)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "proc-"+name+".txt"), b)
			for i, line := range splitLines(b)[1:3] {
				writeSeed(t, filepath.Join(dir, "fuzz", "FuzzParseProcLine", fmt.Sprintf("real-%s-%d", name, i)), line)
			}
		}
	})
}

// captureDump runs Dump with first as firstRequest (nil: the v2 requests
// alone) and returns the datagrams it received.
func captureDump(t *testing.T, first func(StateMask, uint32) []byte, mask StateMask) [][]byte {
	t.Helper()
	var grams [][]byte
	defer func(old func(StateMask, uint32) []byte) { firstRequest, captureHook = old, nil }(firstRequest)
	firstRequest = first
	captureHook = func(b []byte) { grams = append(grams, append([]byte(nil), b...)) }
	if err := Dump(context.Background(), mask, func(Socket) {}); err != nil {
		t.Fatal(err)
	}
	return grams
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSeed writes b in the "go test fuzz v1" corpus format.
func writeSeed(t *testing.T, path string, b []byte) {
	t.Helper()
	writeFile(t, path, fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b))
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		out = append(out, b[:min(i+1, len(b))])
		b = b[min(i+1, len(b)):]
	}
	return out
}
