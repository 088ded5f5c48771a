// Package audit defines the tamper-evident record of every change: each record carries the
// SHA-256 of the previous record's hash and its own canonical bytes, so that editing, removing
// or reordering any record breaks the chain from that point on. It is pure: no I/O, no clock.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// GenesisHash is the previous hash of the first record.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Record is one audited change.
type Record struct {
	// Seq is the record's position in the chain, from 1, without gaps.
	Seq        int64     `json:"seq"`
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id,omitempty"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	// IncidentID is set when the change belongs to an incident, so its members can read it.
	IncidentID string          `json:"incident_id,omitempty"`
	Changes    json.RawMessage `json:"changes,omitempty"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// Canonical returns the bytes the record's hash covers: every field but Hash, each length-
// prefixed so that no two different records share an encoding. Times are UTC with nanoseconds.
func (r Record) Canonical() []byte {
	fields := []string{
		fmt.Sprint(r.Seq), r.ID, r.OrgID, r.At.UTC().Format(time.RFC3339Nano), r.Actor, r.Action,
		r.ObjectType, r.ObjectID, r.IncidentID, string(r.Changes),
	}
	var b []byte
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// ComputeHash returns hex(SHA-256(prev_hash ‖ canonical record)).
func (r Record) ComputeHash() string {
	h := sha256.New()
	h.Write([]byte(r.PrevHash))
	h.Write(r.Canonical())
	return hex.EncodeToString(h.Sum(nil))
}

// Seal links r after the record whose sequence number and hash are given and sets its hash.
func (r *Record) Seal(prevSeq int64, prevHash string) {
	r.Seq = prevSeq + 1
	r.PrevHash = prevHash
	r.Hash = r.ComputeHash()
}

// Break describes the first record at which a chain does not verify.
type Break struct {
	Seq    int64
	ID     string
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at record %d (%s): %s", b.Seq, b.ID, b.Reason)
}

// Verifier checks records one by one, in sequence order.
type Verifier struct {
	prevSeq  int64
	prevHash string
	// Count is the number of records that verified.
	Count int64
}

// NewVerifier starts a verification at the beginning of the chain.
func NewVerifier() *Verifier { return &Verifier{prevHash: GenesisHash} }

// Check verifies the next record; it returns a *Break at the first record that does not fit.
func (v *Verifier) Check(r Record) error {
	switch {
	case r.Seq != v.prevSeq+1:
		return &Break{Seq: r.Seq, ID: r.ID, Reason: fmt.Sprintf("expected record %d next: records are missing or reordered", v.prevSeq+1)}
	case r.PrevHash != v.prevHash:
		return &Break{Seq: r.Seq, ID: r.ID, Reason: "previous hash does not match the record before it"}
	case r.ComputeHash() != r.Hash:
		return &Break{Seq: r.Seq, ID: r.ID, Reason: "contents do not match the record's hash"}
	}
	v.prevSeq, v.prevHash = r.Seq, r.Hash
	v.Count++
	return nil
}

// Diff is a field-level change for an audit record: field name → {old, new}.
type Diff map[string][2]any

// JSON encodes a value for Record.Changes; values that cannot be encoded become an error note.
func JSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"encoding_error": err.Error()})
	}
	return b
}
