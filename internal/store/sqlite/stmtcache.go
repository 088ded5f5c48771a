package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the statements prepared on the writer connection across transactions.
// Intake and correlation run the same few statements in transaction after transaction, and
// parsing them again for each cost as much as running them.
//
// The writer pool has one connection, which a transaction holds, so a statement cannot be
// prepared on the pool while one runs: a transaction notes the statements it had to prepare
// for itself, and the next write prepares them on the pool before it begins. Later
// transactions take their own handle of a cached statement (sql.Tx.StmtContext), which
// reuses the statement parsed on that connection.
type stmtCache struct {
	mu     sync.Mutex
	db     *sql.DB
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
}

// stmtCacheMax bounds the cache: statements with IN lists come in many lengths. A full cache
// is emptied before the next transaction begins.
const stmtCacheMax = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// get returns the cached statement for query, or nil after noting that query is wanted.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	c.wanted[query] = true
	return nil
}

// prepare empties a full cache and prepares the statements transactions asked for. It runs
// before a write transaction begins, when the writer connection is free or about to be, and
// holds no lock while it waits for the connection: the transaction holding it may be asking
// the cache for a statement. A statement that does not prepare is left to be prepared by each
// transaction.
func (c *stmtCache) prepare(ctx context.Context) {
	c.mu.Lock()
	if len(c.wanted) == 0 {
		c.mu.Unlock()
		return
	}
	if len(c.stmts)+len(c.wanted) > stmtCacheMax {
		c.closeLocked()
	}
	queries := make([]string, 0, len(c.wanted))
	for q := range c.wanted {
		queries = append(queries, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range queries {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.stmts[q]; ok || len(c.stmts) >= stmtCacheMax {
			_ = st.Close() // another write prepared it first, or the cache is full
		} else {
			c.stmts[q] = st
		}
		c.mu.Unlock()
	}
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
	clear(c.wanted)
}

func (c *stmtCache) closeLocked() {
	for q, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, q)
	}
}
