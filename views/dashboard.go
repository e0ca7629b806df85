package views

import (
	"strconv"
	"time"

	"github.com/a-h/templ"
)

// LoginModel is the dashboard's sign-in form.
type LoginModel struct {
	Action  string
	LangURL string
	Email   string        // what was typed, kept after a refusal
	Error   string        // a message id, or ""
	Wait    time.Duration // how long a throttled sign-in must wait: the message's {{.Wait}}
}

// DashNav is what every signed-in dashboard page shows at its top.
type DashNav struct {
	Merchant string
	Email    string
	Owner    bool   // the user is an owner: the owners' pages are listed
	Active   string // the page's section: home, checkouts, links, webhooks, keys, users, settings or account
	LangURL  string
}

// navCurrent marks the menu's link to the page's own section as the current page.
func navCurrent(active, section string) templ.Attributes {
	if active == section {
		return templ.Attributes{"aria-current": "page"}
	}
	return nil
}

// DashErrorModel is a dashboard page that says why a request was refused, with a way back.
type DashErrorModel struct {
	Nav     DashNav
	Body    string // the message, localized
	BackURL string
}

// DashHomeModel is the dashboard's home: today's numbers and the last days' chart.
type DashHomeModel struct {
	Nav            DashNav
	PaidCount      int
	PaidAmount     int64
	RefundedAmount int64
	Opened         int
	Days           []DashDay // oldest first, today last
	MoneyCSVURL    string    // the CSV of the money that moved over Days
}

// DashDay is one day of the chart.
type DashDay struct {
	Day            time.Time // midnight in Korea
	Paid           int64
	Refunded       int64
	PaidCount      int
	OpenedCheckout int
}

// DashCheckoutsModel is a page of the merchant's checkouts.
type DashCheckoutsModel struct {
	Nav      DashNav
	Status   string   // the filter, "" for all
	Search   string   // a checkout id, the start of a reference, or a customer's e-mail
	From, To string   // the days, YYYY-MM-DD in Korea, both included; "" for no bound
	Statuses []string // the filter's choices
	CSVURL   string   // the filtered list as CSV
	Rows     []DashCheckoutRow
	NextURL  string // the next page, "" on the last
}

// DashCheckoutRow is one checkout in the list: an order.
type DashCheckoutRow struct {
	ID        string
	Status    string
	Reference string
	Title     string // what was bought: its items or its description
	LinkID    string // the payment link it was opened from (its reference is the link's id), or ""
	Customer  string // the customer's name and e-mail, or ""
	Amount    int64
	Refunded  int64
	CreatedAt time.Time
	// LastTryFailed is an open checkout whose latest payment try failed or was left.
	LastTryFailed bool
}

// Chart geometry, in the SVG's own units.
const (
	chartW, chartH   = 700, 220
	chartTop         = 10
	chartBase        = 190 // the bars' baseline; day labels below it
	chartBarW        = 16
	chartPlotH       = chartBase - chartTop
	chartLabelOffset = 20
)

// chartBar is one bar of the chart.
type chartBar struct {
	X, Y, W, H int
	Class      string
}

// chartBars draws days as pairs of bars, paid then refunded, on one scale.
func chartBars(days []DashDay) []chartBar {
	var top int64 = 1
	for _, d := range days {
		top = max(top, d.Paid, d.Refunded)
	}
	group := chartW / max(len(days), 1)
	var bars []chartBar
	for i, d := range days {
		x := i*group + (group-2*chartBarW)/2
		for j, v := range []int64{d.Paid, d.Refunded} {
			h := int(v * chartPlotH / top)
			if v > 0 && h == 0 {
				h = 1 // a small amount still shows
			}
			class := "bar-paid"
			if j == 1 {
				class = "bar-refunded"
			}
			bars = append(bars, chartBar{X: x + j*chartBarW, Y: chartBase - h, W: chartBarW, H: h, Class: class})
		}
	}
	return bars
}

