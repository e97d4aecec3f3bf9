package pushcast

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// unreachable refuses connections: events stay pending (retrying) until shutdown.
const unreachable = "http://127.0.0.1:1"

// serverURL returns SOCKUDO_URL, or skips the test when it is unset; with
// PUSHCAST_REQUIRE_SERVER=1 an unset SOCKUDO_URL fails the test instead.
func serverURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("SOCKUDO_URL")
	if url != "" {
		return url
	}
	if os.Getenv("PUSHCAST_REQUIRE_SERVER") == "1" {
		t.Fatal("SOCKUDO_URL is not set but PUSHCAST_REQUIRE_SERVER=1: this test needs a real " +
			"sockudo (app id 12345, key app-key, secret app-secret); run scripts/test-go, " +
			"which starts one")
	}
	t.Skip("SOCKUDO_URL is not set: skipping the test against a real server " +
		"(scripts/test-go starts one; PUSHCAST_REQUIRE_SERVER=1 makes this a failure)")
	return ""
}

func newApp(t *testing.T, appID, key, secret string) *App {
	t.Helper()
	app, err := NewApp(appID, key, secret)
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	t.Cleanup(app.Close)
	return app
}

// serverApp is the app of the test server, with the sockudo profile.
func serverApp(t *testing.T, secret string) *App {
	t.Helper()
	app := newApp(t, "12345", "app-key", secret)
	if err := app.SetProfile("sockudo"); err != nil {
		t.Fatalf("SetProfile: %v", err)
	}
	return app
}

func newClient(t *testing.T, app *App, cfg Config) *Client {
	t.Helper()
	client, err := NewClient(app, cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return client
}

// authField decodes one field of an auth answer.
func authField(t *testing.T, answer, field string) string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(answer), &m); err != nil {
		t.Fatalf("auth answer %q is not a JSON object of strings: %v", answer, err)
	}
	return m[field]
}

func wantCode(t *testing.T, err error, code Result) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s (%d)", code, code)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want *pushcast.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("got code %s (%d): %v; want %s (%d)", e.Code, e.Code, err, code, code)
	}
	return e
}

func TestVersion(t *testing.T) {
	if v := Version(); v == "" {
		t.Fatal("empty version")
	} else {
		t.Logf("libpushcast %s", v)
	}
}

// Golden vectors from shared/protocol.md (the same as the C tests').
func TestAuthGoldenVectors(t *testing.T) {
	app := newApp(t, "1", "thisisaauthkey", "thisisasecret")

	answer, err := app.AuthorizeChannel("1.1", "testing_pusher-php", nil)
	if err != nil {
		t.Fatalf("AuthorizeChannel: %v", err)
	}
	want := "thisisaauthkey:751ccc12aeaa79d46f7c199bced5fa47527d3480b51fe61a0bd10438241bd52d"
	if got := authField(t, answer, "auth"); got != want {
		t.Errorf("private channel auth = %q, want %q", got, want)
	}

	channelData := `{"user_id": "123"}`
	answer, err = app.AuthorizeChannel("45055.28877557", "-azAZ9_=@,.;", &channelData)
	if err != nil {
		t.Fatalf("AuthorizeChannel with channel data: %v", err)
	}
	if !strings.Contains(answer, "3b3f1dcc4d7d2f95dd10ed05562397b3287b102d4cccfacbf30eed2f1ffa3d69") {
		t.Errorf("presence-style auth = %s", answer)
	}
	if got := authField(t, answer, "channel_data"); got != channelData {
		t.Errorf("channel_data = %q, want %q (signed as given)", got, channelData)
	}

	answer, err = app.AuthenticateUser("12345.6789", `{"id":"123"}`)
	if err != nil {
		t.Fatalf("AuthenticateUser: %v", err)
	}
	want = "thisisaauthkey:fc713f433deb729d0d96f9e26ef054285cbc3e833ebe840b93722a2fa16a6a18"
	if got := authField(t, answer, "auth"); got != want {
		t.Errorf("user auth = %q, want %q", got, want)
	}
	if got := authField(t, answer, "user_data"); got != `{"id":"123"}` {
		t.Errorf("user_data = %q", got)
	}

	info := `{"name":"Ada"}`
	answer, err = app.AuthorizePresenceChannel("1.2", "presence-chat", "7", &info)
	if err != nil {
		t.Fatalf("AuthorizePresenceChannel: %v", err)
	}
	if got := authField(t, answer, "channel_data"); got != `{"user_id":"7","user_info":{"name":"Ada"}}` {
		t.Errorf("presence channel_data = %q", got)
	}
	if _, err := app.AuthorizePresenceChannel("1.2", "presence-chat", "7", nil); err != nil {
		t.Errorf("AuthorizePresenceChannel without user info: %v", err)
	}

	// 32 bytes of 'a', base64.
	if err := app.SetMasterKeyBase64("YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="); err != nil {
		t.Fatalf("SetMasterKeyBase64: %v", err)
	}
	answer, err = app.AuthorizeChannel("1.1", "private-encrypted-channel-a", nil)
	if err != nil {
		t.Fatalf("AuthorizeChannel (encrypted): %v", err)
	}
	if got := authField(t, answer, "shared_secret"); got != "Rp+wpkNpL89qhqco1JkIG31AVXyU8PUVJBr1B2MvdoA=" {
		t.Errorf("shared_secret = %q", got)
	}
}

