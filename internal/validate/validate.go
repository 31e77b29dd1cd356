// Package validate holds the checks every keepconn constructor makes on
// its settings, so that each bad value is reported the same way: a
// *keepconn.ConfigError naming the field and the value.
package validate

import (
	"strconv"
	"time"

	"github.com/keepconn/keepconn"
)

// Error returns a *keepconn.ConfigError.
func Error(field string, value any, reason string) error {
	return &keepconn.ConfigError{Field: field, Value: value, Reason: reason}
}

// NonNegative rejects a negative value.
func NonNegative[T ~int | ~int32 | ~int64](field string, v T) error {
	if v < 0 {
		return Error(field, v, "must not be negative")
	}
	return nil
}

// Positive rejects zero and negative values.
func Positive[T ~int | ~int32 | ~int64](field string, v T) error {
	if v <= 0 {
		return Error(field, v, "must be positive")
	}
	return nil
}

// AtMost rejects a value above limit.
func AtMost[T ~int | ~int32 | ~int64](field string, v, limit T) error {
	if v > limit {
		if d, ok := any(limit).(time.Duration); ok {
			return Error(field, v, "must be at most "+d.String())
		}
		return Error(field, v, "must be at most "+strconv.FormatInt(int64(limit), 10))
	}
	return nil
}

// First returns the first error among checks, or nil.
func First(checks ...error) error {
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}
