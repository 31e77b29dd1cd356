package netnstest

import "github.com/keepconn/keepconn/internal/netns"

// Config describes the namespace a test runs in: the port range, the
// tcp_tw_reuse setting (0 unless set), extra loopback addresses and further
// sysctls. Every namespace also has tcp_rfc1337=1, so TIME_WAIT counts are
// exact. See netns.Config.
type Config = netns.Config