func TestAuthErrorsAreTyped(t *testing.T) {
	app := newApp(t, "1", "thisisaauthkey", "thisisasecret")
	_, err := app.AuthorizeChannel("not a socket id", "private-x", nil)
	if !IsValidation(err) {
		t.Errorf("bad socket id: got %v, want a validation error", err)
	}
	wantCode(t, err, ResultInvalidSocketID)
	_, err = app.AuthenticateUser("1.1", `{"id":`)
	if !IsValidation(err) {
		t.Errorf("bad user data: got %v, want a validation error", err)
	}
	_, err = app.AuthorizeChannel("1.1", "private-encrypted-x", nil)
	wantCode(t, err, ResultMissingMasterKey)
	_, err = app.AuthorizeChannel("1.1", "private-x\x00y", nil)
	wantCode(t, err, ResultInvalidUTF8)
	wantCode(t, app.SetProfile("nope"), ResultInvalidConfig)
	wantCode(t, app.SetMasterKeyBase64("c2hvcnQ="), ResultInvalidConfig)
	if err := app.SetLimit("max_events_per_batch", 100); err != nil {
		t.Errorf("SetLimit: %v", err)
	}
	if err := app.SetLimit("no_such_limit", 1); err == nil {
		t.Error("SetLimit accepted an unknown limit")
	}

	app.Close()
	app.Close() // idempotent
	_, err = app.AuthorizeChannel("1.1", "private-x", nil)
	wantCode(t, err, ResultNullArgument)
}

func TestVerifyWebhook(t *testing.T) {
	app := newApp(t, "1", "thisisaauthkey", "thisisasecret")
	body := []byte(`{"time_ms":1,"events":[]}`)
	// The signature comes from Go's crypto/hmac, not from the library under test.
	mac := hmac.New(sha256.New, []byte("thisisasecret"))
	mac.Write(body)
	headers := map[string]string{
		"X-Pusher-Key":       "thisisaauthkey",
		"x-pusher-signature": hex.EncodeToString(mac.Sum(nil)),
	}
	answer, err := app.VerifyWebhook(headers, body, 0)
	if err != nil {
		t.Fatalf("VerifyWebhook: %v", err)
	}
	if !strings.Contains(answer, `"time_ms":1`) {
		t.Errorf("webhook JSON = %s", answer)
	}
	// A year-old webhook fails a freshness window.
	_, err = app.VerifyWebhook(headers, body, 5*time.Minute)
	wantCode(t, err, ResultWebhookRejected)
	// A tampered body, a wrong signature, no headers at all.
	_, err = app.VerifyWebhook(headers, []byte(`{"time_ms":2,"events":[]}`), 0)
	wantCode(t, err, ResultWebhookRejected)
	headers["x-pusher-signature"] = strings.Repeat("0", 64)
	_, err = app.VerifyWebhook(headers, body, 0)
	wantCode(t, err, ResultWebhookRejected)
	_, err = app.VerifyWebhook(nil, nil, 0)
	wantCode(t, err, ResultWebhookRejected)
}

