// Package asset holds the domain model of the asset inventory: hosts, accounts, applications and
// the rest, their identifiers and criticality, and the status of an asset within an incident.
// It is pure: no I/O, no clock.
package asset

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/validation"
)

// Kind is what sort of thing an asset is.
type Kind string

// Asset kinds.
const (
	KindHost          Kind = "host"
	KindAccount       Kind = "account"
	KindApplication   Kind = "application"
	KindService       Kind = "service"
	KindNetwork       Kind = "network"
	KindDataStore     Kind = "data_store"
	KindCloudResource Kind = "cloud_resource"
)

// Kinds lists every asset kind.
var Kinds = []Kind{KindHost, KindAccount, KindApplication, KindService, KindNetwork, KindDataStore, KindCloudResource}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// IdentifierType says what an identifier value is.
type IdentifierType string

// Identifier types.
const (
	IDHostname IdentifierType = "hostname"
	IDIP       IdentifierType = "ip"
	IDFQDN     IdentifierType = "fqdn"
	IDUsername IdentifierType = "username"
	IDEmail    IdentifierType = "email"
	IDMAC      IdentifierType = "mac"
	IDCloudID  IdentifierType = "cloud_id"
	IDURL      IdentifierType = "url"
	IDCIDR     IdentifierType = "cidr"
)

// IdentifierTypes lists every identifier type.
var IdentifierTypes = []IdentifierType{IDHostname, IDIP, IDFQDN, IDUsername, IDEmail, IDMAC, IDCloudID, IDURL, IDCIDR}

// Identifier is one way an asset is known: a hostname, an address, a user name.
type Identifier struct {
	Type  IdentifierType `json:"type"`
	Value string         `json:"value"`
}

// Classification is the sensitivity of the data an asset holds.
type Classification string

// Data classifications.
const (
	ClassPublic       Classification = "public"
	ClassInternal     Classification = "internal"
	ClassConfidential Classification = "confidential"
	ClassRestricted   Classification = "restricted"
)

// Classifications lists every classification.
var Classifications = []Classification{ClassPublic, ClassInternal, ClassConfidential, ClassRestricted}

// Criticality bounds: 1 is a lab box, 4 a crown jewel.
const (
	MinCriticality = 1
	MaxCriticality = 4
)

// Asset is an entry of the inventory.
type Asset struct {
	ID                 string         `json:"id"`
	OrgID              string         `json:"-"`
	Kind               Kind           `json:"kind"`
	Name               string         `json:"name"`
	Description        string         `json:"description"`
	Identifiers        []Identifier   `json:"identifiers"`
	Criticality        int            `json:"criticality"`
	Owner              string         `json:"owner"`
	DataClassification Classification `json:"data_classification"`
	PersonalData       bool           `json:"personal_data"`
	CreatedAt          time.Time      `json:"created_at"`
	UpdatedAt          time.Time      `json:"updated_at"`
	Version            int64          `json:"version"`
}

// Validate checks and normalises an asset before it is stored.
func (a *Asset) Validate() error {
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" || len(a.Name) > 300 {
		return validation.Errorf("/name", "is required, at most 300 characters")
	}
	if !a.Kind.Valid() {
		return validation.Errorf("/kind", "must be one of %v", Kinds)
	}
	if a.Criticality < MinCriticality || a.Criticality > MaxCriticality {
		return validation.Errorf("/criticality", "must be from %d (low) to %d (crown jewel)", MinCriticality, MaxCriticality)
	}
	if a.DataClassification == "" {
		a.DataClassification = ClassInternal
	}
	if !slices.Contains(Classifications, a.DataClassification) {
		return validation.Errorf("/data_classification", "must be one of %v", Classifications)
	}
	if len(a.Description) > 20000 || len(a.Owner) > 300 {
		return validation.Errorf("/description", "description at most 20000 and owner at most 300 characters")
	}
	if len(a.Identifiers) > 100 {
		return validation.Errorf("/identifiers", "at most 100 identifiers")
	}
	for i := range a.Identifiers {
		id, err := NormalizeIdentifier(a.Identifiers[i])
		if err != nil {
			return validation.Errorf("/identifiers/"+strconv.Itoa(i), "%v", err)
		}
		a.Identifiers[i] = id
	}
	return nil
}

// NormalizeIdentifier checks an identifier and puts its value in canonical form, so that
// lookups by value match however the value was written (case of a hostname, form of an IP).
func NormalizeIdentifier(id Identifier) (Identifier, error) {
	if !slices.Contains(IdentifierTypes, id.Type) {
		return id, validation.Errorf("", "type must be one of %v", IdentifierTypes)
	}
	v := strings.TrimSpace(id.Value)
	if v == "" || len(v) > 500 {
		return id, validation.Errorf("", "value is required, at most 500 characters")
	}
	switch id.Type {
	case IDIP:
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return id, validation.Errorf("", "%q is not an IP address", v)
		}
		v = addr.Unmap().String()
	case IDCIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return id, validation.Errorf("", "%q is not a network prefix", v)
		}
		v = p.Masked().String()
	case IDHostname, IDFQDN, IDEmail, IDMAC:
		v = strings.ToLower(strings.TrimSuffix(v, "."))
	}
	id.Value = v
	return id, nil
}

// LinkStatus is the state of an asset within one incident.
type LinkStatus string

// Link statuses, in the order an asset normally goes through them.
const (
	LinkSuspected   LinkStatus = "suspected"
	LinkCompromised LinkStatus = "compromised"
	LinkContained   LinkStatus = "contained"
	LinkEradicated  LinkStatus = "eradicated"
	LinkRecovered   LinkStatus = "recovered"
	LinkClean       LinkStatus = "clean"
)

// LinkStatuses lists every link status.
var LinkStatuses = []LinkStatus{LinkSuspected, LinkCompromised, LinkContained, LinkEradicated, LinkRecovered, LinkClean}

// Valid reports whether s is a known status.
func (s LinkStatus) Valid() bool { return slices.Contains(LinkStatuses, s) }

// Link ties an asset to an incident with a status.
type Link struct {
	IncidentID  string     `json:"incident_id"`
	IncidentKey string     `json:"incident_key,omitempty"`
	AssetID     string     `json:"asset_id"`
	AssetName   string     `json:"asset_name,omitempty"`
	Criticality int        `json:"criticality,omitempty"`
	Status      LinkStatus `json:"status"`
	Note        string     `json:"note,omitempty"`
	UpdatedBy   string     `json:"updated_by"`
	UpdatedAt   time.Time  `json:"updated_at"`
}
