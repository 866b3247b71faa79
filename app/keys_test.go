package app

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"minipay/api"
)

func TestDefaultKeyFile(t *testing.T) {
	for url, want := range map[string]string{
		"sqlite:minipay.db":          "minipay.db.keys",
		"sqlite:///var/lib/m.db":     "/var/lib/m.db.keys",
		"sqlite:/var/lib/m.db":       "/var/lib/m.db.keys",
		"postgres://u@h/db":          "minipay-token-keys",
		"sqlite::memory:":            "minipay-token-keys",
		"postgresql://u@h/db?x=1&y=": "minipay-token-keys",
	} {
		if got := DefaultKeyFile(url); got != want {
			t.Errorf("DefaultKeyFile(%q) = %q, want %q", url, got, want)
		}
	}
}

// TestGeneratedKeyFile: with nothing configured a key is generated into
// the default file, mode 0600, reused on the next start, also by servers
// starting at once; the log names the file and never the secret.
func TestGeneratedKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.db.keys")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	const n = 8
	got := make([][]api.SigningKey, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			keys, err := TokenKeys(KeySource{DefaultFile: path}, log)
			if err != nil {
				t.Error(err)
			}
			got[i] = keys
		})
	}
	wg.Wait()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	for i := range got {
		if len(got[i]) != 1 || got[i][0].ID != got[0][0].ID || !bytes.Equal(got[i][0].Secret, got[0][0].Secret) {
			t.Fatalf("server %d got keys %v, server 0 %v", i, got[i], got[0])
		}
	}
	again, err := TokenKeys(KeySource{DefaultFile: path}, log)
	if err != nil || !bytes.Equal(again[0].Secret, got[0][0].Secret) {
		t.Fatalf("the next start got %v (%v), not the generated key", again, err)
	}
	if !strings.Contains(logs.String(), path) {
		t.Errorf("the log does not say where the key is: %s", logs.String())
	}
	if strings.Contains(logs.String(), base64.StdEncoding.EncodeToString(got[0][0].Secret)) {
		t.Error("the log shows the secret")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the key directory holds %d files, want only the key file", len(entries))
	}
}

// TestConfiguredKeys: MINIPAY_TOKEN_KEYS's keys come first, then the
// file's; no key file is generated; errors stop the server.
func TestConfiguredKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envKey, fileKey := api.NewSigningKey("from-env"), api.NewSigningKey("from-file")
	file := filepath.Join(dir, "keys")
	if err := os.WriteFile(file, []byte("# keys\n"+api.KeyLine(fileKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	unused := filepath.Join(dir, "generated")
	keys, err := TokenKeys(KeySource{Env: api.KeyLine(envKey), File: file, DefaultFile: unused}, log)
	if err != nil || len(keys) != 2 || keys[0].ID != "from-env" || keys[1].ID != "from-file" {
		t.Fatalf("keys %v, %v", keys, err)
	}
	if keys, err := TokenKeys(KeySource{File: file, DefaultFile: unused}, log); err != nil || len(keys) != 1 || keys[0].ID != "from-file" {
		t.Fatalf("file only: keys %v, %v", keys, err)
	}
	if _, err := os.Stat(unused); !os.IsNotExist(err) {
		t.Error("a key file was generated although keys were configured")
	}
	for name, src := range map[string]KeySource{
		"missing file":   {File: filepath.Join(dir, "nope")},
		"bad env":        {Env: "k tooshort"},
		"empty env only": {Env: "# nothing\n"},
	} {
		src.DefaultFile = unused
		if _, err := TokenKeys(src, log); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
