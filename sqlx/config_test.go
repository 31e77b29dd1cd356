package sqlx_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/sqlx"
)

// TestConfigErrors: every field's bad value (negative, beyond its limit,
// the type's maximum where that is beyond it) is a ConfigError naming it.
func TestConfigErrors(t *testing.T) {
	const maxDur = time.Duration(math.MaxInt64)
	cases := []struct {
		field string
		cfg   sqlx.Config
	}{
		{"MaxOpen", sqlx.Config{MaxOpen: -1}},
		{"MaxOpen", sqlx.Config{MaxOpen: sqlx.MaxConns + 1}},
		{"MaxOpen", sqlx.Config{MaxOpen: math.MaxInt}},
		{"MaxIdle", sqlx.Config{MaxIdle: -1}},
		{"MaxIdle", sqlx.Config{MaxOpen: 10, MaxIdle: 11}},
		{"MaxIdle", sqlx.Config{MaxIdle: math.MaxInt}},
		{"MinIdle", sqlx.Config{MinIdle: -1}},
		{"MinIdle", sqlx.Config{MaxOpen: 10, MaxIdle: 5, MinIdle: 6}},
		{"MinIdle", sqlx.Config{MinIdle: math.MaxInt}},
		{"ConnMaxLifetime", sqlx.Config{ConnMaxLifetime: -1}},
		{"ConnMaxLifetimeJitter", sqlx.Config{ConnMaxLifetime: time.Second, ConnMaxLifetimeJitter: -1}},
		{"ConnMaxLifetimeJitter", sqlx.Config{ConnMaxLifetimeJitter: time.Second}},
		{"ConnMaxLifetimeJitter", sqlx.Config{ConnMaxLifetime: time.Second, ConnMaxLifetimeJitter: maxDur}},
		{"ConnMaxIdleTime", sqlx.Config{ConnMaxIdleTime: -1}},
		{"AdvisorWindow", sqlx.Config{AdvisorWindow: -1}},
		{"AdvisorWindow", sqlx.Config{AdvisorWindow: time.Millisecond}},
		{"AdvisorWindow", sqlx.Config{AdvisorWindow: maxDur}},
	}
	sd, err := sqlx.NewDialer(newDialer(t, dialer.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		_, err := sqlx.Open(sd.Connector(nil, sqlx.ServerInfo{}), c.cfg)
		var ce *sqlx.ConfigError
		if !errors.As(err, &ce) || ce.Field != "sqlx.Config."+c.field {
			t.Errorf("%+v: err = %v, want a ConfigError for sqlx.Config.%s", c.cfg, err, c.field)
		}
		if ce != nil && ce.Value == nil {
			t.Errorf("%s: ConfigError without the value", c.field)
		}
	}
	c := sd.Connector(nil, sqlx.ServerInfo{})
	db, err := sqlx.Open(c, sqlx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := sqlx.Open(c, sqlx.Config{}); !errors.Is(err, sqlx.ErrConnectorInUse) {
		t.Errorf("second Open of a Connector: %v, want ErrConnectorInUse", err)
	}
	var kce *keepconn.ConfigError
	if _, err := sqlx.Open(nil, sqlx.Config{}); !errors.As(err, &kce) {
		t.Errorf("Open(nil) = %v, want a ConfigError", err)
	}
}

// TestConfigExtremes: the largest durations work as documented, with no
// overflow in the lifetime arithmetic.
func TestConfigExtremes(t *testing.T) {
	const maxDur = time.Duration(math.MaxInt64)
	tg := targets[0].start(t, false, dbtestOptions())
	db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: sqlx.MaxConns, ConnMaxLifetime: maxDur,
		ConnMaxLifetimeJitter: maxDur, ConnMaxIdleTime: maxDur, LivenessCheckAfter: maxDur,
		AdvisorWindow: 24 * time.Hour})
	for range 3 {
		if err := db.Ping(); err != nil {
			t.Fatal(err)
		}
	}
	if s := db.Stats(); s.Opened != 1 || s.MaxLifetimeClosed != 0 || s.MaxIdle != sqlx.MaxConns {
		t.Errorf("Opened %d, MaxLifetimeClosed %d, MaxIdle %d: want 1, 0, %d", s.Opened, s.MaxLifetimeClosed, s.MaxIdle, sqlx.MaxConns)
	}
}
