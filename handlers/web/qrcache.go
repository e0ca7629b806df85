package web

import (
	"encoding/base64"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// maxQRCodes bounds the QR codes kept in memory.
const maxQRCodes = 4096

// QRCodes keeps each attempt's QR code, as a PNG and as the page's data: URI: an attempt's
// mobile URL never changes, and drawing the code costs more than the rest of the page, so a
// desktop page that reloads (or many pages at once) draws and encodes it once. The shopper's
// page and the API's attempt object share one.
type QRCodes struct {
	mu    sync.Mutex
	codes map[string]QRCode // by attempt id
}

// QRCode is one attempt's QR code.
type QRCode struct {
	PNG     []byte
	DataURI string // the PNG as a data: URI
}

// NewQRCodes returns an empty cache.
func NewQRCodes() *QRCodes { return &QRCodes{codes: make(map[string]QRCode)} }

// PNGDataURI is a PNG as a data: URI.
func PNGDataURI(png []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
}

// Get returns the QR code of url, the mobile URL of attempt attemptID.
func (q *QRCodes) Get(attemptID, url string) (QRCode, error) {
	q.mu.Lock()
	code, ok := q.codes[attemptID]
	q.mu.Unlock()
	if ok {
		return code, nil
	}
	png, err := qrcode.Encode(url, qrcode.Medium, 256)
	if err != nil {
		return QRCode{}, err
	}
	code = QRCode{PNG: png, DataURI: PNGDataURI(png)}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.codes) >= maxQRCodes {
		clear(q.codes) // attempts live 15 minutes: starting over costs one drawing each
	}
	q.codes[attemptID] = code
	return code, nil
}
