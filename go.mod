module github.com/autosync-go/autosync

go 1.24

require github.com/google/go-cmp v0.7.0

require github.com/jarcoal/httpmock v1.4.2

require golang.org/x/text v0.28.0
