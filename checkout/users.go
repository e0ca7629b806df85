package checkout

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

// minPasswordLen is the shortest password a user may have.
const minPasswordLen = 12

// NewUser describes a dashboard user to create.
type NewUser struct {
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

// CreateUser adds a dashboard user to a merchant.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (*CreatedUser, error) {
	email := strings.TrimSpace(nu.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return nil, invalid("email", "invalid_email", "email must be an e-mail address")
	}
	if nu.Role == "" {
		nu.Role = RoleOwner
	}
	if nu.Role != RoleOwner && nu.Role != RoleStaff {
		return nil, invalid("role", "invalid_role", "role must be owner or staff")
	}
	if nu.Password == "" {
		nu.Password = rand.Text()
	}
	if len([]rune(nu.Password)) < minPasswordLen || len(nu.Password) > 1024 {
		return nil, invalid("password", "invalid_password", "password must be %d to 1024 characters", minPasswordLen)
	}
	if _, err := s.store.Merchant(ctx, nu.MerchantID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalid("merchant", "resource_missing", "no merchant %q", nu.MerchantID)
		}
		return nil, wrapf("create user", err)
	}
	now := s.clock()
	u := &store.User{ID: NewID("usr"), MerchantID: nu.MerchantID, Email: email, PasswordHash: hashPassword(nu.Password),
		Role: nu.Role, CreatedAt: now, PasswordChangedAt: now}
	err := s.store.Transact(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
	if errors.Is(err, store.ErrConflict) {
		return nil, invalid("email", "email_taken", "a user with this e-mail already exists")
	}
	if err != nil {
		return nil, wrapf("create user", err)
	}
	return &CreatedUser{User: u, Password: nu.Password}, nil
}

// ErrBadLogin means an e-mail and password match no user; it never says which was wrong.
var ErrBadLogin = errors.New("checkout: wrong e-mail or password")

// dummyHash is hashed against when no user has the e-mail, so that an unknown e-mail takes as
// long to refuse as a wrong password.
// It is made at the first sign-in, not when the program starts.
var dummyHash = sync.OnceValue(func() string { return hashPassword("kpcheckout-no-such-user") })

// AuthenticateUser finds the user with this e-mail and password.
func (s *Service) AuthenticateUser(ctx context.Context, email, password string) (*store.User, error) {
	u, err := s.store.UserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		checkPassword(dummyHash(), password)
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, wrapf("authenticate user", err)
	}
	if !checkPassword(u.PasswordHash, password) {
		return nil, ErrBadLogin
	}
	return u, nil
}

// User reads a dashboard user by id.
func (s *Service) User(ctx context.Context, id string) (*store.User, error) {
	return s.store.User(ctx, id)
}

// Now is the service's time: the test clock in tests.
func (s *Service) Now() time.Time { return s.clock() }

// DailyTotals are a merchant's numbers for the days days up to today, days counted in loc,
// oldest first.
func (s *Service) DailyTotals(ctx context.Context, merchantID string, days int, loc *time.Location) ([]store.DayTotals, error) {
	now := s.clock().In(loc)
	list, err := s.store.DailyTotals(ctx, merchantID, now.AddDate(0, 0, -(days-1)), now, loc)
	if err != nil {
		return nil, wrapf("daily totals", err)
	}
	return list, nil
}

// hashPassword encodes password's argon2id hash with a fresh salt.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword tells whether password matches an encoded argon2id hash, in constant time.
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
