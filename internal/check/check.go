// Package check holds the assertions of the white-box tests that live beside the client
// packages.
//
// Those tests belong to the module users import, so they may not pull testify (or any
// other module) into its requirements: a user who imports core must get nothing of ours
// but nkeys and nuid. The tests that need more (real servers, testify, goleak) live in
// the internal/tests module. Checker mirrors the testify calls those white-box tests
// were written with, so a test reads the same either side of the module line.
package check

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Checker reports failed checks to a test; a fatal Checker stops the test at the first.
type Checker struct{ fatal bool }

// Assert marks a failed check and lets the test go on; Require stops it.
var (
	Assert  = Checker{}
	Require = Checker{fatal: true}
)

func (c Checker) fail(t testing.TB, what string, msgAndArgs []any) bool {
	t.Helper()
	if extra := message(msgAndArgs); extra != "" {
		what += "\n\t" + extra
	}
	if c.fatal {
		t.Fatal(what)
	}
	t.Error(what)
	return false
}

func message(msgAndArgs []any) string {
	switch len(msgAndArgs) {
	case 0:
		return ""
	case 1:
		return fmt.Sprint(msgAndArgs[0])
	}
	if format, ok := msgAndArgs[0].(string); ok {
		return fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return fmt.Sprint(msgAndArgs...)
}

// equal compares as testify does: byte slices by content, everything else deeply.
func equal(want, got any) bool {
	if want == nil || got == nil {
		return want == got
	}
	wb, ok1 := want.([]byte)
	gb, ok2 := got.([]byte)
	if ok1 && ok2 {
		if wb == nil || gb == nil {
			return wb == nil && gb == nil
		}
		return bytes.Equal(wb, gb)
	}
	return reflect.DeepEqual(want, got)
}

// isNil is true for nil and for typed nils (a nil pointer, map, slice, chan or func in an interface).
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}

func isZero(v any) bool { return v == nil || reflect.ValueOf(v).IsZero() }

// length reports len(v) and whether v has one.
func length(v any) (int, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len(), true
	}
	return 0, false
}

func isEmpty(v any) bool {
	if isNil(v) {
		return true
	}
	if n, ok := length(v); ok {
		return n == 0
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		return isEmpty(rv.Elem().Interface())
	}
	return rv.IsZero()
}

