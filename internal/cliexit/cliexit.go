// Package cliexit carries a process exit code through an error, so that
// engines can say "bad input" (2) or "check failed" (1) without calling
// os.Exit themselves and the CLI's main stays the one place that exits.
package cliexit

import (
	"errors"
	"fmt"
)

// Exit codes shared by every platform command.
const (
	OK       = 0
	Failed   = 1 // a check ran and found problems
	BadInput = 2 // bad input or usage; nothing was written
)

// Error is an error that carries the exit code the CLI should return.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// BadInputf returns an error that exits with code 2.
func BadInputf(format string, args ...any) error {
	return &Error{Code: BadInput, Err: fmt.Errorf(format, args...)}
}

// WrapBadInput marks err as bad input (exit 2); nil stays nil.
func WrapBadInput(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: BadInput, Err: err}
}

// Silent returns an exit status with nothing to print: the command's output
// already said it (diff --exit-code with differences).
func Silent(code int) error { return &Error{Code: code} }

// IsSilent reports whether err is a Silent exit status.
func IsSilent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Err == nil
}

// Failedf returns an error that exits with code 1.
func Failedf(format string, args ...any) error {
	return &Error{Code: Failed, Err: fmt.Errorf(format, args...)}
}

// Code returns the exit code for err: 0 for nil, the carried code for an
// *Error, and 1 for anything else.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failed
}
