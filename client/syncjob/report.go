package syncjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/autosync-go/autosync/client"
)

// The statuses of a StaffRow; StatusForStaff is the one a program reads back.
const (
	statusSent        = "sent"         // posted and confirmed
	statusFailed      = "failed"       // posted, and Infiniti failed a row of the user
	statusUnconfirmed = "unconfirmed"  // posted, and no clear answer came; sent again by the next run
	statusToSend      = "to-send"      // a plan: the run would post it
	statusHeldLimit   = "held-limit"   // held by the removal limit
	statusHeldProblem = "held-problem" // held for a row problem of the user
	StatusForStaff    = "for-staff"    // Infiniti may hold it; a person removes it by hand
)

// A StaffRow is one line of the report for library staff: one membership
// (for contacts, one contact) that the run changed, held or leaves to
// staff.
type StaffRow struct {
	Username string
	Carry    []string // the values of Job.Carry's columns
	// Item holds the membership: for user groups its library-group and
	// system-group, exactly one of them filled; for contacts its type,
	// role and contact.
	Item   []string
	Change string // "add" or "remove"
	Status string // sent, failed, unconfirmed, to-send (a plan), held-limit, held-problem or for-staff (StatusForStaff)
	Reason string // one sentence, with Infiniti's message once where it gave one
	Line   int    // the export line of the user's first row; 0 for a user gone from the export
}

// StaffRows returns the report's rows for library staff, by username: each
// membership gained or lost by a user who is new, changed, gone, resent or
// held, with what became of it, and every outstanding for-staff item.
func (r *Report) StaffRows() []StaffRow {
	last := r.last
	if last == nil {
		last = &state{meta: map[string]*meta{}}
	}
	if r.verdict == nil || r.Plan == nil { // stopped before it planned: the outstanding items
		return r.outstanding(last)
	}
	staff := r.verdict.staff
	if staff == nil { // nothing committed: the items are the last state's
		staff = map[string][][]string{}
		for u, m := range last.meta {
			if len(m.items) > 0 {
				staff[u] = m.items
			}
		}
	}
	var out []StaffRow
	for _, name := range r.staffNames(staff) {
		out = r.userStaffRows(out, name, last, staff[name])
	}
	return out
}

// outstanding returns the staff rows of the items outstanding in last.
func (r *Report) outstanding(last *state) []StaffRow {
	var out []StaffRow
	for _, name := range slices.Sorted(maps.Keys(last.meta)) {
		for _, it := range last.meta[name].items {
			sr := StaffRow{Username: name, Carry: last.meta[name].carry, Change: "remove", Status: StatusForStaff, Reason: "Infiniti may still hold it; the export does not"}
			for _, c := range r.imp.staffCols() {
				sr.Item = append(sr.Item, it[c])
			}
			out = append(out, sr)
		}
	}
	return out
}

// staffNames returns, sorted, the users the staff rows are about: changed,
// posted, gone, held, or with items for staff.
func (r *Report) staffNames(staff map[string][][]string) []string {
	v, p := r.verdict, r.Plan
	names := map[string]bool{}
	for _, c := range p.changes {
		if c.next >= 0 {
			names[p.next.username(int(c.next))] = true
		} else {
			names[p.last.username(int(c.last))] = true
		}
	}
	for _, m := range []map[string]bool{v.posted, v.gone} {
		for u := range m {
			names[u] = true
		}
	}
	for u := range v.held {
		names[u] = true
	}
	for u := range staff {
		names[u] = true
	}
	return slices.Sorted(maps.Keys(names))
}

// itemsOf returns a user's items in the last state (old) and in the
// export or the leaver template (now), and the export line of their
// first row.
func (r *Report) itemsOf(name string, last *state) (old, now [][]string, line int, inExport bool) {
	v, p, imp := r.verdict, r.Plan, r.imp
	if s, lo, hi := rowsIn(name, last.active, last.marked); s != nil {
		old = imp.itemsOf(s, lo, hi)
	}
	if u := p.next.find(name); u >= 0 {
		lo, hi := p.next.rowsOf(u)
		now = imp.itemsOf(p.next, lo, hi)
		line, inExport = p.next.line(lo), true
		for q := lo; q < hi; q++ {
			line = min(line, p.next.line(q))
		}
	}
	if !inExport && v.posted[name] && v.tmpl != nil {
		now = imp.itemsOf(snapOf(imp, append([]string{name}, v.tmpl...)), 0, 1)
	}
	if !inExport && !v.posted[name] && !v.gone[name] && v.held[name] == "" {
		old, now = nil, nil // a leaver of an earlier run: its items only
	}
	return old, now, line, inExport
}

