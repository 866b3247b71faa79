package api

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"minipay/clock"
)

func TestParseSigningKeys(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef") // 32 bytes
	text := "# comment\n\n" +
		"2026-12 " + base64.StdEncoding.EncodeToString(secret) + "\n" +
		"  old.key_1  " + hex.EncodeToString(secret) + "  \n" +
		"url " + base64.RawURLEncoding.EncodeToString(append(secret, 0xfb, 0xff)) + "\n"
	keys, err := ParseSigningKeys(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || keys[0].ID != "2026-12" || keys[1].ID != "old.key_1" || keys[2].ID != "url" {
		t.Fatalf("keys %v", keys)
	}
	for _, k := range keys {
		if string(k.Secret[:32]) != string(secret) {
			t.Errorf("%v decoded wrong", k)
		}
	}
	if s := fmt.Sprint(keys[0]); strings.Contains(s, base64.StdEncoding.EncodeToString(secret)) || strings.Contains(s, string(secret)) {
		t.Errorf("a key prints its secret: %s", s)
	}
	if again, err := ParseSigningKeys(KeyLine(keys[2])); err != nil || string(again[0].Secret) != string(keys[2].Secret) {
		t.Errorf("KeyLine does not parse back: %v %v", again, err)
	}

	short := base64.StdEncoding.EncodeToString(secret[:31])
	for name, bad := range map[string]string{
		"short secret":   "k " + short,
		"no secret":      "k",
		"three fields":   "k " + hex.EncodeToString(secret) + " x",
		"bad id":         "k/1 " + hex.EncodeToString(secret),
		"not hex/base64": "k " + strings.Repeat("!", 44),
	} {
		_, err := ParseSigningKeys(bad)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), short) || strings.Contains(err.Error(), hex.EncodeToString(secret)) {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

func TestKeyringRefusesBadSets(t *testing.T) {
	k := NewSigningKey("a")
	for name, keys := range map[string][]SigningKey{
		"none":         nil,
		"duplicate id": {k, NewSigningKey("a")},
		"short":        {{ID: "s", Secret: make([]byte, 31)}},
	} {
		if _, err := New(Config{Clock: clock.System{}, TokenKeys: keys}); err == nil {
			t.Errorf("%s: New accepted the keys", name)
		}
	}
}
