//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/keepconn/keepconn/internal/dbtest"
)

// startPostgresServer starts a throwaway PostgreSQL 15 from the Debian
// binaries on 127.0.0.1 and returns its address, a connection URL and the
// function that stops it.
func startPostgresServer() (addr, url string, stop func() error, err error) {
	srv, err := dbtest.StartPostgres(dbtest.Options{})
	if err != nil {
		return "", "", nil, err
	}
	return srv.Addr(), srv.PostgresURL(), srv.Stop, nil
}

// postgresInstalled says why startPostgresServer cannot work here, or nil.
func postgresInstalled() error {
	initdb := filepath.Join(dbtest.PostgresBin, "initdb")
	if _, err := os.Stat(initdb); err != nil {
		return fmt.Errorf("%s missing: install the Debian package postgresql", initdb)
	}
	return nil
}
