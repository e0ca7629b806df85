package kakaopay

// OrderStatus is a payment's state as reported by Order and Cancel.
type OrderStatus string

// Order statuses, in the order a payment usually passes through them.
const (
	StatusReady             OrderStatus = "READY"               // ready was called
	StatusSendTMS           OrderStatus = "SEND_TMS"            // message sent to KakaoTalk
	StatusOpenPayment       OrderStatus = "OPEN_PAYMENT"        // shopper opened the payment screen
	StatusSelectMethod      OrderStatus = "SELECT_METHOD"       // shopper chose a method
	StatusARSWaiting        OrderStatus = "ARS_WAITING"         // phone (ARS) authentication
	StatusAuthPassword      OrderStatus = "AUTH_PASSWORD"       // password entered
	StatusIssuedSID         OrderStatus = "ISSUED_SID"          // subscription key issued, no charge
	StatusSuccessPayment    OrderStatus = "SUCCESS_PAYMENT"     // approved
	StatusPartCancelPayment OrderStatus = "PART_CANCEL_PAYMENT" // partly refunded
	StatusCancelPayment     OrderStatus = "CANCEL_PAYMENT"      // fully refunded
	StatusFailAuthPassword  OrderStatus = "FAIL_AUTH_PASSWORD"  // password failed
	StatusQuitPayment       OrderStatus = "QUIT_PAYMENT"        // shopper quit
	StatusFailPayment       OrderStatus = "FAIL_PAYMENT"        // payment failed
)

// PaymentMethod is how the shopper paid.
type PaymentMethod string

// Payment methods.
const (
	MethodCard  PaymentMethod = "CARD"
	MethodMoney PaymentMethod = "MONEY" // KakaoPay Money balance
)

// PaymentActionType is the kind of a PaymentActionDetail.
type PaymentActionType string

// Payment action types.
const (
	ActionPayment   PaymentActionType = "PAYMENT"
	ActionCancel    PaymentActionType = "CANCEL"
	ActionIssuedSID PaymentActionType = "ISSUED_SID"
)

// SubscriptionState is whether a subscription key can be charged.
type SubscriptionState string

// Subscription states.
const (
	SubscriptionActive   SubscriptionState = "ACTIVE"
	SubscriptionInactive SubscriptionState = "INACTIVE"
)

// Purchase is what Ready and Subscription both send: whose order, of what, for how much.
// Amounts are whole won.
type Purchase struct {
	CID            string `json:"cid"`
	PartnerOrderID string `json:"partner_order_id"`
	PartnerUserID  string `json:"partner_user_id"`
	ItemName       string `json:"item_name"`
	ItemCode       string `json:"item_code,omitempty"`
	Quantity       int    `json:"quantity"`
	TotalAmount    int64  `json:"total_amount"`
	TaxFreeAmount  int64  `json:"tax_free_amount"`
	VATAmount      *int64 `json:"vat_amount,omitempty"` // nil: (total − tax_free)/11, rounded
}

// ReadyRequest is the body of Ready. Pointer fields are optional where zero is a
// meaningful value (VATAmount 0, InstallMonth 0 = paid in full); nil leaves
// KakaoPay's default (new(int64(0)) sets an explicit zero).
type ReadyRequest struct {
	Purchase
	ApprovalURL       string            `json:"approval_url"`
	CancelURL         string            `json:"cancel_url"`
	FailURL           string            `json:"fail_url"`
	PaymentMethodType PaymentMethod     `json:"payment_method_type,omitempty"` // "": card or money
	InstallMonth      *int              `json:"install_month,omitempty"`       // 0–12; nil: shopper chooses
	CustomJSON        map[string]string `json:"custom_json,omitempty"`
	AvailableCards    []string          `json:"available_cards,omitempty"` // needs a KakaoPay agreement
}

// ReadyResponse is the answer to Ready.
type ReadyResponse struct {
	TID                   string `json:"tid"`
	NextRedirectPCURL     string `json:"next_redirect_pc_url"`     // PC page: QR or phone number
	NextRedirectMobileURL string `json:"next_redirect_mobile_url"` // mobile web: opens KakaoTalk
	NextRedirectAppURL    string `json:"next_redirect_app_url"`    // native apps
	AndroidAppScheme      string `json:"android_app_scheme"`
	IOSAppScheme          string `json:"ios_app_scheme"`
	CreatedAt             Time   `json:"created_at"`
}

