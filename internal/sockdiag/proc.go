package sockdiag

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
)

// ParseProcLine parses one socket line of /proc/net/tcp or /proc/net/tcp6:
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//	 0: 0100007F:1388 0100007F:9C40 06 00000000:00000000 03:00001770 00000000     0        0 0 …
//
// Addresses are the kernel's 32-bit words printed in host byte order (4
// bytes for IPv4, 16 for IPv6), ports and the state are hexadecimal, uid
// and inode decimal. The header line and malformed lines are ErrMalformed.
// ParseProcLine allocates nothing on success and never panics.
func ParseProcLine(line []byte) (Socket, error) {
	var f [10][]byte
	if n := splitFields(line, f[:]); n < len(f) {
		return Socket{}, malformed("fields", line)
	}
	local, ok1 := parseAddrPort(f[1])
	remote, ok2 := parseAddrPort(f[2])
	state, ok3 := parseHex(f[3], 2)
	uid, ok4 := parseDec(f[7])
	inode, ok5 := parseDec(f[9])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || local.Addr().BitLen() != remote.Addr().BitLen() {
		return Socket{}, malformed("socket fields", line)
	}
	return Socket{State: uint8(state), Local: local, Remote: remote, UID: uid, Inode: inode}, nil
}

// ParseProc reads a whole /proc/net/tcp{,6} file from r, skipping its
// header line, and calls visit for the sockets whose state is in mask. It
// checks ctx every 512 lines.
func ParseProc(ctx context.Context, r io.Reader, mask StateMask, visit func(Socket)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 0; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return fmt.Errorf("%w: line %d longer than %d bytes", ErrMalformed, n+1, br.Size())
		}
		if len(bytes.TrimSpace(line)) > 0 && n > 0 {
			s, perr := ParseProcLine(line)
			if perr != nil {
				return fmt.Errorf("line %d: %w", n+1, perr)
			}
			if mask.Has(s.State) {
				visit(s)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n%512 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("reading sockets at line %d: %w", n+1, err)
			}
		}
	}
}

func malformed(what string, line []byte) error {
	const maxShown = 80
	if len(line) > maxShown {
		line = line[:maxShown]
	}
	return fmt.Errorf("%w: bad %s in %q", ErrMalformed, what, bytes.TrimSpace(line))
}

// splitFields puts the first len(f) space-separated fields of line into f
// and returns how many it found.
func splitFields(line []byte, f [][]byte) int {
	n := 0
	for i := 0; i < len(line) && n < len(f); {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		start := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		if i > start {
			f[n] = line[start:i]
			n++
		}
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parseAddrPort parses "0100007F:1388" (IPv4) or 32 hex digits, a colon
// and a port (IPv6).
func parseAddrPort(b []byte) (netip.AddrPort, bool) {
	i := bytes.IndexByte(b, ':')
	if i < 0 || (i != 8 && i != 32) {
		return netip.AddrPort{}, false
	}
	port, ok := parseHex(b[i+1:], 4)
	if !ok {
		return netip.AddrPort{}, false
	}
	var raw [16]byte
	for w := 0; w < i/8; w++ {
		v, ok := parseHex(b[w*8:w*8+8], 8)
		if !ok {
			return netip.AddrPort{}, false
		}
		binary.NativeEndian.PutUint32(raw[w*4:], uint32(v))
	}
	return netip.AddrPortFrom(addrFrom(raw[:i/2]), uint16(port)), true
}

// parseHex parses 1 to maxDigits hexadecimal digits.
func parseHex(b []byte, maxDigits int) (uint64, bool) {
	if len(b) == 0 || len(b) > maxDigits {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}

// parseDec parses a decimal uint32.
func parseDec(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return uint32(v), v <= 1<<32-1
}
