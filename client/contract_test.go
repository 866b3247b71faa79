package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"minipay/client"
)

// contractCalls are every call of the client, each with every optional
// field and query parameter set, so that all of them reach the wire.
var contractCalls = []struct {
	name string
	part string // the answer's property the call returns; "" for all of it
	call func(context.Context, *client.Client) (any, error)
}{
	{"SignUp", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.SignUp(ctx, "alice", "password-alice", "Alice")
	}},
	{"Login", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.Login(ctx, "alice", "password-alice")
	}},
	{"Me", "", func(ctx context.Context, c *client.Client) (any, error) { return c.Me(ctx) }},
	{"Charge", "", func(ctx context.Context, c *client.Client) (any, error) { return c.Charge(ctx, 5_000, "k") }},
	{"Accounts", "accounts", func(ctx context.Context, c *client.Client) (any, error) { return c.Accounts(ctx) }},
	{"OpenSavings", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.OpenSavings(ctx, "fixed", 10_000, "k")
	}},
	{"Deposit", "", func(ctx context.Context, c *client.Client) (any, error) { return c.Deposit(ctx, 2, 5_000, "k") }},
	{"Transfer to a user", "", func(ctx context.Context, c *client.Client) (any, error) {
		yes := true
		return c.Transfer(ctx, client.TransferRequest{To: client.ToUser("bob"), Amount: 1_000,
			DisplayName: "A", Memo: "lunch", RequireAcceptance: &yes}, "k")
	}},
	{"Transfer to an account", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.Transfer(ctx, client.TransferRequest{To: client.ToAccount(7), Amount: 1_000}, "k")
	}},
	{"AcceptTransfer", "", func(ctx context.Context, c *client.Client) (any, error) { return c.AcceptTransfer(ctx, 3, "k") }},
	{"LookUp", "", func(ctx context.Context, c *client.Client) (any, error) { return c.LookUp(ctx, "bob") }},
	{"CreateSettlement", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.CreateSettlement(ctx, 20_000, "equal", []string{"alice", "bob"}, "k")
	}},
	{"PaySettlementShare", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.PaySettlementShare(ctx, 4, 5, "k")
	}},
	{"History", "", func(ctx context.Context, c *client.Client) (any, error) {
		from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		return c.History(ctx, 1, client.HistoryQuery{Cursor: "c", Limit: 10, Kind: "transfer", From: from, To: from.Add(time.Hour)})
	}},
	{"Notifications", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.Notifications(ctx, client.NotificationQuery{Cursor: "c", Limit: 10, Unread: true})
	}},
	{"ListEvents", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.ListEvents(ctx, client.EventQuery{Type: "transfer.completed", Cursor: "c", Limit: 10})
	}},
	{"ListEvents after an id", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.ListEvents(ctx, client.EventQuery{Type: "charge.succeeded", Forward: true, After: 41, Limit: 10})
	}},
	{"AddFriend", "", func(ctx context.Context, c *client.Client) (any, error) { return c.AddFriend(ctx, "bob") }},
	{"Friends", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.Friends(ctx, client.FriendQuery{AddedMe: true, Cursor: "c", Limit: 10})
	}},
	{"RecentRecipients", "recipients", func(ctx context.Context, c *client.Client) (any, error) { return c.RecentRecipients(ctx) }},
	{"CreateWebhookEndpoint", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.CreateWebhookEndpoint(ctx, "https://example.com/hooks", []string{"charge.succeeded"}, "k")
	}},
	{"WebhookEndpoints", "webhook_endpoints", func(ctx context.Context, c *client.Client) (any, error) { return c.WebhookEndpoints(ctx) }},
	{"WebhookEndpoint", "", func(ctx context.Context, c *client.Client) (any, error) { return c.WebhookEndpoint(ctx, 3) }},
	{"DeleteWebhookEndpoint", "", func(ctx context.Context, c *client.Client) (any, error) {
		return nil, c.DeleteWebhookEndpoint(ctx, 3) // no body
	}},
	{"RotateWebhookSecret", "", func(ctx context.Context, c *client.Client) (any, error) { return c.RotateWebhookSecret(ctx, 3, "k") }},
	{"EnableWebhookEndpoint", "", func(ctx context.Context, c *client.Client) (any, error) { return c.EnableWebhookEndpoint(ctx, 3, true) }},
	{"WebhookAttempts", "", func(ctx context.Context, c *client.Client) (any, error) { return c.WebhookAttempts(ctx, 3, "c", 10) }},
	{"ResendWebhookDelivery", "", func(ctx context.Context, c *client.Client) (any, error) {
		return c.ResendWebhookDelivery(ctx, 3, 9)
	}},
}

// TestClientMatchesOpenAPI runs every call against a stub that plays the
// server as api/openapi.json describes it: the call must reach a
// documented operation with a body and parameters the operation accepts,
// and the type it decodes the answer into must have only documented
// fields, every required one among them. The stub answers once with a
// sample of the success response, once with an example of an error one.
func TestClientMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	st := &stub{doc: doc}
	hs := httptest.NewServer(st)
	defer hs.Close()
	c := client.New(hs.URL).WithToken("tok").WithRetry(client.Retry{Attempts: 1})
	for _, cc := range contractCalls {
		t.Run(cc.name, func(t *testing.T) {
			st.begin(t, false)
			got, err := cc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("against the stub: %v", err)
			}
			a := st.last()
			schema := a.schema
			if cc.part != "" {
				props, _ := doc.object(schema)
				schema = props[cc.part]
			}
			if got == nil { // a call that reads no body
				if types := doc.types(schema); len(types) != 0 {
					t.Errorf("%s: the client reads no body; the document answers %v", a.op, types)
				}
			} else {
				for _, e := range doc.checkType(reflect.TypeOf(got), schema, a.op) {
					t.Error(e)
				}
			}
			checkReplayed(t, got, a.headers)

			st.begin(t, true)
			_, err = cc.call(context.Background(), c)
			checkProblem(t, err, st.last())
		})
	}
}