func TestConfigErrors(t *testing.T) {
	app := newApp(t, "1", "k", "s")
	_, err := NewClient(app, Config{})
	wantCode(t, err, ResultInvalidConfig)
	_, err = NewClient(app, Config{Endpoints: []string{"ftp://x"}})
	wantCode(t, err, ResultInvalidConfig)
	_, err = NewClient(app, Config{Endpoints: []string{unreachable}, MaxInFlight: 1000})
	wantCode(t, err, ResultInvalidConfig)
	_, err = NewClient(app, Config{Endpoints: []string{unreachable}, CAFile: "/nonexistent/ca.pem"})
	wantCode(t, err, ResultInvalidConfig)
	_, err = NewClient(nil, Config{Endpoints: []string{unreachable}})
	wantCode(t, err, ResultNullArgument)

	// Every field set, several endpoints; the App may be closed once the client exists.
	client := newClient(t, app, Config{
		Endpoints:       []string{unreachable, "http://127.0.0.1:2"},
		QueueCapacity:   5,
		Backpressure:    Block,
		BlockTimeout:    10 * time.Millisecond,
		MaxInFlight:     2,
		ConnectTimeout:  100 * time.Millisecond,
		RequestTimeout:  200 * time.Millisecond,
		DeliveryTimeout: time.Second,
		ShutdownTimeout: 100 * time.Millisecond,
	})
	app.Close()
	if _, err := client.Stats(); err != nil {
		t.Fatalf("Stats: %v", err)
	}
}

func TestInvalidInputIsTyped(t *testing.T) {
	client := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{unreachable}, ShutdownTimeout: 100 * time.Millisecond})

	_, err := client.Publish([]string{"bad channel"}, "e", []byte("{}"), "")
	e := wantCode(t, err, ResultInvalidChannel)
	if !IsValidation(err) || IsQueueFull(err) || IsTimeout(err) {
		t.Errorf("classification of %v is wrong", err)
	}
	if e.HTTPStatus != 0 {
		t.Errorf("HTTPStatus = %d, want 0", e.HTTPStatus)
	}
	if !strings.Contains(e.Message, "bad channel") {
		t.Errorf("message %q does not name the channel", e.Message)
	}
	if !errors.Is(err, &Error{Code: ResultInvalidChannel}) {
		t.Error("errors.Is by code does not match")
	}
	if !IsValidation(fmt.Errorf("wrapped: %w", err)) {
		t.Error("IsValidation does not see through wrapping")
	}

	_, err = client.Publish([]string{"c"}, "pusher:internal", []byte("{}"), "")
	wantCode(t, err, ResultInvalidEventName)
	_, err = client.Publish([]string{"private-encrypted-x"}, "e", []byte("{}"), "")
	wantCode(t, err, ResultMissingMasterKey)
	_, err = client.Publish(nil, "e", []byte("{}"), "")
	wantCode(t, err, ResultNoChannels)
	_, err = client.Publish([]string{"c", "c"}, "e", nil, "")
	wantCode(t, err, ResultDuplicateChannel)
	_, err = client.Publish([]string{"c"}, "e", []byte{'"', 0xff, '"'}, "")
	wantCode(t, err, ResultInvalidUTF8)
	_, err = client.Publish([]string{"c"}, "e", nil, "nope")
	wantCode(t, err, ResultInvalidSocketID)
	_, err = client.PublishBatch(nil)
	wantCode(t, err, ResultEmptyBatch)
	_, err = client.PublishBatch([]Event{{Channels: []string{"ok"}, Name: "e"}, {Channels: []string{"bad channel"}, Name: "e"}})
	wantCode(t, err, ResultInvalidChannel)
	wantCode(t, client.SendToUser("", "e", []byte("{}")), ResultInvalidUserID)
	wantCode(t, client.PublishConfirmed([]string{"bad channel"}, "e", nil, time.Second), ResultInvalidChannel)

	stats, err := client.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if stats.Enqueued != 0 || stats.RequestsSent != 0 {
		t.Errorf("something reached the queue or the network: %+v", stats)
	}
}

