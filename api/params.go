package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipay/errs"
)

// This file reads what a request carries besides its body: ids in the
// path, pages and filters in the query. List endpoints page by keyset:
// ?limit= and an opaque ?cursor= naming the last id of the previous page;
// each reads one row more than it answers, to know whether there is a
// next page (pageOf).

// Page sizes for list endpoints.
const (
	defaultPage = 20
	maxPage     = 100
)

// pathID reads a numeric id from the path.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no %s %q", name, r.PathValue(name))
	}
	return id, nil
}

// pageLimit reads ?limit=.
func pageLimit(v string) (int, error) {
	if v == "" {
		return defaultPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, errs.E(errs.Invalid, "limit must be between 1 and %d", maxPage)
	}
	return n, nil
}

// readPage reads ?limit= and then ?cursor=: the page size and the id the
// page starts before (0: from the newest).
func readPage(q url.Values) (limit int, before int64, err error) {
	if limit, err = pageLimit(q.Get("limit")); err != nil {
		return 0, 0, err
	}
	if before, err = decodeCursor(q.Get("cursor")); err != nil {
		return 0, 0, err
	}
	return limit, before, nil
}

// pageOf cuts rows, read with one row more than the page size limit, to
// the page and the cursor of the next page. The extra row is how the last
// page knows it is the last: its cursor is nil, so a client that follows
// cursors never fetches an empty page.
func pageOf[T any](rows []T, limit int, id func(T) int64) ([]T, *string) {
	return pageWith(rows, limit, func(r T) string { return encodeCursor(id(r)) })
}

// pageWith is pageOf for a list whose cursor is not an id alone.
func pageWith[T any](rows []T, limit int, cursor func(T) string) ([]T, *string) {
	if len(rows) <= limit {
		return rows, nil
	}
	c := cursor(rows[limit-1])
	return rows[:limit], &c
}

// enumParam reads a query parameter that is absent or one of allowed; any
// other value is invalid, with a detail naming the allowed ones (rather
// than a filter that silently matches nothing).
func enumParam(q url.Values, name string, allowed ...string) (string, error) {
	v := q.Get(name)
	if v == "" || slices.Contains(allowed, v) {
		return v, nil
	}
	return "", errs.E(errs.Invalid, "%s must be one of %s, or left out; not %q", name, strings.Join(allowed, ", "), v)
}

// Cursors are opaque to clients: the last id of the previous page, encoded
// so clients do not build them by hand.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err == nil {
		if v, ok := strings.CutPrefix(string(b), "id:"); ok {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
				return id, nil
			}
		}
	}
	return 0, badCursor()
}

func badCursor() error { return errs.E(errs.Invalid, "cursor is not one this API issued") }

// Lists ordered by when rather than by id (friends) page by the time and
// user id of the last item: a cursor names both.
func encodeTimeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "at:%d:%d", at.UnixMicro(), id))
}

func decodeTimeCursor(c string) (time.Time, int64, error) {
	if c == "" {
		return time.Time{}, 0, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err == nil {
		if v, ok := strings.CutPrefix(string(b), "at:"); ok {
			at, id, _ := strings.Cut(v, ":")
			us, err1 := strconv.ParseInt(at, 10, 64)
			n, err2 := strconv.ParseInt(id, 10, 64)
			if err1 == nil && err2 == nil && n > 0 {
				return time.UnixMicro(us).UTC(), n, nil
			}
		}
	}
	return time.Time{}, 0, badCursor()
}

// optionalTime is nil for the zero time, so JSON omits it.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optionalID is nil for id 0, so JSON omits it.
func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
