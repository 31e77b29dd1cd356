package httpx_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/httpx"
)

// A dial to a silent peer (a listener whose accept queue is full drops
// SYNs) ends at ConnectTimeout instead of hanging until the kernel gives
// up; the zero Config sets DefaultConnectTimeout, http.DefaultTransport's.
func TestConnectTimeout(t *testing.T) {
	if httpx.DefaultConnectTimeout != 30*time.Second {
		t.Fatalf("DefaultConnectTimeout = %v", httpx.DefaultConnectTimeout)
	}
	zero := httpx.MustNew(httpx.Config{})
	zero.Close()
	if zero.ConnectTimeout() != httpx.DefaultConnectTimeout {
		t.Fatalf("the zero Config's connect timeout is %v", zero.ConnectTimeout())
	}
	addr := silentListener(t)
	tr := httpx.MustNew(httpx.Config{ConnectTimeout: 300 * time.Millisecond})
	defer tr.Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := get(ctx, &http.Client{Transport: tr}, "http://"+addr+"/", true)
	if err == nil || ctx.Err() != nil || time.Since(start) > 10*time.Second {
		t.Fatalf("dial to a silent peer: %v after %v", err, time.Since(start))
	}
	if s := tr.Stats(); s.DialErrors != 1 {
		t.Fatalf("DialErrors = %d, want 1", s.DialErrors)
	}
}

// silentListener returns the address of a loopback listener with a
// backlog of 0 whose queue is filled, so that new SYNs go unanswered.
func silentListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue: connections that complete, never accepted.
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}
