// Package auth signs people and machines in and manages who they are: users and their roles in
// each organisation, browser sessions, API tokens, and the bootstrap of the first admin.
// Passwords are hashed with argon2id; session and token secrets are stored only as SHA-256
// hashes; failed logins are rate-limited per account and per address, and an unknown user
// gets exactly the answer a wrong password gets.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

var (
	// ErrBadCredentials is the one answer to an unknown user, a wrong password or a disabled account.
	ErrBadCredentials = errors.New("invalid user name or password")
	// ErrUnauthenticated means no valid session or token came with the request.
	ErrUnauthenticated = errors.New("authentication required")
)

// RateLimitedError says a login was refused because of too many recent failures.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %s", e.RetryAfter.Round(time.Second))
}

// Service authenticates and manages identities.
type Service struct {
	store      store.Store
	now        func() time.Time
	log        *slog.Logger
	accounts   *limiter
	addresses  *limiter
	sessionTTL time.Duration
}

// Options tune a Service; zero values pick the defaults.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// SessionTTL is how long a session lives without activity (default 12 hours).
	SessionTTL time.Duration
	// MaxFailuresPerAccount and MaxFailuresPerAddress are allowed in 15 minutes (5 and 20).
	MaxFailuresPerAccount, MaxFailuresPerAddress int
}

// New returns a Service on st.
func New(st store.Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.MaxFailuresPerAccount <= 0 {
		opts.MaxFailuresPerAccount = 5
	}
	if opts.MaxFailuresPerAddress <= 0 {
		opts.MaxFailuresPerAddress = 20
	}
	return &Service{
		store: st, now: opts.Now, log: opts.Logger, sessionTTL: opts.SessionTTL,
		accounts:  newLimiter(opts.MaxFailuresPerAccount, 15*time.Minute),
		addresses: newLimiter(opts.MaxFailuresPerAddress, 15*time.Minute),
	}
}

// SessionTTL is how long an idle session lives.
func (s *Service) SessionTTL() time.Duration { return s.sessionTTL }

func newID() string { return ulid.Make().String() }

