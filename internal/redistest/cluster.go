package redistest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ClusterSlots is the number of hash slots of a Redis cluster.
const ClusterSlots = 16384

// Cluster is a running Redis cluster of masters without replicas.
type Cluster struct {
	Nodes []*Server
}

// Addrs returns the nodes' addresses, for redis.ClusterOptions.Addrs.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// Stop stops every node.
func (c *Cluster) Stop() error {
	var errs []error
	for _, n := range c.Nodes {
		errs = append(errs, n.Stop())
	}
	return errors.Join(errs...)
}

// ConnectionsReceived sums the connections the nodes accepted, not counting
// the queries' own connections. The cluster bus is not counted: it has
// ports of its own.
func (c *Cluster) ConnectionsReceived(ctx context.Context) (int64, error) {
	var total int64
	for _, n := range c.Nodes {
		v, err := n.ConnectionsReceived(ctx)
		if err != nil {
			return 0, err
		}
		total += v
	}
	return total, nil
}

// StartCluster starts masters nodes (3 when zero) with cluster-enabled
// yes on consecutive free ports from BaseClusterPort, splits the hash
// slots between them (CLUSTER ADDSLOTSRANGE), introduces them to each
// other (CLUSTER MEET) and waits until every node reports cluster_state ok.
func StartCluster(masters int, opts Options) (*Cluster, error) {
	if masters <= 0 {
		masters = 3
	}
	c := &Cluster{}
	opts.cluster = true
	for range masters {
		n, err := Start(opts)
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, n)
		opts.Port = 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	if err := c.form(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) form(ctx context.Context) error {
	per := ClusterSlots / len(c.Nodes)
	for i, n := range c.Nodes {
		lo, hi := i*per, (i+1)*per-1
		if i == len(c.Nodes)-1 {
			hi = ClusterSlots - 1
		}
		if _, err := n.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)); err != nil {
			return fmt.Errorf("keepconn/redistest: ADDSLOTSRANGE on %s: %w", n.Addr(), err)
		}
	}
	for _, n := range c.Nodes[1:] {
		if _, err := n.Do(ctx, "CLUSTER", "MEET", c.Nodes[0].Host, strconv.Itoa(c.Nodes[0].Port)); err != nil {
			return fmt.Errorf("keepconn/redistest: MEET from %s: %w", n.Addr(), err)
		}
	}
	for _, n := range c.Nodes {
		if err := waitClusterOK(ctx, n, len(c.Nodes)); err != nil {
			return err
		}
	}
	return nil
}

func waitClusterOK(ctx context.Context, n *Server, nodes int) error {
	want := "cluster_known_nodes:" + strconv.Itoa(nodes)
	for {
		r, err := n.Do(ctx, "CLUSTER", "INFO")
		info, _ := r.(string)
		if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("keepconn/redistest: cluster not ok on %s: %q %v (%w)", n.Addr(), info, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StartClusterT starts a cluster for one test and stops it when the test
// ends, skipping or failing as StartT does.
func StartClusterT(t testing.TB, masters int, opts Options) *Cluster {
	t.Helper()
	c, err := StartCluster(masters, opts)
	if err != nil {
		SkipOrFail(t, err)
		return nil
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	return c
}
