package sockdiag

import (
	"bytes"
	"fmt"
	"strconv"
)

// ParsePortRange parses the "low<TAB>high" text of ip_local_port_range.
func ParsePortRange(b []byte) (low, high uint16, err error) {
	f := bytes.Fields(b)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%w: ip_local_port_range %q", ErrMalformed, b)
	}
	lo, err1 := strconv.ParseUint(string(f[0]), 10, 16)
	hi, err2 := strconv.ParseUint(string(f[1]), 10, 16)
	if err1 != nil || err2 != nil || lo == 0 || lo > hi {
		return 0, 0, fmt.Errorf("%w: ip_local_port_range %q", ErrMalformed, b)
	}
	return uint16(lo), uint16(hi), nil
}
