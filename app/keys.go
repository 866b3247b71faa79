package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"minipay/api"
)

// Token signing keys come from configuration, never the database: the
// MINIPAY_TOKEN_KEYS variable and a key file, both of "KEY-ID SECRET"
// lines (api.ParseSigningKeys). With neither, a server generates a key
// into a file of its own and reuses it on the next start: fine for one
// server; servers sharing a database must be given the same keys.

// KeySource says where a server's token signing keys come from.
type KeySource struct {
	// Env is the text of MINIPAY_TOKEN_KEYS; its keys come first.
	Env string
	// File is a key file to read (--token-keys-file).
	File string
	// DefaultFile is read, or created with a random key, when neither Env
	// nor File gives any key (see DefaultKeyFile).
	DefaultFile string
}

// TokenKeys returns the signing keys of src: Env's, then File's, else the
// default file's, generated if need be. It logs where the keys came from,
// never a secret.
func TokenKeys(src KeySource, log *slog.Logger) ([]api.SigningKey, error) {
	keys, err := api.ParseSigningKeys(src.Env)
	if err != nil {
		return nil, fmt.Errorf("MINIPAY_TOKEN_KEYS: %w", err)
	}
	if src.File != "" {
		fileKeys, err := readKeyFile(src.File, log)
		if err != nil {
			return nil, err
		}
		keys = append(keys, fileKeys...)
	}
	if len(keys) > 0 || src.File != "" || src.Env != "" {
		if len(keys) == 0 {
			return nil, errors.New("the configured token key sources hold no key")
		}
		log.Info("token signing keys", "keys", keyIDs(keys), "signing", keys[0].ID)
		return keys, nil
	}
	created, err := ensureKeyFile(src.DefaultFile)
	if err != nil {
		return nil, err
	}
	if keys, err = readKeyFile(src.DefaultFile, log); err != nil {
		return nil, err
	}
	log.Info("token signing key from a generated key file (no MINIPAY_TOKEN_KEYS or --token-keys-file); servers sharing a database need the same keys",
		"file", src.DefaultFile, "created", created, "keys", keyIDs(keys))
	return keys, nil
}

// DefaultKeyFile is where a server keeps a generated key: beside its
// SQLite database (PATH.keys), else in the working directory.
func DefaultKeyFile(databaseURL string) string {
	if path, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		if path = strings.TrimPrefix(path, "//"); path != "" && !strings.HasPrefix(path, ":memory:") {
			return path + ".keys"
		}
	}
	return "minipay-token-keys"
}

func keyIDs(keys []api.SigningKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

// readKeyFile reads a key file, warning if others than its owner may read
// it.
func readKeyFile(path string, log *slog.Logger) ([]api.SigningKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token key file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
		log.Warn("token key file is readable by others than its owner; chmod 600 it", "file", path, "mode", st.Mode().Perm().String())
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("token key file %s: %w", path, err)
	}
	keys, err := api.ParseSigningKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("token key file %s: %w", path, err)
	}
	return keys, nil
}

// ensureKeyFile creates path with one random key, mode 0600, unless it
// exists, and says whether it did. The file appears whole or not at all
// (written aside, then linked into place), so servers starting together
// on one directory end up with the same key.
func ensureKeyFile(path string) (bool, error) {
	if _, err := os.Stat(path); err == nil {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".minipay-keys-*") // mode 0600
	if err != nil {
		return false, fmt.Errorf("token key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	id := make([]byte, 4)
	rand.Read(id)
	text := "# minipay token signing keys, one \"KEY-ID SECRET\" per line: the first signs, all verify.\n" +
		"# Generated because none was configured (MINIPAY_TOKEN_KEYS, --token-keys-file). Keep it secret.\n" +
		api.KeyLine(api.NewSigningKey("auto-"+hex.EncodeToString(id))) + "\n"
	_, err = tmp.WriteString(text)
	if err == nil {
		err = tmp.Sync()
	}
	if err = errors.Join(err, tmp.Close()); err != nil {
		return false, fmt.Errorf("token key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("token key file: %w", err)
	}
	return true, nil
}
