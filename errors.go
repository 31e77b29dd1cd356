package keepconn

import "fmt"

// ConfigError reports an invalid configuration value, at construction
// time. Every keepconn package returns it (as its own ConfigError name,
// an alias of this type), so one errors.As finds it whatever the package.
type ConfigError struct {
	// Field names the setting with its package, as written in code:
	// "dialer.Config.LingerTimeout", "pool.Config.MaxIdle",
	// "httpx.Config.MaxConnsPerHost".
	Field string
	// Value is the value given.
	Value any
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying cause, if any.
	Err error
}

func (e *ConfigError) Error() string {
	msg := fmt.Sprintf("keepconn: %s = %v: %s", e.Field, e.Value, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *ConfigError) Unwrap() error { return e.Err }
