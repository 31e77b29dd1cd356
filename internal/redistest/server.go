package redistest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServerBin is where Debian installs redis-server.
const ServerBin = "/usr/bin/redis-server"

// Fixed ports, outside the small ephemeral ranges namespace tests use; the
// next PortTries ports are tried when one is taken.
const (
	BasePort        = 26379
	BaseClusterPort = 21000
	PortTries       = 40
)

// StartTimeout bounds a server's start.
const StartTimeout = 30 * time.Second

// RequireEnv, set to 1, turns a skip for a missing server into a failure.
const RequireEnv = "KEEPCONN_REQUIRE_SERVERS"

// ErrNotInstalled is wrapped by Start errors when redis-server is missing;
// the message names the Debian package to install.
var ErrNotInstalled = errors.New("keepconn/redistest: redis-server not installed: install the Debian package redis-server")

// Options tune a server. The zero value is a plain server on the first
// free port from BasePort.
type Options struct {
	// Port is the TCP port on 127.0.0.1; zero means the first free one
	// from BasePort (BaseClusterPort for cluster nodes).
	Port int
	// TLS makes the server speak TLS only, on Port, with a certificate
	// generated for 127.0.0.1; Server.TLSConfig trusts it.
	TLS bool
	// Settings are further lines of the server's configuration file,
	// "name value": for example {"timeout": "2"}, or {"rename-command":
	// `CONFIG ""`} to refuse CONFIG as managed services do.
	Settings map[string]string

	cluster  bool
	sentinel bool
}

