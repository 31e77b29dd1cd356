package dbtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// MariaDB binaries, as Debian installs them.
const (
	MariaDBServer    = "/usr/sbin/mariadbd"
	MariaDBInstallDB = "/usr/bin/mariadb-install-db"
)

// MariaDBUser is the password-less user with every privilege that
// StartMariaDB creates, at 127.0.0.1.
const MariaDBUser = "keepconn"

const mariaInit = `CREATE USER IF NOT EXISTS 'keepconn'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'keepconn'@'127.0.0.1' WITH GRANT OPTION;
`

// StartMariaDB installs a MariaDB data directory in a temporary directory
// and starts the server on 127.0.0.1 as the user mysql. Without the
// binaries the error wraps ErrNotInstalled.
func StartMariaDB(opts Options) (*Server, error) {
	for _, bin := range []string{MariaDBServer, MariaDBInstallDB} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("%w: %s missing: install the Debian package mariadb-server", ErrNotInstalled, bin)
		}
	}
	port, lock, err := freePort(opts, BaseMariaDBPort)
	if err != nil {
		return nil, err
	}
	dir, cred, err := tempDirFor("keepconn-mariadb-", "mysql")
	if err != nil {
		lock.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	data, initFile := filepath.Join(dir, "data"), filepath.Join(dir, "init.sql")
	s := &Server{Kind: KindMariaDB, Host: "127.0.0.1", Port: port, Dir: dir, lock: lock, logPath: filepath.Join(dir, "error.log")}
	s.stop = func() error { return nil }
	// A private tmpdir: installs running at once in /tmp collide on the
	// names of their temporary tables.
	tmp := filepath.Join(dir, "tmp")
	if err := mkdirOwned(tmp, cred); err != nil {
		s.abandon()
		return nil, err
	}
	if err := run(ctx, nil, MariaDBInstallDB, "--user=mysql", "--datadir="+data, "--tmpdir="+tmp,
		"--auth-root-authentication-method=normal", "--skip-test-db"); err != nil {
		s.abandon()
		return nil, err
	}
	if err := writeOwned(initFile, mariaInit, cred); err != nil {
		s.abandon()
		return nil, err
	}
	cmd := exec.Command(MariaDBServer, mariaArgs(opts, dir, data, initFile, s)...)
	if err := cmd.Start(); err != nil {
		s.abandon()
		return nil, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.stop = func() error { return stopProcess(cmd, exited) }
	if err := waitTCP(ctx, s.Addr(), exited); err != nil {
		err = fmt.Errorf("%w\n%s", err, s.Log())
		s.Stop()
		return nil, err
	}
	return s, nil
}

func mariaArgs(opts Options, dir, data, initFile string, s *Server) []string {
	set := map[string]string{
		"user": "mysql", "datadir": data, "port": strconv.Itoa(s.Port),
		"bind-address": "127.0.0.1", "socket": filepath.Join(dir, "mysql.sock"),
		"pid-file": filepath.Join(dir, "mariadb.pid"), "log-error": s.logPath,
		"init-file": initFile, "max-connections": strconv.Itoa(maxConns(opts)),
		"innodb-buffer-pool-size": "32M", "tmpdir": filepath.Join(dir, "tmp"),
	}
	for k, v := range opts.Settings {
		set[k] = v
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := []string{"--no-defaults"} // must come first
	for _, k := range keys {
		args = append(args, "--"+k+"="+set[k])
	}
	return append(args, "--skip-name-resolve", "--skip-log-bin")
}

func mkdirOwned(path string, cred *credential) error {
	if err := os.Mkdir(path, 0o700); err != nil {
		return err
	}
	return os.Chown(path, int(cred.Uid), int(cred.Gid))
}

func writeOwned(path, content string, cred *credential) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Chown(path, int(cred.Uid), int(cred.Gid))
}

// stopProcess asks the server to shut down (SIGTERM) and waits; after 30 s
// it kills it.
func stopProcess(cmd *exec.Cmd, exited <-chan struct{}) error {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("keepconn/dbtest: server did not stop within 30 s; killed")
	}
}

// MySQLDSN is a go-sql-driver/mysql DSN for MariaDBUser over TCP.
func (s *Server) MySQLDSN() string {
	return fmt.Sprintf("%s@tcp(%s)/", MariaDBUser, s.Addr())
}
