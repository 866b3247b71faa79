package web

import "testing"

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
