package sandbox

import "context"

type readyRequest struct {
	CID               string            `json:"cid"`
	PartnerOrderID    string            `json:"partner_order_id"`
	PartnerUserID     string            `json:"partner_user_id"`
	ItemName          string            `json:"item_name"`
	ItemCode          string            `json:"item_code"`
	Quantity          int64             `json:"quantity"`
	TotalAmount       int64             `json:"total_amount"`
	TaxFreeAmount     *int64            `json:"tax_free_amount"`
	VatAmount         *int64            `json:"vat_amount"`
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
		checkText("partner_order_id", r.PartnerOrderID, 100),
		checkText("partner_user_id", r.PartnerUserID, 100),
		checkText("item_name", r.ItemName, 100),
		checkOptional("item_code", r.ItemCode, 100),
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
	taxFree := *req.TaxFreeAmount
	vat := defaultVat(req.TotalAmount, taxFree)
	if req.VatAmount != nil {
		vat = *req.VatAmount
	}
	p := &payment{
		cid:            req.CID,
		partnerOrderID: req.PartnerOrderID,
		partnerUserID:  req.PartnerUserID,
		itemName:       req.ItemName,
		itemCode:       req.ItemCode,
		quantity:       req.Quantity,
		amount:         amount{Total: req.TotalAmount, TaxFree: taxFree, Vat: vat},
		method:         chooseMethod(req.PaymentMethodType, req.TotalAmount),
		methodFixed:    req.PaymentMethodType != "",
		approvalURL:    req.ApprovalURL,
		cancelURL:      req.CancelURL,
		failURL:        req.FailURL,
		status:         statusReady,
		sidOnly:        s.sidOnly[req.CID] || (s.subCIDs[req.CID] && req.TotalAmount == 0),
	}
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