// userStaffRows appends to out the staff rows of one user, staff being
// their items for staff.
func (r *Report) userStaffRows(out []StaffRow, name string, last *state, staff [][]string) []StaffRow {
	v := r.verdict
	cols := r.imp.staffCols()
	carry := v.carry[name]
	if carry == nil {
		carry = last.metaOf(name).carryOf()
	}
	old, now, line, inExport := r.itemsOf(name, last)
	listed := map[string]bool{}
	add := func(it []string, change, status, reason string) {
		sr := StaffRow{Username: name, Carry: carry, Change: change, Status: status, Reason: reason, Line: line}
		for _, c := range cols {
			sr.Item = append(sr.Item, it[c])
		}
		out = append(out, sr)
		listed[change+"\x00"+joinFields(it)] = true
	}
	status, reason := r.statusOf(name, inExport)
	gained := minus(now, old)
	if len(gained) == 0 && len(minus(old, now)) == 0 && v.posted[name] {
		gained = now // sent again, unchanged: its memberships
	}
	for _, it := range gained {
		add(it, "add", status, reason)
	}
	for _, it := range minus(old, now) {
		st, why := status, reason
		switch {
		case !inExport && !v.posted[name] && v.held[name] == "":
			st, why = StatusForStaff, "the user is no longer in the export and may still hold it in Infiniti"
		case status == statusSent && v.applies != AppliesReplace:
			st, why = StatusForStaff, "Infiniti may keep it: the export no longer has it, and a file may only add"
		}
		add(it, "remove", st, why)
	}
	for _, it := range staff {
		if inExport && slices.ContainsFunc(now, func(o []string) bool { return slices.Equal(o, it) }) {
			continue // asked for again: not staff's
		}
		if !listed["remove\x00"+joinFields(it)] {
			add(it, "remove", StatusForStaff, "Infiniti may still hold it; the export does not")
		}
	}
	return out
}

// statusOf returns the status and reason of a user's changes.
func (r *Report) statusOf(name string, inExport bool) (string, string) {
	v := r.verdict
	switch {
	case v.held[name] == "problem":
		return statusHeldProblem, v.problem[name]
	case v.held[name] == "limit":
		return statusHeldLimit, "held by the removal limit; its last accepted state is kept"
	case !r.Sent:
		if v.posted[name] || (!inExport && v.tmpl != nil) {
			return statusToSend, ""
		}
		return StatusForStaff, ""
	case v.confirmed[name]:
		return statusSent, "Infiniti confirmed it"
	case v.failed[name] != "":
		return statusFailed, v.failed[name]
	case v.posted[name]:
		return statusUnconfirmed, "Infiniti gave no clear answer; it is sent again on the next run"
	}
	return StatusForStaff, ""
}

// staffCols returns the columns of an item that the staff files show.
func (imp *Import) staffCols() []int {
	if imp.rules {
		return []int{1, 2}
	}
	return imp.failureCols[1:]
}

// WriteReport writes the staff rows as CSV for library staff, UTF-8 with a
// byte order mark (so that Excel reads it): username, the carried columns,
// the item's columns (library-group and system-group; for contacts type,
// role and contact), change, status, reason and line. A value a
// spreadsheet would run as a formula gets a leading apostrophe. It returns
// the first error of w.
func (r *Report) WriteReport(w io.Writer) error {
	imp := r.imp
	if imp == nil {
		imp = userGroups
	}
	header := append([]string{"username"}, r.carryNames...)
	for _, c := range imp.staffCols() {
		header = append(header, imp.header[c])
	}
	return writeSheet(w, append(header, "change", "status", "reason", "line"), func(yield func([]string) bool) {
		for _, sr := range r.StaffRows() {
			rec := []string{defuse(sr.Username)}
			for i := range r.carryNames {
				v := ""
				if i < len(sr.Carry) {
					v = sr.Carry[i]
				}
				rec = append(rec, defuse(v))
			}
			for _, v := range sr.Item {
				rec = append(rec, defuse(v))
			}
			if !yield(append(rec, sr.Change, sr.Status, defuse(sr.Reason), num(sr.Line))) {
				return
			}
		}
	})
}

// snapOf returns a snapshot of one row.
func snapOf(imp *Import, fields []string) *snapshot {
	b := newBuilder(imp, true)
	_ = b.add(0, fields, nil)
	return b.snapshot()
}