// chartLabelX is the middle of day i's bars.
func chartLabelX(i, n int) string { return strconv.Itoa(i*(chartW/max(n, 1)) + chartW/max(n, 1)/2) }

// dayLabel writes a chart day short: 12/1 (both languages write it so).
func dayLabel(d time.Time) string { return strconv.Itoa(int(d.Month())) + "/" + strconv.Itoa(d.Day()) }

// conversion writes paid out of opened as a percentage, or a dash when nothing was opened.
func conversion(paid, opened int) string {
	if opened == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(paid)*100/float64(opened), 'f', 1, 64) + "%"
}

func itoa(n int) string { return strconv.Itoa(n) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// DashCheckoutModel is one checkout of the merchant, with its payment and refunds.
type DashCheckoutModel struct {
	Nav         DashNav
	ID          string
	Status      string
	Reference   string
	Title       string // what was bought, as the list says it
	LinkID      string // the payment link it was opened from, or ""
	Description string
	Items       []Item
	Customer    string // the customer's name and e-mail, or ""
	Amount      int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Attempts    int
	// LastTryFailed is an open checkout whose latest payment try failed or was left.
	LastTryFailed bool
	Notice        string       // what the last action did ("3,000원을 환불했어요"), localized, or ""
	Payment       *DashPayment // nil until paid
	AttemptRows   []DashAttempt
	Timeline      []DashEvent // oldest first
	CanExpire     bool        // an owner sees an open checkout's expire button
	// Agreement is what a paid subscription checkout set up, or nil.
	Agreement *DashAgreement
}

// DashAgreement is a subscription checkout's recurring agreement, with its charges.
type DashAgreement struct {
	ID            string
	Status        string // active, inactive
	Deactivating  bool   // KakaoPay was asked to end it and has not answered yet
	CreatedAt     time.Time
	Charges       []DashChargeRow // newest first
	MoreCharges   bool            // older charges than these exist
	CanCharge     bool            // an owner sees the charge form: the agreement is chargeable
	CanDeactivate bool            // an owner sees the deactivate button: the agreement is active
	MinAmount     int64           // the merchant's limits, shown beside the charge form
	MaxAmount     int64
}

// DashChargeRow is one charge on an agreement.
type DashChargeRow struct {
	ID        string
	Amount    int64
	Reference string
	Status    string // pending, succeeded, failed, unknown
	Failure   string // KakaoPay's refusal, when it failed
	PaymentID string // the payment it made, or ""
	CreatedAt time.Time
}

// DashAttempt is one KakaoPay payment request of a checkout.
type DashAttempt struct {
	ID        string
	Device    string
	Status    string
	Failure   string // KakaoPay's code and message, when it failed
	CreatedAt time.Time
}

// DashEvent is one event of a checkout's timeline, with where it was delivered.
type DashEvent struct {
	ID         string
	Type       string
	CreatedAt  time.Time
	Deliveries []string // each delivery's status, with its last answer ("succeeded 204")
}

// DashPayment is a paid checkout's payment.
type DashPayment struct {
	ID         string
	Method     string
	ApprovedAt time.Time
	Refunded   int64
	Left       int64 // what can still be refunded
	Refunds    []DashRefund
	// The refund form as typed, and why it was refused (localized), after a refusal.
	FormAmount, FormReason, FormError string
}

// DashRefundConfirmModel is the step that confirms a refund before it is made.
type DashRefundConfirmModel struct {
	Nav       DashNav
	PaymentID string
	BackURL   string // the page that shows the payment
	Reference string // the order's number, when it has one
	Amount    int64
	Left      int64 // what was left to refund before this refund
	Reason    string
	Token     string // makes the refund happen once
}

// DashRefund is one refund of a payment.
type DashRefund struct {
	ID        string
	Amount    int64
	Status    string
	Reason    string
	CreatedAt time.Time
}
