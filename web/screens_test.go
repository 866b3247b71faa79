package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"minipay/ledger"
	"minipay/store"
)

// Every notice kind the engine and the store write reads as a sentence in
// both languages, with its arguments filled.
func TestNoticeSentences(t *testing.T) {
	kinds := []string{ledger.NoticeTransferReceived, ledger.NoticePendingReceived, ledger.NoticePendingReminder,
		ledger.NoticePendingAccepted, ledger.NoticePendingCancelled, ledger.NoticeInstallmentMissed, store.NoticeFriendAdded,
		ledger.NoticeSettlementRequested, ledger.NoticeSharePaid, ledger.NoticeShareDeclined}
	returned := []string{ledger.TransferRejected, ledger.TransferExpired}
	seoul, _ := time.LoadLocation("Asia/Seoul")
	for _, lang := range []string{"ko", "en"} {
		p := &page{Lang: lang, zone: seoul}
		n := store.Notification{Counterparty: "bob", Amount: 25000, ExpiresAt: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
			Account: 7, Day: "2026-01-02"}
		check := func(n store.Notification) {
			s := noticeText(p, n)
			if s == p.T("notice.other") || strings.Contains(s, "%!") || !strings.Contains(s, p.Won(25000)) {
				t.Errorf("%s %s (%s): %q", lang, n.Kind, n.Reason, s)
			}
		}
		for _, k := range kinds {
			n.Kind = k
			if k == store.NoticeFriendAdded {
				if s := noticeText(p, n); !strings.Contains(s, "bob") || strings.Contains(s, "%!") {
					t.Errorf("%s %s: %q", lang, k, s)
				}
				continue
			}
			check(n)
		}
		n.Kind = ledger.NoticePendingReturned
		for _, r := range returned {
			n.Reason = r
			check(n)
		}
	}
}

// Every history kind has a name for the filter and the list.
func TestHistoryKindsNamed(t *testing.T) {
	for _, k := range store.HistoryKinds {
		if _, ok := messages["kind."+k]; !ok {
			t.Errorf("no message kind.%s", k)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	p := &page{Lang: "ko"}
	for d, want := range map[time.Duration]string{
		30 * time.Second:              "곧 만료",
		59 * time.Minute:              "59분 남음",
		25*time.Hour + time.Minute:    "25시간 1분 남음",
		71*time.Hour + 59*time.Minute: "2일 23시간 남음",
	} {
		if got := timeLeft(p, d); got != want {
			t.Errorf("timeLeft(%v) = %q, want %q", d, got, want)
		}
	}
}

// The history's next-page link names the last entry's id and time; a
// link of an id alone (from before pages were ordered by time) still
// reads on from that entry, and a time that is not a number is refused.
func TestHistoryLinkCursor(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	for _, tt := range []struct {
		query string
		want  store.HistoryCursor
		ok    bool
	}{
		{"before=42&at=1767193200000001", store.HistoryCursor{ID: 42, At: time.UnixMicro(1767193200000001)}, true},
		{"before=42", store.HistoryCursor{ID: 42}, true},
		{"", store.HistoryCursor{}, true},
		{"before=42&at=noon", store.HistoryCursor{}, false},
		{"before=-1", store.HistoryCursor{}, false},
	} {
		q, _ := url.ParseQuery(tt.query)
		f, ok := historyFilter(q, historyData{}, seoul)
		if ok != tt.ok || ok && (f.Before.ID != tt.want.ID || !f.Before.At.Equal(tt.want.At)) {
			t.Errorf("%q: %+v, %v; want %+v, %v", tt.query, f.Before, ok, tt.want, tt.ok)
		}
	}
}

// The API's names of the system's accounts and of the user's own accounts
// read as words in both languages; a person who chose such a name as
// their display name is shown as they wrote it.
func TestPartyNames(t *testing.T) {
	for _, lang := range []string{"ko", "en"} {
		p := &page{Lang: lang}
		for _, name := range []string{"external bank", "interest expense", "main account", "savings account"} {
			if got := p.Party(store.HistoryEntry{Counterparty: store.Counterparty{Name: name}}); got == name || got == "party."+name {
				t.Errorf("%s: %q reads %q", lang, name, got)
			}
		}
		spoof := store.HistoryEntry{TransferID: 7, Counterparty: store.Counterparty{Name: "external bank"}}
		if got := p.Party(spoof); got != "external bank" {
			t.Errorf("%s: a sender's display name became %q", lang, got)
		}
	}
}