func TestQueueFull(t *testing.T) {
	client := newClient(t, serverApp(t, "app-secret"), Config{
		Endpoints:       []string{unreachable},
		QueueCapacity:   2,
		Backpressure:    FailFast,
		ShutdownTimeout: 100 * time.Millisecond,
	})
	for i := 0; i < 2; i++ {
		accepted, err := client.Publish([]string{"q"}, "e", []byte("{}"), "")
		if err != nil || accepted != Queued {
			t.Fatalf("publish %d: %v, %v", i, accepted, err)
		}
	}
	_, err := client.Publish([]string{"q"}, "e", []byte("{}"), "")
	if !IsQueueFull(err) {
		t.Fatalf("third publish: got %v, want queue full", err)
	}
	if IsValidation(err) || IsTimeout(err) {
		t.Errorf("queue full misclassified: %v", err)
	}
	stats, err := client.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if stats.RejectedQueueFull != 1 || stats.Enqueued != 2 {
		t.Errorf("stats = %+v, want 1 rejected and 2 enqueued", stats)
	}
	failures, err := client.DrainFailures()
	if err != nil || len(failures) != 0 {
		t.Errorf("DrainFailures = %v, %v; want none yet", failures, err)
	}
	pending, err := client.Flush(50 * time.Millisecond)
	if err != nil || pending != 2 {
		t.Errorf("Flush = %d, %v; want 2 pending", pending, err)
	}
	abandoned, err := client.Shutdown(100 * time.Millisecond)
	if err != nil || abandoned != 2 {
		t.Errorf("Shutdown = %d, %v; want 2 abandoned", abandoned, err)
	}
}

