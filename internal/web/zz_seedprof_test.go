package web_test

import (
	"os"
	
	"testing"
	"time"
)

func TestZZSeedProfile(t *testing.T) {
	if os.Getenv("ZZ_SEED") == "" {
		t.Skip()
	}
	p := os.Getenv("ZZ_SEED")
	start := time.Now()
	if err := seedBench(p, 30000); err != nil {
		t.Fatal(err)
	}
	t.Log(time.Since(start))
}
