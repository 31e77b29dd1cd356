package redisx

import (
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// A ring and a universal client dial every shard through the keepconn
// dialer too.
func TestRingAndUniversalDialThroughKeepconn(t *testing.T) {
	a, b := server(t, nil), server(t, nil)
	ctx := testCtx(t)
	ring, err := NewRing(&redis.RingOptions{Addrs: map[string]string{"a": a.Addr(), "b": b.Addr()}, PoolSize: 3}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	uni, err := NewUniversalClient(&redis.UniversalOptions{Addrs: []string{a.Addr()}, PoolSize: 3}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := ring.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := uni.Incr(ctx, "n").Err(); err != nil {
			t.Fatal(err)
		}
	}
	ring.Close()
	uni.Close()
	rs, us := ring.Stats(), uni.Stats()
	checkIdentities(t, rs)
	checkIdentities(t, us)
	na, _ := a.ConnectionsReceived(ctx)
	nb, _ := b.ConnectionsReceived(ctx)
	if got := na - 1 + nb - 1; got != rs.Opened+us.Opened || rs.Opened < 2 || us.Opened < 1 {
		t.Errorf("servers accepted %d, ring opened %d, universal %d", got, rs.Opened, us.Opened)
	}
	if rs.Reused < 190 || us.Reused < 190 || rs.PassiveCloses != rs.TotalClosed() {
		t.Errorf("ring %+v\nuniversal %+v", rs, us)
	}
	if _, ok := uni.UniversalClient.(*redis.Client); !ok {
		t.Errorf("one address gave a %T", uni.UniversalClient)
	}
}
