package views

import "time"

// DashAccountModel is the signed-in user's own page: who they are and the password form.
type DashAccountModel struct {
	Nav     DashNav
	Email   string
	Role    string // owner or staff
	MinLen  int    // the shortest password, in characters
	Changed bool   // the password was just changed
	// Errors are message ids beside the form's fields: current_password, new_password,
	// new_password_again.
	Errors map[string]string
	// Wait is how long a throttled password check must wait: the message's {{.Wait}}.
	Wait time.Duration
}

// DashUsersModel is the merchant's users with the form that adds one.
type DashUsersModel struct {
	Nav    DashNav
	Notice string // a message id saying what was just done, or ""
	Rows   []DashUserRow
	Add    DashAddUser
}

// DashUserRow is one user in the list.
type DashUserRow struct {
	ID        string
	Email     string
	Role      string
	CreatedAt time.Time
	Self      bool // the signed-in user
}

// DashAddUser is the add form as it was sent, with a message id beside its field after a refusal.
type DashAddUser struct {
	Email string
	Role  string
	Field string // email or role, where Error is shown
	Error string
}

// DashUserAddedModel shows a new user's generated password, this once.
type DashUserAddedModel struct {
	Nav      DashNav
	Email    string
	Role     string
	Password string
}

// DashUserRemoveModel asks before a user is removed.
type DashUserRemoveModel struct {
	Nav   DashNav
	ID    string
	Email string
	Role  string
	Self  bool // the signed-in user removes themselves, and is signed out
}

// dashRoles are the roles a user may have, owner first.
var dashRoles = []string{"owner", "staff"}
