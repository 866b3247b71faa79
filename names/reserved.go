package names

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Names that read as minipay's own or an official sender's are refused
// for display names, names and usernames: a transfer "from" minipay
// Security asking to "verify" an account is the first step of a common
// scam. Matching is on a skeleton of the text (see skeleton), so spacing,
// punctuation, case, fullwidth forms and invisible characters do not get
// around it; a word inside a longer one matches too ("badminton" holds
// "admin"), a rare false refusal that names the word, so the user can
// pick another name.

// reserved may not appear at all.
var reserved = []string{
	"minipay", "미니페이", // the service itself
	"admin", "관리자", "운영자", // who runs it
	"official", "공식", // claims of authority
	"security", "보안", // the classic phishing sender
	"support", "고객센터", // who asks for your password "to help"
	"notice", "공지", // what the service sends
	"system", "시스템",
}

// institutions and roles are harmless alone ("Bank of Mom", "Team
// dinner") but together read as an institution's staff: "KB은행 안내",
// "Kakao Bank Team".
var (
	institutions = []string{"bank", "은행", "뱅크", "card", "카드", "금융", "police", "경찰"}
	roles        = []string{"team", "팀", "center", "centre", "센터", "service", "서비스", "help", "안내", "상담", "고객"}
)

// lookalikes maps letters of other scripts that look like the Latin ones
// of the words above (NFKC leaves them alone): a small skeleton, not all
// of Unicode's confusables.
var lookalikes = map[rune]rune{
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's', 'к': 'k', 'м': 'm', 'т': 't', 'н': 'h',
	'α': 'a', 'ε': 'e', 'ο': 'o', 'ρ': 'p', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'τ': 't', 'υ': 'u',
}

// Impersonates returns the reserved word (or the pair) text reads as, or
// "" if none.
func Impersonates(text string) string {
	s := skeleton(text)
	for _, w := range reserved {
		if strings.Contains(s, w) {
			return w
		}
	}
	for _, inst := range institutions {
		if !strings.Contains(s, inst) {
			continue
		}
		for _, role := range roles {
			if strings.Contains(s, role) {
				return inst + " + " + role
			}
		}
	}
	return ""
}

// skeleton is text as compared with the reserved words: NFKC (fullwidth
// and other compatibility forms become plain letters), case-folded, with
// lookalike letters mapped to Latin and everything but letters and digits
// removed (spaces, punctuation, symbols, zero-width and other format
// characters).
func skeleton(text string) string {
	folded := cases.Fold().String(norm.NFKC.String(text))
	var b strings.Builder
	for _, r := range folded {
		if l, ok := lookalikes[r]; ok {
			r = l
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	// NFKC once more: removing joiners can leave Hangul jamo that now
	// compose.
	return norm.NFKC.String(b.String())
}
