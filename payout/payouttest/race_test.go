//go:build race

package payouttest_test

func init() { raceEnabled = true }
