package views

import "github.com/a-h/templ"

// Checkout page views: what the page shows of a checkout.
const (
	ViewPay        = "pay"        // open, with a pay button
	ViewQR         = "qr"         // a desktop attempt: scan the QR code
	ViewHandoff    = "handoff"    // a phone attempt: on to KakaoTalk
	ViewConfirming = "confirming" // approved in the wallet, KakaoPay's answer awaited
	ViewPaid       = "paid"
	ViewExpired    = "expired"
	ViewCanceled   = "canceled"
)

// How the latest attempt ended, when the page offers to pay again; each has its outcome.* message.
const (
	OutcomeCanceled = "canceled"
	OutcomeFailed   = "failed"
	OutcomeExpired  = "expired"
)

// CheckoutModel is the view model of the hosted checkout page.
type CheckoutModel struct {
	ID           string
	MerchantName string
	Reference    string
	Description  string
	Items        []Item
	Amount       int64
	TaxFree      int64
	Recurring    bool
	ExpiresAt    int64 // Unix seconds
	SecondsLeft  int64

	View          string
	Outcome       string // the latest attempt's end: OutcomeCanceled, OutcomeFailed, OutcomeExpired or ""
	OutcomeReason string // already localized
	// NoRetry is an ended attempt that leaves nothing to try again (its link takes no more
	// payments): the pay view offers only the way back to the shop.
	NoRetry  bool
	StateKey string

	PayURL     string
	CancelURL  string // ends the live attempt and goes back to the shop
	Device     string // the device kind a pay button starts an attempt for
	OnPhone    bool   // the page is on a phone (a QR code there is for another phone)
	StatusURL  string
	RefreshURL string
	LangURL    string

	QRDataURI          templ.SafeURL
	AttemptExpiresAt   int64
	AttemptSecondsLeft int64
	WalletOpened       bool // the shopper opened the attempt in KakaoTalk

	MobileURL templ.SafeURL
	// PCURL is KakaoPay's own PC page of a computer's attempt: there the shopper can type a
	// phone number and get the payment request in KakaoTalk instead of scanning the QR code.
	PCURL templ.SafeURL
	// TestWalletURL, in test mode only, opens the sandbox wallet of the attempt in a new tab, as
	// if a phone had scanned the QR code.
	TestWalletURL templ.SafeURL
	// Unreachable says, in test mode, that the QR code's address (a loopback base URL) is one no
	// phone can open.
	Unreachable bool
	OS          string // "ios", "android" or ""
	InApp       string // "kakaotalk", "instagram", "facebook" or ""

	SuccessURL templ.SafeURL
	FailureURL templ.SafeURL

	Receipt []Detail // the paid checkout: order number, paid at, method

	// Embed is the page inside a merchant's iframe (?embed=1): it tells the parent of each status
	// with postMessage, to EmbedOrigins only, and hands phones over at the top level.
	Embed        bool
	EmbedOrigins []string
}

// Detail is one labelled line of a receipt.
type Detail struct {
	Label string
	Value string
	// TestID names the value for the browser tests.
	TestID string
}

// Item is one line of the order.
type Item struct {
	Name      string
	Quantity  int64
	UnitPrice int64
	Total     int64
}

// MessageModel is a short page with a title, a text and an optional link: the phone's "return
// to your computer" page and the error pages.
type MessageModel struct {
	Title    string
	Body     string
	Note     string
	LinkText string
	LinkURL  templ.SafeURL
	Tone     string // "success", "neutral" or "error"
	TestID   string
	Details  []Detail // a receipt, on the phone's "payment complete" page
	Footer   string   // whose payment page this is; "" when not known
}
