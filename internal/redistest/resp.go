package redistest

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// RedisError is an error reply ("-ERR …").
type RedisError string

func (e RedisError) Error() string { return string(e) }

// Do sends one command on a connection of its own and returns the reply:
// a string (simple or bulk), an int64, nil, or a []any; an error reply is
// a RedisError. It then sends QUIT and reads until the server closes, so
// the server closes first and the TIME_WAIT stays on the server side (a
// sentinel refuses QUIT: there this side closes). The connection counts in the server's total_connections_received.
func (s *Server) Do(ctx context.Context, args ...string) (any, error) {
	c, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if _, err := c.Write(encode(args)); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	reply, err := readReply(r)
	if err != nil && !errors.As(err, new(RedisError)) {
		return nil, err
	}
	c.Write(encode([]string{"QUIT"}))
	if ok, _ := readReply(r); ok == "OK" {
		io.Copy(io.Discard, r) // the server's FIN
	} // else (a sentinel refuses QUIT) this side closes
	return reply, err
}

func (s *Server) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	if s.TLSConfig == nil {
		return d.DialContext(ctx, "tcp", s.Addr())
	}
	td := tls.Dialer{NetDialer: &d, Config: s.TLSConfig}
	return td.DialContext(ctx, "tcp", s.Addr())
}

// Info returns the value of one field of INFO (for example
// "total_connections_received" or "connected_clients"), as an integer.
func (s *Server) Info(ctx context.Context, field string) (int64, error) {
	r, err := s.Do(ctx, "INFO")
	if err != nil {
		return 0, err
	}
	text, _ := r.(string)
	for _, line := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("keepconn/redistest: INFO has no field %q", field)
}

// ConnectionsReceived returns the connections the server accepted since it
// started, not counting the one this query uses.
func (s *Server) ConnectionsReceived(ctx context.Context) (int64, error) {
	n, err := s.Info(ctx, "total_connections_received")
	return n - 1, err
}

func encode(args []string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"+a+"\r\n"...)
	}
	return b
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("keepconn/redistest: empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, RedisError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("keepconn/redistest: unexpected reply %q", line)
}
