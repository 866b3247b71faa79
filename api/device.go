package api

import "strings"

// Device names the client of a User-Agent for people, as "Chrome,
// Android" or "curl": the browser (or tool) and the system, whichever of
// them it tells; "" when it tells neither. A notice of a new login shows
// it, so the owner can tell their own phone from someone else's laptop.
// It reads the usual tokens only: a User-Agent is what the client says,
// never proof of what it is.
func Device(userAgent string) string {
	var parts []string
	if b := firstToken(userAgent, browsers); b != "" {
		parts = append(parts, b)
	}
	if s := firstToken(userAgent, systems); s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// uaToken is a name and the substrings of a User-Agent that mean it.
type uaToken struct {
	name  string
	marks []string
}

// browsers and systems are in the order they must be tried: browsers that
// carry another's token (Edge and Samsung Internet say Chrome; Chrome
// says Safari) before it, iPad and iPhone before the Mac their Safari
// claims, Android before the Linux it runs on.
var (
	browsers = []uaToken{
		{"KakaoTalk", []string{"KAKAOTALK"}},
		{"NAVER", []string{"NAVER("}},
		{"Edge", []string{"Edg/", "EdgA/", "EdgiOS/"}},
		{"Samsung Internet", []string{"SamsungBrowser/"}},
		{"Opera", []string{"OPR/"}},
		{"Firefox", []string{"Firefox/", "FxiOS/"}},
		{"Chrome", []string{"Chrome/", "CriOS/"}},
		{"Safari", []string{"Safari/"}},
		{"curl", []string{"curl/"}},
		{"Go", []string{"Go-http-client/"}},
	}
	systems = []uaToken{
		{"Android", []string{"Android"}},
		{"iPad", []string{"iPad"}},
		{"iPhone", []string{"iPhone"}},
		{"Windows", []string{"Windows"}},
		{"ChromeOS", []string{"CrOS"}},
		{"macOS", []string{"Mac OS X", "Macintosh"}},
		{"Linux", []string{"Linux"}},
	}
)

func firstToken(ua string, ts []uaToken) string {
	for _, t := range ts {
		for _, m := range t.marks {
			if strings.Contains(ua, m) {
				return t.name
			}
		}
	}
	return ""
}
