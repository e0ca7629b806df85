package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// Dashboard roles.
const (
	RoleOwner = "owner"
	RoleStaff = "staff"
)

// argon2id parameters: OWASP's first choice (19 MiB, 2 passes, 1 lane).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// MinPasswordLen is the shortest password a user may have, in characters.
const MinPasswordLen = 12

// MaxAccountsPerEmail bounds the accounts one e-mail may have, each at its own merchant: a
// sign-in checks the password against each of them.
const MaxAccountsPerEmail = 5

// UserParams describes a dashboard user to create.
type UserParams struct {
	MerchantID string
	Email      string
	Role       string // owner when empty
	Password   string // a generated one when empty
}

// CreatedUser is a new user with its password, shown only once when it was generated.
type CreatedUser struct {
	User     *store.User
	Password string
}

// Create adds a dashboard user to a merchant.
func (s *Users) Create(ctx context.Context, nu UserParams) (*CreatedUser, error) {
	email := strings.TrimSpace(nu.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return nil, domain.Invalid("email", "invalid_email", "email must be an e-mail address")
	}
	if nu.Role == "" {
		nu.Role = RoleOwner
	}
	if err := checkRole(nu.Role); err != nil {
		return nil, err
	}
	if nu.Password == "" {
		nu.Password = rand.Text()
	}
	if err := checkNewPassword("password", nu.Password); err != nil {
		return nil, err
	}
	if _, err := s.store.Merchant(ctx, nu.MerchantID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, domain.Invalid("merchant", "resource_missing", "no merchant %q", nu.MerchantID)
		}
		return nil, wrapf("create user", err)
	}
	salt, err := s.sharedSalt(ctx, email, "")
	if err != nil {
		return nil, wrapf("create user", err)
	}
	now := s.clock.Now()
	u := &store.User{ID: domain.NewID("usr"), MerchantID: nu.MerchantID, Email: email, PasswordHash: hashPassword(nu.Password, salt),
		Role: nu.Role, CreatedAt: now, PasswordChangedAt: now}
	err = s.store.Transact(ctx, func(tx store.Tx) error { return createAccount(ctx, tx, u) })
	if errors.Is(err, store.ErrConflict) {
		return nil, errEmailTaken
	}
	var ce *domain.Error
	if errors.As(err, &ce) {
		return nil, err
	}
	if err != nil {
		return nil, wrapf("create user", err)
	}
	return &CreatedUser{User: u, Password: nu.Password}, nil
}

// errEmailTaken refuses a second user of one merchant with the same e-mail. The e-mail's
// accounts at other merchants are never told of: adding it there is no business of this one.
var errEmailTaken = domain.Invalid("email", "email_taken", "a user of this merchant has this e-mail")

// errEmailUnavailable refuses an account beyond MaxAccountsPerEmail; it says no more than that.
var errEmailUnavailable = domain.Invalid("email", "email_unavailable", "this e-mail cannot be added; use another")

// createAccount inserts u unless its merchant has a user with its e-mail, or the e-mail has
// MaxAccountsPerEmail accounts already; counted in the transaction, so that adding at several
// merchants at once cannot pass the bound.
func createAccount(ctx context.Context, tx store.Tx, u *store.User) error {
	accounts, err := tx.UsersByEmail(ctx, u.Email)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if a.MerchantID == u.MerchantID {
			return errEmailTaken
		}
	}
	if len(accounts) >= MaxAccountsPerEmail {
		return errEmailUnavailable
	}
	return tx.CreateUser(ctx, u)
}

// ErrBadLogin means an e-mail and password match no user; it never says which was wrong.
var ErrBadLogin = errors.New("accounts: wrong e-mail or password")

// dummyHash is hashed against when no user has the e-mail, so that an unknown e-mail takes as
// long to refuse as a wrong password.
// It is made at the first sign-in, not when the program starts.
var dummyHash = sync.OnceValue(func() string { return hashPassword("kpcheckout-no-such-user", newSalt()) })

// Authenticate finds the users with this e-mail whose password this is: one account, or
// several when the person has accounts at several merchants with one password. Each account has
// its own hash, but a person's accounts share a salt (sharedSalt), so that the password is
// hashed once however many there are: the time taken tells nothing of how many merchants know
// the e-mail, nor whether any does.
func (s *Users) Authenticate(ctx context.Context, email, password string) ([]*store.User, error) {
	users, err := s.store.UsersByEmail(ctx, strings.TrimSpace(email))
	if err != nil {
		return nil, wrapf("authenticate user", err)
	}
	keys := map[string][]byte{} // a derived key by its derivation: the accounts that share one cost one hash
	var matched []*store.User
	for _, u := range users[:min(len(users), MaxAccountsPerEmail)] {
		h, ok := parseHash(u.PasswordHash)
		if !ok {
			continue
		}
		d := h.derivation()
		if _, done := keys[d]; !done {
			keys[d] = h.derive(password)
		}
		if subtle.ConstantTimeCompare(keys[d], h.key) == 1 {
			matched = append(matched, u)
		}
	}
	if len(keys) == 0 {
		checkPassword(dummyHash(), password)
	}
	if len(matched) == 0 {
		return nil, ErrBadLogin
	}
	return matched, nil
}

