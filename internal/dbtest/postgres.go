package dbtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// PostgresBin is where Debian installs the PostgreSQL 15 server binaries.
const PostgresBin = "/usr/lib/postgresql/15/bin"

// StartPostgres initialises a PostgreSQL 15 cluster in a temporary
// directory as the user postgres (trust authentication) and starts it on
// 127.0.0.1. Without the binaries the error wraps ErrNotInstalled.
func StartPostgres(opts Options) (*Server, error) {
	initdb := filepath.Join(PostgresBin, "initdb")
	if _, err := os.Stat(initdb); err != nil {
		return nil, fmt.Errorf("%w: %s missing: install the Debian package postgresql", ErrNotInstalled, initdb)
	}
	port, lock, err := freePort(opts, BasePostgresPort)
	if err != nil {
		return nil, err
	}
	dir, cred, err := tempDirFor("keepconn-pg-", "postgres")
	if err != nil {
		lock.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	data := filepath.Join(dir, "data")
	s := &Server{Kind: KindPostgres, Host: "127.0.0.1", Port: port, Dir: dir, lock: lock, logPath: filepath.Join(dir, "log")}
	s.stop = func() error { return pgStop(cred, data) }
	if err := run(ctx, cred, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-N"); err != nil {
		s.abandon()
		return nil, err
	}
	serverOpts := fmt.Sprintf("-k %s -h 127.0.0.1 -p %d %s", dir, port, pgSettings(opts))
	if err := run(ctx, cred, filepath.Join(PostgresBin, "pg_ctl"), "-D", data, "-o", serverOpts, "-l", s.logPath, "-w", "-t", "60", "start"); err != nil {
		err = fmt.Errorf("%w\n%s", err, s.Log())
		s.Stop()
		return nil, err
	}
	return s, nil
}

func pgSettings(opts Options) string {
	set := map[string]string{
		"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
		"max_connections": strconv.Itoa(maxConns(opts)), "shared_buffers": "32MB",
	}
	for k, v := range opts.Settings {
		set[k] = v
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := ""
	for _, k := range keys {
		out += fmt.Sprintf(" -c %s=%s", k, set[k])
	}
	return out
}

func pgStop(cred *credential, data string) error {
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	return run(ctx, cred, filepath.Join(PostgresBin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop")
}

// PostgresURL is a connection URL for the server's postgres user and
// database, for pgx and lib/pq: TLS off, so each connection is one dial.
func (s *Server) PostgresURL() string {
	return fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", s.Addr())
}
