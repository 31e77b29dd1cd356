package sqlx

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// serverTimeout holds the server's idle timeout once discovered.
type serverTimeout struct{ d atomic.Int64 }

func (s *serverTimeout) get() time.Duration { return time.Duration(s.d.Load()) }

// discoverOn reads the server's idle timeout on the first connection,
// before database/sql uses it (no connection of its own), and keeps
// ConnMaxIdleTime below it.
func (c *Connector) discoverOn(ctx context.Context, dc driver.Conn) {
	if !c.discover.CompareAndSwap(true, false) {
		return
	}
	q := idleTimeoutQuery(c.info.Dialect)
	qc, ok := dc.(driver.QueryerContext)
	if q == "" || !ok {
		return
	}
	v, err := queryOne(ctx, qc, q)
	if err != nil {
		if ctx.Err() != nil {
			c.discover.Store(true) // cut short by the caller: try on the next connection
		}
		c.logger().Warn("sqlx: reading the server's idle timeout failed", "pool", c.name, "query", q, "error", err)
		return
	}
	d, err := parseIdleTimeout(c.info.Dialect, v)
	if err != nil || d <= 0 {
		return
	}
	c.server.d.Store(int64(d))
	safe := safeIdleTime(d)
	if cur := time.Duration(c.idleTime.Load()); cur == 0 || cur > safe {
		c.idleTime.Store(int64(safe))
		if db := c.db.Load(); db != nil {
			db.SetConnMaxIdleTime(safe)
		}
		c.logger().Info("sqlx: ConnMaxIdleTime lowered below the server's idle timeout",
			"pool", c.name, "field", field("ConnMaxIdleTime"), "from", cur, "to", safe, "server_idle_timeout", d)
	}
}

// queryOne runs q on the driver's connection and returns the first
// column of the first row as text.
func queryOne(ctx context.Context, qc driver.QueryerContext, q string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := qc.QueryContext(ctx, q, nil)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	if len(vals) == 0 {
		return "", fmt.Errorf("keepconn/sqlx: %s returned no column", q)
	}
	if err := rows.Next(vals); err != nil {
		return "", err
	}
	switch v := vals[0].(type) {
	case []byte:
		return string(v), nil
	case string:
		return v, nil
	default:
		return fmt.Sprint(v), nil
	}
}

func idleTimeoutQuery(d Dialect) string {
	switch d {
	case DialectPostgres:
		return "SHOW idle_session_timeout"
	case DialectMySQL:
		return "SELECT @@wait_timeout"
	}
	return ""
}

// cleanerLag is how late database/sql's idle-connection cleaner can be:
// it runs at most once a second, and a loaded process runs it late.
const cleanerLag = 1300 * time.Millisecond

// safeIdleTime is the server's timeout less a quarter of it (at most
// IdleTimeoutMargin), and less at least the cleaner's lag, so that this
// side's close comes first; for a timeout too short for that, half of it.
func safeIdleTime(server time.Duration) time.Duration {
	safe := server - max(min(server/4, IdleTimeoutMargin), cleanerLag)
	if safe <= 0 {
		return server / 2
	}
	return safe
}

// parseIdleTimeout reads @@wait_timeout (seconds) or PostgreSQL's
// idle_session_timeout as SHOW prints it ("0", "2s", "10min", "1500ms").
func parseIdleTimeout(d Dialect, v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if d == DialectMySQL {
		n, err := strconv.ParseFloat(v, 64)
		return time.Duration(n * float64(time.Second)), err
	}
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"ms", time.Millisecond}, {"min", time.Minute}, {"s", time.Second}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	unit := time.Millisecond // a bare number is milliseconds
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, unit = strings.TrimSuffix(v, u.suffix), u.unit
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("keepconn/sqlx: idle_session_timeout %q: %w", v, err)
	}
	return time.Duration(n) * unit, nil
}
