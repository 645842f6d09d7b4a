package syncjob_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
)

// A nightly job: the first run sends everything, the next ones only what
// changed, and a broken (empty) export is refused.
func ExampleJob() {
	srv := clienttest.NewServer(clienttest.WithApplyMode(clienttest.ApplyReplace))
	defer srv.Close()
	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "syncjob-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	journal, err := syncjob.OpenDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	job := &syncjob.Job{
		Client:  c,
		Journal: journal,
		Rules:   csvspec.Rules{LibraryGroups: []string{"House Red", "House Blue"}},
		Limits:  syncjob.Limits{MaxRemovals: syncjob.PercentLimit(10)},
	}
	monday := "username,library-group,system-group\nann,House Red,\nbob,House Blue,\n"
	tuesday := "username,library-group,system-group\nann,House Red,\nbob,House Red,\ncat,House Blue,\n"
	broken := ""
	ctx := context.Background()
	for _, export := range []string{monday, tuesday, tuesday, broken} {
		rep, err := job.Run(ctx, strings.NewReader(export))
		st := rep.Plan.Stats()
		fmt.Printf("%-8s %d new, %d changed, %d unchanged, %d gone: %d rows sent\n", rep.Outcome, st.New, st.Changed, st.Unchanged, st.Gone, rep.RowsSent)
		if err != nil {
			fmt.Println(err)
		}
	}
	fmt.Printf("Infiniti has bob in %v\n", srv.Memberships()["bob"].LibraryGroups)
	runs, health, err := job.History(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d runs; %d failed or refused since the last success\n", len(runs), health.FailuresSince)
	// Output:
	// ok       2 new, 0 changed, 0 unchanged, 0 gone: 2 rows sent
	// ok       1 new, 1 changed, 1 unchanged, 0 gone: 2 rows sent
	// ok       0 new, 0 changed, 3 unchanged, 0 gone: 0 rows sent
	// refused  0 new, 0 changed, 0 unchanged, 3 gone: 0 rows sent
	// syncjob: refused: the export has no rows, but Infiniti last accepted 3 users; this is usually a broken export. Nothing was sent, and force does not go past it. Check the export
	// Infiniti has bob in [House Red]
	// 4 runs; 1 failed or refused since the last success
}

// A nightly contacts job: a user's contacts are one unit, so when a
// guardian's email changes, every contact row of that student is sent, and
// nobody else's. A Y/N spelling from the SMS is not a change. A student who
// leaves the export is counted against the removal limit but not sent:
// Infiniti keeps that student's contacts.
func ExampleContacts() {
	srv := clienttest.NewServer()
	defer srv.Close()
	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		log.Fatal(err)
	}
	job := &syncjob.Job{
		Client:  c,
		Journal: syncjob.NewMemJournal(),
		Import:  syncjob.Contacts(client.ContactsReplaceDeclaredPatronsKeepCustomContacts),
	}
	const header = "username,type,role,primary,addressee,contact,sms,scenarios\n"
	const ann = "ann,email,patron,True,Ann,ann@students.example.edu,,ANY\n" +
		"ann,phone,guardian,True,Mr Lee,(M1) 0400 000 001,True,NONE\n"
	monday := header + ann +
		"bob,email,patron,True,Bob,bob@students.example.edu,,ANY\n" +
		"bob,email,guardian,True,Ms Ng,mei.ng@example.com,,OVERDUE;OVERDUE_ESCALATION_ONE\n" +
		"bob,phone,guardian,False,Ms Ng,(H) 07 5555 1002,False,NONE\n"
	tuesday := strings.Replace(monday, "mei.ng@example.com", "mei@newmail.example", 1)
	wednesday := strings.NewReplacer(",True,NONE", ",Y,NONE", ",False,NONE", ",N,NONE").Replace(tuesday)
	thursday := header + ann
	ctx := context.Background()
	for _, export := range []string{monday, tuesday, wednesday, thursday} {
		rep, err := job.Run(ctx, strings.NewReader(export))
		if err != nil {
			log.Fatal(err)
		}
		st := rep.Plan.Stats()
		fmt.Printf("%s: %d new, %d changed, %d unchanged, %d gone, %d losing; %d rows sent; %d booleans not spelt True/False\n",
			rep.Outcome, st.New, st.Changed, st.Unchanged, st.Gone, st.Losing, rep.RowsSent, rep.Check.Count(csvspec.CodeBooleanSpelling))
	}
	for _, c := range srv.Contacts()["bob"] {
		fmt.Println("Infiniti has for bob:", c.Role, c.Contact)
	}
	// Output:
	// ok: 2 new, 0 changed, 0 unchanged, 0 gone, 0 losing; 5 rows sent; 0 booleans not spelt True/False
	// ok: 0 new, 1 changed, 1 unchanged, 0 gone, 1 losing; 3 rows sent; 0 booleans not spelt True/False
	// ok: 0 new, 0 changed, 2 unchanged, 0 gone, 0 losing; 0 rows sent; 2 booleans not spelt True/False
	// ok: 0 new, 0 changed, 1 unchanged, 1 gone, 1 losing; 0 rows sent; 0 booleans not spelt True/False
	// Infiniti has for bob: patron bob@students.example.edu
	// Infiniti has for bob: guardian mei@newmail.example
	// Infiniti has for bob: guardian (H) 07 5555 1002
}

