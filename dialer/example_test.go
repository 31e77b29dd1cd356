package dialer_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/keepconn/keepconn/dialer"
)

// A dialer that spreads connections over two loopback source addresses and
// tells who closed each connection first.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() { // a server that closes first
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	d, err := dialer.New(dialer.Config{
		SourceAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	for range 2 {
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, c) // wait for the server's FIN
		side, _ := c.(*dialer.Conn).CloseSide()
		fmt.Println(c.LocalAddr().(*net.TCPAddr).IP, side)
	}
	s := d.Stats()
	fmt.Printf("opened %d, passive closes %d, TIME_WAIT left here %d\n", s.Opened, s.PassiveCloses, s.ActiveCloses)
	// Output:
	// 127.0.0.1 passive
	// 127.0.0.2 passive
	// opened 2, passive closes 2, TIME_WAIT left here 0
}

// Invalid settings are refused up front, naming the field and the value.
func ExampleNew_invalid() {
	_, err := dialer.New(dialer.Config{PortRange: dialer.PortRange{Low: 50000, High: 40000}})
	fmt.Println(err)
	// Output:
	// keepconn: dialer.Config.PortRange = {50000 40000}: Low is above High
}

// The dialer drops into an http.Transport (and pgconn, go-redis…).
func ExampleDialer_DialContext() {
	d, err := dialer.New(dialer.Config{Close: dialer.CloseGraceful})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	_ = client
	fmt.Println(d.Stats().Opened)
	// Output: 0
}

// CloseIdle ends an idle connection with an RST when no byte is in flight,
// so no TIME_WAIT stays behind.
func ExampleCloseIdle() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	aborted, err := dialer.CloseIdle(c)
	fmt.Println(aborted, err)
	// Output: true <nil>
}

// With AwaitPeerClose, a client that says goodbye and closes leaves the
// TIME_WAIT to the server: Close returns at once, and the close is counted
// passive once the server's FIN has come.
func ExampleConfig_awaitPeerClose() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() { // a server that closes when the client says QUIT
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.Read(make([]byte, 16))
				c.Close()
			}()
		}
	}()

	d, err := dialer.New(dialer.Config{AwaitPeerClose: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	c.Write([]byte("QUIT\r\n"))
	c.Close()                        // returns at once
	d.Shutdown(context.Background()) // waits for the pending close
	s := d.Stats()
	fmt.Printf("passive %d, active %d, waits timed out %d\n", s.PassiveCloses, s.ActiveCloses, s.AwaitTimeouts)
	// Output: passive 1, active 0, waits timed out 0
}
