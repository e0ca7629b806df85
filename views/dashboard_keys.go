package views

import "time"

// DashKeysModel is the merchant's API keys, with the form that makes another.
type DashKeysModel struct {
	Nav   DashNav
	Keys  []DashKey // newest first
	Token string    // the create form's one-time token: a resent form makes one key
}

// DashKey is one API key as the dashboard shows it.
type DashKey struct {
	ID         string
	Label      string
	Masked     string // "sk_test_…abcd": its mode and last four characters
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: active
}

// DashKeyCreatedModel shows a new key's secret, this once.
type DashKeyCreatedModel struct {
	Nav    DashNav
	Key    DashKey
	Secret string // "" when the form was sent again: the key was made before and its secret is not shown again
}

// DashKeyRevokeModel asks before a key is revoked.
type DashKeyRevokeModel struct {
	Nav        DashNav
	Key        DashKey
	LastActive bool // it is the merchant's only active key: every API call will be refused
}

// keyLabel is a key's label, or a dash when it has none.
func keyLabel(k DashKey) string {
	if k.Label == "" {
		return "—"
	}
	return k.Label
}
