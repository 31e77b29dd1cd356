package telemetry

// ScopeName is the instrumentation scope every keepconn meter uses.
const ScopeName = "github.com/keepconn/keepconn"

// Instrument names. OpenTelemetry semantic conventions are used where they
// exist; keepconn's own instruments live under "keepconn.".
const (
	// ConnOpened counts connections whose dial succeeded.
	ConnOpened = "keepconn.connection.opened"
	// ConnClosed counts closed connections, by reason and side.
	ConnClosed = "keepconn.connection.closed"
	// DialErrors counts dials that failed, by error.type.
	DialErrors = "keepconn.connection.dial_errors"
	// ConnOpen is the number of connections open now.
	ConnOpen = "keepconn.connection.open"
	// TimeWait is the number of TIME_WAIT sockets towards a destination.
	TimeWait = "keepconn.tcp.time_wait"
	// TimeWaitTotal is the number of TIME_WAIT sockets of the whole network
	// namespace: its own instrument, so that summing TimeWait over
	// destinations never double-counts.
	// (Not ".total": exporters would render a gauge with a counter's
	// _total suffix.)
	TimeWaitTotal = "keepconn.tcp.time_wait.namespace"
	// PortBudgetUtilization is the share (0…1) of the local ports towards a
	// destination that are held now.
	PortBudgetUtilization = "keepconn.port.budget.utilization"

	// DBConnCount is the semantic-convention pool size gauge, by state.
	DBConnCount = "db.client.connection.count"
	// DBConnMax is the semantic-convention pool capacity gauge.
	DBConnMax = "db.client.connection.max"
	// DBConnIdleMax is the semantic-convention idle cap gauge.
	DBConnIdleMax = "db.client.connection.idle.max"
	// DBConnIdleMin is the semantic-convention kept-ready gauge.
	DBConnIdleMin = "db.client.connection.idle.min"
	// DBConnWaitTime is the semantic-convention acquire wait time.
	DBConnWaitTime = "db.client.connection.wait_time"
	// DBConnCreateTime is the semantic-convention dial time.
	DBConnCreateTime = "db.client.connection.create_time"
	// DBConnTimeouts counts acquires that timed out.
	DBConnTimeouts = "db.client.connection.timeouts"

	// PoolWaits counts acquisitions that waited at the connection cap
	// (PoolStats.WaitCount). Waits are cumulative counters observed from
	// Stats, not the db.client.connection.wait_time histogram: a histogram
	// would cost a clock read and a recording on every acquisition, and
	// database/sql gives only totals.
	PoolWaits = "keepconn.pool.waits"
	// PoolWaitDuration is their total wait in seconds
	// (PoolStats.WaitDuration).
	PoolWaitDuration = "keepconn.pool.wait.duration"
	// PoolAcquisitions counts acquisitions by AttrPoolReused
	// (PoolStats.Acquisitions, PoolStats.Reused).
	PoolAcquisitions = "keepconn.pool.acquisitions"

	// HTTPOpenConnections is the semantic-convention HTTP client gauge.
	HTTPOpenConnections = "http.client.open_connections"
	// HTTPConnDuration is the semantic-convention HTTP connection lifetime.
	HTTPConnDuration = "http.client.connection.duration"
)

// Attribute keys.
const (
	// AttrReason is the close reason (Reason.String) on ConnClosed.
	AttrReason = "keepconn.close.reason"
	// AttrSide is the side that closed first (Side.String) on ConnClosed.
	AttrSide          = "keepconn.close.side"
	AttrErrorType     = "error.type"
	AttrServerAddress = "server.address"
	AttrServerPort    = "server.port"
	AttrPoolName      = "db.client.connection.pool.name"
	AttrPoolState     = "db.client.connection.state"
	AttrHTTPConnState = "http.connection.state"
	// AttrPoolReused is true on PoolAcquisitions for acquisitions served
	// by a connection that had served before.
	AttrPoolReused = "keepconn.pool.reused"
)
