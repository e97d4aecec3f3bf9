package pushcast

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A Backpressure outside the constants reaches the library by name (its String()) and comes
// back as a typed error naming the setting; the process carries on (it used to die: the
// library cast the number into a Rust enum).
func TestOutOfRangeBackpressureIsAnError(t *testing.T) {
	app := newApp(t, "1", "k", "s")
	for _, b := range []Backpressure{4, 5, 1000, math.MaxInt32, math.MaxUint32} {
		_, err := NewClient(app, Config{Endpoints: []string{unreachable}, Backpressure: b})
		e := wantCode(t, err, ResultInvalidConfig)
		if !strings.Contains(e.Message, "backpressure") || !strings.Contains(e.Message, "drop_oldest") {
			t.Errorf("Backpressure(%d): message %q names neither the setting nor the accepted values", uint32(b), e.Message)
		}
		if s := b.String(); s != "backpressure "+strconv.FormatUint(uint64(b), 10) {
			t.Errorf("Backpressure(%d).String() = %q", uint32(b), s)
		}
	}
	for _, s := range []SpoolSync{3, math.MaxUint32} {
		_, err := NewClient(app, Config{Endpoints: []string{unreachable}, SpoolDir: t.TempDir(), SpoolSync: s})
		wantCode(t, err, ResultInvalidConfig)
	}
	// Still alive, and every constant is taken.
	for _, b := range []Backpressure{FailFast, Block, DropNewest, DropOldest} {
		client := newClient(t, app, Config{Endpoints: []string{unreachable}, Backpressure: b, ShutdownTimeout: time.Millisecond})
		if _, err := client.Publish([]string{"c"}, "e", []byte("{}"), ""); err != nil {
			t.Errorf("%s: Publish: %v", b, err)
		}
	}
}

// headerResults reads every PUSHCAST_RESULT_* of the header the package compiles against.
func headerResults(t *testing.T) map[string]Result {
	t.Helper()
	text, err := os.ReadFile("../../include/pushcast.h")
	if err != nil {
		t.Fatalf("reading the header: %v", err)
	}
	codes := map[string]Result{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(PUSHCAST_RESULT_[A-Z0-9_]+) = ([0-9]+),`).FindAllStringSubmatch(string(text), -1) {
		n, err := strconv.ParseUint(m[2], 10, 32)
		if err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		codes[m[1]] = Result(n)
	}
	if len(codes) < 30 {
		t.Fatalf("found only %d result codes in the header: has its format changed?", len(codes))
	}
	return codes
}

// goResults reads errors.go: the C name each Result constant is defined from.
func goResults(t *testing.T) map[string]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatalf("parsing errors.go: %v", err)
	}
	consts := map[string]string{} // C name -> Go name
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, value := range spec.Values {
			if sel, ok := value.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "PUSHCAST_RESULT_") {
				consts[sel.Sel.Name] = spec.Names[i].Name
			}
		}
		return true
	})
	return consts
}

// Every result code of the header has a Go constant and a name, and nothing else does: a code
// added to the library cannot be forgotten here again (ResultCircuitOpen was).
func TestResultCodesMatchHeader(t *testing.T) {
	header := headerResults(t)
	goConsts := goResults(t)
	var missing, extra, unnamed []string
	for cName, code := range header {
		if _, ok := goConsts[cName]; !ok {
			missing = append(missing, cName)
		}
		if code.String() != strings.TrimPrefix(cName, "PUSHCAST_RESULT_") {
			unnamed = append(unnamed, cName+" is "+code.String())
		}
	}
	for cName, goName := range goConsts {
		if _, ok := header[cName]; !ok {
			extra = append(extra, goName+" = C."+cName)
		}
	}
	listed := Results()
	if len(listed) != len(header) {
		t.Errorf("the library lists %d codes (%v), the header %d", len(listed), listed, len(header))
	}
	for i, code := range listed {
		if i > 0 && code <= listed[i-1] {
			t.Errorf("Results() not ascending at %d: %v", i, listed)
		}
		if _, ok := header["PUSHCAST_RESULT_"+code.String()]; !ok {
			t.Errorf("the library lists %d (%s), which the header lacks", uint32(code), code)
		}
	}
	if s := Result(5999).String(); s != "result 5999" {
		t.Errorf("Result(5999).String() = %q", s)
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(unnamed)
	if len(missing) > 0 {
		t.Errorf("header codes without a Go constant in errors.go: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("Go constants for codes the header does not have: %v", extra)
	}
	if len(unnamed) > 0 {
		t.Errorf("header codes whose library name is not the constant's: %v", unnamed)
	}
	if code, ok := header["PUSHCAST_RESULT_CIRCUIT_OPEN"]; !ok || !IsCircuitOpen(&Error{Code: code}) || IsCircuitOpen(&Error{Code: ResultShutDown}) {
		t.Errorf("IsCircuitOpen does not recognise PUSHCAST_RESULT_CIRCUIT_OPEN (%d)", code)
	}
	refused := error(&Error{Code: ResultCircuitOpen, Message: "every circuit is open"})
	if !errors.Is(refused, ErrCircuitOpen) || errors.Is(refused, ErrShutDown) || !IsInternal(&Error{Code: ResultInternal}) {
		t.Errorf("ErrCircuitOpen / IsInternal misclassify")
	}
}
