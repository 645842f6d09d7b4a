package syncjob

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// percentFloor is the floor of a percentage limit: a percentage limit never
// refuses percentFloor users or fewer, so that a small school can lose a
// few leavers.
const percentFloor = 5

// A Limit is how many users a sync may take something away from before it
// is refused: a count, or a percentage of the users of the last accepted
// state, which never refuses 5 users or fewer (so "0%" lets 5
// users lose something, where the count "0" refuses any loss). The zero
// Limit is the default, 10%.
type Limit struct {
	kind  limitKind
	count int
	pct   float64
}

type limitKind int

const (
	limitDefault limitKind = iota
	limitCount
	limitPercent
)

// defaultPercent is the percentage of the zero Limit.
const defaultPercent = 10

// CountLimit returns a limit that refuses a sync when more than n users
// would lose something. CountLimit(0) refuses any loss. A negative n is
// taken as 0.
func CountLimit(n int) Limit { return Limit{kind: limitCount, count: max(n, 0)} }

// PercentLimit returns a limit that refuses a sync when more than p percent
// of the users of the last accepted state would lose something, and more
// than 5 users. p is clamped to 0..100. Because of the floor,
// PercentLimit(0) still lets 5 users lose something; CountLimit(0)
// refuses any loss.
func PercentLimit(p float64) Limit {
	if math.IsNaN(p) {
		p = 0
	}
	return Limit{kind: limitPercent, pct: min(max(p, 0), 100)}
}

