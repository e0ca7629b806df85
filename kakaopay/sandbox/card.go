package sandbox

import "fmt"

// cardInfo is approve's card_info, present when the shopper paid by card.
type cardInfo struct {
	KakaopayPurchaseCorp     string `json:"kakaopay_purchase_corp"`
	KakaopayPurchaseCorpCode string `json:"kakaopay_purchase_corp_code"`
	KakaopayIssuerCorp       string `json:"kakaopay_issuer_corp"`
	KakaopayIssuerCorpCode   string `json:"kakaopay_issuer_corp_code"`
	PurchaseCorp             string `json:"purchase_corp"`
	PurchaseCorpCode         string `json:"purchase_corp_code"`
	IssuerCorp               string `json:"issuer_corp"`
	IssuerCorpCode           string `json:"issuer_corp_code"`
	Bin                      string `json:"bin"`
	CardType                 string `json:"card_type"`
	InstallMonth             string `json:"install_month"`
	ApprovedID               string `json:"approved_id"`
	CardMID                  string `json:"card_mid"`
	InterestFreeInstall      string `json:"interest_free_install"`
	InstallmentType          string `json:"installment_type"`
	CardItemCode             string `json:"card_item_code"`
}

// selectedCardInfo is the order API's summary of the card.
type selectedCardInfo struct {
	CardBin             string `json:"card_bin"`
	InstallMonth        int    `json:"install_month"`
	InstallmentType     string `json:"installment_type"`
	CardCorpName        string `json:"card_corp_name"`
	InterestFreeInstall string `json:"interest_free_install"`
}

// newCardInfo describes the sandbox's one test card, a KakaoBank check card.
func newCardInfo(installMonth int) *cardInfo {
	return &cardInfo{
		KakaopayPurchaseCorp:     "카카오뱅크",
		KakaopayPurchaseCorpCode: "15",
		KakaopayIssuerCorp:       "카카오뱅크",
		KakaopayIssuerCorpCode:   "15",
		PurchaseCorp:             "카카오뱅크",
		PurchaseCorpCode:         "15",
		IssuerCorp:               "카카오뱅크",
		IssuerCorpCode:           "15",
		Bin:                      "536181",
		CardType:                 "체크",
		InstallMonth:             fmt.Sprintf("%02d", installMonth),
		ApprovedID:               randomString(digits, 8),
		CardMID:                  "123456789",
		InterestFreeInstall:      "N",
		InstallmentType:          "CARD_INSTALLMENT",
		CardItemCode:             "",
	}
}

func (c *cardInfo) selected(installMonth int) *selectedCardInfo {
	if c == nil {
		return nil
	}
	return &selectedCardInfo{CardBin: c.Bin, InstallMonth: installMonth, InstallmentType: c.InstallmentType,
		CardCorpName: c.IssuerCorp, InterestFreeInstall: c.InterestFreeInstall}
}