func joinFields(f []string) string {
	s := ""
	for _, v := range f {
		s += strconv.Quote(v)
	}
	return s
}

// UserLists names the users of a run, for programs (the -json of the
// example programs).
type UserLists struct {
	New         []UserChange `json:"new"`         // in the export, not in the last state
	Changed     []UserChange `json:"changed"`     // with their gains and losses
	Gone        []UserChange `json:"gone"`        // gone from the export tonight
	Held        []string     `json:"held"`        // held by the limit or for a row problem
	Unconfirmed []string     `json:"unconfirmed"` // posted without a clear answer, or with a failed row; on a night of no updates, not sent
	ForStaff    []string     `json:"for_staff"`   // with an outstanding for-staff item
}

// Users returns the users of the run by name, each list sorted; an empty
// list is empty, not nil, so that JSON has [] for it.
func (r *Report) Users() UserLists {
	l := UserLists{New: []UserChange{}, Changed: []UserChange{}, Gone: []UserChange{}, Held: []string{}, Unconfirmed: []string{}, ForStaff: []string{}}
	if r.Plan != nil {
		for uc := range r.Plan.Users() {
			switch uc.Kind {
			case KindNew:
				l.New = append(l.New, uc)
			case KindChanged:
				l.Changed = append(l.Changed, uc)
			case KindGone:
				l.Gone = append(l.Gone, uc)
			}
		}
	}
	if v := r.verdict; v != nil {
		l.Held = append(l.Held, slices.Sorted(maps.Keys(v.held))...)
		for u := range v.posted {
			if r.Sent && !v.confirmed[u] || !r.Sent && r.last.metaOf(u) != nil && r.last.metaOf(u).unconfirmed {
				l.Unconfirmed = append(l.Unconfirmed, u)
			}
		}
		if v.unchanged && r.last != nil {
			for u, m := range r.last.meta {
				if m.unconfirmedOnly() && v.held[u] == "" {
					l.Unconfirmed = append(l.Unconfirmed, u) // not sent on a night of no updates
				}
			}
		}
		slices.Sort(l.Unconfirmed)
	}
	for _, sr := range r.StaffRows() {
		if sr.Status == StatusForStaff && !slices.Contains(l.ForStaff, sr.Username) {
			l.ForStaff = append(l.ForStaff, sr.Username)
		}
	}
	slices.Sort(l.ForStaff)
	return l
}

// ClearForStaff records that staff did the for-staff items by hand: all of
// them when done is nil, else those of done (rows of a report, such as
// StaffRows read back from a -report file; rows of another status are
// ignored). It is a run of its own: it takes the school's lock, posts
// nothing, and commits the state without those items, with a run record
// of outcome ok. It returns the number of items it cleared.
func (j *Job) ClearForStaff(ctx context.Context, done []StaffRow) (int, error) {
	if j.Journal == nil || j.Client == nil {
		return 0, errors.New("syncjob: clearing for-staff items needs Job.Journal and Job.Client")
	}
	imp := j.imp()
	if err := imp.usable(); err != nil {
		return 0, err
	}
	start := time.Now()
	key := j.Key()
	sess, err := j.Journal.Lock(ctx, key)
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	sr := j.lastState(ctx, sess, key, imp, false)
	if sr.err != nil {
		return 0, sr.err
	}
	if sr.st == nil {
		return 0, nil
	}
	cols := imp.staffCols()
	match := func(name string, it []string) bool {
		if done == nil {
			return true
		}
		return slices.ContainsFunc(done, func(r StaffRow) bool {
			if r.Username != name || r.Status != StatusForStaff || len(r.Item) != len(cols) {
				return false
			}
			for k, c := range cols {
				if r.Item[k] != it[c] {
					return false
				}
			}
			return true
		})
	}
	cleared := 0
	last := sr.st
	state := func() ([]byte, int) {
		cleared = 0
		sw := newStateWriter(imp, len(last.raw))
		for u := range stateUsers(last, nil) {
			m := u.lm
			if m != nil && len(m.items) > 0 {
				m = m.clone()
				m.items = slices.DeleteFunc(m.items, func(it []string) bool {
					if match(u.name, it) {
						cleared++
						return true
					}
					return false
				})
			}
			u.keep(sw, m)
		}
		return sw.buf, sw.users
	}
	run := Run{Start: start, End: time.Now(), Key: key, Mode: ModeIncremental, Source: clearSource, Outcome: OutcomeOK, SDKVersion: client.Version}
	data, users := state()
	if _, err := commit(context.WithoutCancel(ctx), sess, data, users, run); err != nil {
		return 0, fmt.Errorf("syncjob: the cleared items were not kept: %w", err)
	}
	return cleared, nil
}

