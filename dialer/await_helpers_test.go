package dialer

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// quitServer answers "GET\n" with "OK\n" and closes when it reads
// "QUIT\n": a line protocol whose server closes after the client's
// goodbye without answering it, as PostgreSQL (Terminate) and MySQL
// (COM_QUIT) do.
func quitServer(c net.Conn) { lineServer(c, false) }

// byeServer answers the goodbye with "BYE\n" before closing, as Redis
// answers QUIT with +OK.
func byeServer(c net.Conn) { lineServer(c, true) }

func lineServer(c net.Conn, bye bool) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch line {
		case "GET\n":
			c.Write([]byte("OK\n"))
		case "QUIT\n":
			if bye {
				c.Write([]byte("BYE\n"))
			}
			return
		}
	}
}

// request makes one request on a new connection and closes it after
// saying goodbye, as a driver does.
func request(ctx context.Context, d *Dialer, addr string) error {
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if _, err := c.Write([]byte("GET\n")); err != nil {
		c.Close()
		return err
	}
	buf := make([]byte, 3)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "OK\n" {
		c.Close()
		return errors.Join(errors.New("bad reply "+string(buf)), err)
	}
	if _, err := c.Write([]byte("QUIT\n")); err != nil {
		c.Close()
		return err
	}
	return c.Close()
}

// shutdown lets every pending wait of d end on its own.
func shutdown(t testing.TB, d *Dialer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// openFDs counts this process's open descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
