package payments

// TaxFreeShare lets the table test in refund_test.go (package payments_test) reach the tax-free
// rule directly, beside the service tests that see it through refunds.
var TaxFreeShare = taxFreeShare