// ApproveRequest is the body of Approve. TotalAmount, when set, must equal
// ready's total; zero is never valid, so 0 simply omits it.
type ApproveRequest struct {
	CID            string `json:"cid"`
	TID            string `json:"tid"`
	PartnerOrderID string `json:"partner_order_id"`
	PartnerUserID  string `json:"partner_user_id"`
	PGToken        string `json:"pg_token"`
	Payload        string `json:"payload,omitempty"` // ≤200 chars, echoed in Order
	TotalAmount    int64  `json:"total_amount,omitempty"`
}

// Amount breaks a sum of won down as KakaoPay reports it.
type Amount struct {
	Total        int64 `json:"total"`
	TaxFree      int64 `json:"tax_free"`
	VAT          int64 `json:"vat"`
	Point        int64 `json:"point"`
	Discount     int64 `json:"discount"`
	GreenDeposit int64 `json:"green_deposit"` // cup deposit
}

// CardInfo describes the card of a CARD payment.
type CardInfo struct {
	PurchaseCorp             string       `json:"purchase_corp"`
	PurchaseCorpCode         string       `json:"purchase_corp_code"`
	IssuerCorp               string       `json:"issuer_corp"`
	IssuerCorpCode           string       `json:"issuer_corp_code"`
	KakaoPayPurchaseCorp     string       `json:"kakaopay_purchase_corp"`
	KakaoPayPurchaseCorpCode string       `json:"kakaopay_purchase_corp_code"`
	KakaoPayIssuerCorp       string       `json:"kakaopay_issuer_corp"`
	KakaoPayIssuerCorpCode   string       `json:"kakaopay_issuer_corp_code"`
	Bin                      string       `json:"bin"`
	CardType                 string       `json:"card_type"`
	InstallMonth             InstallMonth `json:"install_month"`
	ApprovedID               string       `json:"approved_id"`
	CardMID                  string       `json:"card_mid"`
	InterestFreeInstall      string       `json:"interest_free_install"` // "Y" or "N"
	InstallmentType          string       `json:"installment_type"`
	CardItemCode             string       `json:"card_item_code"`
}

// ApproveResponse is the answer to Approve and Subscription.
type ApproveResponse struct {
	AID               string        `json:"aid"`
	TID               string        `json:"tid"`
	CID               string        `json:"cid"`
	SID               string        `json:"sid"` // only with a subscription CID
	PartnerOrderID    string        `json:"partner_order_id"`
	PartnerUserID     string        `json:"partner_user_id"`
	PaymentMethodType PaymentMethod `json:"payment_method_type"`
	Amount            Amount        `json:"amount"`
	CardInfo          *CardInfo     `json:"card_info"` // nil unless CARD
	ItemName          string        `json:"item_name"`
	ItemCode          string        `json:"item_code"`
	Quantity          int           `json:"quantity"`
	CreatedAt         Time          `json:"created_at"`
	ApprovedAt        Time          `json:"approved_at"`
	Payload           string        `json:"payload"`
}

// CancelRequest is the body of Cancel. CancelVATAmount is a pointer because an
// explicit zero VAT differs from KakaoPay's computed default.
// CancelAvailableAmount (what is still refundable, including this request) is a
// consistency guard; it is never zero when used, so 0 omits it.
type CancelRequest struct {
	CID                   string `json:"cid"`
	TID                   string `json:"tid"`
	CancelAmount          int64  `json:"cancel_amount"`
	CancelTaxFreeAmount   int64  `json:"cancel_tax_free_amount"`
	CancelVATAmount       *int64 `json:"cancel_vat_amount,omitempty"`
	CancelAvailableAmount int64  `json:"cancel_available_amount,omitempty"`
	Payload               string `json:"payload,omitempty"`
}