// stub answers as the document says the server would.
type stub struct {
	doc      openAPI
	mu       sync.Mutex
	t        *testing.T // the (sub)test the calls belong to
	fail     bool       // answer with an error response instead of success
	answered answer     // what the stub answered last
}

// answer is what the stub answered.
type answer struct {
	op      string         // e.g. "POST /v1/transfers"
	status  int            // the status it answered
	schema  schema         // the answer's schema
	headers []string       // the answer's documented headers, which it sent
	body    map[string]any // the answer's body
}

// begin readies the stub for the calls of t.
func (s *stub) begin(t *testing.T, fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t, s.fail, s.answered = t, fail, answer{}
}

func (s *stub) last() answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answered
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, tmpl := s.doc.operation(r.Method, r.URL.Path)
	if op == nil {
		s.t.Errorf("%s %s is not in openapi.json", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	s.answered.op = r.Method + " " + tmpl
	if !s.fail { // the second call sends the same request
		s.checkRequest(op, r)
	}
	status, resp := s.response(op)
	if resp == nil {
		w.WriteHeader(http.StatusTeapot)
		return
	}
	media := "application/json"
	if s.fail {
		media = "application/problem+json"
	}
	s.answered.status = status
	s.answered.schema, _ = get(resp, "content", media, "schema").(schema)
	headers, _ := get(resp, "headers").(map[string]any)
	for name, h := range headers {
		s.answered.headers = append(s.answered.headers, name)
		w.Header().Set(name, fmt.Sprint(s.doc.sample(get(s.doc.resolve(h.(schema)), "schema").(schema))))
	}
	body := s.doc.sample(s.answered.schema)
	if s.fail {
		body = s.example(resp, media)
	}
	s.answered.body, _ = body.(map[string]any)
	w.Header().Set("Content-Type", media)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// response picks the operation's lowest success status, or its lowest
// client error status when s.fail is set.
func (s *stub) response(op schema) (int, schema) {
	var codes []int
	for key := range get(op, "responses").(map[string]any) {
		var n int
		fmt.Sscan(key, &n)
		if s.fail && n >= 400 && n < 500 || !s.fail && n >= 200 && n < 300 {
			codes = append(codes, n)
		}
	}
	if len(codes) == 0 {
		s.t.Errorf("%s documents no answer to give (fail %v)", s.answered.op, s.fail)
		return 0, nil
	}
	n := slices.Min(codes)
	return n, s.doc.resolve(get(op, "responses", fmt.Sprint(n)).(schema))
}

// example is the first example of an error response.
func (s *stub) example(resp schema, media string) any {
	examples, _ := get(resp, "content", media, "examples").(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(examples)) {
		return get(examples[name], "value")
	}
	s.t.Errorf("%s: the error response has no example", s.answered.op)
	return map[string]any{}
}

// checkRequest checks the body, query parameters and Idempotency-Key of r
// against the operation.
func (s *stub) checkRequest(op schema, r *http.Request) {
	var body any
	if err := json.NewDecoder(r.Body).Decode(&body); err == nil {
		bodySchema, ok := get(op, "requestBody", "content", "application/json", "schema").(schema)
		if !ok {
			s.t.Errorf("%s: the client sends a body, the document takes none", s.answered.op)
		}
		for _, e := range s.doc.checkValue(bodySchema, body, s.answered.op+" body") {
			s.t.Error(e)
		}
	} else if get(op, "requestBody", "required") == true {
		s.t.Errorf("%s: the client sends no body, the document requires one", s.answered.op)
	}
	params := map[string]bool{}
	for _, p := range list(op["parameters"]) {
		p := s.doc.resolve(p.(schema))
		params[p["in"].(string)+" "+strings.ToLower(p["name"].(string))] = true
	}
	for name := range r.URL.Query() {
		if !params["query "+name] {
			s.t.Errorf("%s: the client sends query parameter %q, which is not documented", s.answered.op, name)
		}
	}
	if r.Header.Get("Idempotency-Key") != "" && !params["header idempotency-key"] {
		s.t.Errorf("%s: the client sends an Idempotency-Key, which is not documented", s.answered.op)
	}
}

// checkReplayed: where the answer documents Idempotent-Replayed (which the
// stub then sent, as "true"), the client reports the replay.
func checkReplayed(t *testing.T, got any, headers []string) {
	t.Helper()
	if !slices.Contains(headers, "Idempotent-Replayed") {
		return
	}
	if f := reflect.ValueOf(got).FieldByName("Replayed"); !f.IsValid() || !f.Bool() {
		t.Errorf("the answer was a replay; the client's %T does not say so", got)
	}
}

// checkProblem: the client reads the problem the stub answered into an
// *Error, field by field.
func checkProblem(t *testing.T, err error, answered answer) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s answered %d; the client returned %v, not an *Error", answered.op, answered.status, err)
	}
	p := answered.body
	if e.Status != answered.status || e.Code != p["code"] || e.Type != p["type"] || e.Title != p["title"] || e.Detail != p["detail"] {
		t.Errorf("%s answered %d %v; the client read %+v", answered.op, answered.status, p, e)
	}
}