// contains reports whether s (string, slice, array or map keys) holds elem.
func contains(s, elem any) (found, ok bool) {
	if str, isStr := s.(string); isStr {
		sub, isSub := elem.(string)
		return isSub && strings.Contains(str, sub), true
	}
	rv := reflect.ValueOf(s)
	switch rv.Kind() {
	case reflect.Map:
		for _, k := range rv.MapKeys() {
			if equal(k.Interface(), elem) {
				return true, true
			}
		}
		return false, true
	case reflect.Slice, reflect.Array:
		for i := range rv.Len() {
			if equal(rv.Index(i).Interface(), elem) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// compare orders two values of the same basic kind: -1, 0 or 1; ok is false when they do not order.
func compare(a, b any) (int, bool) {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Kind() != rb.Kind() {
		return 0, false
	}
	cmp := func(less, greater bool) int {
		switch {
		case less:
			return -1
		case greater:
			return 1
		}
		return 0
	}
	switch ra.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cmp(ra.Int() < rb.Int(), ra.Int() > rb.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return cmp(ra.Uint() < rb.Uint(), ra.Uint() > rb.Uint()), true
	case reflect.Float32, reflect.Float64:
		return cmp(ra.Float() < rb.Float(), ra.Float() > rb.Float()), true
	case reflect.String:
		return strings.Compare(ra.String(), rb.String()), true
	}
	return 0, false
}

func (c Checker) order(t testing.TB, a, b any, okWhen func(int) bool, rel string, msgAndArgs []any) bool {
	t.Helper()
	n, ok := compare(a, b)
	if !ok {
		return c.fail(t, fmt.Sprintf("cannot order %T and %T", a, b), msgAndArgs)
	}
	if !okWhen(n) {
		return c.fail(t, fmt.Sprintf("want %v %s %v", a, rel, b), msgAndArgs)
	}
	return true
}

// Equal checks that got equals want.
func (c Checker) Equal(t testing.TB, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if !equal(want, got) {
		return c.fail(t, fmt.Sprintf("not equal:\n\twant: %#v\n\tgot:  %#v", want, got), msgAndArgs)
	}
	return true
}

// EqualValues checks that got equals want once converted to want's type.
func (c Checker) EqualValues(t testing.TB, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if equal(want, got) {
		return true
	}
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	if want != nil && got != nil && gv.Type().ConvertibleTo(wv.Type()) && equal(want, gv.Convert(wv.Type()).Interface()) {
		return true
	}
	return c.fail(t, fmt.Sprintf("not equal values:\n\twant: %#v\n\tgot:  %#v", want, got), msgAndArgs)
}

// NotEqual checks that got differs from want.
func (c Checker) NotEqual(t testing.TB, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if equal(want, got) {
		return c.fail(t, fmt.Sprintf("both are %#v", got), msgAndArgs)
	}
	return true
}

// Same checks that two pointers point to one object.
func (c Checker) Same(t testing.TB, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if !samePointer(want, got) {
		return c.fail(t, fmt.Sprintf("not the same object: %p and %p", want, got), msgAndArgs)
	}
	return true
}

// NotSame checks that two pointers point to different objects.
func (c Checker) NotSame(t testing.TB, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if samePointer(want, got) {
		return c.fail(t, fmt.Sprintf("the same object: %p", got), msgAndArgs)
	}
	return true
}

func samePointer(a, b any) bool {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Kind() != reflect.Pointer || rb.Kind() != reflect.Pointer || ra.Type() != rb.Type() {
		return false
	}
	return ra.Pointer() == rb.Pointer()
}

// True checks a condition.
func (c Checker) True(t testing.TB, ok bool, msgAndArgs ...any) bool {
	t.Helper()
	if !ok {
		return c.fail(t, "should be true", msgAndArgs)
	}
	return true
}

// False checks that a condition does not hold.
func (c Checker) False(t testing.TB, ok bool, msgAndArgs ...any) bool {
	t.Helper()
	if ok {
		return c.fail(t, "should be false", msgAndArgs)
	}
	return true
}

// Nil checks for nil, typed nils included.
func (c Checker) Nil(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if !isNil(v) {
		return c.fail(t, fmt.Sprintf("want nil, got %#v", v), msgAndArgs)
	}
	return true
}

// NotNil checks for anything but nil.
func (c Checker) NotNil(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if isNil(v) {
		return c.fail(t, "want a value, got nil", msgAndArgs)
	}
	return true
}

// Zero checks that v is its type's zero value.
func (c Checker) Zero(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if !isZero(v) {
		return c.fail(t, fmt.Sprintf("want zero, got %#v", v), msgAndArgs)
	}
	return true
}

// NotZero checks that v is not its type's zero value.
func (c Checker) NotZero(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if isZero(v) {
		return c.fail(t, fmt.Sprintf("want non-zero, got %#v", v), msgAndArgs)
	}
	return true
}

// Empty checks that v is nil, zero or of length 0.
func (c Checker) Empty(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if !isEmpty(v) {
		return c.fail(t, fmt.Sprintf("want empty, got %#v", v), msgAndArgs)
	}
	return true
}

// NotEmpty checks that v is neither nil, zero nor of length 0.
func (c Checker) NotEmpty(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if isEmpty(v) {
		return c.fail(t, fmt.Sprintf("want non-empty, got %#v", v), msgAndArgs)
	}
	return true
}

// Len checks the length of a string, slice, array, map or channel.
func (c Checker) Len(t testing.TB, v any, n int, msgAndArgs ...any) bool {
	t.Helper()
	got, ok := length(v)
	if !ok {
		return c.fail(t, fmt.Sprintf("%T has no length", v), msgAndArgs)
	}
	if got != n {
		return c.fail(t, fmt.Sprintf("want length %d, got %d: %#v", n, got, v), msgAndArgs)
	}
	return true
}

// Contains checks that a string holds a substring, or a slice, array or map an element or key.
func (c Checker) Contains(t testing.TB, s, elem any, msgAndArgs ...any) bool {
	t.Helper()
	found, ok := contains(s, elem)
	if !ok {
		return c.fail(t, fmt.Sprintf("%T cannot contain anything", s), msgAndArgs)
	}
	if !found {
		return c.fail(t, fmt.Sprintf("%#v does not contain %#v", s, elem), msgAndArgs)
	}
	return true
}

// NotContains checks the opposite of Contains.
func (c Checker) NotContains(t testing.TB, s, elem any, msgAndArgs ...any) bool {
	t.Helper()
	found, ok := contains(s, elem)
	if !ok {
		return c.fail(t, fmt.Sprintf("%T cannot contain anything", s), msgAndArgs)
	}
	if found {
		return c.fail(t, fmt.Sprintf("%#v contains %#v", s, elem), msgAndArgs)
	}
	return true
}

// Greater checks a > b.
func (c Checker) Greater(t testing.TB, a, b any, msgAndArgs ...any) bool {
	t.Helper()
	return c.order(t, a, b, func(n int) bool { return n > 0 }, ">", msgAndArgs)
}

// GreaterOrEqual checks a >= b.
func (c Checker) GreaterOrEqual(t testing.TB, a, b any, msgAndArgs ...any) bool {
	t.Helper()
	return c.order(t, a, b, func(n int) bool { return n >= 0 }, ">=", msgAndArgs)
}

// Less checks a < b.
func (c Checker) Less(t testing.TB, a, b any, msgAndArgs ...any) bool {
	t.Helper()
	return c.order(t, a, b, func(n int) bool { return n < 0 }, "<", msgAndArgs)
}

// LessOrEqual checks a <= b.
func (c Checker) LessOrEqual(t testing.TB, a, b any, msgAndArgs ...any) bool {
	t.Helper()
	return c.order(t, a, b, func(n int) bool { return n <= 0 }, "<=", msgAndArgs)
}

// NoError checks that err is nil.
func (c Checker) NoError(t testing.TB, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err != nil {
		return c.fail(t, fmt.Sprintf("unexpected error: %v", err), msgAndArgs)
	}
	return true
}

// Error checks that err is not nil.
func (c Checker) Error(t testing.TB, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil {
		return c.fail(t, "want an error, got nil", msgAndArgs)
	}
	return true
}

// EqualError checks err's message.
func (c Checker) EqualError(t testing.TB, err error, want string, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil {
		return c.fail(t, fmt.Sprintf("want error %q, got nil", want), msgAndArgs)
	}
	if err.Error() != want {
		return c.fail(t, fmt.Sprintf("want error %q, got %q", want, err.Error()), msgAndArgs)
	}
	return true
}

// ErrorIs checks errors.Is(err, target).
func (c Checker) ErrorIs(t testing.TB, err, target error, msgAndArgs ...any) bool {
	t.Helper()
	if !errors.Is(err, target) {
		return c.fail(t, fmt.Sprintf("error %v is not %v", err, target), msgAndArgs)
	}
	return true
}

// ErrorAs checks errors.As(err, target).
func (c Checker) ErrorAs(t testing.TB, err error, target any, msgAndArgs ...any) bool {
	t.Helper()
	if !errors.As(err, target) {
		return c.fail(t, fmt.Sprintf("error %v is not a %s", err, reflect.TypeOf(target).Elem()), msgAndArgs)
	}
	return true
}