// ParseLimit parses the command-line form of a limit: a count "N" (such as
// "0" or "25") or a percentage "P%" (such as "10%" or "2.5%"), in decimal
// digits, with an optional fraction for a percentage; spaces around are
// ignored. It returns an error that says what is accepted for anything
// else, including a sign ("+5", "-1"), an exponent ("1e1%"), a percentage
// above 100 and a fractional count.
//
// Note that "0" and "0%" differ: "0" refuses any loss, while "0%", like
// every percentage, still lets 5 users lose something.
func ParseLimit(s string) (Limit, error) {
	t := strings.TrimSpace(s)
	bad := func(why string) (Limit, error) {
		return Limit{}, fmt.Errorf("syncjob: the removal limit %q %s; give a count of users such as 5 (0 refuses any loss) or a percentage such as 10%%", s, why)
	}
	if p, ok := strings.CutSuffix(t, "%"); ok {
		p = strings.TrimSpace(p)
		whole, frac, _ := strings.Cut(p, ".")
		if !digits(whole) || (strings.Contains(p, ".") && !digits(frac)) {
			return bad("is not a percentage")
		}
		v, err := strconv.ParseFloat(p, 64)
		switch {
		case err != nil:
			return bad("is not a percentage")
		case v > 100:
			return bad("is not a percentage from 0% to 100%")
		}
		return PercentLimit(v), nil
	}
	if !digits(t) {
		if strings.HasPrefix(t, "-") {
			return bad("is negative")
		}
		return bad("is neither a count nor a percentage")
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return bad("is too large")
	}
	return CountLimit(n), nil
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// IsPercent reports whether the limit is a percentage (the zero Limit is).
func (l Limit) IsPercent() bool { return l.kind != limitCount }

// Count returns the count of a count limit, 0 for a percentage.
func (l Limit) Count() int { return l.count }

// Percent returns the percentage of a percentage limit (10 for
// the zero Limit), 0 for a count.
func (l Limit) Percent() float64 {
	switch l.kind {
	case limitDefault:
		return defaultPercent
	case limitPercent:
		return l.pct
	}
	return 0
}

// String returns the limit in the form ParseLimit reads: "5" or "10%".
func (l Limit) String() string {
	if !l.IsPercent() {
		return strconv.Itoa(l.count)
	}
	return strconv.FormatFloat(l.Percent(), 'f', -1, 64) + "%"
}

// MarshalText encodes the limit as its String.
func (l Limit) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText decodes a limit as ParseLimit does, so that a limit can be
// read from a JSON configuration as a string.
func (l *Limit) UnmarshalText(b []byte) error {
	v, err := ParseLimit(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Max returns the most users the limit lets lose something when the last
// accepted state has lastUsers users.
func (l Limit) Max(lastUsers int) int {
	if !l.IsPercent() {
		return l.count
	}
	return max(percentFloor, int(math.Floor(l.Percent()*float64(lastUsers)/100+1e-9)))
}

// Limits are the safety limits a plan is checked against.
type Limits struct {
	// MaxRemovals limits the users who would lose something: those gone
	// from the export, and those losing at least one item (a membership,
	// for user groups; a contact row, for contacts). The zero value is the
	// default, 10% with a floor of 5.
	MaxRemovals Limit
}

// A LimitError is a plan a safety limit refused (nothing is sent), or,
// when Held is not 0, held back in part (what took nothing away is sent).
type LimitError struct {
	// Empty is true when the export has no rows while the last accepted
	// state has users: always refused, whatever the limit, Force
	// included.
	Empty bool
	// NoState is true when the journal has no last accepted state (it was
	// deleted, or was damaged and Force went past it) while its run log
	// shows that a run committed one: there is nothing to guard against,
	// so the run is refused whatever the limit. The other counts are zero.
	NoState bool
	// WrongFile is true when more than half of the users of the last
	// accepted state (of at least 20) are gone from the export, or the new
	// users are more than half of them: the export is taken as the wrong
	// file, and nothing is sent.
	WrongFile bool
	// Held, when not 0, is the number of users the limit held: they would
	// lose something, and keep their last accepted state; what took
	// nothing away was sent.
	Held int
	// Sent, with Held, is the number of users a run sent: those who
	// took nothing away (0 for a plan).
	Sent      int
	New       int   // users in the export, not in the last accepted state
	Limit     Limit // the limit that refused
	Allowed   int   // the most users the limit allows to lose something
	Losing    int   // users who would lose something: Gone + Shrinking
	Gone      int   // users gone from the export
	Shrinking int   // users in the export losing at least one item
	LastUsers int   // users in the last accepted state

	noun string // what the import's users hold: "membership" (the default), "contact"
}

// Error says what would be lost, against which limit, and what to do.
func (e *LimitError) Error() string {
	if e.NoState {
		return "syncjob: refused: the journal has no last accepted state, but its run log shows that a run committed one; the state was deleted, lost or damaged, and without it the limits cannot guard this run. Nothing was sent. Check the export, then run once with full and force to send every row and keep a new state"
	}
	if e.Empty {
		return fmt.Sprintf("syncjob: refused: the export has no rows, but Infiniti last accepted %s; this is usually a broken export. Nothing was sent, and force does not go past it. Check the export",
			count(e.LastUsers, "user", "users"))
	}
	if e.WrongFile {
		return fmt.Sprintf("syncjob: refused: the export looks like the wrong file: of the %s Infiniti last accepted, %s are gone from it, and it has %s. Nothing was sent. Check the export; if it is right, run once with force",
			count(e.LastUsers, "user", "users"), commas(e.Gone), count(e.New, "new user", "new users"))
	}
	pct := 0.0
	if e.LastUsers > 0 {
		pct = 100 * float64(e.Losing) / float64(e.LastUsers)
	}
	noun := e.noun
	if noun == "" {
		noun = "membership"
	}
	if e.Held > 0 {
		sent := ""
		if e.Sent > 0 {
			sent = ", and sent " + count(e.Sent, "user", "users") + " who took nothing away"
		}
		msg := fmt.Sprintf("syncjob: held %s who would lose something (%s gone from the export, %s losing a %s), more than the limit of %s (at most %s)%s; the held keep their last accepted state. Run once with force, or raise the limit, to release them",
			count(e.Held, "user", "users"), commas(e.Gone), commas(e.Shrinking), noun, e.Limit, count(e.Allowed, "user", "users"), sent)
		if 2*e.Shrinking >= e.LastUsers {
			msg += "; a new school year looks like this"
		}
		return msg
	}
	return fmt.Sprintf("syncjob: refused: %s of the %s Infiniti last accepted (%.1f%%) would lose something (%s gone from the export, %s losing a %s), more than the limit of %s (at most %s). Nothing was sent. Check the export; if the change is intended, run once with force or raise the limit",
		commas(e.Losing), count(e.LastUsers, "user", "users"), pct, commas(e.Gone), commas(e.Shrinking), noun, e.Limit, count(e.Allowed, "user", "users"))
}

// Check checks the plan against the limits. It returns nil on a first run
// (nothing to compare) and otherwise a *LimitError when the export is empty
// while the last accepted state has users, or when more users would lose
// something than limits.MaxRemovals allows.
func (p *Plan) Check(limits Limits) error {
	st := p.stats
	if st.FirstRun {
		return nil
	}
	e := &LimitError{Limit: limits.MaxRemovals, Losing: st.Losing, Gone: st.Gone, Shrinking: st.Losing - st.Gone, LastUsers: st.LastUsers, noun: p.imp.noun}
	e.Allowed = e.Limit.Max(st.LastUsers)
	if st.Rows == 0 && st.LastUsers > 0 {
		e.Empty = true
		return e
	}
	if st.Losing > e.Allowed {
		return e
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// commas formats n with thousands separators: 2,140.
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// count formats "1 user", "2,140 users".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return commas(n) + " " + many
}
