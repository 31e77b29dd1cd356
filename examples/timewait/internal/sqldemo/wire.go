package sqldemo

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
)

// wireServer is a minimal in-process MySQL server: it speaks the real
// client/server protocol (protocol 41 handshake, mysql_native_password
// accepting any user, COM_QUERY answered with a one-row text result set,
// COM_PING, COM_QUIT) well enough for go-sql-driver/mysql to run
// "SELECT 1" and "SELECT @@wait_timeout". It stores nothing and parses no
// SQL. Like a real server, it closes the connection after COM_QUIT.
type wireServer struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn map[net.Conn]struct{}
	id   uint32
}

// Capability flags the server announces (no TLS, EOF packets kept).
const (
	capLongPassword = 1 << 0
	capFoundRows    = 1 << 1
	capLongFlag     = 1 << 2
	capConnectDB    = 1 << 3
	capProtocol41   = 1 << 9
	capTransactions = 1 << 13
	capSecureConn   = 1 << 15
	capMultiResults = 1 << 17
	capPluginAuth   = 1 << 19
	serverCaps      = capLongPassword | capFoundRows | capLongFlag | capConnectDB | capProtocol41 |
		capTransactions | capSecureConn | capMultiResults | capPluginAuth
	statusAutocommit = 2
)

// startWire listens on addr and serves until close.
func startWire(addr string) (*wireServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &wireServer{ln: ln, conn: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *wireServer) addr() string { return s.ln.Addr().String() }

func (s *wireServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conn {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *wireServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conn[c] = struct{}{}
		s.id++
		id := s.id
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			serveWire(c, id)
			c.Close()
			s.mu.Lock()
			delete(s.conn, c)
			s.mu.Unlock()
		}()
	}
}

// packetConn reads and writes MySQL packets: 3-byte length, sequence id.
type packetConn struct {
	r   *bufio.Reader
	w   *bufio.Writer
	seq byte
}

func (p *packetConn) read() ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(p.r, h[:]); err != nil {
		return nil, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	p.seq = h[3] + 1
	b := make([]byte, n)
	_, err := io.ReadFull(p.r, b)
	return b, err
}

func (p *packetConn) write(b []byte) {
	n := len(b)
	p.w.Write([]byte{byte(n), byte(n >> 8), byte(n >> 16), p.seq})
	p.w.Write(b)
	p.seq++
}

func serveWire(c net.Conn, id uint32) {
	p := &packetConn{r: bufio.NewReader(c), w: bufio.NewWriter(c)}
	p.write(handshake(id))
	if p.w.Flush() != nil {
		return
	}
	if _, err := p.read(); err != nil { // the client's handshake response: any user is welcome
		return
	}
	p.write(okPacket())
	p.w.Flush()
	for {
		cmd, err := p.read()
		if err != nil || len(cmd) == 0 {
			return
		}
		switch cmd[0] {
		case 0x01: // COM_QUIT: the server closes
			return
		case 0x03: // COM_QUERY
			writeResult(p, answer(string(cmd[1:])))
		default: // COM_PING, COM_INIT_DB, COM_RESET_CONNECTION…
			p.write(okPacket())
		}
		if p.w.Flush() != nil {
			return
		}
	}
}

func handshake(id uint32) []byte {
	salt := []byte("keepconn-demo-salt!!")
	b := []byte{10}
	b = append(b, "8.0.0-keepconn-inprocess\x00"...)
	b = binary.LittleEndian.AppendUint32(b, id)
	b = append(b, salt[:8]...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps&0xffff))
	b = append(b, 33) // utf8_general_ci
	b = binary.LittleEndian.AppendUint16(b, statusAutocommit)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps>>16))
	b = append(b, 21)
	b = append(b, make([]byte, 10)...)
	b = append(b, salt[8:20]...)
	b = append(b, 0)
	return append(b, "mysql_native_password\x00"...)
}

func okPacket() []byte {
	return []byte{0x00, 0, 0, statusAutocommit, 0, 0, 0}
}

func eofPacket() []byte {
	return []byte{0xfe, 0, 0, statusAutocommit, 0}
}

// answer is the one value of the one row a query returns.
func answer(q string) string {
	if strings.Contains(strings.ToLower(q), "@@wait_timeout") {
		return "28800"
	}
	return "1"
}

func writeResult(p *packetConn, v string) {
	p.write([]byte{1}) // one column
	col := []byte{}
	for _, s := range []string{"def", "", "", "", v, ""} {
		col = appendLenStr(col, s)
	}
	col = append(col, 0x0c)
	col = binary.LittleEndian.AppendUint16(col, 63) // binary
	col = binary.LittleEndian.AppendUint32(col, 21)
	col = append(col, 0x08)                        // MYSQL_TYPE_LONGLONG
	col = binary.LittleEndian.AppendUint16(col, 1) // NOT NULL
	col = append(col, 0, 0, 0)
	p.write(col)
	p.write(eofPacket())
	p.write(appendLenStr(nil, v))
	p.write(eofPacket())
}

func appendLenStr(b []byte, s string) []byte {
	if len(s) >= 251 {
		panic(errors.New("sqldemo: long strings are not needed"))
	}
	return append(append(b, byte(len(s))), s...)
}
