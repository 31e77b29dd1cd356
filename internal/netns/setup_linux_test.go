package netns

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// childModeEnv makes the test binary act as a child: "setup" expects Setup
// to work, "refused" expects it to refuse.
const childModeEnv = "KEEPCONN_NETNS_TEST_CHILD"

// childConfig is what the children set up: a 10-port range, as the tests
// of the other packages do.
var childConfig = Config{PortLow: 40000, PortHigh: 40009}

// hostConfig differs from this machine's usual settings, so a write would
// show, yet would do no harm if one slipped through: a wide port range and
// TIME_WAIT reuse on.
var hostConfig = Config{PortLow: 32769, PortHigh: 60998, TWReuse: 1,
	Sysctls: map[string]string{"net.ipv4.tcp_fin_timeout": "59"}}

func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		os.Exit(childMain(mode))
	}
	goleak.VerifyTestMain(m)
}

func childMain(mode string) int {
	err := Setup(childConfig)
	switch {
	case mode == "refused" && errors.Is(err, ErrNotCreated):
		fmt.Println("refused:", err)
		return 3
	case mode == "setup" && err == nil:
		b, _ := os.ReadFile(sysctlPath("net.ipv4.ip_local_port_range"))
		fmt.Printf("configured: %s", b)
		return 0
	}
	fmt.Println("unexpected:", err)
	return 1
}

func TestSetupRefusesInHostNamespace(t *testing.T) {
	ownNS, err := os.Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer ownNS.Close()
	id, err := nsIDOf(ownNS)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := os.Open("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plainID, _ := nsIDOf(plain)
	for _, tc := range []struct{ name, proof string }{
		{"no proof", ""},
		{"garbage", "yes"},
		{"no such descriptor", fmt.Sprintf("%d:%d:%d", 1000, id.dev, id.ino)},
		{"not a namespace file", fmt.Sprintf("%d:%d:%d", plain.Fd(), plainID.dev, plainID.ino)},
		{"wrong inode", fmt.Sprintf("%d:%d:%d", ownNS.Fd(), id.dev, id.ino+1)},
		// The strongest forgery: a real descriptor on a real namespace,
		// named correctly — but it is this process's own namespace.
		{"own namespace", fmt.Sprintf("%d:%d:%d", ownNS.Fd(), id.dev, id.ino)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(creatorEnv, tc.proof)
			before := readSettings(t, hostConfig)
			t.Cleanup(func() { restoreSettings(t, before) })
			err := Setup(hostConfig)
			if !errors.Is(err, ErrNotCreated) {
				t.Fatalf("Setup in the host namespace with %s=%q: %v, want ErrNotCreated", creatorEnv, tc.proof, err)
			}
			if !strings.Contains(err.Error(), "refusing") {
				t.Errorf("error %q does not say it refuses", err)
			}
			if after := readSettings(t, hostConfig); after != before {
				t.Fatalf("host sysctls changed from %v to %v", before, after)
			}
			if _, err := ownNS.Stat(); err != nil {
				t.Fatalf("Setup closed a descriptor it did not prove: %v", err)
			}
		})
	}
}

func TestSetupInCreatedNamespace(t *testing.T) {
	requireNamespaces(t)
	before := readSettings(t, childConfig)
	out, err := runChild(t, "setup", Run)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("configured: 40000\t40009")) {
		t.Fatalf("child output %q, want the 40000-40009 range", out)
	}
	if after := readSettings(t, childConfig); after != before {
		t.Fatalf("host sysctls changed from %v to %v", before, after)
	}
}

// A child in a new namespace with a copied proof but without the
// descriptor — the environment variable alone — is refused.
func TestSetupRefusesEnvironmentAlone(t *testing.T) {
	requireNamespaces(t)
	f, err := os.Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	id, err := nsIDOf(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	envOnly := func(cmd *exec.Cmd) error {
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=3:%d:%d", creatorEnv, id.dev, id.ino))
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
		return cmd.Run()
	}
	out, err := runChild(t, "refused", envOnly)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("child: %v, want exit status 3 (refused)\n%s", err, out)
	}
}

func runChild(t *testing.T, mode string, run func(*exec.Cmd) error) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, "GORACE=atexit_sleep_ms=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := run(cmd)
	return out.Bytes(), err
}

func requireNamespaces(t *testing.T) {
	t.Helper()
	if reason := Unavailable(); reason != "" {
		if os.Getenv("KEEPCONN_REQUIRE_NETNS") == "1" {
			t.Fatalf("%s, and KEEPCONN_REQUIRE_NETNS=1", reason)
		}
		t.Skip(reason)
	}
}

// settings is a snapshot of the sysctls a config writes and of lo's
// addresses.
type settings string

func readSettings(t *testing.T, cfg Config) settings {
	t.Helper()
	var b strings.Builder
	for _, kv := range cfg.sysctls() {
		v, err := os.ReadFile(sysctlPath(kv[0]))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%q ", kv[0], v)
	}
	if ifc, err := net.InterfaceByName("lo"); err == nil {
		addrs, _ := ifc.Addrs()
		fmt.Fprintf(&b, "lo=%v", addrs)
	}
	return settings(b.String())
}

// restoreSettings undoes a write that should never have happened, so a
// failing test leaves the host as it found it.
func restoreSettings(t *testing.T, s settings) {
	for _, f := range strings.Fields(string(s)) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "lo" {
			continue
		}
		var val string
		if _, err := fmt.Sscanf(v, "%q", &val); err != nil {
			continue
		}
		if cur, _ := os.ReadFile(sysctlPath(k)); string(cur) != val {
			t.Logf("restoring %s to %q", k, val)
			os.WriteFile(sysctlPath(k), []byte(val), 0o644)
		}
	}
}

// AddAddr and DeleteAddr change nothing in a process that has not set up
// its own namespace: here, the host's.
func TestAddrChangesRefusedBeforeSetup(t *testing.T) {
	p := netip.MustParsePrefix("127.0.0.77/32")
	for name, change := range map[string]func(string, netip.Prefix) error{"AddAddr": AddAddr, "DeleteAddr": DeleteAddr} {
		if err := change("lo", p); !errors.Is(err, ErrNotCreated) {
			t.Errorf("%s in the host namespace: %v, want ErrNotCreated", name, err)
		}
	}
}
