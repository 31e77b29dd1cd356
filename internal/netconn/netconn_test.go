package netconn

import (
	"net"
	"testing"
)

type layer struct {
	net.Conn
	below net.Conn
}

func (l *layer) NetConn() net.Conn { return l.below }

type loop struct{ net.Conn }

func (l *loop) NetConn() net.Conn { return l }

func TestFindAndWalk(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	top := &layer{below: &layer{below: a}}
	if got, ok := Find[*layer](top); !ok || got != top {
		t.Fatal("Find does not return the top layer itself")
	}
	if _, ok := Find[*net.TCPConn](top); ok {
		t.Fatal("Find found a layer that is not there")
	}
	var n int
	Walk(top, func(net.Conn) bool { n++; return true })
	if n != 3 {
		t.Fatalf("Walk visited %d layers, want 3", n)
	}
	n = 0
	Walk(&loop{}, func(net.Conn) bool { n++; return true })
	if n != MaxDepth {
		t.Fatalf("Walk on a self-wrapping conn visited %d layers, want MaxDepth", n)
	}
	if _, ok := Find[*net.TCPConn](&loop{}); ok {
		t.Fatal("Find on a self-wrapping conn found something")
	}
}
