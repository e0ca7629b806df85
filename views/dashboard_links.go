package views

import (
	"strings"
	"time"

	"github.com/a-h/templ"
)

// DashLinksModel is the merchant's payment links, newest first.
type DashLinksModel struct {
	Nav   DashNav
	Rows  []DashLinkRow
	More  bool // older links exist than the page shows
	Limit int  // how many the page shows at most
}

// DashLinkRow is one payment link as the list and its own page show it.
type DashLinkRow struct {
	ID          string
	URL         string // the public URL, absolute
	Description string
	Items       string // the items in one line ("아메리카노 × 2"), or ""
	Amount      int64
	Reusable    bool
	MaxUses     int // 0: no limit
	Paid        int
	State       string // active, inactive, expired or used_up
	ExpiresAt   time.Time
	CreatedAt   time.Time
}

// DashLinkModel is one payment link with its latest checkouts.
type DashLinkModel struct {
	Nav          DashNav
	Link         DashLinkRow
	Created      bool // the link was just made: say so
	Checkouts    []DashCheckoutRow
	CheckoutsURL string // every checkout of the link in the checkouts list
	QRURL        string
	PosterURL    string
}

// DashLinkFormModel is the form that makes a payment link, with what was typed and, after a
// refusal, the message beside the field it is about.
type DashLinkFormModel struct {
	Nav          DashNav
	Token        string // makes a resent form create one link
	Amount       string
	Description  string
	ItemName     string
	ItemQuantity string
	ItemPrice    string
	Reusable     bool
	MaxUses      string
	ExpiresOn    string // YYYY-MM-DD, a day in Korea
	SuccessURL   string
	FailureURL   string
	MinAmount    int64
	MaxAmount    int64
	Today        string // the earliest day the date picker offers
	Errors       map[string]string
}

// DashLinkDeactivateModel asks before a link is stopped.
type DashLinkDeactivateModel struct {
	Nav  DashNav
	Link DashLinkRow
}

// fieldAttrs marks a form field refused when errs has a message for it, and ties it to its
// hint (name-hint) and its message (name-error) for screen readers.
func fieldAttrs(errs map[string]string, name string, hint bool) templ.Attributes {
	var ids []string
	if hint {
		ids = append(ids, name+"-hint")
	}
	a := templ.Attributes{}
	if errs[name] != "" {
		ids = append(ids, name+"-error")
		a["aria-invalid"] = "true"
	}
	if len(ids) > 0 {
		a["aria-describedby"] = strings.Join(ids, " ")
	}
	return a
}
