package sockdiag

import (
	"encoding/binary"
	"testing"
)

func TestDumpRequestLayout(t *testing.T) {
	b := dumpRequest(afInet6, TimeWait, 7)
	checkHeader(t, b, 72, sockDiagByFamily, 7)
	if b[16] != afInet6 || b[17] != ipprotoTCP || binary.NativeEndian.Uint32(b[20:]) != 1<<6 {
		t.Fatalf("inet_diag_req_v2 = % x", b[16:24])
	}
}

// TestCompatRequestLayout checks struct inet_diag_req: family, lengths and
// extensions zero, a zero inet_diag_sockid (48 bytes), then idiag_states
// and idiag_dbs.
func TestCompatRequestLayout(t *testing.T) {
	b := compatRequest(Connected, 3)
	checkHeader(t, b, 76, tcpDiagGetSock, 3)
	for i, c := range b[16:68] {
		if c != 0 {
			t.Fatalf("inet_diag_req byte %d = %#x, want 0", i, c)
		}
	}
	if got := StateMask(binary.NativeEndian.Uint32(b[68:])); got != Connected {
		t.Fatalf("idiag_states = %#x, want %#x", got, Connected)
	}
	if dbs := binary.NativeEndian.Uint32(b[72:]); dbs != 0 {
		t.Fatalf("idiag_dbs = %#x, want 0", dbs)
	}
}

func checkHeader(t *testing.T, b []byte, size int, typ uint16, seq uint32) {
	t.Helper()
	if len(b) != size || binary.NativeEndian.Uint32(b) != uint32(size) {
		t.Fatalf("request length %d, header says %d; want %d", len(b), binary.NativeEndian.Uint32(b), size)
	}
	if got := binary.NativeEndian.Uint16(b[4:]); got != typ {
		t.Fatalf("type %d, want %d", got, typ)
	}
	if flags := binary.NativeEndian.Uint16(b[6:]); flags != 0x301 {
		t.Fatalf("flags %#x, want NLM_F_REQUEST|NLM_F_DUMP", flags)
	}
	if got := binary.NativeEndian.Uint32(b[8:]); got != seq {
		t.Fatalf("seq %d, want %d", got, seq)
	}
}
