package api

import (
	"unicode"
	"unicode/utf8"

	"minipay/errs"
	"minipay/names"
)

// Free text that people read (names, display names, memos) and usernames
// are checked here, by every request that takes them, before anything is
// looked up or written.

// checkText refuses text for field that is not UTF-8, is longer than max
// characters, or is unfit to show (see readable). Empty text passes:
// fields that require text say so first.
func checkText(field, v string, max int) error {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return errs.E(errs.Invalid, "%s must be valid text of at most %d characters", field, max)
	}
	return readable(field, v)
}

// readable refuses text that would not read as what it is: control
// characters (NUL among them, which PostgreSQL cannot store), line and
// paragraph separators, bidi controls that reorder what is shown, and text
// with no visible character at all. Zero-width joiners and the like stay
// allowed next to visible characters: emoji sequences and some scripts
// need them. Empty text passes.
func readable(field, v string) error {
	seen := v == ""
	for _, r := range v {
		if forbidden(r) {
			return errs.E(errs.Invalid, "%s must not contain control or bidi characters (found U+%04X)", field, r)
		}
		seen = seen || !invisible(r)
	}
	if !seen {
		return errs.E(errs.Invalid, "%s must contain a visible character", field)
	}
	return nil
}

// forbidden reports whether r may not appear in text at all.
func forbidden(r rune) bool {
	switch {
	case unicode.Is(unicode.Cc, r), r == '\u2028', r == '\u2029':
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true // bidi embeddings, overrides and isolates
	case r == '\u200E', r == '\u200F', r == '\u061C':
		return true // bidi marks
	}
	return false
}

// invisible reports whether r shows nothing on its own: spaces, format
// characters (zero-width space, joiners, word joiner, BOM) and the blank
// letters often used to fake an empty name (Hangul fillers, braille blank).
func invisible(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800':
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// unofficial refuses a name for field that reads as minipay's own or an
// official sender's (names.Impersonates): display names, names and
// usernames, which others see. Memos are free text and may mention
// minipay.
func unofficial(field, v string) error {
	if w := names.Impersonates(v); w != "" {
		return errs.E(errs.Invalid, "%s must not read as minipay or an official sender (it contains %q)", field, w)
	}
	return nil
}
