package names

import "testing"

func TestImpersonates(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"minipay", "minipay"},
		{"MiniPay", "minipay"},
		{"mini pay", "minipay"},
		{"m.i.n.i-p_a_y", "minipay"},
		{"ｍｉｎｉｐａｙ", "minipay"},       // fullwidth
		{"MINI\u200BPAY", "minipay"}, // zero-width space
		{"mini\u200Dpay", "minipay"}, // zero-width joiner
		{"min\u0456pay", "minipay"},  // Cyrillic і
		{"미니페이", "미니페이"},
		{"미니 페이 고객님", "미니페이"},
		{"미\u200D니페이", "미니페이"},
		{"Kakao Bank Security", "security"},
		{"KAKAOBANK 보안팀", "보안"},
		{"ＳＥＣＵＲＩＴＹ", "security"},
		{"Sуstem", "system"}, // Cyrillic у
		{"Official", "official"},
		{"공식 계정", "공식"},
		{"고객센터", "고객센터"},
		{"관리자", "관리자"},
		{"Admin", "admin"},
		{"NOTICE", "notice"},
		{"[공지]", "공지"},
		{"Support Desk", "support"},
		{"KB은행 안내", "은행 + 안내"},
		{"Kakao Bank Team", "bank + team"},
		{"카카오뱅크 고객", "뱅크 + 고객"},
		{"신한카드 상담", "카드 + 상담"},
		// Names people use.
		{"김민수", ""},
		{"John Smith", ""},
		{"엄마", ""},
		{"Bank of Mom", ""},
		{"Team dinner", ""},
		{"회비", ""},
		{"😀", ""},
	} {
		if got := Impersonates(tt.in); got != tt.want {
			t.Errorf("Impersonates(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