func TestDropNewest(t *testing.T) {
	client := newClient(t, serverApp(t, "app-secret"), Config{
		Endpoints:       []string{unreachable},
		QueueCapacity:   1,
		Backpressure:    DropNewest,
		ShutdownTimeout: 100 * time.Millisecond,
	})
	if a, err := client.Publish([]string{"q"}, "e", nil, ""); err != nil || a != Queued {
		t.Fatalf("first publish: %v, %v", a, err)
	}
	if a, err := client.Publish([]string{"q"}, "e", nil, ""); err != nil || a != Dropped {
		t.Fatalf("second publish: %v, %v; want dropped", a, err)
	}
	if s, err := client.Stats(); err != nil || s.DroppedNewest != 1 {
		t.Errorf("stats = %+v, %v", s, err)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	app := newApp(t, "1", "k", "s")
	client, err := NewClient(app, Config{Endpoints: []string{unreachable}, ShutdownTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if _, err := client.Publish([]string{"q"}, "e", nil, ""); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	start := time.Now()
	if err := client.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := client.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v with a 50ms shutdown timeout", d)
	}
	_, err = client.Publish([]string{"q"}, "e", nil, "")
	wantCode(t, err, ResultShutDown)
	_, err = client.Stats()
	wantCode(t, err, ResultShutDown)
}

// Errors are per OS thread in the library; goroutines hop threads. Many goroutines failing
// and succeeding at once must each get their own error.
func TestConcurrentErrors(t *testing.T) {
	client := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{unreachable}, ShutdownTimeout: 100 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		g := g
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				var err error
				switch (g + i) % 3 {
				case 0:
					_, err = client.Publish([]string{"bad channel"}, "e", nil, "")
					if Code(err) != ResultInvalidChannel {
						errs <- fmt.Errorf("goroutine %d: bad channel gave %v", g, err)
						return
					}
				case 1:
					_, err = client.Publish([]string{"c"}, "pusher:x", nil, "")
					if Code(err) != ResultInvalidEventName {
						errs <- fmt.Errorf("goroutine %d: bad event gave %v", g, err)
						return
					}
				default:
					if _, err = client.Publish([]string{fmt.Sprintf("ok-%d", g)}, "e", []byte(`{}`), ""); err != nil {
						errs <- fmt.Errorf("goroutine %d: good publish gave %v", g, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A real publish against sockudo: 200 events and one confirmed, all acknowledged.
func TestRealPublish(t *testing.T) {
	url := serverURL(t)
	client := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{url}})
	for i := 0; i < 200; i++ {
		accepted, err := client.Publish([]string{"go-feed"}, "Tick", []byte(fmt.Sprintf(`{"seq":%d}`, i)), "")
		if err != nil || accepted != Queued {
			t.Fatalf("publish %d: %v, %v", i, accepted, err)
		}
	}
	if err := client.PublishConfirmed([]string{"go-feed"}, "Tick", []byte(`{"seq":200}`), 10*time.Second); err != nil {
		t.Fatalf("PublishConfirmed: %v", err)
	}
	pending, err := client.Flush(10 * time.Second)
	if err != nil || pending != 0 {
		t.Fatalf("Flush = %d, %v; want 0 pending", pending, err)
	}
	stats, err := client.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if stats.Delivered != 201 || stats.Failed != 0 || stats.Enqueued != 201 {
		t.Errorf("stats = %+v; want 201 enqueued and delivered, none failed", stats)
	}
	if stats.RequestsSent == 0 || stats.LatencyP50 <= 0 {
		t.Errorf("stats = %+v; want requests and a latency", stats)
	}
	if failures, err := client.DrainFailures(); err != nil || len(failures) != 0 {
		t.Errorf("DrainFailures = %v, %v", failures, err)
	}
	t.Logf("delivered %d events in %d requests, p50 %v, p99 %v", stats.Delivered, stats.RequestsSent, stats.LatencyP50, stats.LatencyP99)
}

// Batches, user messages and queries against sockudo.
func TestRealBatchAndQueries(t *testing.T) {
	url := serverURL(t)
	client := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{url}})
	accepted, err := client.PublishBatch([]Event{
		{Channels: []string{"go-batch-1"}, Name: "A", Data: []byte(`{"n":1}`)},
		{Channels: []string{"go-batch-2"}, Name: "B", Data: []byte(`{"n":2}`), SocketID: "1.1"},
	})
	if err != nil || accepted != Queued {
		t.Fatalf("PublishBatch = %v, %v", accepted, err)
	}
	if err := client.SendToUser("42", "Hello", []byte(`{"hi":true}`)); err != nil {
		t.Fatalf("SendToUser: %v", err)
	}
	if pending, err := client.Flush(10 * time.Second); err != nil || pending != 0 {
		t.Fatalf("Flush = %d, %v", pending, err)
	}
	if s, err := client.Stats(); err != nil || s.Delivered != 3 || s.Failed != 0 {
		t.Errorf("stats = %+v, %v; want 3 delivered", s, err)
	}

	channels, err := client.Channels("", "")
	if err != nil {
		t.Fatalf("Channels: %v", err)
	}
	var list struct {
		Channels map[string]json.RawMessage `json:"channels"`
	}
	if err := json.Unmarshal([]byte(channels), &list); err != nil || list.Channels == nil {
		t.Errorf("Channels JSON %s: %v", channels, err)
	}
	if _, err := client.Channels("presence-", "user_count"); err != nil {
		t.Errorf("Channels with prefix and info: %v", err)
	}
	info, err := client.ChannelInfo("go-feed", "subscription_count")
	if err != nil {
		t.Fatalf("ChannelInfo: %v", err)
	}
	if !strings.Contains(info, "occupied") {
		t.Errorf("ChannelInfo JSON %s", info)
	}
	users, err := client.PresenceUsers("presence-go-room")
	if err != nil {
		t.Fatalf("PresenceUsers: %v", err)
	}
	if len(users) != 0 {
		t.Errorf("PresenceUsers of an empty room = %v", users)
	}
	if err := client.TerminateUserConnections("42"); err != nil {
		t.Errorf("TerminateUserConnections: %v", err)
	}
	_, err = client.ChannelInfo("bad channel", "")
	wantCode(t, err, ResultInvalidChannel)
}

// A server refusal carries its HTTP status.
func TestRealRefusalCarriesHTTPStatus(t *testing.T) {
	url := serverURL(t)
	client := newClient(t, serverApp(t, "wrong-secret"), Config{Endpoints: []string{url}})
	err := client.PublishConfirmed([]string{"go-other"}, "x", nil, 10*time.Second)
	e := wantCode(t, err, ResultAPIError)
	if e.HTTPStatus != 401 {
		t.Errorf("HTTPStatus = %d, want 401 (%v)", e.HTTPStatus, err)
	}
	if IsValidation(err) || IsQueueFull(err) || IsTimeout(err) {
		t.Errorf("refusal misclassified: %v", err)
	}
	failures, err := client.DrainFailures()
	if err != nil {
		t.Fatalf("DrainFailures: %v", err)
	}
	found := false
	for _, f := range failures {
		if f.Code == ResultAPIError && f.Channel == "go-other" && f.Event == "x" {
			found = true
			checkFailureRecord(t, f, ResultAPIError)
		}
	}
	if !found {
		t.Errorf("failures %+v do not include the refused event", failures)
	}
	_, err = client.Channels("", "")
	if e := wantCode(t, err, ResultAPIError); e.HTTPStatus != 401 {
		t.Errorf("query refusal HTTPStatus = %d", e.HTTPStatus)
	}
}

func TestPublishConfirmedTimeout(t *testing.T) {
	// No server needed: port 1 refuses, so the acknowledgement never comes.
	client := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{unreachable}, ShutdownTimeout: 100 * time.Millisecond})
	err := client.PublishConfirmed([]string{"q"}, "e", nil, 100*time.Millisecond)
	if !IsTimeout(err) {
		t.Errorf("got %v, want a timeout", err)
	}
}

