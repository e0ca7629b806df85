package shop

import (
	"net/http"
	"strings"
)

// device is what the page knows of the shopper's browser.
type device struct {
	Mobile bool
	OS     string // "ios", "android" or ""
	InApp  string // "kakaotalk", "instagram", "facebook" or ""
}

// detectDevice reads the User-Agent and Sec-CH-UA-Mobile; ?device=mobile|desktop overrides.
func detectDevice(r *http.Request) device {
	ua := r.UserAgent()
	lower := strings.ToLower(ua)
	var d device
	switch {
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iPod"):
		d.OS = "ios"
	case strings.Contains(ua, "Android"):
		d.OS = "android"
	}
	switch {
	case strings.Contains(lower, "kakaotalk"):
		d.InApp = "kakaotalk"
	case strings.Contains(ua, "Instagram"):
		d.InApp = "instagram"
	case strings.Contains(ua, "FBAN") || strings.Contains(ua, "FBAV") || strings.Contains(ua, "FB_IAB"):
		d.InApp = "facebook"
	}
	switch r.Header.Get("Sec-CH-UA-Mobile") {
	case "?1":
		d.Mobile = true
	case "?0":
		d.Mobile = false
	default:
		d.Mobile = d.OS != "" && (strings.Contains(ua, "Mobile") || d.OS == "ios" || d.InApp != "") ||
			strings.Contains(ua, "Mobi")
	}
	if d.InApp != "" {
		d.Mobile = true
	}
	switch r.URL.Query().Get("device") {
	case "mobile":
		d.Mobile = true
	case "desktop":
		d.Mobile = false
	}
	return d
}

func (d device) kind() string {
	if d.Mobile {
		return "mobile"
	}
	return "desktop"
}