// ParseLimit reads the command-line form of the removal limit.
func ExampleParseLimit() {
	for _, s := range []string{"10%", "0", "25", "ten"} {
		l, err := syncjob.ParseLimit(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s: at most %d of 1,000 users, %d of 20\n", l, l.Max(1000), l.Max(20))
	}
	// Output:
	// 10%: at most 100 of 1,000 users, 5 of 20
	// 0: at most 0 of 1,000 users, 0 of 20
	// 25: at most 25 of 1,000 users, 25 of 20
	// syncjob: the removal limit "ten" is neither a count nor a percentage; give a count of users such as 5 (0 refuses any loss) or a percentage such as 10%
}

// A night's report for library staff: the memberships the run changed,
// held or leaves to staff, as the CSV that -report writes.
func ExampleReport_WriteReport() {
	srv := clienttest.NewServer(clienttest.WithApplyMode(clienttest.ApplyAdd))
	defer srv.Close()
	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		log.Fatal(err)
	}
	job := &syncjob.Job{Client: c, Journal: syncjob.NewMemJournal(), Applies: syncjob.AppliesAdd}
	for _, export := range []string{
		"username,library-group,system-group\nann,House Red,Year 7\nbob,House Blue,Year 7\n",
		"username,library-group,system-group\nann,House Red,Year 8\n",
	} {
		rep, err := job.Run(context.Background(), strings.NewReader(export))
		if err != nil {
			log.Fatal(err)
		}
		var b strings.Builder
		if err := rep.WriteReport(&b); err != nil {
			log.Fatal(err)
		}
		fmt.Print(strings.TrimPrefix(b.String(), "\ufeff"))
	}
	// Output:
	// username,library-group,system-group,change,status,reason,line
	// ann,House Red,,add,sent,Infiniti confirmed it,2
	// ann,,Year 7,add,sent,Infiniti confirmed it,2
	// bob,House Blue,,add,sent,Infiniti confirmed it,3
	// bob,,Year 7,add,sent,Infiniti confirmed it,3
	// username,library-group,system-group,change,status,reason,line
	// ann,,Year 8,add,sent,Infiniti confirmed it,2
	// ann,,Year 7,remove,for-staff,"Infiniti may keep it: the export no longer has it, and a file may only add",2
	// bob,House Blue,,remove,for-staff,the user is no longer in the export and may still hold it in Infiniti,
	// bob,,Year 7,remove,for-staff,the user is no longer in the export and may still hold it in Infiniti,
}

// A job engine names each school's journal key from its own list of
// schools, without building a client; spellings of one site are one key.
func ExampleKeyOf() {
	for _, site := range []string{"https://MySchool.concordinfiniti.com/", "https://myschool.concordinfiniti.com:443"} {
		fmt.Println(syncjob.KeyOf(site, "T1", syncjob.UserGroups()))
	}
	// Output:
	// https://myschool.concordinfiniti.com tenant=T1 import=user-groups
	// https://myschool.concordinfiniti.com tenant=T1 import=user-groups
}

// The Observer hears each step of a run, for a job engine's metrics; the
// Report's Advice says what the engine does next.
func ExampleJob_observer() {
	srv := clienttest.NewServer()
	defer srv.Close()
	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()), client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		log.Fatal(err)
	}
	var phases []string
	job := &syncjob.Job{Client: c, Journal: syncjob.NewMemJournal(), Observer: func(o syncjob.Observation) {
		phases = append(phases, o.Phase) // and o.Took, to a histogram
	}}
	rep, err := job.Run(context.Background(), strings.NewReader("username,library-group,system-group\nann,House Red,Year 7\n"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(phases, rep.Outcome, rep.Advice())
	// Output:
	// [lock check plan commit post commit end] ok done
}
