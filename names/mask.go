// Package names decides how people's names may read and be shown: the
// masked real name others see (김*수), and the names nobody may take
// because they read as minipay's own or an official sender's.
package names

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Mask returns name as other users may see it, the way Korean pay apps
// show a counterparty:
//
//   - Korean (and other CJK) words keep their first character and, from
//     three characters on, their last; the middle is masked: 김* ·
//     김*수 · 남**수.
//   - Other words keep their first character: J*** S****.
//   - A name of a single character is masked whole; a one-character
//     word in a longer name (an initial) stays.
//
// Characters are counted as the reader sees them: a letter with its
// combining marks, an emoji with its modifiers and joined parts, and a
// decomposed Hangul syllable (after NFC) are one character, masked by one
// '*'. Surrounding and repeated spaces go.
func Mask(name string) string {
	// One builder for the whole name: a history page masks a name per
	// entry, and this is most of what it allocates otherwise.
	var b strings.Builder
	b.Grow(len(name))
	words, chars := 0, 0
	for w := range strings.FieldsSeq(norm.NFC.String(name)) {
		if words > 0 {
			b.WriteByte(' ')
		}
		words++
		chars = maskWord(&b, w)
	}
	if words == 1 && chars == 1 {
		return "*"
	}
	return b.String()
}

// maskWord writes w masked to b and returns how many characters it has.
func maskWord(b *strings.Builder, w string) int {
	first := w[:clusterLen(w)]
	n, last := 1, ""
	for rest := w[len(first):]; rest != ""; rest = rest[len(last):] {
		last = rest[:clusterLen(rest)]
		n++
	}
	keepLast := n >= 3 && cjk(first)
	b.WriteString(first)
	stars := n - 1
	if keepLast {
		stars--
	}
	for range stars {
		b.WriteByte('*')
	}
	if keepLast {
		b.WriteString(last)
	}
	return n
}

// cjk reports whether a character is Hangul, Han or Kana: those names are
// a few syllables long, and showing the last one is what readers expect.
func cjk(c string) bool {
	for _, r := range c {
		return unicode.In(r, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana)
	}
	return false
}

// clusterLen is the length in bytes of the first character a reader sees
// in w: its first rune with the marks, variation selectors and emoji
// modifiers after it, and runes joined to it by a zero-width joiner. (A
// small approximation of Unicode grapheme clusters, enough to never show
// half of a character.)
func clusterLen(w string) int {
	r, n := utf8.DecodeRuneInString(w)
	for joined := r == '\u200D'; n < len(w); {
		next, size := utf8.DecodeRuneInString(w[n:])
		if !joined && !extends(next) {
			break
		}
		joined, n = next == '\u200D', n+size
	}
	return n
}

// extends reports whether r belongs to the character before it.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) || r == '\u200D' ||
		(r >= 0x1F3FB && r <= 0x1F3FF) // emoji skin-tone modifiers
}