// Advice is what a job engine does after a run, in a word.
type Advice string

// The advice a Report gives.
const (
	AdviceDone      Advice = "done"       // nothing to do now: the next scheduled run goes on (rows held or failed are sent again then)
	AdviceRetry     Advice = "retry"      // nothing reached Infiniti: run again soon, with backoff
	AdviceWait      Advice = "wait"       // Infiniti may be importing a post: run again after Report.LockedUntil (when not zero), or later
	AdviceFixExport Advice = "fix-export" // the export is wrong or broken: a person looks at it before the next run
	AdviceFixConfig Advice = "fix-config" // credentials, rights, the address or the journal: a person acts before the next run
)

// Advice says what a job engine does after the run: done, retry now,
// retry after Report.LockedUntil (wait), or needs a person (fix-export,
// fix-config). It sees whether the file was handed over and how long a
// post stays in flight:
//
//   - ok, rows-failed and held are done: what failed or was held is sent
//     again by the next scheduled run;
//   - refused and invalid-file need a person to look at the export;
//     auth-error and journal-error need one to fix the set-up;
//   - no-answer, and cancelled after the file was handed over, wait until
//     the post's in-flight time (Report.LockedUntil) is over, since
//     Infiniti may still be importing; but an answer of 4xx other than 408
//     and 429 (a wrong address, 413) needs a person, and the users posted
//     stay unconfirmed until a run after the fix;
//   - locked waits until LockedUntil when an earlier post is in flight,
//     else retries: another run holds the lock;
//   - transport-error, and cancelled before the handover, retry; but a
//     certificate Infiniti's address does not prove needs a person.
//
// A job engine's timeout for a run is best above the client's answer
// limit plus the upload time, so that the engine does not give up on a
// post that Infiniti is still importing; the journal's in-flight rule
// keeps a second post out whatever the engine does.
func (r *Report) Advice() Advice {
	switch r.Outcome {
	case OutcomeOK, OutcomeRowsFailed, OutcomeHeld:
		return AdviceDone
	case OutcomeRefused, OutcomeInvalidFile:
		return AdviceFixExport
	case OutcomeAuthError, OutcomeJournalError:
		return AdviceFixConfig
	case OutcomeTransportError:
		if r.untrusted {
			return AdviceFixConfig
		}
	case OutcomeNoAnswer:
		if c := r.HTTP.StatusCode; c >= 400 && c < 500 && c != 408 && c != 429 {
			return AdviceFixConfig
		}
		return AdviceWait
	case OutcomeLocked:
		if !r.LockedUntil.IsZero() {
			return AdviceWait
		}
		return AdviceRetry
	case OutcomeCancelled:
		if r.Sent && r.HTTP.HandedOver {
			return AdviceWait
		}
	}
	return AdviceRetry
}

// KeptLeavers returns the number of users no longer in the export who
// still hold memberships in Infiniti that staff have not cleared: the
// leavers kept (Job.Leavers nil), which every run reports.
func (r *Report) KeptLeavers() int {
	v := r.verdict
	if v == nil || r.Plan == nil {
		n := 0
		if r.last != nil {
			for _, m := range r.last.meta {
				if m.mark == markLeft && len(m.items) > 0 {
					n++
				}
			}
		}
		return n
	}
	n := 0
	if r.last == nil {
		return 0
	}
	for u := range stateUsers(r.last, nil) {
		name := u.name
		if r.Plan.next.find(name) >= 0 {
			continue
		}
		m := r.last.metaOf(name)
		newly := v.gone[name] && v.tmpl == nil
		if !newly && (m == nil || m.mark != markLeft || v.posted[name]) {
			continue
		}
		items := v.items(name)
		if v.staff == nil && m != nil {
			items = m.items
		}
		if newly && v.staff == nil && r.Plan.last != nil {
			if u := r.Plan.last.find(name); u >= 0 {
				lo, hi := r.Plan.last.rowsOf(u)
				items = r.imp.itemsOf(r.Plan.last, lo, hi)
			}
		}
		if len(items) > 0 {
			n++
		}
	}
	return n
}

// clearSource is the Source of the run record of Job.ClearForStaff.
const clearSource = "clear-for-staff"
