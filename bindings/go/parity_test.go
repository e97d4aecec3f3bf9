package pushcast

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// waitFor polls done up to 10 s.
func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stat(t *testing.T, c *Client, name string) uint64 {
	t.Helper()
	v, err := c.Stat(name)
	if err != nil {
		t.Fatalf("Stat(%q): %v", name, err)
	}
	return v
}

func metrics(t *testing.T, c *Client) string {
	t.Helper()
	text, err := c.Metrics()
	if err != nil {
		t.Fatalf("Metrics: %v", err)
	}
	return text
}

// breakerConfig is a client of the unreachable endpoint whose circuit opens on the first
// failed attempt and stays open for a minute (longer than any test), with policy as what
// Publish does meanwhile; a 100 ms shutdown abandons what is still queued.
func breakerConfig(policy BreakerPolicy) Config {
	return Config{
		Endpoints:               []string{unreachable},
		ShutdownTimeout:         100 * time.Millisecond,
		BreakerFailureThreshold: 1,
		BreakerCooldown:         time.Minute,
		BreakerCooldownMax:      time.Minute,
		BreakerOpenPolicy:       policy,
	}
}

// The unreachable endpoint refuses connections: one failure opens the circuit for a minute,
// and the fail-fast policy then refuses publishes with the typed error.
func TestBreakerOpensAndFailsFast(t *testing.T) {
	client := newClient(t, newApp(t, "12345", "k", "s"), breakerConfig(BreakerFailFast))
	if _, err := client.Publish([]string{"go-breaker"}, "Tick", []byte(`{"i":1}`), ""); err != nil {
		t.Fatalf("first publish: %v", err)
	}
	waitFor(t, "the circuit to open", func() bool { return stat(t, client, "breaker_opened") == 1 })
	_, err := client.Publish([]string{"go-breaker"}, "Tick", []byte(`{"i":2}`), "")
	if !IsCircuitOpen(err) || !errors.Is(err, ErrCircuitOpen) || Code(err) != ResultCircuitOpen {
		t.Fatalf("publish while open: %v, want CIRCUIT_OPEN", err)
	}
	stats, err := client.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if stats.Enqueued != 1 || stats.Counters["rejected_circuit_open"] != 1 {
		t.Errorf("stats = %+v; want 1 enqueued, 1 rejected_circuit_open", stats.Counters)
	}
	if len(stats.Circuits) != 1 || stats.Circuits[0].State != CircuitOpen {
		t.Errorf("Circuits = %+v, want one open", stats.Circuits)
	}
	if text := metrics(t, client); !strings.Contains(text, "pushcast_circuit_state{endpoint=\""+unreachable+"\",state=\"open\"} 1\n") {
		t.Errorf("metrics lack the open circuit:\n%s", text)
	}
	if abandoned, err := client.Shutdown(100 * time.Millisecond); err != nil || abandoned != 1 {
		t.Errorf("Shutdown = %d, %v; want 1 abandoned", abandoned, err)
	}
}

func TestBreakerAndConflationSettingsAreChecked(t *testing.T) {
	app := newApp(t, "12345", "k", "s")
	bad := map[string]Config{
		"unknown policy":            {BreakerOpenPolicy: "sometimes"},
		"cool-down over max":        {BreakerCooldown: 5 * time.Second, BreakerCooldownMax: 10 * time.Millisecond},
		"negative threshold":        {BreakerFailureThreshold: -1},
		"disabled with a threshold": {BreakerDisabled: true, BreakerFailureThreshold: 3},
		"rule without a pattern":    {Conflate: []ConflateRule{{Key: "id", Window: time.Second}}},
		"rule without a window":     {Conflate: []ConflateRule{{Event: "E"}}},
	}
	for what, cfg := range bad {
		cfg.Endpoints = []string{unreachable}
		if c, err := NewClient(app, cfg); Code(err) != ResultInvalidConfig {
			if c != nil {
				c.Close()
			}
			t.Errorf("%s: NewClient = %v, want ResultInvalidConfig", what, err)
		}
	}
	client := newClient(t, app, Config{Endpoints: []string{unreachable}, BreakerDisabled: true,
		Conflate: []ConflateRule{{Event: "Rooms*", Key: "room", Window: time.Second}}})
	if text := metrics(t, client); !strings.Contains(text, "\npushcast_conflated_total 0\n") {
		t.Errorf("metrics:\n%s", text)
	}
}

