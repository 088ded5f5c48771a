package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// storedLogin is what `quell login` keeps on disk. The file holds a secret, so it is written
// with mode 0600 in a directory with mode 0700.
type storedLogin struct {
	Server string `json:"server"`
	Token  string `json:"token"`
	// TokenID and Username are set when login created the token, so that logout can revoke it.
	TokenID  string `json:"token_id,omitempty"`
	Username string `json:"username,omitempty"`
}

// configPath returns the file the login is stored in, and whether it is the default location
// (whose directory belongs to Quell alone).
func (c *cli) configPath() (path string, isDefault bool, err error) {
	if p := c.getenv("QUELL_CONFIG"); p != "" {
		return p, false, nil
	}
	dir, err := c.configDir()
	if err != nil {
		return "", false, &setupError{msg: fmt.Sprintf("cannot find the configuration directory: %v", err),
			hint: "Set QUELL_CONFIG to the file to keep the login in, or use QUELL_SERVER and QUELL_TOKEN."}
	}
	return filepath.Join(dir, "quell", "config.json"), true, nil
}

// loadConfig reads the stored login; a missing file is an empty login. It warns when the file
// can be read by others.
func (c *cli) loadConfig() (storedLogin, string, error) {
	var s storedLogin
	path, _, err := c.configPath()
	if err != nil {
		return s, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, path, nil
	}
	if err != nil {
		return s, path, fmt.Errorf("reading the stored login: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, path, &setupError{msg: fmt.Sprintf("the stored login in %s is not valid JSON: %v", path, err),
			hint: "Run `quell logout` and `quell login` again."}
	}
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(c.stderr, "warning: %s holds a token and can be read by other users (mode %04o); run: chmod 600 %s\n",
			path, fi.Mode().Perm(), path)
	}
	return s, path, nil
}

// saveConfig writes the login atomically with mode 0600 and checks the mode it got. Unless
// insecure is set, a file that others could read is removed and an error returned.
func (c *cli) saveConfig(s storedLogin, insecure bool) (string, error) {
	path, isDefault, err := c.configPath()
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	if isDefault {
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", fmt.Errorf("restricting %s: %w", dir, err)
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".config-*.json")
	if err != nil {
		return "", fmt.Errorf("writing the login: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return "", fmt.Errorf("restricting %s: %w", tmp.Name(), err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("writing the login: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("writing the login: %w", err)
	}
	if runtime.GOOS == "windows" {
		return path, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("checking %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		if insecure {
			fmt.Fprintf(c.stderr, "warning: %s has mode %04o, not 0600: other users may read the token\n", path, perm)
			return path, nil
		}
		_ = os.Remove(path)
		return "", &setupError{msg: fmt.Sprintf("%s got mode %04o instead of 0600, so other users could read the token; it was removed", path, perm),
			hint: "Store it elsewhere with QUELL_CONFIG, use QUELL_TOKEN, or pass --insecure-store to keep it anyway."}
	}
	return path, nil
}

// removeConfig deletes the stored login; it reports whether there was one.
func (c *cli) removeConfig() (bool, error) {
	path, _, err := c.configPath()
	if err != nil {
		return false, err
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("removing the stored login: %w", err)
	}
	return true, nil
}
