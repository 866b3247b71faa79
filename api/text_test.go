package api

import (
	"strings"
	"testing"

	"minipay/errs"
)

// TestCheckText pins what free text may hold: any script, emoji and the
// zero-width joiners their sequences need; no control or bidi characters,
// nothing invisible-only, nothing too long or not UTF-8.
func TestCheckText(t *testing.T) {
	ok := []string{
		"", "Alice", "김민수", "  Secret Santa ", "dinner 🍜", "👩‍👩‍👧 family", "مرحبا", "שלום",
		"a\u200Bb", "\u00E9t\u00E9", "e\u0301", strings.Repeat("가", 20),
	}
	refused := map[string]string{
		"NUL":                    "a\x00b",
		"only NUL":               "\x00",
		"tab":                    "a\tb",
		"newline":                "line\nbreak",
		"carriage return":        "a\rb",
		"DEL":                    "a\x7fb",
		"C1 control":             "a\u0085b",
		"line separator":         "a\u2028b",
		"paragraph separator":    "a\u2029b",
		"right-to-left override": "evil\u202Egnp.exe",
		"left-to-right embed":    "a\u202Ab",
		"pop directional":        "a\u202Cb",
		"isolate":                "a\u2066b\u2069",
		"first strong isolate":   "a\u2068b",
		"left-to-right mark":     "a\u200Eb",
		"right-to-left mark":     "a\u200Fb",
		"arabic letter mark":     "a\u061Cb",
		"spaces only":            "   ",
		"ideographic space":      "\u3000",
		"no-break space":         "\u00A0",
		"zero-width space":       "\u200B",
		"zero-width joiners":     "\u200C\u200D",
		"word joiner":            "\u2060",
		"byte order mark":        "\uFEFF",
		"hangul filler":          "\u3164",
		"hangul choseong filler": "\u115F\u1160",
		"braille blank":          "\u2800 \u2800",
		"too long":               strings.Repeat("가", 21),
		"not UTF-8":              "a\xffb",
	}
	for _, v := range ok {
		if err := checkText("memo", v, 20); err != nil {
			t.Errorf("checkText(%q) = %v, want nil", v, err)
		}
	}
	for name, v := range refused {
		err := checkText("memo", v, 20)
		if errs.CodeOf(err) != errs.Invalid || !strings.HasPrefix(err.(*errs.Error).Detail, "memo ") {
			t.Errorf("%s: checkText(%q) = %v, want invalid naming memo", name, v, err)
		}
	}
}
