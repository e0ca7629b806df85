package sandbox

import "context"

// order is what ready and a subscription charge both ask for: whose order, of what, for how much.
type order struct {
	CID            string `json:"cid"`
	PartnerOrderID string `json:"partner_order_id"`
	PartnerUserID  string `json:"partner_user_id"`
	ItemName       string `json:"item_name"`
	ItemCode       string `json:"item_code"`
	Quantity       int64  `json:"quantity"`
	TotalAmount    int64  `json:"total_amount"`
	TaxFreeAmount  *int64 `json:"tax_free_amount"`
	VatAmount      *int64 `json:"vat_amount"`
}

// checkNames checks the order's partner ids and item.
func (o *order) checkNames() error {
	return checkAll(
		checkText("partner_order_id", o.PartnerOrderID, 100),
		checkText("partner_user_id", o.PartnerUserID, 100),
		checkText("item_name", o.ItemName, 100),
		checkOptional("item_code", o.ItemCode, 100),
	)
}

// payment is the order's payment, its VAT the default one unless the order says; the caller
// adds the rest.
func (o *order) payment() *payment {
	taxFree := *o.TaxFreeAmount
	vat := defaultVat(o.TotalAmount, taxFree)
	if o.VatAmount != nil {
		vat = *o.VatAmount
	}
	return &payment{cid: o.CID, partnerOrderID: o.PartnerOrderID, partnerUserID: o.PartnerUserID, itemName: o.ItemName,
		itemCode: o.ItemCode, quantity: o.Quantity, amount: amount{Total: o.TotalAmount, TaxFree: taxFree, Vat: vat}}
}

type readyRequest struct {
	order
	ApprovalURL       string            `json:"approval_url"`
	CancelURL         string            `json:"cancel_url"`
	FailURL           string            `json:"fail_url"`
	PaymentMethodType string            `json:"payment_method_type"`
	InstallMonth      *int              `json:"install_month"`
	CustomJSON        map[string]string `json:"custom_json"`
}

type readyResponse struct {
	TID                   string `json:"tid"`
	TMSResult             bool   `json:"tms_result"` // whether ready itself sent a KakaoTalk message: never here
	NextRedirectAppURL    string `json:"next_redirect_app_url"`
	NextRedirectMobileURL string `json:"next_redirect_mobile_url"`
	NextRedirectPCURL     string `json:"next_redirect_pc_url"`
	AndroidAppScheme      string `json:"android_app_scheme"`
	IOSAppScheme          string `json:"ios_app_scheme"`
	CreatedAt             string `json:"created_at"`
}

// validate checks the request; minTotal is 0 for an SID-only CID, which charges nothing, else 1.
func (r *readyRequest) validate(minTotal int64) error {
	err := checkAll(
		checkCID(r.CID),
		r.checkNames(),
		checkReturnURL("approval_url", r.ApprovalURL),
		checkReturnURL("cancel_url", r.CancelURL),
		checkReturnURL("fail_url", r.FailURL),
	)
	if err != nil {
		return err
	}
	if err := checkAmounts(r.Quantity, r.TotalAmount, minTotal, r.TaxFreeAmount, r.VatAmount); err != nil {
		return err
	}
	switch {
	case r.PaymentMethodType != "" && r.PaymentMethodType != methodCard && r.PaymentMethodType != methodMoney:
		return invalid("payment_method_type must be CARD or MONEY")
	case r.InstallMonth != nil && (*r.InstallMonth < 0 || *r.InstallMonth > 12):
		return invalid("install_month must be between 0 and 12")
	}
	return nil
}

// ready registers a payment and answers the URLs that open the simulated wallet.
func (s *Sandbox) ready(_ context.Context, req *readyRequest) (any, error) {
	// A subscription may start with 0 won, as KakaoPay allows: its approval only issues an sid.
	minTotal := int64(1)
	if s.subCIDs[req.CID] {
		minTotal = 0
	}
	err := checkAll(
		req.validate(minTotal),
		s.checkReturnHost("approval_url", req.ApprovalURL),
		s.checkReturnHost("cancel_url", req.CancelURL),
		s.checkReturnHost("fail_url", req.FailURL),
	)
	if err != nil {
		return nil, err
	}
	if req.TotalAmount == amountReadyRefused {
		e := fail(codeMerchantRefused, "merchant is not allowed to take payments")
		e.extras = &extras{MethodResultCode: "MERCHANT_NOT_ALLOWED", MethodResultMessage: "가맹점 설정을 확인해 주세요."}
		return nil, e
	}
	p := req.payment()
	p.method, p.methodFixed = chooseMethod(req.PaymentMethodType, req.TotalAmount), req.PaymentMethodType != ""
	p.approvalURL, p.cancelURL, p.failURL = req.ApprovalURL, req.CancelURL, req.FailURL
	p.status = statusReady
	p.sidOnly = s.sidOnly[req.CID] || (s.subCIDs[req.CID] && req.TotalAmount == 0)
	if req.InstallMonth != nil {
		p.installMonth = *req.InstallMonth
	}

	s.mu.Lock()
	p.tid = s.newTID()
	p.createdAt = s.now()
	s.payments[p.tid] = p
	s.mu.Unlock()
	s.log.Info("sandbox: ready", "tid", p.tid, "cid", p.cid, "total_amount", p.amount.Total)

	app := s.walletURL(p.tid, pageApp)
	scheme := "kakaotalk://kakaopay/pg?url=" + app // KakaoPay leaves the url= value unescaped
	return readyResponse{
		TID:                   p.tid,
		NextRedirectAppURL:    app,
		NextRedirectMobileURL: s.walletURL(p.tid, pageMobile),
		NextRedirectPCURL:     s.walletURL(p.tid, pagePC),
		AndroidAppScheme:      scheme,
		IOSAppScheme:          scheme,
		CreatedAt:             formatTime(p.createdAt),
	}, nil
}

// chooseMethod decides how the simulated shopper pays: as ready asked, else by card when the total
// ends in 7 and by KakaoPay Money otherwise, so tests can reach both shapes deterministically.
func chooseMethod(asked string, total int64) string {
	switch {
	case asked != "":
		return asked
	case total%10 == 7:
		return methodCard
	default:
		return methodMoney
	}
}