// CancelResponse is the answer to Cancel.
type CancelResponse struct {
	AID                   string        `json:"aid"`
	TID                   string        `json:"tid"`
	CID                   string        `json:"cid"`
	Status                OrderStatus   `json:"status"` // PART_CANCEL_PAYMENT or CANCEL_PAYMENT
	PartnerOrderID        string        `json:"partner_order_id"`
	PartnerUserID         string        `json:"partner_user_id"`
	PaymentMethodType     PaymentMethod `json:"payment_method_type"`
	Amount                Amount        `json:"amount"`
	ApprovedCancelAmount  Amount        `json:"approved_cancel_amount"`  // this refund
	CanceledAmount        Amount        `json:"canceled_amount"`         // all refunds so far
	CancelAvailableAmount Amount        `json:"cancel_available_amount"` // still refundable
	ItemName              string        `json:"item_name"`
	ItemCode              string        `json:"item_code"`
	Quantity              int           `json:"quantity"`
	CreatedAt             Time          `json:"created_at"`
	ApprovedAt            Time          `json:"approved_at"`
	CanceledAt            Time          `json:"canceled_at"`
	Payload               string        `json:"payload"`
}

// OrderRequest is the body of Order.
type OrderRequest struct {
	CID string `json:"cid"`
	TID string `json:"tid"`
}

// SelectedCardInfo is the card chosen for a payment, as Order reports it.
type SelectedCardInfo struct {
	CardBin             string       `json:"card_bin"`
	InstallMonth        InstallMonth `json:"install_month"`
	InstallmentType     string       `json:"installment_type"`
	CardCorpName        string       `json:"card_corp_name"`
	InterestFreeInstall string       `json:"interest_free_install"`
}

// PaymentActionDetail is one payment, cancel or sid issue in Order's history.
type PaymentActionDetail struct {
	AID               string            `json:"aid"`
	ApprovedAt        Time              `json:"approved_at"`
	Amount            int64             `json:"amount"`
	PointAmount       int64             `json:"point_amount"`
	DiscountAmount    int64             `json:"discount_amount"`
	GreenDeposit      int64             `json:"green_deposit"`
	PaymentActionType PaymentActionType `json:"payment_action_type"`
	Payload           string            `json:"payload"`
}

// OrderResponse is the answer to Order.
type OrderResponse struct {
	TID                   string                `json:"tid"`
	CID                   string                `json:"cid"`
	Status                OrderStatus           `json:"status"`
	PartnerOrderID        string                `json:"partner_order_id"`
	PartnerUserID         string                `json:"partner_user_id"`
	PaymentMethodType     PaymentMethod         `json:"payment_method_type"`
	Amount                Amount                `json:"amount"`
	CanceledAmount        Amount                `json:"canceled_amount"`
	CancelAvailableAmount Amount                `json:"cancel_available_amount"`
	ItemName              string                `json:"item_name"`
	ItemCode              string                `json:"item_code"`
	Quantity              int                   `json:"quantity"`
	CreatedAt             Time                  `json:"created_at"`
	ApprovedAt            Time                  `json:"approved_at"`
	CanceledAt            Time                  `json:"canceled_at"`
	SelectedCardInfo      *SelectedCardInfo     `json:"selected_card_info"`
	PaymentActionDetails  []PaymentActionDetail `json:"payment_action_details"`
	// SID is the subscription key of a payment made with a subscription CID, when the answer
	// carries it; approve's answer is the documented source.
	SID string `json:"sid"`
}

// SubscriptionRequest is the body of Subscription (a charge on an sid).
type SubscriptionRequest struct {
	Purchase
	SID     string `json:"sid"`
	Payload string `json:"payload,omitempty"`
}

// SIDRequest is the body of SubscriptionStatus and Inactive.
type SIDRequest struct {
	CID string `json:"cid"`
	SID string `json:"sid"`
}

// SubscriptionStatusResponse is the answer to SubscriptionStatus and Inactive.
type SubscriptionStatusResponse struct {
	Available         bool              `json:"available"`
	CID               string            `json:"cid"`
	SID               string            `json:"sid"`
	Status            SubscriptionState `json:"status"`
	PaymentMethodType PaymentMethod     `json:"payment_method_type"`
	ItemName          string            `json:"item_name"`
	CreatedAt         Time              `json:"created_at"`
	LastApprovedAt    Time              `json:"last_approved_at"`
	InactivatedAt     Time              `json:"inactivated_at"`
}
