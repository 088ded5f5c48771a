// Package apiclient is the typed Go client of Quell's JSON HTTP API, used by the quell command
// line and by tests. There is one method per route; each takes a context first, then the
// request type of the route, and returns its response type.
//
// Errors the server reports come back as *Problem (RFC 9457 problem details), so callers can
// tell a missing object (IsNotFound), a version conflict (IsConflict) or blocked phase exit
// (Problem.Unmet) from other failures. A request that gets no HTTP response at all fails with
// a *TransportError that names the server it tried.
//
// Updates take an ifMatch argument: when not zero it is sent as If-Match: "<version>" and the
// server refuses the change (412) if the object moved on since that version was read.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds each request made with the default HTTP client.
const DefaultTimeout = 30 * time.Second

// Response bodies larger than these are refused, so that a misbehaving server cannot exhaust
// the client's memory.
const (
	maxBody      = 64 << 20
	maxErrorBody = 64 << 10
)

// Client calls one Quell server with one credential. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	hc        *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc (its own timeout, transport,
// cookie jar). The default is an http.Client with DefaultTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithVersion sets the version sent in the User-Agent header, quell-cli/<version>.
func WithVersion(version string) Option {
	return func(c *Client) {
		if version != "" {
			c.userAgent = "quell-cli/" + version
		}
	}
}

// New returns a client of the server at baseURL (http or https, optionally with a path prefix
// under which the server is mounted) that authenticates with token. An empty token sends no
// Authorization header, which is enough for the public routes (health, token login).
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("server URL %q: the scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("server URL %q: a host is required", u.Redacted())
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server URL %q: must not carry credentials, a query or a fragment", u.Redacted())
	}
	for _, r := range token {
		if r <= ' ' || r > '~' {
			return nil, errors.New("the token holds spaces, line breaks or other characters a token never has")
		}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	c := &Client{
		base:      u,
		token:     token,
		hc:        &http.Client{Timeout: DefaultTimeout},
		userAgent: "quell-cli/dev",
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL returns the server's URL as the client uses it.
func (c *Client) BaseURL() string { return c.base.String() }

// FieldError says which field of a request was wrong and why: a field of the body (Pointer)
// or a query parameter (Parameter); neither when the whole request is wrong.
type FieldError struct {
	// Pointer is a JSON Pointer into the request body, such as "/title".
	Pointer string `json:"pointer,omitempty"`
	// Parameter names a query parameter, such as "cursor".
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

// TransportError reports a request that got no HTTP response: the server could not be
// reached, the connection broke, or the request timed out.
type TransportError struct {
	Method string
	// Server is the base URL the client was configured with.
	Server string
	URL    string
	Err    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// do sends one request to path (below the base URL) and decodes a JSON response into out
// when out is not nil. It returns a *Problem for any status outside 2xx.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, ifMatch int64, in, out any) error {
	// path is already escaped (see seg); keep that escaping so that a "/" inside a user name
	// stays inside its segment.
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	unescaped, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	u.Path = unescaped
	u.RawQuery = query.Encode()

	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding %s %s request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if ifMatch != 0 {
		req.Header.Set("If-Match", ETag(ifMatch))
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &TransportError{Method: method, Server: c.base.String(), URL: u.Redacted(), Err: err}
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readProblem(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxBody))
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding the %d response: %w", method, path, resp.StatusCode, err)
	}
	return nil
}

// ETag returns the entity tag of an object version, as the server sends it: "<version>".
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// seg escapes one path segment taken from the caller (a key, an id, a user name).
func seg(s string) string { return url.PathEscape(s) }

// ListOptions pages through a list: Cursor is the Next of the previous page, Limit the page
// size (0 lets the server choose).
type ListOptions struct {
	Cursor string
	Limit  int
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}

// addAll adds one query parameter per value; the API also accepts comma-separated values.
func addAll[T ~string](q url.Values, key string, vs []T) {
	for _, v := range vs {
		if v != "" {
			q.Add(key, string(v))
		}
	}
}

func setIf(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}
