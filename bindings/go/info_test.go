package pushcast

import (
	"context"
	"regexp"
	"testing"
	"time"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Nobody subscribes to go-info-nobody: sockudo reports a subscription_count of 0 and with it
// (unasked) an acknowledgement_id, a UUID per channel. Without info: an empty map.
func TestPublishConfirmedInfo(t *testing.T) {
	url := serverURL(t)
	client := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{url}})
	channels, err := client.PublishConfirmedInfo([]string{"go-info-nobody"}, "Info", []byte(`{"n":1}`), "subscription_count", 10*time.Second)
	if err != nil {
		t.Fatalf("PublishConfirmedInfo: %v", err)
	}
	if len(channels) != 1 {
		t.Fatalf("channels = %v, want go-info-nobody only", channels)
	}
	info, ok := channels["go-info-nobody"]
	if !ok || len(info) != 2 {
		t.Fatalf("channels = %v, want go-info-nobody with subscription_count and acknowledgement_id", channels)
	}
	if count, ok := info["subscription_count"].(float64); !ok || count != 0 {
		t.Errorf("subscription_count = %#v, want float64(0)", info["subscription_count"])
	}
	if id, ok := info["acknowledgement_id"].(string); !ok || !uuidPattern.MatchString(id) {
		t.Errorf("acknowledgement_id = %#v, want a UUID", info["acknowledgement_id"])
	}

	none, err := client.PublishConfirmedInfo([]string{"go-info-nobody"}, "Info", nil, "", 10*time.Second)
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("PublishConfirmedInfo without info = %#v, %v; want an empty map", none, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	viaCtx, err := client.PublishConfirmedInfoContext(ctx, []string{"go-info-nobody"}, "Info", nil, "subscription_count")
	if err != nil || len(viaCtx) != 1 || viaCtx["go-info-nobody"]["subscription_count"] != float64(0) {
		t.Errorf("PublishConfirmedInfoContext = %#v, %v", viaCtx, err)
	}
	if err := client.PublishConfirmed([]string{"go-info-nobody"}, "Info", nil, 10*time.Second); err != nil {
		t.Errorf("PublishConfirmed: %v", err)
	}
	if n := stat(t, client, "delivered"); n != 4 {
		t.Errorf("delivered = %d, want 4", n)
	}
}

// Validation errors come back typed, with nothing queued, as from PublishConfirmed.
func TestPublishConfirmedInfoRefusesBadInputBeforeTheQueue(t *testing.T) {
	client := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{unreachable}, ShutdownTimeout: 100 * time.Millisecond})
	const info = "subscription_count"
	channels, err := client.PublishConfirmedInfo([]string{"bad channel"}, "e", nil, info, time.Second)
	wantCode(t, err, ResultInvalidChannel)
	if channels != nil || !IsValidation(err) {
		t.Errorf("got %v, %v; want no channel info and a validation error", channels, err)
	}
	_, err = client.PublishConfirmedInfo(nil, "e", nil, info, time.Second)
	wantCode(t, err, ResultNoChannels)
	_, err = client.PublishConfirmedInfo([]string{"c", "c"}, "e", nil, info, time.Second)
	wantCode(t, err, ResultDuplicateChannel)
	_, err = client.PublishConfirmedInfo([]string{"c"}, "pusher:internal", nil, info, time.Second)
	wantCode(t, err, ResultInvalidEventName)
	_, err = client.PublishConfirmedInfo([]string{"c"}, "e", []byte{'"', 0xff, '"'}, info, time.Second)
	wantCode(t, err, ResultInvalidUTF8)
	_, err = client.PublishConfirmedInfo([]string{"c"}, "e", nil, "a\x00b", time.Second)
	wantCode(t, err, ResultInvalidUTF8)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.PublishConfirmedInfoContext(ended, []string{"c"}, "e", nil, info); err != context.Canceled {
		t.Errorf("PublishConfirmedInfoContext(ended) = %v, want context.Canceled", err)
	}
	if n := stat(t, client, "enqueued"); n != 0 {
		t.Errorf("%d events reached the queue", n)
	}
}
