package main

import (
	"testing"
	"time"
)

// The demo runs its four cases end to end on a small load.
func TestRunSmall(t *testing.T) {
	o := options{n: 200, c: 4, bodySize: 256, timeout: 30 * time.Second, sample: 20 * time.Millisecond,
		svg: t.TempDir() + "/tw.svg"}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
}
