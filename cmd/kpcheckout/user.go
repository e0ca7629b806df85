package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
)

// userCommand serves `kpcheckout user create|list|password`, with stdin for --password-stdin.
func userCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runWith(ctx, append([]string{"user"}, args...), &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

// createUser serves `kpcheckout user create`: a dashboard user of a merchant (its name or id),
// printed as JSON with its password, generated unless --password-stdin reads one from stdin.
func createUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("user create", stdout)
	merchant := fs.String("merchant", "", "the merchant's name or id (required)")
	email := fs.String("email", "", "the user's e-mail, used to sign in (required)")
	role := fs.String("role", accounts.RoleOwner, "owner or staff")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of generating one")
	svc, m, done, err := offlineMerchant(ctx, fs, newConfig(fs, getenv), args, merchant)
	if err != nil {
		return err
	}
	defer done()
	nu := accounts.UserParams{MerchantID: m.ID, Email: *email, Role: *role}
	if *fromStdin {
		if nu.Password, err = readPassword(stdin); err != nil {
			return err
		}
	}
	cu, err := svc.Users.Create(ctx, nu)
	if err != nil {
		return cliError(err)
	}
	out := map[string]string{"id": cu.User.ID, "merchant_id": m.ID, "email": cu.User.Email, "role": cu.User.Role}
	if !*fromStdin {
		out["password"] = cu.Password
	}
	return printJSON(stdout, out)
}

// listUsers serves `kpcheckout user list`: a merchant's dashboard users as a JSON array, oldest
// first.
func listUsers(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("user list", stdout)
	merchant := fs.String("merchant", "", "the merchant's name or id (required)")
	svc, m, done, err := offlineMerchant(ctx, fs, newConfig(fs, getenv), args, merchant)
	if err != nil {
		return err
	}
	defer done()
	list, err := svc.Users.Users(ctx, m)
	if err != nil {
		return err
	}
	out := []map[string]string{}
	for _, u := range list {
		out = append(out, map[string]string{"id": u.ID, "email": u.Email, "role": u.Role,
			"created_at": u.CreatedAt.Format(time.RFC3339), "password_changed_at": u.PasswordChangedAt.Format(time.RFC3339)})
	}
	return printJSON(stdout, out)
}

// resetPassword serves `kpcheckout user password`: a new password for the user with the e-mail
// (at the merchant --merchant names, which an e-mail at several merchants needs), generated and
// printed unless --password-stdin reads one; the user's sessions end.
func resetPassword(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("user password", stdout)
	email := fs.String("email", "", "the user's e-mail (required)")
	merchant := fs.String("merchant", "", "the user's merchant, its name or id (needed when the e-mail is a user at several)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of generating one")
	svc, done, err := offline(ctx, fs, newConfig(fs, getenv), args)
	if err != nil {
		return err
	}
	defer done()
	var merchantID string
	if *merchant != "" {
		m, err := findMerchant(ctx, svc, *merchant)
		if err != nil {
			return err
		}
		merchantID = m.ID
	}
	var password string
	if *fromStdin {
		if password, err = readPassword(stdin); err != nil {
			return err
		}
	}
	cu, err := svc.Users.ResetPassword(ctx, merchantID, *email, password)
	if err != nil {
		return cliError(err)
	}
	out := map[string]string{"id": cu.User.ID, "merchant_id": cu.User.MerchantID, "email": cu.User.Email, "role": cu.User.Role}
	if !*fromStdin {
		out["password"] = cu.Password
	}
	return printJSON(stdout, out)
}

// readPassword reads a password from the first line of stdin.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", errors.New("--password-stdin: stdin holds no password")
	}
	return password, nil
}
