package main

import (
	"net/http"

	"github.com/keepconn/keepconn/httpx"
)

// aCase is one client under test. client returns the client and a
// function that releases it.
type aCase struct {
	name     string
	readBody bool
	client   func() (*http.Client, func())
}

func cases() []aCase {
	return []aCase{
		{"http.DefaultClient", true, func() (*http.Client, func()) {
			return http.DefaultClient, http.DefaultClient.CloseIdleConnections
		}},
		{"default, bodies unread", false, func() (*http.Client, func()) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			return &http.Client{Transport: tr}, tr.CloseIdleConnections
		}},
		{"keep-alive disabled", true, func() (*http.Client, func()) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.DisableKeepAlives = true
			return &http.Client{Transport: tr}, tr.CloseIdleConnections
		}},
		{"httpx, bodies unread", false, func() (*http.Client, func()) {
			tr := httpx.MustNew(httpx.Config{})
			return &http.Client{Transport: tr}, func() { tr.Close() }
		}},
	}
}
