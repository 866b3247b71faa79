package store_test

import (
	"testing"

	"minipay/store"
)

func TestMaskName(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"김철수", "김*수"},
		{"김수", "김*"},
		{"남궁민수", "남**수"},
		{"John Smith", "J*** S****"},
		{"John", "J***"},
		{"  John   Smith ", "J*** S****"},
		{"김", "김"},
		{"J R", "J R"},
		{"Émile Zola", "É**** Z***"},
		{"김 철수", "김 철*"},
		{"", ""},
	} {
		if got := store.MaskName(c.name); got != c.want {
			t.Errorf("MaskName(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
