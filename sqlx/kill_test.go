package sqlx_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
)

// killOthers ends every other client session on the server from a
// connection of its own, and returns how many it ended.
func killOthers(t *testing.T, tg target) int {
	t.Helper()
	admin := tg.openPlain(t, newDialer(t, dialer.Config{}))
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if tg.kind == dbtest.KindPostgres {
		var n int
		err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT id FROM information_schema.processlist
		WHERE id <> CONNECTION_ID() AND command <> 'Daemon' AND user = ?`, dbtest.MariaDBUser)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := conn.ExecContext(ctx, "KILL ?", id); err != nil {
			t.Fatalf("KILL %d: %v", id, err)
		}
	}
	return len(ids)
}

// holdAll takes n connections at once and runs a query on each.
func holdAll(t *testing.T, db *sql.DB, n int) (errs int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var held []*sql.Conn
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		var one int
		if err := c.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Logf("query after the server killed the connections: %v", err)
			errs++
		}
		c.Close()
	}
	return errs
}

// TestServerKills: the server ends every idle connection
// (pg_terminate_backend, KILL); the queries that follow succeed, each on
// a fresh connection, and each dead one is counted PeerClosed, passive.
func TestServerKills(t *testing.T) {
	const n = 5
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			tg := tg.start(t, false, dbtest.Options{})
			db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: n})
			holdAll(t, db.DB, n)
			holdAll(t, db.DB, n) // pgx now pings only after 1 s idle: the check is sqlx's
			if killed := killOthers(t, tg); killed != n {
				t.Fatalf("killed %d sessions, want the %d of the pool", killed, n)
			}
			time.Sleep(2 * sqlx.DefaultLivenessCheckAfter)
			if errs := holdAll(t, db.DB, n); errs != 0 {
				t.Errorf("%d of %d queries failed after the server killed their connections", errs, n)
			}
			s := quiet(t, db)
			if s.PeerClosed != n || s.BrokenClosed != 0 || s.PassiveCloses != n {
				t.Errorf("PeerClosed %d, BrokenClosed %d, PassiveCloses %d: want %d, 0, %d\n%+v",
					s.PeerClosed, s.BrokenClosed, s.PassiveCloses, n, n, s.ConnStats)
			}
			if s.Opened != 2*n {
				t.Errorf("Opened %d, want %d (each killed connection replaced once)", s.Opened, 2*n)
			}
			db.Close()
			s = settled(t, db)
			checkIdentities(t, s)
		})
	}
}
