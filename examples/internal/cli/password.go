package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// PasswordEnv is the environment variable the programs read the Infiniti
// password from when no password file is given.
const PasswordEnv = "INFINITI_PASSWORD"

// maxPasswordFile bounds what ReadPasswordFile reads: a password file holds
// one short line, and a bigger file is the wrong file.
const maxPasswordFile = 4 << 10

// Password returns the password from the file at path if path is not
// empty, else from the environment variable envName (through getenv). n
// names the settings in messages. It returns an error when both are given,
// when neither is, or when ReadPasswordFile fails; the error never holds
// the password.
func Password(getenv func(string) string, envName, path string, n Names) (string, error) {
	env := ""
	if envName != "" {
		env = getenv(envName)
	}
	switch {
	case path != "" && env != "":
		return "", fmt.Errorf("the password is given twice, in %s and in the environment variable %s; give one of them", n.Name("password_file"), envName)
	case path != "":
		pw, err := ReadPasswordFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", n.Name("password_file"), err)
		}
		return pw, nil
	case env == "":
		return "", fmt.Errorf("no password: the environment variable %s is empty; set it, or give %s (a file only this account can read)", envName, n.Name("password_file"))
	}
	return env, nil
}

// ReadPasswordFile returns the password held in the file at path: its
// content without a leading UTF-8 byte order mark and without one trailing
// line ending (LF or CRLF), as editors and "echo" leave them.
//
// On Unix it refuses a file that other accounts may read or change (group
// or other permission bits set, as ssh does for keys), with the chmod
// command that fixes it. On Windows it makes no permission check: the
// standard library cannot read ACLs, so protect the file with icacls.
//
// It returns an error, never holding the file's content, for a file that
// cannot be read, is not a regular file, is larger than 4 KiB, is empty,
// or holds more than one line.
func ReadPasswordFile(path string) (string, error) {
	// A FIFO or a device would block the open or the read for ever: look
	// before opening.
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("the password file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("the password file %s is not a regular file; give the file that holds the password", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("the password file: %w", err)
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", fmt.Errorf("the password file %s is not a regular file; give the file that holds the password", path)
	}
	if err := checkPrivate(path, st); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return "", fmt.Errorf("the password file: %w", err)
	}
	if len(b) > maxPasswordFile {
		return "", fmt.Errorf("the password file %s is larger than %d KiB; it should hold the password alone, on one line", path, maxPasswordFile>>10)
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if bytes.HasSuffix(b, []byte("\r\n")) {
		b = b[:len(b)-2]
	} else if bytes.HasSuffix(b, []byte("\n")) {
		b = b[:len(b)-1]
	}
	switch {
	case len(b) == 0:
		return "", fmt.Errorf("the password file %s is empty; write the password of the import account in it", path)
	case bytes.ContainsAny(b, "\r\n"):
		return "", fmt.Errorf("the password file %s holds more than one line; it should hold the password alone, on one line", path)
	}
	return string(b), nil
}

// errNotPrivate is wrapped by the error ReadPasswordFile returns for a file
// other accounts may read.
var errNotPrivate = errors.New("other accounts may read the password file")