// The circuit opens on the first failure and stays open (queue policy): later events wait in
// the queue, where a newer one with the same key replaces the older.
func TestConflationReplacesAQueuedEvent(t *testing.T) {
	cfg := breakerConfig(BreakerQueue)
	// One lane, held by Head while the circuit stays open: every later event waits in the
	// queue, where conflation applies. With more lanes, go-other-1's first event could be
	// handed to a free lane before the second arrived, and never be replaced (a race that
	// failed CI once).
	cfg.MaxInFlight = 1
	cfg.Conflate = []ConflateRule{
		{Event: "Rooms*", Key: "room", Window: time.Minute},
		{Channel: "go-other-*", Window: time.Minute},
	}
	client := newClient(t, newApp(t, "12345", "k", "s"), cfg)
	publish := func(channel, event, data string) {
		t.Helper()
		if _, err := client.Publish([]string{channel}, event, []byte(data), ""); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	publish("go-rooms", "Head", `{}`)
	waitFor(t, "the circuit to open", func() bool { return stat(t, client, "breaker_opened") == 1 })
	publish("go-rooms", "RoomsUpdated", `{"room":1,"v":1}`)
	publish("go-rooms", "RoomsUpdated", `{"room":2,"v":1}`)
	publish("go-rooms", "RoomsUpdated", `{"room":1,"v":2}`)
	waitFor(t, "one event conflated", func() bool { return stat(t, client, "conflated") == 1 })
	publish("go-other-1", "Anything", `{}`)
	publish("go-other-1", "Anything", `{}`)
	waitFor(t, "two events conflated", func() bool { return stat(t, client, "conflated") == 2 })
	stats, err := client.Stats()
	if err != nil || stats.Enqueued != 6 || stats.Conflated != 2 {
		t.Errorf("Stats = %+v, %v; want 6 enqueued, 2 conflated", stats, err)
	}
	if text := metrics(t, client); !strings.Contains(text, "\npushcast_conflated_total 2\n") {
		t.Errorf("metrics:\n%s", text)
	}
	// Head, room 2, room 1 v2, one Anything.
	if abandoned, err := client.Shutdown(100 * time.Millisecond); err != nil || abandoned != 4 {
		t.Errorf("Shutdown = %d, %v; want 4 abandoned", abandoned, err)
	}
}

func TestMetricsAfterARealDelivery(t *testing.T) {
	url := serverURL(t)
	client := newClient(t, serverApp(t, "app-secret"), Config{Endpoints: []string{url}})
	if text := metrics(t, client); !strings.Contains(text, "\npushcast_enqueued_total 0\n") {
		t.Errorf("metrics before any publish:\n%s", text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.PublishConfirmedContext(ctx, []string{"go-metrics"}, "Tick", []byte(`{}`)); err != nil {
		t.Fatalf("PublishConfirmedContext: %v", err)
	}
	text := metrics(t, client)
	for _, want := range []string{
		"# TYPE pushcast_delivered_total counter\n",
		"\npushcast_delivered_total 1\n",
		"# TYPE pushcast_publish_latency_seconds histogram\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	if pending, err := client.FlushContext(ctx); err != nil || pending != 0 {
		t.Errorf("FlushContext = %d, %v", pending, err)
	}
	if err := client.CloseContext(ctx); err != nil {
		t.Errorf("CloseContext: %v", err)
	}
	if _, err := client.Metrics(); Code(err) != ResultShutDown {
		t.Errorf("Metrics after close: %v, want the closed error", err)
	}
}

// The context variants: a deadline bounds the wait, a cancellation without a deadline ends
// FlushContext within its slice, and an ended context publishes nothing.
func TestContextVariants(t *testing.T) {
	client := newClient(t, newApp(t, "12345", "k", "s"), Config{
		Endpoints:       []string{unreachable},
		ShutdownTimeout: 30 * time.Second,
		BreakerDisabled: true,
	})
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := client.PublishConfirmedContext(ended, []string{"go-ctx"}, "Tick", []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("PublishConfirmedContext(ended) = %v, want context.Canceled", err)
	}
	if n := stat(t, client, "enqueued"); n != 0 {
		t.Fatalf("an ended context published %d events", n)
	}

	short, cancelShort := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelShort()
	start := time.Now()
	if err := client.PublishConfirmedContext(short, []string{"go-ctx"}, "Tick", []byte(`{}`)); !IsTimeout(err) {
		t.Fatalf("PublishConfirmedContext(200ms) = %v, want a timeout", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond || waited > 5*time.Second {
		t.Errorf("PublishConfirmedContext waited %v for a 200 ms deadline", waited)
	}

	cancellable, cancelLater := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancelLater)
	start = time.Now()
	pending, err := client.FlushContext(cancellable)
	if pending != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("FlushContext(cancelled) = %d, %v; want 1 pending, context.Canceled", pending, err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("FlushContext took %v to notice the cancellation", waited)
	}

	// CloseContext bounds the flush by its context, not by the 30 s ShutdownTimeout.
	closing, cancelClosing := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelClosing()
	start = time.Now()
	if err := client.CloseContext(closing); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CloseContext = %v, want context.DeadlineExceeded (an event abandoned)", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("CloseContext took %v", waited)
	}
	if err := client.CloseContext(context.Background()); err != nil {
		t.Errorf("a second CloseContext: %v", err)
	}
}
