//go:build !race

package sqlx_test

const raceEnabled = false