func TestSpoolKeepsEventsForTheNextClient(t *testing.T) {
	url := serverURL(t)
	dir := t.TempDir()
	if _, err := NewClient(serverApp(t, "app-secret"), Config{Endpoints: []string{url}, SpoolDir: dir, SpoolSync: 7}); Code(err) != ResultInvalidConfig {
		t.Fatalf("SpoolSync 7: got %v, want invalid config", err)
	}
	first := newClient(t, serverApp(t, "app-secret"), Config{
		Endpoints: []string{unreachable}, SpoolDir: dir, SpoolSync: SpoolSyncNone,
		ShutdownTimeout: 100 * time.Millisecond,
	})
	for i := 0; i < 25; i++ {
		if _, err := first.Publish([]string{"go-spool"}, "Tick", []byte(fmt.Sprintf(`{"seq":%d}`, i)), ""); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	// Left in the spool at shutdown, not lost: the next client on the directory replays them.
	left, err := first.Shutdown(100 * time.Millisecond)
	if err != nil || left != 25 {
		t.Fatalf("Shutdown = %d, %v; want 25 left", left, err)
	}
	first.Close()
	second := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{url}, SpoolDir: dir, SpoolSync: SpoolSyncEveryEvent})
	if _, err := second.Publish([]string{"go-spool"}, "Tick", []byte(`{"seq":25}`), ""); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if pending, err := second.Flush(20 * time.Second); err != nil || pending != 0 {
		t.Fatalf("Flush = %d, %v", pending, err)
	}
	stats, err := second.Stats()
	if err != nil || stats.Enqueued != 1 || stats.Delivered != 26 || stats.Failed != 0 {
		t.Fatalf("stats = %+v, %v; want 1 enqueued, 26 delivered", stats, err)
	}
	blocked := filepath.Join(dir, "file")
	if err := os.WriteFile(blocked, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	third := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{url}, SpoolDir: blocked})
	if _, err := third.Publish([]string{"go-spool"}, "Tick", []byte(`{}`), ""); Code(err) != ResultSpool {
		t.Fatalf("publish with a file as the spool: got %v, want a spool error", err)
	}
}

