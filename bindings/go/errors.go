package pushcast

/*
#include "pushcast.h"
*/
import "C"

import (
	"errors"
	"fmt"
)

// Result is a libpushcast result code (pushcast_result). The numbers are the header's:
// grouped by family, never reused.
type Result uint32

// Result codes, mirroring enum pushcast_result in pushcast.h (TestResultCodesMatchHeader
// fails when the header has a code that is missing here).
const (
	ResultOK           Result = C.PUSHCAST_RESULT_OK            // success
	ResultNullArgument Result = C.PUSHCAST_RESULT_NULL_ARGUMENT // a required argument was absent (or a handle closed)
	ResultInvalidUTF8  Result = C.PUSHCAST_RESULT_INVALID_UTF8  // a string was not valid UTF-8 (or held a NUL byte)
	ResultPanic        Result = C.PUSHCAST_RESULT_PANIC         // a Rust panic was caught at the boundary (a bug)
	ResultUnknown      Result = C.PUSHCAST_RESULT_UNKNOWN       // an error this library version does not know
	ResultUnknownStat  Result = C.PUSHCAST_RESULT_UNKNOWN_STAT  // a statistic name the library does not have (Client.Stat)

	ResultInvalidChannel    Result = C.PUSHCAST_RESULT_INVALID_CHANNEL    // invalid channel name
	ResultInvalidEventName  Result = C.PUSHCAST_RESULT_INVALID_EVENT_NAME // invalid event name
	ResultInvalidSocketID   Result = C.PUSHCAST_RESULT_INVALID_SOCKET_ID  // invalid socket id
	ResultInvalidUserID     Result = C.PUSHCAST_RESULT_INVALID_USER_ID    // invalid user id
	ResultNoChannels        Result = C.PUSHCAST_RESULT_NO_CHANNELS        // an event without channels
	ResultTooManyChannels   Result = C.PUSHCAST_RESULT_TOO_MANY_CHANNELS  // more channels than the profile allows
	ResultDuplicateChannel  Result = C.PUSHCAST_RESULT_DUPLICATE_CHANNEL  // a channel twice in one event
	ResultTooManyEvents     Result = C.PUSHCAST_RESULT_TOO_MANY_EVENTS    // more events than the profile allows in a batch
	ResultEmptyBatch        Result = C.PUSHCAST_RESULT_EMPTY_BATCH        // a batch without events
	ResultPayloadTooLarge   Result = C.PUSHCAST_RESULT_PAYLOAD_TOO_LARGE  // data or request over the profile's limit
	ResultMixedEncryption   Result = C.PUSHCAST_RESULT_MIXED_ENCRYPTION   // encrypted and plain channels in one event
	ResultReservedParameter Result = C.PUSHCAST_RESULT_RESERVED_PARAMETER // a query parameter reserved for signing
	ResultInvalidJSON       Result = C.PUSHCAST_RESULT_INVALID_JSON       // invalid JSON in an argument
	ResultUnsupported       Result = C.PUSHCAST_RESULT_UNSUPPORTED        // the profile's server can't do this (user sign-in on Reverb)

	ResultInvalidConfig    Result = C.PUSHCAST_RESULT_INVALID_CONFIG     // invalid configuration
	ResultMissingMasterKey Result = C.PUSHCAST_RESULT_MISSING_MASTER_KEY // an encrypted channel without a master key

	ResultWebhookRejected  Result = C.PUSHCAST_RESULT_WEBHOOK_REJECTED  // a webhook failed verification
	ResultDecryptionFailed Result = C.PUSHCAST_RESULT_DECRYPTION_FAILED // decryption failed

	ResultAPIError          Result = C.PUSHCAST_RESULT_API_ERROR          // the server refused (see Error.HTTPStatus)
	ResultMalformedResponse Result = C.PUSHCAST_RESULT_MALFORMED_RESPONSE // the server's answer could not be read

	ResultQueueFull    Result = C.PUSHCAST_RESULT_QUEUE_FULL    // the publish queue is full
	ResultTimeout      Result = C.PUSHCAST_RESULT_TIMEOUT       // a deadline passed
	ResultTransport    Result = C.PUSHCAST_RESULT_TRANSPORT     // the server could not be reached
	ResultShutDown     Result = C.PUSHCAST_RESULT_SHUT_DOWN     // the client was shut down (or closed)
	ResultCircuitOpen  Result = C.PUSHCAST_RESULT_CIRCUIT_OPEN  // every endpoint's circuit breaker is open (fail-fast policy)
	ResultSpoolFull    Result = C.PUSHCAST_RESULT_SPOOL_FULL    // the durable spool is full
	ResultSpool        Result = C.PUSHCAST_RESULT_SPOOL         // the durable spool could not be used
	ResultEngineFailed Result = C.PUSHCAST_RESULT_ENGINE_FAILED // an engine thread stopped on a bug
	ResultInternal     Result = C.PUSHCAST_RESULT_INTERNAL      // no thread or I/O runtime: not the arguments' fault, retrying later may help
)

