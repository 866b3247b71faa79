package store

import (
	"strings"
	"unicode"
)

// MaskName is how a user's real name is shown to other users: enough to
// check that a username is the person meant (김*수), too little to learn
// their name. Each word is masked on its own. A Hangul word keeps its
// first and last syllables (김철수 → 김*수, 남궁민수 → 남**수; of two
// syllables only the first: 김수 → 김*); any other word keeps its first
// letter (John Smith → J*** S****). A one-letter word shows as it is.
func MaskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		words[i] = maskWord([]rune(w))
	}
	return strings.Join(words, " ")
}

func maskWord(w []rune) string {
	if len(w) <= 1 {
		return string(w)
	}
	keepLast := len(w) > 2 && unicode.Is(unicode.Hangul, w[0])
	out := make([]rune, len(w))
	for i, r := range w {
		if i == 0 || (keepLast && i == len(w)-1) {
			out[i] = r
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}