// checkRole refuses a role that is neither owner nor staff.
func checkRole(role string) error {
	if role != RoleOwner && role != RoleStaff {
		return domain.Invalid("role", "invalid_role", "role must be owner or staff")
	}
	return nil
}

// checkNewPassword refuses a password shorter than MinPasswordLen characters or longer than
// 1024 bytes; param names the field it came in.
func checkNewPassword(param, password string) error {
	if len([]rune(password)) < MinPasswordLen || len(password) > 1024 {
		return domain.Invalid(param, "invalid_password", "password must be %d to 1024 characters", MinPasswordLen)
	}
	return nil
}

// Users lists m's dashboard users, oldest first.
func (s *Users) Users(ctx context.Context, m *store.Merchant) ([]*store.User, error) {
	return all(ctx, "users", m, s.store.Users)
}

// User reads one of m's users; another merchant's user is not found.
func (s *Users) User(ctx context.Context, m *store.Merchant, id string) (*store.User, error) {
	return domain.Owned(ctx, m, "user", id, s.store.User, func(u *store.User) string { return u.MerchantID })
}

// ChangePassword replaces a user's password when current is its password now, and ends every
// session of the user (the changing browser starts a new one with StartSession).
func (s *Users) ChangePassword(ctx context.Context, userID, current, next string) (*store.User, error) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return nil, wrapf("change password", err)
	}
	if !checkPassword(u.PasswordHash, current) {
		return nil, domain.Invalid("current_password", "wrong_password", "the current password is wrong")
	}
	if err := checkNewPassword("new_password", next); err != nil {
		return nil, err
	}
	return s.setPassword(ctx, u, next)
}

// ResetPassword gives the user with this e-mail at merchantID a new password, generated when
// password is empty, and ends its sessions; for an operator, who needs no current password.
// merchantID may be empty when the e-mail is a user at one merchant only.
func (s *Users) ResetPassword(ctx context.Context, merchantID, email, password string) (*CreatedUser, error) {
	u, err := s.accountByEmail(ctx, merchantID, strings.TrimSpace(email))
	if err != nil {
		return nil, err
	}
	if password == "" {
		password = rand.Text()
	}
	if err := checkNewPassword("password", password); err != nil {
		return nil, err
	}
	if u, err = s.setPassword(ctx, u, password); err != nil {
		return nil, err
	}
	return &CreatedUser{User: u, Password: password}, nil
}

// accountByEmail finds the user with email at merchantID, or, when merchantID is empty, the one
// user with email; an e-mail at several merchants then needs the merchant named.
func (s *Users) accountByEmail(ctx context.Context, merchantID, email string) (*store.User, error) {
	users, err := s.store.UsersByEmail(ctx, email)
	if err != nil {
		return nil, wrapf("user by email", err)
	}
	var found []*store.User
	var merchants []string
	for _, u := range users {
		if merchantID == "" || u.MerchantID == merchantID {
			found = append(found, u)
			merchants = append(merchants, u.MerchantID)
		}
	}
	switch len(found) {
	case 0:
		return nil, domain.Invalid("email", "resource_missing", "no user has the e-mail %q", email)
	case 1:
		return found[0], nil
	}
	return nil, domain.Invalid("merchant", "merchant_required", "the e-mail %q is a user at several merchants (%s): name one",
		email, strings.Join(merchants, ", "))
}

// setPassword writes password's hash to u, read with its old hash, and ends u's sessions in the
// same transaction. The hash is made before the
// write lock is taken (argon2id takes tens of milliseconds); a change that came in between wins,
// and this one is refused.
func (s *Users) setPassword(ctx context.Context, u *store.User, password string) (*store.User, error) {
	salt, err := s.sharedSalt(ctx, u.Email, u.ID)
	if err != nil {
		return nil, wrapf("set password", err)
	}
	hash := hashPassword(password, salt)
	now := s.clock.Now().Truncate(time.Millisecond)
	var changed *store.User
	err = s.store.Transact(ctx, func(tx store.Tx) error {
		cur, err := tx.User(ctx, u.ID)
		if err != nil {
			return err
		}
		if cur.PasswordHash != u.PasswordHash {
			return domain.Conflict("password_changed", "the password was changed meanwhile")
		}
		cur.PasswordHash, cur.PasswordChangedAt = hash, now
		changed = cur
		if _, err := tx.DeleteUserSessions(ctx, cur.ID); err != nil { // every copy of every cookie
			return err
		}
		return tx.UpdateUser(ctx, cur)
	})
	if err != nil {
		return nil, wrapf("set password", err)
	}
	return changed, nil
}

