// The fixtures and helpers the tests of the package share.

package csvspec

import (
	"errors"
	"strings"

	"github.com/google/go-cmp/cmp/cmpopts"
)

// schoolMap reads the user-groups columns of an SMS export (testdata/sms_export.csv).
var schoolMap = WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year Level"})

// p is a Problem without its Message, which tests check separately.
func p(row, line int, column, code string, sev Severity) Problem {
	return Problem{Row: row, Line: line, Column: column, Code: code, Severity: sev}
}

var ignoreMessage = cmpopts.IgnoreFields(Problem{}, "Message")

// hdr and chdr are the canonical headers of the two imports.
const hdr = "username,library-group,system-group\n"

const chdr = "username,type,role,primary,addressee,contact,sms,scenarios\n"

// smsContactMap reads the contacts columns of an SMS export (testdata/contacts_sms_export.csv).
var smsContactMap = WithHeaderMap(map[string]string{
	"username": "Student Code", "type": "Contact Type", "role": "Relationship", "primary": "Main",
	"addressee": "Salutation", "contact": "Detail", "sms": "SMS Allowed", "scenarios": "Notices",
})

// cp is a contacts Problem without its Message.
func cp(row int, column, code string, sev Severity) Problem {
	return Problem{Row: row, Line: row + 1, Column: column, Code: code, Severity: sev}
}

// errCode returns the Code of a *ParseError, "" for nil, and the text of
// any other error.
func errCode(err error) string {
	var pe *ParseError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Code
	}
	return err.Error()
}

// warn and fail are a problem of a row read from a file, message aside,
// in the column given, if any.
func warn(line int, code string, column ...string) Problem {
	return Problem{Line: line, Column: strings.Join(column, ""), Code: code, Severity: SeverityWarning}
}

func fail(line int, code string, column ...string) Problem {
	return Problem{Line: line, Column: strings.Join(column, ""), Code: code, Severity: SeverityError}
}
