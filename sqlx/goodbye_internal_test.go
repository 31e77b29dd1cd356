package sqlx

import (
	"database/sql/driver"
	"io"
	"net"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// TestUnexplainedCloseIsReadBeforeTheGoodbye: a broken connection's close
// is BrokenClosed even when the server answers the driver's goodbye by
// closing before the driver closes its socket (as PostgreSQL answers
// Terminate). The driver here waits for that answer, on real loopback
// sockets, so the socket's close always finds the server's FIN: read
// there, the close would pass for a server that closed first.
func TestUnexplainedCloseIsReadBeforeTheGoodbye(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		sc, err := ln.Accept()
		if err != nil {
			return
		}
		io.ReadFull(sc, make([]byte, len(goodbye))) // then close: the server's answer
		sc.Close()
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tr := newTracker()
	type closed struct {
		r telemetry.Reason
		s telemetry.Side
	}
	got := make(chan closed, 1)
	onClose := func(r telemetry.Reason, s telemetry.Side) { got <- closed{r, s} }
	tr.onClose.Store(&onClose)
	sock := (&slot{tr: tr}).track(nc)
	w := newConn(goodbyeConn{t: t, sock: sock}, &Connector{tr: tr}, sock, 0)
	w.markHanded() // in use: database/sql counts none of its closes
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-got:
		if c.r != telemetry.ReasonBroken || c.s != telemetry.SidePassive {
			t.Fatalf("close counted %v, %v; want %v, %v", c.r, c.s, telemetry.ReasonBroken, telemetry.SidePassive)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the close was not counted")
	}
}

const goodbye = "BYE"

// goodbyeConn is a driver connection whose Close says goodbye and waits
// for the server's FIN before closing its socket.
type goodbyeConn struct {
	t    *testing.T
	sock *trackedConn
}

func (g goodbyeConn) Close() error {
	if _, err := g.sock.Write([]byte(goodbye)); err != nil {
		g.t.Error(err)
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if state, err := sockopt.State(g.sock.raw); err != nil || state != sockopt.StateEstablished {
			break
		}
	}
	return g.sock.Close()
}

func (goodbyeConn) Prepare(string) (driver.Stmt, error) { return nil, driver.ErrSkip }
func (goodbyeConn) Begin() (driver.Tx, error)           { return nil, driver.ErrSkip }