// Server is a running redis-server. Stop it when done.
type Server struct {
	// Host and Port are where it listens.
	Host string
	Port int
	// Dir is its temporary directory (log, cluster config, certificate).
	Dir string
	// TLSConfig, for a TLS server, is a client configuration that trusts
	// its certificate; nil otherwise.
	TLSConfig *tls.Config

	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// Addr is "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Start starts a redis-server as opts says. Without the binary the error
// wraps ErrNotInstalled. When another process takes the port first, the
// next free port is tried.
func Start(opts Options) (*Server, error) {
	if _, err := os.Stat(ServerBin); err != nil {
		return nil, fmt.Errorf("%w (%s: %v)", ErrNotInstalled, ServerBin, err)
	}
	base := BasePort
	if opts.cluster {
		base = BaseClusterPort
	}
	for tries := 0; ; tries++ {
		port, err := freePort(opts.Port, base, opts.cluster)
		if err != nil {
			return nil, err
		}
		s, err := start(opts, port)
		if !errors.Is(err, errPortTaken) || opts.Port != 0 || tries == PortTries {
			return s, err
		}
		base = port + 1
	}
}

// errPortTaken: the server could not listen on its port.
var errPortTaken = errors.New("keepconn/redistest: port taken")

func start(opts Options, port int) (*Server, error) {
	dir, err := os.MkdirTemp("", "keepconn-redis-")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", Port: port, Dir: dir, exited: make(chan struct{})}
	args, err := s.args(opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cmd = exec.Command(ServerBin, args...)
	s.cmd.Dir = dir
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	if err := s.waitReady(ctx); err != nil {
		log := s.Log()
		if strings.Contains(log, "Address already in use") || strings.Contains(log, "Failed listening") {
			err = fmt.Errorf("%w: %v", errPortTaken, err)
		}
		err = fmt.Errorf("%w\n%s", err, log)
		s.Stop()
		return nil, err
	}
	return s, nil
}

// args writes the server's configuration file and returns the command
// line that loads it. Values are written as given: {"rename-command":
// `CONFIG ""`} disables CONFIG.
func (s *Server) args(opts Options) ([]string, error) {
	set := map[string]string{
		"bind": "127.0.0.1", "save": `""`, "appendonly": "no",
		"dir": s.Dir, "logfile": filepath.Join(s.Dir, "redis.log"),
		"port": strconv.Itoa(s.Port), "maxclients": "10000",
		"daemonize": "no", "protected-mode": "no",
	}
	if opts.TLS {
		cfg, files, err := writeCert(s.Dir)
		if err != nil {
			return nil, err
		}
		s.TLSConfig = cfg
		set["port"], set["tls-port"] = "0", strconv.Itoa(s.Port)
		set["tls-cert-file"], set["tls-key-file"], set["tls-ca-cert-file"] = files[0], files[1], files[0]
		set["tls-auth-clients"] = "no"
	}
	if opts.cluster {
		set["cluster-enabled"], set["cluster-config-file"] = "yes", filepath.Join(s.Dir, "nodes.conf")
	}
	for k, v := range opts.Settings {
		set[k] = v
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var conf strings.Builder
	for _, k := range keys {
		conf.WriteString(k + " " + set[k] + "\n")
	}
	path := filepath.Join(s.Dir, "redis.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o600); err != nil {
		return nil, err
	}
	if opts.sentinel {
		return []string{path, "--sentinel"}, nil
	}
	return []string{path}, nil
}

// waitReady waits until the server answers, and checks that the one
// answering is this process (its INFO process_id): another test binary's
// server can hold the port while this one fails to listen on it.
func (s *Server) waitReady(ctx context.Context) error {
	// First the log line written once the port is bound ("Running
	// mode=standalone, port=…"), so that no probe reaches a server of
	// another test binary that holds the port while this one fails.
	for !strings.Contains(s.Log(), "Running mode=") {
		select {
		case <-ctx.Done():
			return fmt.Errorf("keepconn/redistest: %s: no \"Running mode\" in the log (%w)", s.Addr(), ctx.Err())
		case <-s.exited:
			return fmt.Errorf("keepconn/redistest: redis-server exited before listening on %s", s.Addr())
		case <-time.After(10 * time.Millisecond):
		}
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		pid, err := s.Info(rctx, "process_id")
		cancel()
		if err == nil && pid == int64(s.cmd.Process.Pid) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("keepconn/redistest: %s not answering as process %d: %v (%w)", s.Addr(), s.cmd.Process.Pid, err, ctx.Err())
		case <-s.exited:
			return fmt.Errorf("keepconn/redistest: redis-server exited before answering on %s", s.Addr())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s) and removes its
// directory. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			s.stopErr = errors.New("keepconn/redistest: redis-server did not stop within 10 s; killed")
		}
		if err := os.RemoveAll(s.Dir); err != nil && s.stopErr == nil {
			s.stopErr = err
		}
	})
	return s.stopErr
}

// Log returns the tail of the server's log, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freePort returns port, or the first port from base nothing listens on
// (and, for a cluster node, whose bus port + 10000 is free too).
func freePort(port, base int, cluster bool) (int, error) {
	if port != 0 {
		return port, nil
	}
	for p := base; p < base+PortTries; p++ {
		if portFree(p) && (!cluster || portFree(p+10000)) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("keepconn/redistest: ports %d-%d all taken", base, base+PortTries-1)
}

func portFree(p int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// StartT starts a server for one test and stops it when the test ends.
// Without the binary it skips the test, or fails it when
// KEEPCONN_REQUIRE_SERVERS=1; any other error fails it.
func StartT(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		SkipOrFail(t, err)
		return nil
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping redis-server: %v", err)
		}
	})
	return s
}

// SkipOrFail skips t for a missing server (ErrNotInstalled) unless
// KEEPCONN_REQUIRE_SERVERS=1, and fails it for any other error.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNotInstalled) && os.Getenv(RequireEnv) != "1" {
		t.Skipf("%v (set %s=1 to make this a failure)", err, RequireEnv)
	}
	t.Fatalf("redistest: %v", err)
}

// Installed reports whether redis-server is installed.
func Installed() bool {
	_, err := os.Stat(ServerBin)
	return err == nil
}