// Issue 17: the counter names Go reports are exactly the client's own (StatsSnapshot::counters,
// listed by the library), and the struct's old fields are filled from them.
func TestStatsReportExactlyTheClientsCounters(t *testing.T) {
	names := CounterNames()
	if len(names) < 26 {
		t.Fatalf("CounterNames() = %v", names)
	}
	client := newClient(t, serverApp(t, "app-secret"), Config{
		Endpoints:       []string{unreachable},
		QueueCapacity:   1,
		Backpressure:    FailFast,
		ShutdownTimeout: 100 * time.Millisecond,
	})
	if _, err := client.Publish([]string{"q"}, "e", []byte("{}"), ""); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if _, err := client.Publish([]string{"q"}, "e", []byte("{}"), ""); !IsQueueFull(err) {
		t.Fatalf("second publish: %v, want queue full", err)
	}
	stats, err := client.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	reported := make([]string, 0, len(stats.Counters))
	for name := range stats.Counters {
		reported = append(reported, name)
	}
	sort.Strings(reported)
	want := append([]string(nil), names...)
	sort.Strings(want)
	if strings.Join(reported, ",") != strings.Join(want, ",") {
		t.Errorf("Stats().Counters names %v\nlibrary's counters    %v", reported, want)
	}
	if stats.RejectedQueueFull != 1 || stats.Enqueued != 1 || stats.Counters["rejected_queue_full"] != 1 {
		t.Errorf("stats = %+v; want 1 enqueued, 1 rejected", stats)
	}
	if len(stats.Circuits) != 1 || stats.Circuits[0].Endpoint != unreachable || stats.Circuits[0].State != CircuitClosed {
		t.Errorf("Circuits = %+v", stats.Circuits)
	}
	// The engine keeps retrying the unreachable endpoint meanwhile (requests_sent,
	// in_flight_requests move): compare one snapshot with Stat reads taken right after it, and
	// take a new snapshot when a request happened in between.
	var mismatches []string
	for try := 0; try < 100; try++ {
		mismatches = mismatches[:0]
		snapshot, err := client.Stats()
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		for _, name := range names {
			value, err := client.Stat(name)
			if err != nil {
				t.Fatalf("Stat(%q): %v", name, err)
			}
			if value != snapshot.Counters[name] {
				mismatches = append(mismatches, fmt.Sprintf("Stat(%q) = %d; Stats() said %d", name, value, snapshot.Counters[name]))
			}
		}
		if len(mismatches) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, m := range mismatches {
		t.Error(m)
	}
	_, err = client.Stat("latency_p50_us")
	if Code(err) != ResultUnknownStat || !strings.Contains(err.Error(), "latency_p50_us") {
		t.Errorf("Stat(unknown) = %v, want ResultUnknownStat naming it", err)
	}
}

// A library message (certificate checks off, said by the engine's own thread when it starts)
// reaches the Go handler with its level, and stops once the handler is removed.
func TestLibraryMessagesReachTheLogHandler(t *testing.T) {
	var mu sync.Mutex
	var warnings []LogLevel
	if err := SetLogHandler(func(level LogLevel, message string) {
		if strings.Contains(message, "certificate") {
			mu.Lock()
			warnings = append(warnings, level)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("SetLogHandler: %v", err)
	}
	t.Cleanup(func() { _ = SetLogHandler(nil) })
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(warnings)
	}
	publishWithoutChecks := func() {
		client, err := NewClient(newApp(t, "12345", "k", "s"), Config{
			Endpoints:                []string{"https://127.0.0.1:1"},
			DangerAcceptInvalidCerts: true,
			ShutdownTimeout:          100 * time.Millisecond,
		})
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		if _, err := client.Publish([]string{"log"}, "e", []byte("{}"), ""); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		for deadline := time.Now().Add(10 * time.Second); count() == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if err := client.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	publishWithoutChecks()
	if count() != 1 || warnings[0] != LogWarning || LogWarning.String() != "warning" {
		t.Fatalf("handler saw %v; want one warning about certificates", warnings)
	}
	if err := SetLogHandler(nil); err != nil {
		t.Fatalf("SetLogHandler(nil): %v", err)
	}
	publishWithoutChecks() // back to standard error: the handler sees nothing more
	if count() != 1 {
		t.Errorf("the removed handler was still called: %v", warnings)
	}
}

// checkFailureRecord checks the fields every binding's failure record has: the library's
// message, its code with the library's name, and a recent time (pushcast_client_drain_failures
// reports "at").
func checkFailureRecord(t *testing.T, f Failure, code Result) {
	t.Helper()
	if f.Error == "" || f.Code != code || f.Code.String() != code.String() || f.Code.String() == "UNKNOWN" {
		t.Errorf("failure %+v: want a message and code %d (%s)", f, code, code)
	}
	if f.At.IsZero() || f.At.Before(time.Now().Add(-time.Hour)) || f.At.After(time.Now().Add(time.Minute)) {
		t.Errorf("failure %+v: At %v is not recent", f, f.At)
	}
}

// The failure record's JSON (pushcast_client_drain_failures): every field, the time in
// seconds since the epoch when the library gives one, and a list that is not JSON refused.
func TestFailureRecordFields(t *testing.T) {
	failures, err := parseFailures(`[{"event":"Paid","channel":"orders.1","error":"server said no","code":4000,"at":1767225600.25},` +
		`{"event":"E","channel":"c","error":"m","code":5002}]`)
	if err != nil || len(failures) != 2 {
		t.Fatalf("parseFailures = %+v, %v", failures, err)
	}
	want := Failure{Event: "Paid", Channel: "orders.1", Error: "server said no", Code: ResultAPIError,
		At: time.Unix(1767225600, 250_000_000)}
	if got := failures[0]; got.Event != want.Event || got.Channel != want.Channel || got.Error != want.Error ||
		got.Code != want.Code || !got.At.Equal(want.At) {
		t.Errorf("failures[0] = %+v, want %+v", got, want)
	}
	if got := failures[0].Code.String(); got != "API_ERROR" {
		t.Errorf("Code.String() = %q, want the library's name API_ERROR", got)
	}
	if got := failures[1]; got.Code != ResultTransport || !got.At.IsZero() {
		t.Errorf("failures[1] = %+v, want TRANSPORT with no time", got)
	}
	if _, err := parseFailures(`{`); Code(err) != ResultMalformedResponse {
		t.Errorf("parseFailures({) = %v, want ResultMalformedResponse", err)
	}
}
