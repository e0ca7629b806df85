package handlers

import (
	"encoding/base64"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// maxQRCodes bounds the QR codes kept in memory.
const maxQRCodes = 4096

// qrCodes keeps each attempt's QR code, as a PNG and as the page's data: URI: an attempt's
// mobile URL never changes, and drawing the code costs more than the rest of the page, so a
// desktop page that reloads (or many pages at once) draws and encodes it once.
type qrCodes struct {
	mu    sync.Mutex
	codes map[string]qrCode // by attempt id
}

type qrCode struct {
	png     []byte
	dataURI string
}

func newQRCodes() *qrCodes { return &qrCodes{codes: make(map[string]qrCode)} }

// pngDataURI is a PNG as a data: URI.
func pngDataURI(png []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
}

// get returns the QR code of url, the mobile URL of attempt attemptID.
func (q *qrCodes) get(attemptID, url string) (qrCode, error) {
	q.mu.Lock()
	code, ok := q.codes[attemptID]
	q.mu.Unlock()
	if ok {
		return code, nil
	}
	png, err := qrcode.Encode(url, qrcode.Medium, 256)
	if err != nil {
		return qrCode{}, err
	}
	code = qrCode{png: png, dataURI: pngDataURI(png)}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.codes) >= maxQRCodes {
		clear(q.codes) // attempts live 15 minutes: starting over costs one drawing each
	}
	q.codes[attemptID] = code
	return code, nil
}
