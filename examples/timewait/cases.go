package main

import (
	"net/http"
	"time"

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
			return &http.Client{Transport: tr}, func() { closeAll(tr) }
		}},
	}
}

// closeAll closes the Transport's connections, waiting (up to a second)
// for those net/http has not yet put back in its idle pool after their
// bodies were drained: a close from this side, so each leaves a client
// TIME_WAIT the table counts.
func closeAll(tr *httpx.Transport) {
	deadline := time.Now().Add(time.Second)
	for tr.CloseIdleConnections(); tr.Stats().Open > 0 && time.Now().Before(deadline); tr.CloseIdleConnections() {
		time.Sleep(time.Millisecond)
	}
	tr.Close()
}
