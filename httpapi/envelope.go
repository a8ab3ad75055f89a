package httpapi

import (
	"context"
	"net/url"
	"strconv"
)

// Envelope is the common head of every success answer (SPEC §1.2).
type Envelope struct {
	Status  bool   `json:"status" enum:"true"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Success messages (SPEC §1.2.1).
const (
	msgSuccess       = "Success"
	msgSuccessDot    = "Success."
	msgTaskCreated   = "Task has been created"
	msgUserUpdated   = "Data has been updated successfully."
	msgUserDeleted   = "Data has been deleted successfully."
	msgActivityOK    = "Success"
	msgHubDeletedMsg = "Success"
)

func envelope(code int, message string) Envelope {
	return Envelope{Status: true, Code: code, Message: message}
}

// DataBody answers with the payload under `data` only.
type DataBody[T any] struct {
	Envelope
	Data T `json:"data"`
}

// Out is a handler's answer: status, ETag and body.
type Out[B any] struct {
	Status int
	ETag   string `header:"ETag"`
	Body   B
}

func reply[B any](status int, body B) *Out[B] { return &Out[B]{Status: status, Body: body} }

// Link is one entry of a paginator's `links`.
type Link struct {
	URL    *string `json:"url"`
	Label  string  `json:"label"`
	Active bool    `json:"active"`
}

// Paginator is the page-of-items shape of SPEC §1.5.
type Paginator[T any] struct {
	CurrentPage  int     `json:"current_page"`
	Data         []T     `json:"data"`
	FirstPageURL string  `json:"first_page_url"`
	From         *int    `json:"from"`
	LastPage     *int    `json:"last_page"`
	LastPageURL  *string `json:"last_page_url"`
	Links        []Link  `json:"links"`
	NextPageURL  *string `json:"next_page_url"`
	Path         string  `json:"path"`
	PerPage      int     `json:"per_page"`
	PrevPageURL  *string `json:"prev_page_url"`
	To           *int    `json:"to"`
	Total        *int    `json:"total"`
	// NextCursor (extension) is present in keyset mode only: the last _id of this page, or null.
	NextCursor *nullableString `json:"next_cursor,omitempty" nullable:"true"`
}

// nullableString encodes as a string or null, so that `omitempty` on a *nullableString can
// still send an explicit null.
type nullableString struct{ s *string }

// MarshalJSON implements json.Marshaler.
func (n nullableString) MarshalJSON() ([]byte, error) {
	if n.s == nil {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(*n.s)), nil
}

// requestURL is the request's URL as routed (trailing slash removed).
func requestURL(ctx context.Context) *url.URL {
	u, _ := ctx.Value(requestURLKey).(*url.URL)
	if u == nil {
		return &url.URL{}
	}
	return u
}

func baseURL(ctx context.Context) string {
	b, _ := ctx.Value(baseURLKey).(string)
	return b
}

// pageURL is the absolute URL of the request with its query's `set` keys replaced.
func pageURL(ctx context.Context, set map[string]string) string {
	u := requestURL(ctx)
	q := u.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	return baseURL(ctx) + u.Path + "?" + q.Encode()
}

func strp(s string) *string { return &s }
func intp(i int) *int       { return &i }

// newPaginator builds the page-number paginator for a page of items out of total.
func newPaginator[T any](ctx context.Context, items []T, page, perPage, total int) Paginator[T] {
	if items == nil {
		items = []T{}
	}
	last := max(1, (total+perPage-1)/perPage)
	at := func(n int) *string { return strp(pageURL(ctx, map[string]string{"page": strconv.Itoa(n)})) }
	p := Paginator[T]{
		CurrentPage:  page,
		Data:         items,
		FirstPageURL: *at(1),
		LastPage:     intp(last),
		LastPageURL:  at(last),
		Path:         baseURL(ctx) + requestURL(ctx).Path,
		PerPage:      perPage,
		Total:        intp(total),
	}
	if len(items) > 0 {
		p.From = intp((page-1)*perPage + 1)
		p.To = intp((page-1)*perPage + len(items))
	}
	if page > 1 {
		p.PrevPageURL = at(page - 1)
	}
	if page < last {
		p.NextPageURL = at(page + 1)
	}
	p.Links = append(p.Links, Link{URL: p.PrevPageURL, Label: "&laquo; Previous"})
	for _, n := range pageWindow(page, last) {
		if n == 0 {
			p.Links = append(p.Links, Link{Label: "..."})
			continue
		}
		p.Links = append(p.Links, Link{URL: at(n), Label: strconv.Itoa(n), Active: n == page})
	}
	p.Links = append(p.Links, Link{URL: p.NextPageURL, Label: "Next &raquo;"})
	return p
}

// pageWindow lists the page numbers shown in `links`; 0 marks a gap. Up to 13 pages all are
// shown; beyond, pages 1–2, current ±3 and the last two (SPEC §1.5).
func pageWindow(current, last int) []int {
	var out []int
	if last <= 13 {
		for i := 1; i <= last; i++ {
			out = append(out, i)
		}
		return out
	}
	show := map[int]bool{1: true, 2: true, last - 1: true, last: true}
	for i := current - 3; i <= current+3; i++ {
		if i >= 1 && i <= last {
			show[i] = true
		}
	}
	for i := 1; i <= last; i++ {
		if show[i] {
			out = append(out, i)
		} else if len(out) > 0 && out[len(out)-1] != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// newCursorPaginator builds the keyset paginator: no totals, the next cursor in
// next_page_url and next_cursor.
func newCursorPaginator[T any](ctx context.Context, items []T, perPage int, nextCursor *string) Paginator[T] {
	if items == nil {
		items = []T{}
	}
	u := requestURL(ctx)
	q := u.Query()
	q.Del("page")
	first := url.Values{}
	for k, v := range q {
		if k != "cursor" {
			first[k] = v
		}
	}
	p := Paginator[T]{
		CurrentPage:  1,
		Data:         items,
		FirstPageURL: baseURL(ctx) + u.Path + "?" + first.Encode(),
		Links:        []Link{},
		Path:         baseURL(ctx) + u.Path,
		PerPage:      perPage,
		NextCursor:   &nullableString{s: nextCursor},
	}
	if len(items) > 0 {
		p.From = intp(1)
		p.To = intp(len(items))
	}
	if nextCursor != nil {
		q.Set("cursor", *nextCursor)
		p.NextPageURL = strp(baseURL(ctx) + u.Path + "?" + q.Encode())
	}
	return p
}
