package main

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// body is what the HTTP servers answer: 2 KiB, enough that an unread body
// is not drained by the transport on its own.
var body = []byte(strings.Repeat("keepconn ", 2048/9+1))[:2048]

// httpServer is a loopback HTTP server with keep-alive on.
type httpServer struct {
	ln  net.Listener
	srv *http.Server
}

func startHTTPServer() (*httpServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &httpServer{ln: ln, srv: &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute, // longer than the clients': they close idle connections, not the server
	}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *httpServer) addr() string { return s.ln.Addr().String() }

func (s *httpServer) close() { _ = s.srv.Close() }

// lineServer answers each "PING\n" with "PONG\n" until the client closes.
type lineServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startLineServer() (*lineServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &lineServer{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *lineServer) addr() string { return s.ln.Addr().String() }

func (s *lineServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *lineServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if line != "PING\n" {
			_, _ = c.Write([]byte("ERR\n"))
			continue
		}
		if _, err := c.Write([]byte("PONG\n")); err != nil {
			return
		}
	}
}

// close stops accepting, closes the connections still open and waits for
// their goroutines.
func (s *lineServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
