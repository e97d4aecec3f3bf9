package pushcast

/*
#include <stdlib.h>
#include "pushcast.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// Backpressure is what a publish does when the queue is full. It reaches the library as a
// plain uint32_t: a value that is none of the constants below makes NewClient fail with
// ResultInvalidConfig.
type Backpressure uint32

// Backpressure policies, mirroring the PUSHCAST_BACKPRESSURE_* values of pushcast.h.
const (
	// FailFast fails with ResultQueueFull (the default).
	FailFast Backpressure = C.PUSHCAST_BACKPRESSURE_FAIL_FAST
	// Block waits for room up to Config.BlockTimeout, then fails with ResultQueueFull.
	Block Backpressure = C.PUSHCAST_BACKPRESSURE_BLOCK
	// DropNewest drops the new event (counted, logged); Publish reports Dropped.
	DropNewest Backpressure = C.PUSHCAST_BACKPRESSURE_DROP_NEWEST
	// DropOldest drops the oldest event not yet sent (counted, logged).
	DropOldest Backpressure = C.PUSHCAST_BACKPRESSURE_DROP_OLDEST
)

// String is the policy's name in the library ("fail_fast", "block", "drop_newest",
// "drop_oldest"), the name pushcast_config_set takes. Up to 0.1 it was spelt with hyphens
// ("fail-fast"); the library still accepts that spelling.
func (b Backpressure) String() string {
	switch b {
	case FailFast:
		return "fail_fast"
	case Block:
		return "block"
	case DropNewest:
		return "drop_newest"
	case DropOldest:
		return "drop_oldest"
	}
	return fmt.Sprintf("backpressure %d", uint32(b))
}

// Accepted is what happened to a published event.
type Accepted uint32

// Outcomes of a publish, mirroring enum pushcast_accepted.
const (
	// Queued: the event is in the queue.
	Queued Accepted = C.PUSHCAST_ACCEPTED_QUEUED
	// Dropped: the DropNewest policy dropped it (counted, logged).
	Dropped Accepted = C.PUSHCAST_ACCEPTED_DROPPED
)

func (a Accepted) String() string {
	switch a {
	case Queued:
		return "queued"
	case Dropped:
		return "dropped"
	}
	return fmt.Sprintf("accepted %d", uint32(a))
}

// Config holds the publisher settings. Zero fields mean "the library's default": NewClient
// passes only the fields that are set, by name (pushcast_config_set), so every default lives
// in the library (see its README). Endpoints needs at least one base URL of the server's HTTP
// API (http://127.0.0.1:6001, https://api-mt1.pusher.com). Durations are passed to the library
// in whole milliseconds (rounded up).
type Config struct {
	// Endpoints are base URLs; several give failover and load spreading.
	Endpoints []string
	// QueueCapacity is the most events (per channel) accepted and not yet resolved.
	QueueCapacity int
	// Backpressure is the policy when the queue is full (FailFast by default).
	Backpressure Backpressure
	// BlockTimeout is how long a publish waits for room under the Block policy.
	BlockTimeout time.Duration
	// MaxInFlight is the most requests in flight at once (1..256).
	MaxInFlight int
	// ConnectTimeout bounds TCP + TLS connection set-up.
	ConnectTimeout time.Duration
	// RequestTimeout bounds a whole request (and each query, per endpoint tried).
	RequestTimeout time.Duration
	// DeliveryTimeout is how long an event may wait for delivery, retries included.
	DeliveryTimeout time.Duration
	// ShutdownTimeout is how long Close waits for pending events.
	ShutdownTimeout time.Duration
	// CAFile is an extra PEM CA file to trust ("" for none).
	CAFile string
	// DangerAcceptInvalidCerts skips TLS certificate checks entirely (prints a warning).
	DangerAcceptInvalidCerts bool
	// SpoolDir turns the durable spool on ("" for off): accepted events are written under
	// it before Publish returns, survive the process, and are replayed by the next process
	// that opens the same directory.
	SpoolDir string
	// SpoolSync is how hard the spool pushes writes to disk (default SpoolSyncInterval).
	SpoolSync SpoolSync
	// SpoolSyncInterval is the fsync interval of SpoolSyncInterval (0: the library's default).
	SpoolSyncInterval time.Duration
	// SpoolMaxBytes bounds the spool (0: the library's default); past it, the Backpressure policy applies
	// and fails with ResultSpoolFull.
	SpoolMaxBytes uint64
	// SpoolMaxAge is how long an event may wait for delivery (0: the library's default).
	SpoolMaxAge time.Duration
	// BreakerFailureThreshold is how many consecutive failed attempts to an endpoint
	// (connection error, timeout, 5xx) open its circuit (0: the library's default; use
	// BreakerDisabled to turn the breaker off).
	BreakerFailureThreshold int
	// BreakerDisabled turns the circuit breaker off (breaker_failure_threshold 0).
	BreakerDisabled bool
	// BreakerCooldown is how long an open circuit stays open before one probe request.
	BreakerCooldown time.Duration
	// BreakerCooldownMax is the longest cool-down, doubled after each failed probe.
	BreakerCooldownMax time.Duration
	// BreakerOpenPolicy is what Publish does while every endpoint's circuit is open
	// ("": the library's default).
	BreakerOpenPolicy BreakerPolicy
	// Conflate lists the conflation rules: a queued event is replaced by a newer one with
	// the same key (counted in Stats.Conflated).
	Conflate []ConflateRule
}

// BreakerPolicy is what Publish does while every endpoint's circuit is open, by the
// library's name for it (breaker_open_policy); the library refuses any other name with
// ResultInvalidConfig.
type BreakerPolicy string

// Breaker policies.
const (
	// BreakerQueue queues as usual; queued events wait for a probe to close a circuit.
	BreakerQueue BreakerPolicy = "queue"
	// BreakerFailFast fails at once with ResultCircuitOpen (IsCircuitOpen, ErrCircuitOpen).
	BreakerFailFast BreakerPolicy = "fail_fast"
	// BreakerSpool keeps events on disk while every circuit is open (with Config.SpoolDir;
	// without it, as BreakerQueue).
	BreakerSpool BreakerPolicy = "spool"
)

// ConflateRule is one conflation rule (pushcast_config_add_conflate_rule): an event whose
// name matches Event and whose channel matches Channel (globs with * and ?; "" for any, but
// not both "") replaces a still-queued earlier one with the same value of the payload's
// top-level field Key ("" for no key) published within Window of its run's first event.
// The library checks the rule when the client is made (ResultInvalidConfig).
type ConflateRule struct {
	Event   string
	Channel string
	Key     string
	Window  time.Duration
}

// SpoolSync is the durable spool's sync level. Its zero value is the default,
// SpoolSyncInterval (so the numbers differ from enum pushcast_spool_sync's).
type SpoolSync uint32

// Spool sync levels.
const (
	// SpoolSyncInterval fsyncs every SpoolSyncInterval in the background: an accepted event
	// survives the process dying; a power loss loses at most the last interval (the default).
	SpoolSyncInterval SpoolSync = iota
	// SpoolSyncNone never fsyncs: an accepted event survives the process dying, not a power loss.
	SpoolSyncNone
	// SpoolSyncEveryEvent fsyncs before Publish returns (PublishBatch shares one fsync).
	SpoolSyncEveryEvent
)

// name is the level's name in the library, or false for a value that is none of the
// constants.
func (s SpoolSync) name() (string, bool) {
	switch s {
	case SpoolSyncInterval:
		return "interval", true
	case SpoolSyncNone:
		return "none", true
	case SpoolSyncEveryEvent:
		return "every_event", true
	}
	return "", false
}

// settings are the Config fields that are set, as pushcast_config_set keys and texts, in the
// order they are applied (spool before the spool_* keys that need it).
func (cfg Config) settings() ([][2]string, error) {
	var out [][2]string
	put := func(key, value string) { out = append(out, [2]string{key, value}) }
	ms := func(key string, d time.Duration) {
		if d != 0 {
			put(key, strconv.FormatUint(uint64(millis(d)), 10))
		}
	}
	if cfg.QueueCapacity != 0 {
		put("queue_capacity", strconv.Itoa(cfg.QueueCapacity))
	}
	if cfg.Backpressure != FailFast {
		// An out-of-range value reaches the library as its String() and is refused there.
		put("backpressure", cfg.Backpressure.String())
	}
	ms("block_timeout_ms", cfg.BlockTimeout)
	if cfg.MaxInFlight != 0 {
		put("max_in_flight", strconv.Itoa(cfg.MaxInFlight))
	}
	ms("connect_timeout_ms", cfg.ConnectTimeout)
	ms("request_timeout_ms", cfg.RequestTimeout)
	ms("delivery_timeout_ms", cfg.DeliveryTimeout)
	ms("shutdown_timeout_ms", cfg.ShutdownTimeout)
	if cfg.CAFile != "" {
		put("ca_file", cfg.CAFile)
	}
	if cfg.DangerAcceptInvalidCerts {
		put("danger_accept_invalid_certs", "true")
	}
	if cfg.SpoolDir != "" {
		put("spool", cfg.SpoolDir)
		level, ok := cfg.SpoolSync.name()
		if !ok {
			return nil, &Error{Code: ResultInvalidConfig, Message: fmt.Sprintf("SpoolSync %d is not a SpoolSync constant", cfg.SpoolSync)}
		}
		if cfg.SpoolSync != SpoolSyncInterval {
			put("spool_sync", level)
		}
		ms("spool_sync_interval_ms", cfg.SpoolSyncInterval)
		if cfg.SpoolMaxBytes != 0 {
			put("spool_max_bytes", strconv.FormatUint(cfg.SpoolMaxBytes, 10))
		}
		ms("spool_max_age_ms", cfg.SpoolMaxAge)
	}
	switch {
	case cfg.BreakerFailureThreshold < 0 || int64(cfg.BreakerFailureThreshold) > math.MaxUint32:
		return nil, &Error{Code: ResultInvalidConfig, Message: fmt.Sprintf("BreakerFailureThreshold %d is outside 0..%d", cfg.BreakerFailureThreshold, uint32(math.MaxUint32))}
	case cfg.BreakerDisabled && cfg.BreakerFailureThreshold != 0:
		return nil, &Error{Code: ResultInvalidConfig, Message: "BreakerDisabled with a BreakerFailureThreshold"}
	case cfg.BreakerDisabled:
		put("breaker_failure_threshold", "0")
	case cfg.BreakerFailureThreshold != 0:
		put("breaker_failure_threshold", strconv.Itoa(cfg.BreakerFailureThreshold))
	}
	ms("breaker_cooldown_ms", cfg.BreakerCooldown)
	ms("breaker_cooldown_max_ms", cfg.BreakerCooldownMax)
	if cfg.BreakerOpenPolicy != "" {
		put("breaker_open_policy", string(cfg.BreakerOpenPolicy))
	}
	return out, nil
}

// Event is one event of a batch. Data is the event's data string (usually JSON text);
// SocketID, when not empty, excludes that connection from delivery.
type Event struct {
	Channels []string
	Name     string
	Data     []byte
	SocketID string
}

// Stats are the client's live statistics, read from pushcast_client_stats_json. Event
// counts are per channel.
//
// Counters holds every counter of the library by its name (CounterNames lists them): a
// counter added to the library is there without a change to this binding. The named fields
// are the ones this binding has always had, filled from Counters, kept for existing code.
type Stats struct {
	Counters  map[string]uint64 // every counter by name
	LastError string            // the most recent error ("" if none)
	Circuits  []Circuit         // each endpoint's circuit breaker

	Enqueued            uint64        // accepted into the queue
	Delivered           uint64        // acknowledged by the server
	Failed              uint64        // given up on (in the failure log)
	Retried             uint64        // re-sent after retryable failures
	DroppedNewest       uint64        // dropped by DropNewest
	DroppedOldest       uint64        // dropped by DropOldest
	RejectedQueueFull   uint64        // refused with ResultQueueFull
	AbandonedAtShutdown uint64        // undelivered at shutdown
	RequestsSent        uint64        // HTTP requests sent
	RequestsFailed      uint64        // HTTP requests failed
	InFlightRequests    uint64        // HTTP requests in flight now
	Failovers           uint64        // endpoint switches after connection failures
	QueueDepth          uint64        // events pending now
	LatencyP50          time.Duration // median publish-to-acknowledgement latency (0 before any delivery)
	LatencyP99          time.Duration // 99th percentile of the same
	Resent              uint64        // sent again after a try the server may have acted on (5xx, no answer)
	SplitBatches        uint64        // batches split after the server refused them
	Conflated           uint64        // replaced in the queue by a later event with the same key
	SpoolReplayed       uint64        // taken over from the spools of processes that died
	SpoolLeftAtShutdown uint64        // left in the spool at shutdown for the next process
}

// CircuitState is the state of one endpoint's circuit breaker.
type CircuitState string

// Circuit states, as the library names them (pushcast_client_stats_json, the metrics).
const (
	CircuitClosed   CircuitState = "closed"    // requests go through
	CircuitOpen     CircuitState = "open"      // no requests until the cool-down has passed
	CircuitHalfOpen CircuitState = "half_open" // one probe request decides
)

// Circuit is one endpoint's circuit breaker.
type Circuit struct {
	Endpoint string       `json:"endpoint"`
	State    CircuitState `json:"state"`
}

// statsDocument is pushcast_client_stats_json's JSON.
type statsDocument struct {
	Counters     map[string]uint64 `json:"counters"`
	LatencyP50us *uint64           `json:"latency_p50_us"`
	LatencyP99us *uint64           `json:"latency_p99_us"`
	LastError    *string           `json:"last_error"`
	Circuits     []Circuit         `json:"circuits"`
}

// CounterNames lists the library's counters, in its order (pushcast_stats_counter_count and
// _name): every one is a key of Stats.Counters and a name Client.Stat reads.
func CounterNames() []string {
	count := int(C.pushcast_stats_counter_count())
	names := make([]string, 0, count)
	for i := 0; i < count; i++ {
		names = append(names, C.GoString(C.pushcast_stats_counter_name(C.size_t(i))))
	}
	return names
}

// Failure is one event the client gave up on, from DrainFailures: the record every binding
// has (PHP's failures(), Python's drain_failures(): event, channel, error, code, time).
type Failure struct {
	Event   string `json:"event"`   // the event's name
	Channel string `json:"channel"` // the channel it was for
	Error   string `json:"error"`   // the library's message: why it was not delivered
	// Code is the library's result code; Code.String() is its name ("API_ERROR").
	Code Result `json:"code"`
	// At is when the client gave up on the event; zero when the library does not report it
	// (its "at", seconds since the Unix epoch).
	At time.Time `json:"at"`
}

// UnmarshalJSON reads one record of pushcast_client_drain_failures.
func (f *Failure) UnmarshalJSON(data []byte) error {
	var raw struct {
		Event   string   `json:"event"`
		Channel string   `json:"channel"`
		Error   string   `json:"error"`
		Code    Result   `json:"code"`
		At      *float64 `json:"at"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*f = Failure{Event: raw.Event, Channel: raw.Channel, Error: raw.Error, Code: raw.Code}
	if raw.At != nil {
		sec, frac := math.Modf(*raw.At)
		f.At = time.Unix(int64(sec), int64(math.Round(frac*1e9)))
	}
	return nil
}

// parseFailures reads the JSON list of pushcast_client_drain_failures.
func parseFailures(text string) ([]Failure, error) {
	failures := []Failure{}
	if err := json.Unmarshal([]byte(text), &failures); err != nil {
		return nil, &Error{Code: ResultMalformedResponse, Message: "unreadable failure list: " + err.Error()}
	}
	return failures, nil
}

// Client is the background publisher (a pushcast_client). All its methods may be called
// from any number of goroutines at once. Close must be called when done: it flushes pending
// events (up to Config.ShutdownTimeout) and frees the client. A finalizer closes a
// garbage-collected Client that was not closed, but only as a safety net.
type Client struct {
	mu  sync.RWMutex
	ptr *C.pushcast_client
}

func closedClient() error {
	return &Error{Code: ResultShutDown, Message: "the Client is closed"}
}

// NewClient checks cfg and creates a client for a copy of app (app may be closed right
// after). It starts no thread until the first publish or query.
func NewClient(app *App, cfg Config) (*Client, error) {
	if app == nil {
		return nil, &Error{Code: ResultNullArgument, Message: "app is nil"}
	}
	if len(cfg.Endpoints) == 0 {
		return nil, &Error{Code: ResultInvalidConfig, Message: "at least one endpoint is needed"}
	}
	if cfg.QueueCapacity < 0 || cfg.MaxInFlight < 0 {
		return nil, &Error{Code: ResultInvalidConfig, Message: "QueueCapacity and MaxInFlight cannot be negative"}
	}
	var m cMemory
	defer m.free()
	endpoints := make([]*C.char, len(cfg.Endpoints))
	for i, e := range cfg.Endpoints {
		ce, err := m.str("endpoint", e)
		if err != nil {
			return nil, err
		}
		endpoints[i] = ce
	}
	settings, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	// Filled in below, under the App's lock; the steps run after that.
	var config *C.pushcast_config
	steps := make([]func() C.pushcast_result, 0, len(cfg.Endpoints)+len(settings))
	for _, kv := range settings {
		key, err := m.str("setting name", kv[0])
		if err != nil {
			return nil, err
		}
		value, err := m.str(kv[0], kv[1])
		if err != nil {
			return nil, err
		}
		steps = append(steps, func() C.pushcast_result { return C.pushcast_config_set(config, key, value) })
	}
	for _, rule := range cfg.Conflate {
		event, err := m.optStr("conflation event", rule.Event)
		if err != nil {
			return nil, err
		}
		channel, err := m.optStr("conflation channel", rule.Channel)
		if err != nil {
			return nil, err
		}
		key, err := m.optStr("conflation key", rule.Key)
		if err != nil {
			return nil, err
		}
		window := millis(rule.Window)
		steps = append(steps, func() C.pushcast_result {
			return C.pushcast_config_add_conflate_rule(config, event, channel, key, window)
		})
	}

	app.mu.RLock()
	defer app.mu.RUnlock()
	if app.ptr == nil {
		return nil, closedApp()
	}
	if err := call(func() C.pushcast_result { return C.pushcast_config_new(app.ptr, endpoints[0], &config) }); err != nil {
		return nil, err
	}
	defer C.pushcast_config_free(config)
	for _, e := range endpoints[1:] {
		e := e
		steps = append(steps, func() C.pushcast_result { return C.pushcast_config_add_endpoint(config, e) })
	}
	for _, step := range steps {
		if err := call(step); err != nil {
			return nil, err
		}
	}
	var ptr *C.pushcast_client
	if err := call(func() C.pushcast_result { return C.pushcast_client_new(config, &ptr) }); err != nil {
		return nil, err
	}
	c := &Client{ptr: ptr}
	runtime.SetFinalizer(c, func(c *Client) {
		// Freeing flushes for up to the shutdown timeout: keep that off the finalizer goroutine.
		go c.Close()
	})
	return c, nil
}

// Close flushes pending events for up to Config.ShutdownTimeout, abandons (counts, logs) the
// rest and frees the client. It waits for calls in progress on other goroutines. Idempotent;
// always returns nil (it has the error result so that it fits io.Closer).
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.pushcast_client_free(c.ptr)
		c.ptr = nil
	}
	runtime.SetFinalizer(c, nil)
	return nil
}

// with runs f with the live handle under the shared lock.
func (c *Client) with(f func(*C.pushcast_client) C.pushcast_result) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return closedClient()
	}
	return call(func() C.pushcast_result { return f(c.ptr) })
}

// query runs a function writing a JSON string and returns that string.
func (c *Client) query(f func(*C.pushcast_client, **C.char) C.pushcast_result) (string, error) {
	var out *C.char
	if err := c.with(func(p *C.pushcast_client) C.pushcast_result { return f(p, &out) }); err != nil {
		return "", err
	}
	return takeString(out), nil
}

// Publish validates and queues an event on channels; it never waits on the network (except
// under the Block policy, up to Config.BlockTimeout). data is the event's data string
// (usually JSON text, UTF-8). socketID, when not empty, excludes that connection.
func (c *Client) Publish(channels []string, event string, data []byte, socketID string) (Accepted, error) {
	var m cMemory
	defer m.free()
	var ev C.pushcast_event // Go memory holding only C pointers: allowed by the cgo rules
	if err := m.fillEvent(&ev, channels, event, data, socketID); err != nil {
		return Queued, err
	}
	var accepted C.pushcast_accepted
	if err := c.with(func(p *C.pushcast_client) C.pushcast_result {
		return C.pushcast_client_publish(p, &ev, &accepted)
	}); err != nil {
		return Queued, err
	}
	return Accepted(accepted), nil
}

// PublishConfirmed queues an event and waits up to timeout for the server's acknowledgement
// of every channel. On a timeout (IsTimeout) the event stays queued and may still be
// delivered. PublishConfirmedInfo also returns what the server said about each channel.
func (c *Client) PublishConfirmed(channels []string, event string, data []byte, timeout time.Duration) error {
	_, err := c.publishConfirmed(channels, event, data, "", millis(timeout), false)
	return err
}

// PublishConfirmedContext is PublishConfirmed waiting until ctx's deadline. A context that
// has already ended returns its error and publishes nothing. Without a deadline it waits
// until the event is resolved (the library bounds that by Config.DeliveryTimeout): the C call
// cannot be interrupted midway, so cancelling such a context does not end the wait.
func (c *Client) PublishConfirmedContext(ctx context.Context, channels []string, event string, data []byte) error {
	timeout, err := contextTimeout(ctx)
	if err != nil {
		return err
	}
	_, err = c.publishConfirmed(channels, event, data, "", timeout, false)
	return err
}

// PublishConfirmedInfo is PublishConfirmed asking the server for the Pusher trigger info
// attributes in info, comma-separated (e.g. "subscription_count,user_count"; "" asks for
// none), and returning the per-channel info the server sent back, {channel: {attribute:
// value}}, with values as encoding/json decodes them (numbers are float64). The map is empty,
// not nil, when the event asked for no info or the server reported none. Validation errors
// are returned before anything is queued; on a timeout (IsTimeout) the event stays queued and
// may still be delivered.
func (c *Client) PublishConfirmedInfo(channels []string, event string, data []byte, info string, timeout time.Duration) (map[string]map[string]any, error) {
	return c.publishConfirmed(channels, event, data, info, millis(timeout), true)
}

// PublishConfirmedInfoContext is PublishConfirmedInfo waiting until ctx's deadline, as
// PublishConfirmedContext does.
func (c *Client) PublishConfirmedInfoContext(ctx context.Context, channels []string, event string, data []byte, info string) (map[string]map[string]any, error) {
	timeout, err := contextTimeout(ctx)
	if err != nil {
		return nil, err
	}
	return c.publishConfirmed(channels, event, data, info, timeout, true)
}

// contextTimeout is the time left until ctx's deadline for a C call, the longest wait the
// library takes without a deadline, or ctx's error when it has ended.
func contextTimeout(ctx context.Context) (C.uint64_t, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return C.uint64_t(math.MaxUint64), nil
	}
	left := time.Until(deadline)
	if left <= 0 {
		return 0, context.DeadlineExceeded
	}
	return millis(left), nil
}

// publishConfirmed builds a pushcast_message and publishes it confirmed; with wantInfo it
// decodes the channel info the library hands back (otherwise it asks for none).
func (c *Client) publishConfirmed(channels []string, event string, data []byte, info string, timeout C.uint64_t, wantInfo bool) (map[string]map[string]any, error) {
	var m cMemory
	defer m.free()
	msg, err := m.message(channels, event, data, info)
	if msg != nil {
		defer C.pushcast_message_free(msg)
	}
	if err != nil {
		return nil, err
	}
	var out *C.char
	outp := &out
	if !wantInfo {
		outp = nil
	}
	if err := c.with(func(p *C.pushcast_client) C.pushcast_result {
		return C.pushcast_client_publish_message_confirmed(p, msg, timeout, outp)
	}); err != nil {
		return nil, err
	}
	if !wantInfo {
		return nil, nil
	}
	var document struct {
		Channels map[string]map[string]any `json:"channels"`
	}
	if err := json.Unmarshal([]byte(takeString(out)), &document); err != nil {
		return nil, fmt.Errorf("pushcast: the library's channel info is not JSON: %w", err)
	}
	if document.Channels == nil {
		document.Channels = map[string]map[string]any{}
	}
	return document.Channels, nil
}

// PublishBatch validates every event first, then queues them all (none if any is invalid).
func (c *Client) PublishBatch(events []Event) (Accepted, error) {
	var m cMemory
	defer m.free()
	var arr *C.pushcast_event
	if n := len(events); n > 0 {
		p := m.alloc(uintptr(n) * unsafe.Sizeof(C.pushcast_event{}))
		slots := unsafe.Slice((*C.pushcast_event)(p), n)
		for i, e := range events {
			if err := m.fillEvent(&slots[i], e.Channels, e.Name, e.Data, e.SocketID); err != nil {
				return Queued, err
			}
		}
		arr = (*C.pushcast_event)(p)
	}
	var accepted C.pushcast_accepted
	if err := c.with(func(p *C.pushcast_client) C.pushcast_result {
		return C.pushcast_client_publish_batch(p, arr, C.size_t(len(events)), &accepted)
	}); err != nil {
		return Queued, err
	}
	return Accepted(accepted), nil
}

// SendToUser queues event with data (JSON text) for the user's #server-to-user-{userID}
// channel.
func (c *Client) SendToUser(userID, event string, data []byte) error {
	var m cMemory
	defer m.free()
	cuser, err := m.str("user id", userID)
	if err != nil {
		return err
	}
	cname, err := m.str("event name", event)
	if err != nil {
		return err
	}
	cdata, err := m.str("data", string(data))
	if err != nil {
		return err
	}
	return c.with(func(p *C.pushcast_client) C.pushcast_result {
		return C.pushcast_client_send_to_user(p, cuser, cname, cdata)
	})
}

// Flush waits up to timeout for every pending event to be resolved and returns how many are
// still pending.
func (c *Client) Flush(timeout time.Duration) (pending uint64, err error) {
	var out C.uint64_t
	if err := c.with(func(p *C.pushcast_client) C.pushcast_result {
		return C.pushcast_client_flush(p, millis(timeout), &out)
	}); err != nil {
		return 0, err
	}
	return uint64(out), nil
}

// flushSlice is the longest single flush call of FlushContext: how late it notices that its
// context was cancelled.
const flushSlice = 100 * time.Millisecond

// FlushContext waits until every pending event is resolved or ctx ends, and returns how
// many are still pending; with a non-zero count, the error is ctx's. It waits in slices of
// at most 100 ms, so a cancellation (with or without a deadline) ends it within that.
func (c *Client) FlushContext(ctx context.Context) (pending uint64, err error) {
	for {
		if err := ctx.Err(); err != nil {
			if pending, ferr := c.Flush(0); ferr != nil || pending > 0 {
				return pending, err
			}
			return 0, nil
		}
		slice := flushSlice
		if deadline, ok := ctx.Deadline(); ok {
			if left := time.Until(deadline); left < slice {
				slice = left
			}
		}
		if slice <= 0 {
			continue // ctx.Err() is set now (or within a moment)
		}
		pending, err := c.Flush(slice)
		if err != nil || pending == 0 {
			return pending, err
		}
	}
}

// ShutdownContext is Shutdown with the flush bounded by ctx (FlushContext) instead of a
// timeout: then the engine stops, and what is still pending is abandoned (counted, logged)
// and its number returned.
func (c *Client) ShutdownContext(ctx context.Context) (abandoned uint64, err error) {
	if _, err := c.FlushContext(ctx); err != nil && Code(err) == ResultShutDown {
		return 0, err
	}
	return c.Shutdown(0)
}

// CloseContext is Close with the flush bounded by ctx instead of Config.ShutdownTimeout: it
// flushes until ctx ends (FlushContext), abandons the rest and frees the client. It returns
// ctx's error when events were abandoned because ctx ended, nil otherwise. Like Close, it
// first waits for calls in progress on other goroutines, which ctx does not interrupt.
func (c *Client) CloseContext(ctx context.Context) error {
	abandoned, _ := c.ShutdownContext(ctx)
	c.Close()
	if abandoned > 0 {
		return ctx.Err()
	}
	return nil
}

// Shutdown flushes up to timeout, then stops the engine: what is still pending is abandoned
// (counted, logged) and its number returned. A later publish starts a new engine; the
// client must still be closed.
func (c *Client) Shutdown(timeout time.Duration) (abandoned uint64, err error) {
	var out C.uint64_t
	if err := c.with(func(p *C.pushcast_client) C.pushcast_result {
		return C.pushcast_client_shutdown(p, millis(timeout), &out)
	}); err != nil {
		return 0, err
	}
	return uint64(out), nil
}

// Stats returns the live statistics. Never blocks.
func (c *Client) Stats() (Stats, error) {
	text, err := c.query(func(p *C.pushcast_client, out **C.char) C.pushcast_result {
		return C.pushcast_client_stats_json(p, out)
	})
	if err != nil {
		return Stats{}, err
	}
	var doc statsDocument
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return Stats{}, &Error{Code: ResultMalformedResponse, Message: "unreadable stats: " + err.Error()}
	}
	micros := func(v *uint64) time.Duration {
		if v == nil {
			return 0
		}
		return time.Duration(*v) * time.Microsecond
	}
	n := doc.Counters
	s := Stats{
		Counters:            n,
		Circuits:            doc.Circuits,
		Enqueued:            n["enqueued"],
		Delivered:           n["delivered"],
		Failed:              n["failed"],
		Retried:             n["retried"],
		DroppedNewest:       n["dropped_newest"],
		DroppedOldest:       n["dropped_oldest"],
		RejectedQueueFull:   n["rejected_queue_full"],
		AbandonedAtShutdown: n["abandoned_at_shutdown"],
		RequestsSent:        n["requests_sent"],
		RequestsFailed:      n["requests_failed"],
		InFlightRequests:    n["in_flight_requests"],
		Failovers:           n["failovers"],
		QueueDepth:          n["queue_depth"],
		LatencyP50:          micros(doc.LatencyP50us),
		LatencyP99:          micros(doc.LatencyP99us),
		Resent:              n["resent"],
		SplitBatches:        n["split_batches"],
		Conflated:           n["conflated"],
		SpoolReplayed:       n["spool_replayed"],
		SpoolLeftAtShutdown: n["spool_left_at_shutdown"],
	}
	if doc.LastError != nil {
		s.LastError = *doc.LastError
	}
	return s, nil
}

// Metrics returns every statistic in the Prometheus text format (counters, queue gauges,
// the latency histogram, each endpoint's circuit state). Never blocks.
func (c *Client) Metrics() (string, error) {
	return c.query(func(p *C.pushcast_client, out **C.char) C.pushcast_result {
		return C.pushcast_client_metrics(p, out)
	})
}

// Stat returns one counter by name (one of CounterNames); a name the library does not have
// is an *Error with ResultUnknownStat. Never blocks.
func (c *Client) Stat(name string) (uint64, error) {
	cName := C.CString(name)
	defer C.free(unsafe.Pointer(cName))
	var out C.uint64_t
	if err := c.with(func(p *C.pushcast_client) C.pushcast_result {
		return C.pushcast_client_stat(p, cName, &out)
	}); err != nil {
		return 0, err
	}
	return uint64(out), nil
}

// DrainFailures takes the recent failures (events the client gave up on), oldest first.
func (c *Client) DrainFailures() ([]Failure, error) {
	text, err := c.query(func(p *C.pushcast_client, out **C.char) C.pushcast_result {
		return C.pushcast_client_drain_failures(p, out)
	})
	if err != nil {
		return nil, err
	}
	return parseFailures(text)
}

// Channels queries GET /channels (prefix and info may be empty) and returns its JSON,
// {"channels": {name: {..}}}. Blocks up to the request timeout.
func (c *Client) Channels(prefix, info string) (string, error) {
	var m cMemory
	defer m.free()
	cprefix, err := m.optStr("prefix", prefix)
	if err != nil {
		return "", err
	}
	cinfo, err := m.optStr("info", info)
	if err != nil {
		return "", err
	}
	return c.query(func(p *C.pushcast_client, out **C.char) C.pushcast_result {
		return C.pushcast_client_channels(p, cprefix, cinfo, out)
	})
}

// ChannelInfo queries GET /channels/{channel} (info may be empty) and returns its JSON.
// Blocks up to the request timeout.
func (c *Client) ChannelInfo(channel, info string) (string, error) {
	var m cMemory
	defer m.free()
	cchannel, err := m.str("channel", channel)
	if err != nil {
		return "", err
	}
	cinfo, err := m.optStr("info", info)
	if err != nil {
		return "", err
	}
	return c.query(func(p *C.pushcast_client, out **C.char) C.pushcast_result {
		return C.pushcast_client_channel_info(p, cchannel, cinfo, out)
	})
}

// PresenceUsers queries GET /channels/{channel}/users for a presence channel and returns the
// user ids. Blocks up to the request timeout.
func (c *Client) PresenceUsers(channel string) ([]string, error) {
	var m cMemory
	defer m.free()
	cchannel, err := m.str("channel", channel)
	if err != nil {
		return nil, err
	}
	text, err := c.query(func(p *C.pushcast_client, out **C.char) C.pushcast_result {
		return C.pushcast_client_presence_users(p, cchannel, out)
	})
	if err != nil {
		return nil, err
	}
	users := []string{}
	if err := json.Unmarshal([]byte(text), &users); err != nil {
		return nil, &Error{Code: ResultMalformedResponse, Message: "unreadable user list: " + err.Error()}
	}
	return users, nil
}

// TerminateUserConnections asks the server to close every connection of userID
// (POST /users/{user_id}/terminate_connections). Blocks up to the request timeout.
func (c *Client) TerminateUserConnections(userID string) error {
	var m cMemory
	defer m.free()
	cuser, err := m.str("user id", userID)
	if err != nil {
		return err
	}
	return c.with(func(p *C.pushcast_client) C.pushcast_result {
		return C.pushcast_client_terminate_user_connections(p, cuser)
	})
}