// errLastOwner refuses to leave a merchant without an owner, who alone can manage its users.
var errLastOwner = domain.Conflict("last_owner", "a merchant must keep at least one owner")

// SetRole makes one of m's users an owner or staff. The last owner cannot become staff.
func (s *Users) SetRole(ctx context.Context, m *store.Merchant, userID, role string) (*store.User, error) {
	if err := checkRole(role); err != nil {
		return nil, err
	}
	var changed *store.User
	err := s.changeUser(ctx, m, userID, func(tx store.Tx, u *store.User, owners int) error {
		if u.Role == role {
			changed = u
			return nil
		}
		if u.Role == RoleOwner && owners <= 1 {
			return errLastOwner
		}
		u.Role = role
		changed = u
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// Remove deletes one of m's users, which ends its sessions. The last owner cannot be removed.
func (s *Users) Remove(ctx context.Context, m *store.Merchant, userID string) error {
	return s.changeUser(ctx, m, userID, func(tx store.Tx, u *store.User, owners int) error {
		if u.Role == RoleOwner && owners <= 1 {
			return errLastOwner
		}
		if _, err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		return tx.DeleteUser(ctx, u.ID)
	})
}

// changeUser runs fn on one of m's users in a transaction that holds m's users, with the number
// of m's owners, so that two owners demoting each other at once cannot leave none.
func (s *Users) changeUser(ctx context.Context, m *store.Merchant, userID string, fn func(tx store.Tx, u *store.User, owners int) error) error {
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		users, err := tx.LockUsers(ctx, m.ID)
		if err != nil {
			return err
		}
		owners := 0
		var target *store.User
		for _, u := range users {
			if u.Role == RoleOwner {
				owners++
			}
			if u.ID == userID {
				target = u
			}
		}
		if target == nil {
			return domain.NotFound("user", userID)
		}
		return fn(tx, target, owners)
	})
	var ce *domain.Error
	if err == nil || errors.As(err, &ce) {
		return err
	}
	return wrapf("change user", err)
}

// sharedSalt is the salt of a new password hash for an account with email: the salt of the
// e-mail's oldest other account (not exceptID) hashed as hashPassword hashes now, so that a
// person's accounts at several merchants cost a sign-in one hash; a fresh one when there is none.
// Accounts that share a salt and a password have the same hash: only the database shows it.
func (s *Users) sharedSalt(ctx context.Context, email, exceptID string) ([]byte, error) {
	users, err := s.store.UsersByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if h, ok := parseHash(u.PasswordHash); ok && u.ID != exceptID && h.current() {
			return h.salt, nil
		}
	}
	return newSalt(), nil
}

// newSalt is a fresh random salt.
func newSalt() []byte {
	salt := make([]byte, 16)
	rand.Read(salt)
	return salt
}

// hashPassword encodes password's argon2id hash with salt.
func hashPassword(password string, salt []byte) string {
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword tells whether password matches an encoded argon2id hash, in constant time.
func checkPassword(encoded, password string) bool {
	h, ok := parseHash(encoded)
	return ok && subtle.ConstantTimeCompare(h.derive(password), h.key) == 1
}

// argonHash is a decoded argon2id hash: its parameters, salt and key.
type argonHash struct {
	memory, passes uint32
	threads        uint8
	salt, key      []byte
}

// parseHash decodes a hash in the $argon2id$v=19$m=…,t=…,p=…$salt$key form.
func parseHash(encoded string) (argonHash, bool) {
	var h argonHash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return h, false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.passes, &h.threads); err != nil {
		return h, false
	}
	b64 := base64.RawStdEncoding
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil {
		return h, false
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) == 0 {
		return h, false
	}
	return h, true
}

// derive is the key password gives with h's parameters and salt.
func (h argonHash) derive(password string) []byte {
	return argon2.IDKey([]byte(password), h.salt, h.passes, h.memory, h.threads, uint32(len(h.key)))
}

// derivation names h's parameters and salt: hashes that share it derive the same key from a
// password.
func (h argonHash) derivation() string {
	return fmt.Sprintf("%d,%d,%d,%d,%x", h.memory, h.passes, h.threads, len(h.key), h.salt)
}

// current tells whether h was made with the parameters hashPassword uses now.
func (h argonHash) current() bool {
	return h.memory == argonMemory && h.passes == argonTime && h.threads == argonThreads && len(h.key) == argonKeyLen
}
