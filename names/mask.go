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
	words := strings.Fields(norm.NFC.String(name))
	if len(words) == 1 && len(clusters(words[0])) == 1 {
		return "*"
	}
	for i, w := range words {
		words[i] = maskWord(clusters(w))
	}
	return strings.Join(words, " ")
}

// maskWord masks one word given as its characters.
func maskWord(cs []string) string {
	keepLast := len(cs) >= 3 && cjk(cs[0])
	var b strings.Builder
	for i, c := range cs {
		switch {
		case i == 0, keepLast && i == len(cs)-1:
			b.WriteString(c)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

// cjk reports whether a character is Hangul, Han or Kana: those names are
// a few syllables long, and showing the last one is what readers expect.
func cjk(c string) bool {
	for _, r := range c {
		return unicode.In(r, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana)
	}
	return false
}

// clusters splits a word into the characters a reader sees: each base
// rune with the marks, variation selectors and emoji modifiers after it,
// and runes joined by a zero-width joiner. (A small approximation of
// Unicode grapheme clusters, enough to never show half of a character.)
func clusters(w string) []string {
	var out []string
	joined := false
	for len(w) > 0 {
		r, size := utf8.DecodeRuneInString(w)
		if len(out) > 0 && (joined || extends(r)) {
			out[len(out)-1] += w[:size]
		} else {
			out = append(out, w[:size])
		}
		joined, w = r == '\u200D', w[size:]
	}
	return out
}

// extends reports whether r belongs to the character before it.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) || r == '\u200D' ||
		(r >= 0x1F3FB && r <= 0x1F3FF) // emoji skin-tone modifiers
}
