package pool_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"strings"

	"github.com/keepconn/keepconn/pool"
)

// echoServer answers each line with the line upper-cased, until ln closes.
func echoServer(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				fmt.Fprint(c, strings.ToUpper(line))
			}
		}()
	}
}

// call sends one line and reads the answer. The *bufio.Reader lives with
// the connection across acquisitions, so it reads the net.Conn beneath
// the Conn.
func call(c pool.Conn, line string) (string, error) {
	r, _ := c.Value().(*bufio.Reader)
	if r == nil {
		r = bufio.NewReader(c.NetConn()) // not c: a Conn is one acquisition
		c.SetValue(r)
	}
	if _, err := fmt.Fprintf(c, "%s\n", line); err != nil {
		return "", err
	}
	answer, err := r.ReadString('\n')
	return strings.TrimSuffix(answer, "\n"), err
}

func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go echoServer(ln)

	p, err := pool.New(pool.Config{Addr: ln.Addr().String(), MaxConns: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	for _, word := range []string{"keep", "the", "connection"} {
		c, err := p.Acquire(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		answer, err := call(c, word)
		if err != nil {
			c.Destroy() // broken: do not reuse
			log.Fatal(err)
		}
		c.Release()
		fmt.Println(answer)
	}
	s := p.Stats()
	fmt.Printf("opened %d, reused %d\n", s.Opened, s.Reused)
	// Output:
	// KEEP
	// THE
	// CONNECTION
	// opened 1, reused 2
}

func ExampleNew_invalid() {
	_, err := pool.New(pool.Config{Addr: "127.0.0.1:6379", MaxConns: 100, MaxIdle: 200})
	fmt.Println(err)
	// Output:
	// keepconn: pool.Config.MaxIdle = 200: must not exceed MaxConns (100)
}

func ExamplePool_Stats() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go echoServer(ln)

	// MaxIdle below MaxConns: a burst of 3 keeps 1 and closes 2.
	p, err := pool.New(pool.Config{Addr: ln.Addr().String(), MaxConns: 3, MaxIdle: 1})
	if err != nil {
		log.Fatal(err)
	}
	var burst []pool.Conn
	for range 3 {
		c, err := p.Acquire(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		burst = append(burst, c)
	}
	for _, c := range burst {
		c.Release()
	}
	p.Close()
	s := p.Stats()
	fmt.Printf("opened %d: max_idle %d, closed %d; TIME_WAIT left here by %d\n",
		s.Opened, s.MaxIdleClosed, s.Closed, s.ActiveCloses)
	// Output:
	// opened 3: max_idle 2, closed 1; TIME_WAIT left here by 3
}

func ExampleGroup() {
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		defer ln.Close()
		go echoServer(ln)
		addrs = append(addrs, ln.Addr().String())
	}

	g, err := pool.NewGroup(pool.Config{MaxConns: 2, Name: "backends"})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	for i := range 4 {
		c, err := g.Acquire(context.Background(), addrs[i%2])
		if err != nil {
			log.Fatal(err)
		}
		answer, err := call(c, fmt.Sprint("call ", i))
		if err != nil {
			c.Destroy()
			log.Fatal(err)
		}
		c.Release()
		fmt.Println(answer)
	}
	for _, addr := range addrs {
		s := g.Stats()[addr]
		fmt.Printf("opened %d, acquisitions %d\n", s.Opened, s.Acquisitions)
	}
	// Output:
	// CALL 0
	// CALL 1
	// CALL 2
	// CALL 3
	// opened 1, acquisitions 2
	// opened 1, acquisitions 2
}
