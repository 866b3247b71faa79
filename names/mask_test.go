package names

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"korean 2", "김수", "김*"},
		{"korean 3", "김민수", "김*수"},
		{"korean 4", "남궁민수", "남**수"},
		{"korean 5", "황보가나다", "황***다"},
		{"korean with a space", "남궁 민수", "남* 민*"},
		{"one syllable", "김", "*"},
		{"one letter", "J", "*"},
		{"latin", "John Smith", "J*** S****"},
		{"latin initial", "J. R. Smith", "J* R* S****"},
		{"latin one word", "Madonna", "M******"},
		{"extra spaces", "  John   Smith ", "J*** S****"},
		{"empty", "", ""},
		{"spaces only", "   ", ""},
		{"decomposed hangul (NFD)", "\u1100\u1175\u11B7\u1106\u1175\u11AB\u1109\u116E", "김*수"},
		{"combining acute", "Jose\u0301 Garci\u0301a", "J*** G*****"},
		{"precomposed accent first", "Élodie", "É*****"},
		{"combining mark on the first letter (NFC)", "E\u0301lodie", "\u00C9*****"},
		{"emoji", "😀😀😀", "😀**"},
		{"emoji with skin tone", "👍🏽👍🏽", "👍🏽*"},
		{"zwj family", "👨\u200D👩\u200D👧 Kim", "👨\u200D👩\u200D👧 K**"},
		{"single emoji", "👨\u200D👩\u200D👧", "*"},
		{"japanese", "やまだ", "や*だ"},
		{"chinese 2", "王伟", "王*"},
		{"cyrillic", "Иван Петров", "И*** П*****"},
	} {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("%s: Mask(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// However a name is written (invalid UTF-8, stray marks, joiners), its
// masked form shows no character of a word but its first and last: every
// other character is one '*'.
func FuzzMaskHidesMiddles(f *testing.F) {
	for _, s := range []string{"김민수", "John Smith", "😀😀", "a\u0301b\u0301c", "\xea", "깯*0", "a\u200D\xea\u0301b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, w := range strings.Fields(Mask(s)) {
			cs := clusters(w)
			for _, c := range cs[1:max(1, len(cs)-1)] {
				if c != "*" {
					t.Fatalf("Mask(%q) = %q shows %q", s, Mask(s), c)
				}
			}
		}
	})
}

// clusters splits a word into the characters a reader sees.
func clusters(w string) []string {
	var out []string
	for w != "" {
		n := clusterLen(w)
		out, w = append(out, w[:n]), w[n:]
	}
	return out
}
