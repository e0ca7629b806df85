package views

import (
	"context"
	"time"
)

// DashExpireConfirmModel asks once more before an open checkout is ended.
type DashExpireConfirmModel struct {
	Nav        DashNav
	CheckoutID string
	Reference  string
	Amount     int64
}

// DashChargeConfirmModel asks once more before an agreement is charged.
type DashChargeConfirmModel struct {
	Nav         DashNav
	AgreementID string
	CheckoutID  string
	Amount      int64
	Reference   string
	Token       string // makes the charge happen once
}

// DashDeactivateConfirmModel asks once more before an agreement is ended.
type DashDeactivateConfirmModel struct {
	Nav         DashNav
	AgreementID string
	CheckoutID  string
	Token       string // makes the deactivation be asked once
}

// DashChargeModel is one charge on an agreement, with the payment it made.
type DashChargeModel struct {
	Nav         DashNav
	Charge      DashChargeRow
	AgreementID string
	CheckoutID  string       // the subscription checkout that set the agreement up
	Payment     *DashPayment // nil unless KakaoPay charged
	Unknown     bool         // KakaoPay's answer was lost: the merchant checks KakaoPay's admin
	Notice      string       // what the last action did ("3,000원을 환불했어요"), localized, or ""
}

// DashAgreementsModel is a page of the merchant's recurring agreements.
type DashAgreementsModel struct {
	Nav     DashNav
	Status  string   // the filter, "" for all
	Choices []string // the filter's statuses
	Rows    []DashAgreementRow
	NextURL string // the next page, "" on the last
}

// DashAgreementRow is one agreement in the list.
type DashAgreementRow struct {
	ID           string
	CheckoutID   string
	Status       string
	Deactivating bool
	CreatedAt    time.Time
	LastCharge   *DashChargeRow // nil when never charged
}

// agreementStatus says where an agreement is: active, inactive, or being ended.
func agreementStatus(ctx context.Context, status string, deactivating bool) string {
	if deactivating {
		return T(ctx, "dash.agreement.deactivating")
	}
	return T(ctx, "dash.agreement."+status)
}