// String is the library's name for the code (pushcast_result_name: "QUEUE_FULL" for
// ResultQueueFull, the header's constant without PUSHCAST_RESULT_), or "result N" for a number
// the loaded library does not assign. Names come from the library, not from a copy here.
func (r Result) String() string {
	name := C.GoString(C.pushcast_result_name(C.uint32_t(r)))
	if name == "UNKNOWN" && r != ResultUnknown {
		return fmt.Sprintf("result %d", uint32(r))
	}
	return name
}

// Results lists every result code the loaded library assigns, ResultOK included, in ascending
// order (pushcast_result_count and pushcast_result_code_at): a library newer than this package
// may list codes without a constant here; their String is still the library's name.
func Results() []Result {
	count := int(C.pushcast_result_count())
	results := make([]Result, 0, count)
	for i := 0; i < count; i++ {
		results = append(results, Result(C.pushcast_result_code_at(C.size_t(i))))
	}
	return results
}

// IsValidation reports whether r is in the validation family (1000-1999): input refused
// before anything touched the network.
func (r Result) IsValidation() bool { return r >= 1000 && r <= 1999 }

// Error is a failed libpushcast call: its result code, the HTTP status of a server refusal
// (0 when the failure did not come from a server answer) and the library's message.
type Error struct {
	Code       Result
	HTTPStatus int
	Message    string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("pushcast: %s (%s, code %d, HTTP %d)", e.Message, e.Code, uint32(e.Code), e.HTTPStatus)
	}
	return fmt.Sprintf("pushcast: %s (%s, code %d)", e.Message, e.Code, uint32(e.Code))
}

// Is makes errors.Is(err, &Error{Code: c}) match any *Error with code c (HTTPStatus and
// Message are compared only when set in the target).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code &&
		(t.HTTPStatus == 0 || t.HTTPStatus == e.HTTPStatus) &&
		(t.Message == "" || t.Message == e.Message)
}

// Code returns the Result of err when it is (or wraps) an *Error, ResultOK for nil, and
// ResultUnknown for any other error.
func Code(err error) Result {
	if err == nil {
		return ResultOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ResultUnknown
}

// IsQueueFull reports whether err is a full publish queue (ResultQueueFull).
func IsQueueFull(err error) bool { return err != nil && Code(err) == ResultQueueFull }

// IsValidation reports whether err is a validation error (codes 1000-1999): the input was
// refused before anything touched the network.
func IsValidation(err error) bool { return err != nil && Code(err).IsValidation() }

// IsCircuitOpen reports whether err is a publish refused because every endpoint's circuit
// breaker is open (ResultCircuitOpen, under the fail-fast breaker policy).
func IsCircuitOpen(err error) bool { return err != nil && Code(err) == ResultCircuitOpen }

// IsInternal reports whether err is a failure of the library's own work, not caused by the
// arguments or the configuration (ResultInternal: the process refused a thread or the I/O
// runtime); retrying later may help.
func IsInternal(err error) bool { return err != nil && Code(err) == ResultInternal }

// Typed errors of the delivery family, for errors.Is: errors.Is(err, pushcast.ErrCircuitOpen)
// matches any *Error with that code, whatever its message (see Error.Is).
var (
	ErrQueueFull    = &Error{Code: ResultQueueFull}    // the publish queue is full
	ErrTimeout      = &Error{Code: ResultTimeout}      // a deadline passed
	ErrTransport    = &Error{Code: ResultTransport}    // the server could not be reached
	ErrShutDown     = &Error{Code: ResultShutDown}     // the client was shut down (or closed)
	ErrCircuitOpen  = &Error{Code: ResultCircuitOpen}  // every endpoint's circuit breaker is open
	ErrSpoolFull    = &Error{Code: ResultSpoolFull}    // the durable spool is full
	ErrSpool        = &Error{Code: ResultSpool}        // the durable spool could not be used
	ErrEngineFailed = &Error{Code: ResultEngineFailed} // an engine thread stopped on a bug
	ErrInternal     = &Error{Code: ResultInternal}     // no thread or I/O runtime
)

// IsTimeout reports whether err is a passed deadline (ResultTimeout).
func IsTimeout(err error) bool { return err != nil && Code(err) == ResultTimeout }
