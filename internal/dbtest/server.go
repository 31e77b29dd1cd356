package dbtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Kind names a database server.
type Kind string

// The servers this package starts.
const (
	KindPostgres Kind = "postgresql"
	KindMariaDB  Kind = "mariadb"
)

// Fixed ports the servers listen on, outside the small ephemeral ranges
// namespace tests use; the next PortTries ports are tried when one is
// taken.
const (
	BasePostgresPort = 25432
	BaseMariaDBPort  = 23306
	PortTries        = 20
)

// StartTimeout bounds a server's start.
const StartTimeout = 60 * time.Second

// Options tune a server. The zero value is a server for churn tests.
type Options struct {
	// Port is the TCP port on 127.0.0.1; zero means the first free one
	// from the kind's base port.
	Port int
	// MaxConnections is the server's connection limit; zero means 400.
	MaxConnections int
	// Settings are further server settings: "-c name=value" for
	// PostgreSQL, "--name=value" for MariaDB.
	Settings map[string]string
}

// Server is a running database server. Stop it when done.
type Server struct {
	Kind Kind
	// Host and Port are where it listens (TCP).
	Host string
	Port int
	// Dir is its temporary directory (data, socket, log).
	Dir string

	stopOnce sync.Once
	stop     func() error
	lock     *os.File // holds Port against other dbtest processes
	stopErr  error
	logPath  string
}

// Addr is "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Stop stops the server and removes its directory. It is safe to call
// more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopErr = s.stop()
		if err := os.RemoveAll(s.Dir); err != nil && s.stopErr == nil {
			s.stopErr = err
		}
		if s.lock != nil {
			s.lock.Close()
		}
	})
	return s.stopErr
}

// Log returns the tail of the server's log, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// ErrNotInstalled is wrapped by Start errors when the server's binaries are
// missing; the message names the Debian package to install.
var ErrNotInstalled = errors.New("keepconn/dbtest: server not installed")

// ErrNotRoot is wrapped by Start errors when the process is not root: the
// servers run as their own system users (postgres, mysql).
var ErrNotRoot = errors.New("keepconn/dbtest: starting a server needs root (it runs as its own system user)")

// Start starts a server of kind k.
func Start(k Kind, opts Options) (*Server, error) {
	switch k {
	case KindPostgres:
		return StartPostgres(opts)
	case KindMariaDB:
		return StartMariaDB(opts)
	}
	return nil, fmt.Errorf("keepconn/dbtest: unknown server kind %q", k)
}

// tempDirFor makes a temporary directory owned by the named system user.
func tempDirFor(prefix, owner string) (string, *credential, error) {
	if os.Geteuid() != 0 {
		return "", nil, ErrNotRoot
	}
	u, err := user.Lookup(owner)
	if err != nil {
		return "", nil, fmt.Errorf("%w: no system user %q: %v", ErrNotInstalled, owner, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, &credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// run runs a command to completion, as cred when not nil.
func run(ctx context.Context, cred *credential, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	if cred != nil {
		runAs(cmd, cred)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("keepconn/dbtest: %s: %w\n%s", name, err, out.Bytes())
	}
	return nil
}

// freePort returns opts.Port, or the first port from base that no other
// dbtest server holds (a lock file per port, so that test processes
// starting servers at the same time never pick the same one) and nothing
// listens on. The lock is held until the returned file is closed.
func freePort(opts Options, base int) (int, *os.File, error) {
	if opts.Port != 0 {
		return opts.Port, nil, nil
	}
	for p := base; p < base+PortTries; p++ {
		lock, ok := lockPort(p)
		if !ok {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			ln.Close()
			return p, lock, nil
		}
		lock.Close()
	}
	return 0, nil, fmt.Errorf("keepconn/dbtest: ports %d-%d all taken", base, base+PortTries-1)
}

// lockPort takes the lock file of port p, without waiting.
func lockPort(p int) (*os.File, bool) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), fmt.Sprintf("keepconn-dbtest-%d.lock", p)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// waitTCP waits until something accepts on addr.
func waitTCP(ctx context.Context, addr string, exited <-chan struct{}) error {
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("keepconn/dbtest: %s not accepting: %w", addr, ctx.Err())
		case <-exited:
			return fmt.Errorf("keepconn/dbtest: server exited before accepting on %s", addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func maxConns(opts Options) int {
	if opts.MaxConnections > 0 {
		return opts.MaxConnections
	}
	return 400
}

// abandon cleans up after a server that never started.
func (s *Server) abandon() {
	os.RemoveAll(s.Dir)
	if s.lock != nil {
		s.lock.Close()
	}
}
