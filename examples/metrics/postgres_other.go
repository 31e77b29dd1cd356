//go:build !unix

package main

import "errors"

var errNoPostgres = errors.New("starting PostgreSQL here needs a Unix system")

func startPostgresServer() (addr, url string, stop func() error, err error) {
	return "", "", nil, errNoPostgres
}

func postgresInstalled() error { return errNoPostgres }
