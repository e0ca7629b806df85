package sandbox

import (
	"net/url"
	"unicode/utf8"
)

// checkCID checks KakaoPay's 10-character merchant code.
func checkCID(cid string) error {
	if len(cid) != 10 {
		return invalid("cid must be 10 characters")
	}
	return nil
}

// checkText checks a required string of at most max characters.
func checkText(name, v string, max int) error {
	if v == "" {
		return invalid("%s is required", name)
	}
	if utf8.RuneCountInString(v) > max {
		return invalid("%s must be at most %d characters", name, max)
	}
	return nil
}

// checkOptional checks an optional string of at most max characters.
func checkOptional(name, v string, max int) error {
	if utf8.RuneCountInString(v) > max {
		return invalid("%s must be at most %d characters", name, max)
	}
	return nil
}

// checkReturnURL checks an approval, cancel or fail URL: absolute http(s), at most 255 characters.
func checkReturnURL(name, v string) error {
	if err := checkText(name, v, 255); err != nil {
		return err
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("%s must be an absolute http(s) URL", name)
	}
	return nil
}

// checkAll returns the first error.
func checkAll(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkAmounts applies the amount rules ready and subscription share: a positive quantity, a total
// of at least minTotal, a required tax-free part within the total, and VAT within the taxable part.
func checkAmounts(quantity, total, minTotal int64, taxFree, vat *int64) error {
	switch {
	case quantity <= 0:
		return invalid("quantity must be a positive integer")
	case total < minTotal || total < 0:
		return invalid("total_amount must be at least %d", minTotal)
	case taxFree == nil:
		return invalid("tax_free_amount is required")
	case *taxFree < 0 || *taxFree > total:
		return invalid("tax_free_amount must be between 0 and total_amount")
	case vat != nil && (*vat < 0 || *vat > total-*taxFree):
		return invalid("vat_amount must be between 0 and the taxable amount")
	}
	return nil
}
