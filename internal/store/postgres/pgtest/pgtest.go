// Package pgtest gives a test its own PostgreSQL schema, so that tests against the database
// named by QUELL_TEST_POSTGRES_DSN run in parallel and leave nothing behind. Tests that need
// PostgreSQL call DSN, which skips them with a clear message where the variable is unset.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding the test database's connection string, such
// as postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvDSN = "QUELL_TEST_POSTGRES_DSN"

// BaseDSN returns the test database's connection string, skipping the test when it is unset.
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them", EnvDSN)
	}
	return dsn
}

// DSN creates a schema with a new name in the test database and returns a connection string
// whose search_path is that schema; the schema and everything in it is dropped when the test
// ends. It skips the test when QUELL_TEST_POSTGRES_DSN is unset and fails it when the database
// cannot be reached.
func DSN(t testing.TB) string {
	t.Helper()
	base := BaseDSN(t)
	sweepOnce.Do(func() { sweep(base) })
	schema := fmt.Sprintf("%s%d_%s", schemaPrefix, time.Now().Unix(), randomHex(6))
	Exec(t, base, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := exec(ctx, base, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	dsn, err := WithSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// schemaPrefix starts the name of every test schema, followed by its creation time in Unix
// seconds.
const schemaPrefix = "quell_test_"

var sweepOnce sync.Once

// sweep drops the test schemas more than a day old: what test processes that were killed
// before their clean-up left behind.
func sweep(dsn string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return // DSN reports the error
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", schemaPrefix)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		created, _, _ := strings.Cut(strings.TrimPrefix(name, schemaPrefix), "_")
		if sec, err := strconv.ParseInt(created, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > 24*time.Hour {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
		}
	}
}

// Exec runs SQL statements on a connection of their own, failing the test on error.
func Exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := exec(ctx, dsn, sql); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", EnvDSN, err)
	}
}

func exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(dsn, schema string) (string, error) { return WithParam(dsn, "search_path", schema) }

// WithParam returns dsn with a run-time parameter set, in either form a connection string may
// take (a URL or key=value pairs). value must not need quoting.
func WithParam(dsn, name, value string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("%s is not a valid URL: %w", EnvDSN, err)
		}
		q := u.Query()
		q.Set(name, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " " + name + "=" + value, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
