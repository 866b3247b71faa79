package api

import "testing"

// mustNew is New for tests: a random signing key unless cfg has keys.
// With t nil, a failure panics.
func mustNew(t testing.TB, cfg Config) *Server {
	if cfg.TokenKeys == nil {
		cfg.TokenKeys = []SigningKey{NewSigningKey("test")}
	}
	s, err := New(cfg)
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	return s
}