// HashSecret returns the hex SHA-256 under which a session or token secret is stored.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func appendAudit(ctx context.Context, tx store.Tx, orgID, actor, action, objType, objID string, at time.Time, changes any) error {
	rec := audit.Record{ID: newID(), OrgID: orgID, At: at, Actor: actor, Action: action, ObjectType: objType, ObjectID: objID}
	if changes != nil {
		rec.Changes = audit.JSON(changes)
	}
	if err := tx.Audit().Append(ctx, &rec); err != nil {
		return fmt.Errorf("write audit record: %w", err)
	}
	return nil
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{1,63}$`)

// CheckUsername normalises a user name to lower case and checks its form.
func CheckUsername(pointer, name string) (string, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if !usernamePattern.MatchString(name) {
		return "", validation.Errorf(pointer, "a user name is 2 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit")
	}
	return name, nil
}

// BootstrapResult says what Bootstrap did.
type BootstrapResult struct {
	Created  bool
	Username string
	// Password is set when it was generated, to be shown once.
	Password string
}

// Bootstrap makes sure the default organisation exists and, when there is no user at all,
// creates the first admin with the given password, or a generated one when it is empty.
//
// Several nodes may start at once on one database: the one that loses the race to create the
// organisation or the admin sees a duplicate, and then finds what the winner created.
func (s *Service) Bootstrap(ctx context.Context, username, password string) (BootstrapResult, error) {
	res, err := s.bootstrap(ctx, username, password)
	if errors.Is(err, store.ErrDuplicate) {
		res, err = s.bootstrap(ctx, username, password)
	}
	return res, err
}

func (s *Service) bootstrap(ctx context.Context, username, password string) (BootstrapResult, error) {
	res := BootstrapResult{Username: username}
	if res.Username == "" {
		res.Username = "admin"
	}
	generated := password == ""
	if generated {
		password = GeneratePassword()
	}
	if err := CheckPassword("/password", password); err != nil {
		return res, fmt.Errorf("admin password: %w", err)
	}
	var users int
	if err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		users, err = tx.Users().Count(ctx)
		return err
	}); err != nil {
		return res, err
	}
	if users > 0 {
		// Not the first start: make sure the default organisation exists, hash nothing.
		return res, s.store.Write(ctx, func(tx store.Tx) error {
			_, err := ensureDefaultOrg(ctx, tx, s.now().UTC())
			return err
		})
	}
	hash, err := HashPassword(password)
	if err != nil {
		return res, err
	}
	err = s.store.Write(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		org, err := ensureDefaultOrg(ctx, tx, now)
		if err != nil {
			return err
		}
		n, err := tx.Users().Count(ctx)
		if err != nil || n > 0 {
			return err
		}
		u := access.User{ID: newID(), Username: res.Username, DisplayName: "Administrator", PasswordHash: hash,
			CreatedAt: now, UpdatedAt: now, Version: 1}
		if u.Username, err = CheckUsername("/username", u.Username); err != nil {
			return err
		}
		if err := tx.Users().Create(ctx, u); err != nil {
			return err
		}
		if err := tx.Users().SetMembership(ctx, access.Membership{UserID: u.ID, OrgID: org.ID, Role: access.RoleAdmin}); err != nil {
			return err
		}
		res.Created = true
		return appendAudit(ctx, tx, org.ID, "system", "user.bootstrap", "user", u.ID, now,
			map[string]any{"username": u.Username, "role": access.RoleAdmin})
	})
	if err == nil && res.Created && generated {
		res.Password = password
	}
	return res, err
}

func ensureDefaultOrg(ctx context.Context, tx store.Tx, now time.Time) (access.Org, error) {
	org, err := tx.Orgs().GetBySlug(ctx, access.DefaultOrgSlug)
	if !errors.Is(err, store.ErrNotFound) {
		return org, err
	}
	org = access.Org{ID: newID(), Slug: access.DefaultOrgSlug, Name: "Default", CreatedAt: now}
	if err := tx.Orgs().Create(ctx, org); err != nil {
		return org, err
	}
	return org, appendAudit(ctx, tx, org.ID, "system", "org.create", "org", org.ID, now, org)
}

// checkCredentials verifies a user name and password under the rate limits.
func (s *Service) checkCredentials(ctx context.Context, username, password, addr string) (access.User, error) {
	now := s.now()
	name := strings.ToLower(strings.TrimSpace(username))
	acctKey, addrKey := "u:"+name, "a:"+addr
	if wait := max(s.accounts.wait(acctKey, now), s.addresses.wait(addrKey, now)); wait > 0 {
		return access.User{}, &RateLimitedError{RetryAfter: wait}
	}
	var u access.User
	err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		u, err = tx.Users().GetByUsername(ctx, name)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash()
	}
	ok, verr := VerifyPassword(hash, password)
	if err != nil || verr != nil || !ok || u.Disabled {
		s.accounts.fail(acctKey, now)
		s.addresses.fail(addrKey, now)
		s.log.Info("login failed", "username", name, "address", addr)
		return access.User{}, ErrBadCredentials
	}
	s.accounts.reset(acctKey)
	return u, nil
}

// pickOrg returns the membership to sign in with: the organisation named by slug, or the
// default organisation, or the first one the user belongs to.
func pickOrg(ctx context.Context, tx store.Tx, userID, slug string) (access.Membership, error) {
	ms, err := tx.Users().Memberships(ctx, userID)
	if err != nil {
		return access.Membership{}, err
	}
	if len(ms) == 0 {
		return access.Membership{}, ErrBadCredentials
	}
	for _, m := range ms {
		if (slug != "" && m.OrgSlug == slug) || (slug == "" && m.OrgSlug == access.DefaultOrgSlug) {
			return m, nil
		}
	}
	if slug != "" {
		return access.Membership{}, validation.Errorf("/org", "you are not a member of organisation %q", slug)
	}
	return ms[0], nil
}

// Login checks credentials and opens a browser session. It returns the session secret (for
// the cookie) and who signed in.
func (s *Service) Login(ctx context.Context, req LoginRequest, addr string) (string, Me, error) {
	u, err := s.checkCredentials(ctx, req.Username, req.Password, addr)
	if err != nil {
		return "", Me{}, err
	}
	secret := rand.Text() + rand.Text()
	var p access.Principal
	err = s.store.Write(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		m, err := pickOrg(ctx, tx, u.ID, req.Org)
		if err != nil {
			return err
		}
		sess := access.Session{ID: HashSecret(secret), UserID: u.ID, OrgID: m.OrgID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.sessionTTL)}
		if err := tx.Sessions().Create(ctx, sess); err != nil {
			return err
		}
		u.LastLoginAt = &now
		if err := tx.Users().Update(ctx, u, u.Version); err != nil {
			return err
		}
		u.Version++
		p = access.Principal{UserID: u.ID, Username: u.Username, OrgID: m.OrgID, Role: m.Role}
		return appendAudit(ctx, tx, m.OrgID, u.Username, "session.create", "user", u.ID, now, map[string]string{"address": addr})
	})
	if err != nil {
		return "", Me{}, err
	}
	me, err := s.Me(ctx, p)
	return secret, me, err
}

// TokenLogin checks credentials and creates an API token (for `quell login`).
func (s *Service) TokenLogin(ctx context.Context, req TokenLoginRequest, addr string) (CreatedToken, error) {
	u, err := s.checkCredentials(ctx, req.Username, req.Password, addr)
	if err != nil {
		return CreatedToken{}, err
	}
	var p access.Principal
	err = s.store.Read(ctx, func(tx store.Tx) error {
		m, err := pickOrg(ctx, tx, u.ID, req.Org)
		p = access.Principal{UserID: u.ID, Username: u.Username, OrgID: m.OrgID, Role: m.Role}
		return err
	})
	if err != nil {
		return CreatedToken{}, err
	}
	if req.Name == "" {
		req.Name = "quell CLI"
	}
	if req.Scope == "" {
		req.Scope = scopeFor(p.Role)
	}
	return s.CreateToken(ctx, p, NewToken{Name: req.Name, Scope: req.Scope, ExpiresInDays: 90})
}

func scopeFor(r access.Role) access.Scope {
	switch r {
	case access.RoleAdmin:
		return access.ScopeAdmin
	case access.RoleViewer:
		return access.ScopeRead
	}
	return access.ScopeWrite
}

// AuthenticateSession returns the principal of a session secret and extends the session.
func (s *Service) AuthenticateSession(ctx context.Context, secret string) (access.Principal, error) {
	if secret == "" || len(secret) > 256 {
		return access.Principal{}, ErrUnauthenticated
	}
	id := HashSecret(secret)
	now := s.now().UTC()
	var (
		p    access.Principal
		sess access.Session
	)
	err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		sess, err = tx.Sessions().Get(ctx, id)
		if err != nil {
			return err
		}
		if !now.Before(sess.ExpiresAt) {
			return ErrUnauthenticated
		}
		p, err = principalOf(ctx, tx, sess.UserID, sess.OrgID)
		return err
	})
	if err != nil {
		return p, authErr(err)
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.store.Write(ctx, func(tx store.Tx) error {
			return tx.Sessions().Touch(ctx, id, now, now.Add(s.sessionTTL))
		}); err != nil {
			s.log.Warn("extend session", "err", err)
		}
	}
	return p, nil
}

func principalOf(ctx context.Context, tx store.Tx, userID, orgID string) (access.Principal, error) {
	u, err := tx.Users().Get(ctx, userID)
	if err != nil {
		return access.Principal{}, err
	}
	if u.Disabled {
		return access.Principal{}, ErrUnauthenticated
	}
	m, err := tx.Users().Membership(ctx, userID, orgID)
	if err != nil {
		return access.Principal{}, err
	}
	return access.Principal{UserID: u.ID, Username: u.Username, OrgID: orgID, Role: m.Role}, nil
}

func authErr(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrUnauthenticated) {
		return ErrUnauthenticated
	}
	return err
}

// SessionCookie is the name of the session cookie the API and the web UI share.
const SessionCookie = "quell_session"

// SessionCookieName is the cookie's name as sent: with TLS it carries the __Host- prefix, which
// binds it to this host and path / and requires the Secure flag.
func SessionCookieName(secure bool) string {
	if secure {
		return "__Host-" + SessionCookie
	}
	return SessionCookie
}

// TokenPrefix starts every API token, so that secret scanners can recognise leaked ones.
const TokenPrefix = "quell_"

// AuthenticateToken returns the principal of an API token and records its use.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (access.Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 256 {
		return access.Principal{}, ErrUnauthenticated
	}
	now := s.now().UTC()
	var (
		p   access.Principal
		tok access.Token
	)
	err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		tok, err = tx.Tokens().GetByHash(ctx, HashSecret(secret))
		if err != nil {
			return err
		}
		if !tok.Active(now) {
			return ErrUnauthenticated
		}
		p, err = principalOf(ctx, tx, tok.UserID, tok.OrgID)
		return err
	})
	if err != nil {
		return p, authErr(err)
	}
	p.Scope, p.TokenID = tok.Scope, tok.ID
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > time.Minute {
		if err := s.store.Write(ctx, func(tx store.Tx) error { return tx.Tokens().Touch(ctx, tok.ID, now) }); err != nil {
			s.log.Warn("record token use", "err", err)
		}
	}
	return p, nil
}

// Logout ends a browser session.
func (s *Service) Logout(ctx context.Context, p access.Principal, secret string) error {
	return s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.Sessions().Delete(ctx, HashSecret(secret)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return appendAudit(ctx, tx, p.OrgID, p.Username, "session.delete", "user", p.UserID, s.now().UTC(), nil)
	})
}

// Me describes the principal.
func (s *Service) Me(ctx context.Context, p access.Principal) (Me, error) {
	me := Me{OrgID: p.OrgID, Role: p.Effective(), Scope: p.Scope}
	err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		if me.User, err = tx.Users().Get(ctx, p.UserID); err != nil {
			return err
		}
		if me.Memberships, err = tx.Users().Memberships(ctx, p.UserID); err != nil {
			return err
		}
		for _, m := range me.Memberships {
			if m.OrgID == p.OrgID {
				me.OrgSlug = m.OrgSlug
			}
		}
		orgs, err := tx.Orgs().List(ctx)
		me.MultiOrg = len(orgs) > 1
		return err
	})
	return me, err
}
