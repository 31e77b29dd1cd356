package httpx_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keepconn/keepconn/httpx"
)

// A 101 Switching Protocols response keeps its body an io.ReadWriteCloser,
// as net/http gives it (WebSocket clients assert it): a real upgrade on
// loopback, then an echo over the upgraded connection; closing it counts
// as the application's close.
func TestUpgradeBodyIsReadWriteCloser(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", 0, func(s *http.Server) {
		s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") != "echo" {
				http.Error(w, "want Upgrade: echo", http.StatusBadRequest)
				return
			}
			c, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			line, err := brw.ReadString('\n')
			if err == nil {
				io.WriteString(c, line)
			}
		})
	})
	tr := httpx.MustNew(httpx.Config{})
	defer tr.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, ts.URL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		t.Fatalf("101 body is a %T, not an io.ReadWriteCloser", resp.Body)
	}
	if _, err := io.WriteString(rwc, "ping\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(rwc).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("echo %q, %v", line, err)
	}
	rwc.Close()
	s := waitOpen(t, tr, 0)
	if s.Opened != 1 || s.Closed+s.PeerClosed != 1 || s.BrokenClosed != 0 || s.InUse != 0 {
		t.Fatalf("after the upgraded connection closed: %+v", s)
	}
}

// rfConn counts the ReadFrom calls that reach the TCP connection.
type rfConn struct {
	*net.TCPConn
	readFroms *atomic.Int64
}

func (c rfConn) ReadFrom(r io.Reader) (int64, error) {
	c.readFroms.Add(1)
	return c.TCPConn.ReadFrom(r)
}

// The connection wrapper keeps io.ReaderFrom: an upload of a file reaches
// the TCP connection's ReadFrom (sendfile), not a copy loop of Writes.
func TestUploadKeepsReaderFrom(t *testing.T) {
	ts := startServer(t, "127.0.0.1:0", 16, nil)
	var readFroms atomic.Int64
	base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return rfConn{c.(*net.TCPConn), &readFroms}, nil
	}}
	tr := httpx.MustWrap(base, httpx.Config{})
	defer tr.Close()
	path := filepath.Join(t.TempDir(), "upload")
	if err := os.WriteFile(path, []byte(strings.Repeat("u", 1<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/?id=upload", f)
	req.ContentLength = 1 << 20
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if readFroms.Load() == 0 {
		t.Fatal("the upload never reached the connection's ReadFrom")
	}
	if s := tr.Stats(); s.Opened != 1 {
		t.Fatalf("dials not counted through the wrapper: %+v", s)
	}
}
