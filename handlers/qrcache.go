package handlers

import (
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// maxQRCodes bounds the QR codes kept in memory.
const maxQRCodes = 4096

// qrCodes keeps the PNG of each attempt's QR code: an attempt's mobile URL never changes, and
// drawing the code costs more than the rest of the page, so a desktop page that reloads (or many
// pages at once) draws it once.
type qrCodes struct {
	mu  sync.Mutex
	png map[string][]byte // by attempt id
}

func newQRCodes() *qrCodes { return &qrCodes{png: make(map[string][]byte)} }

// get returns the QR code of url, the mobile URL of attempt attemptID.
func (q *qrCodes) get(attemptID, url string) ([]byte, error) {
	q.mu.Lock()
	png, ok := q.png[attemptID]
	q.mu.Unlock()
	if ok {
		return png, nil
	}
	png, err := qrcode.Encode(url, qrcode.Medium, 256)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.png) >= maxQRCodes {
		clear(q.png) // attempts live 15 minutes: starting over costs one drawing each
	}
	q.png[attemptID] = png
	return png, nil
}
