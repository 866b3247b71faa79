package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWon(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 3000000: "3,000,000", -25000: "-25,000"} {
		if got := won(n); got != want {
			t.Errorf("won(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]int64{"20000": 20000, "20,000": 20000, "20,000원": 20000, " 5 000 ": 5000} {
		if got, ok := parseAmount(in); !ok || got != want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0", "-5", "abc", "1.5", "99999999999999999999"} {
		if _, ok := parseAmount(in); ok {
			t.Errorf("parseAmount(%q) accepted", in)
		}
	}
}

// Every message has both languages.
func TestMessagesComplete(t *testing.T) {
	for k, m := range messages {
		if m.ko == "" || m.en == "" {
			t.Errorf("message %q lacks a language", k)
		}
	}
	for code, k := range errorKeys {
		if _, ok := messages[k]; !ok {
			t.Errorf("error %s: no message %q", code, k)
		}
	}
}

// A browser's Accept-Language picks the language when no choice is
// remembered: the highest q of Korean and English, Korean if neither.
func TestPreferredLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                        "ko",
		"en-US,en;q=0.9":          "en",
		"ko-KR,ko;q=0.9,en;q=0.8": "ko",
		"fr-FR,en;q=0.5,ko;q=0.4": "en",
		"en;q=0.3, ko;q=0.7":      "ko",
		"de, fr":                  "ko",
		"EN-gb":                   "en",
		"en;q=0":                  "ko",
	} {
		if got := preferred(header); got != want {
			t.Errorf("preferred(%q) = %s, want %s", header, got, want)
		}
	}
}

func TestWonByLanguage(t *testing.T) {
	ko, en := &page{Lang: "ko"}, &page{Lang: "en"}
	if got := ko.Won(12345); got != "12,345원" {
		t.Errorf("ko: %s", got)
	}
	if got := en.Won(12345); got != "₩12,345" {
		t.Errorf("en: %s", got)
	}
	if got := en.Won(-500); got != "-₩500" {
		t.Errorf("en negative: %s", got)
	}
}

// The switch (?lang=, then its cookie) wins over the browser's preference.
func TestLanguageChoice(t *testing.T) {
	for _, tc := range []struct{ query, cookie, accept, want string }{
		{"", "", "", "ko"},
		{"", "", "en-US,en;q=0.9", "en"},
		{"", "ko", "en-US,en;q=0.9", "ko"},
		{"", "en", "ko", "en"},
		{"?lang=ko", "en", "en", "ko"},
		{"?lang=en", "", "ko", "en"},
	} {
		r := httptest.NewRequest("GET", "/"+tc.query, nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
		}
		r.Header.Set("Accept-Language", tc.accept)
		if got := language(r); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
}
