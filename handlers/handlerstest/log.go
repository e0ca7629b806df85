package handlerstest

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
)

// LogBuffer keeps what the app logs, as JSON lines, for tests that read the log (give its
// Logger to Options.Logger).
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Logger logs into l from the debug level up.
func (l *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// String is the whole log.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// ErrorLines are the log's lines at level ERROR.
func (l *LogBuffer) ErrorLines() []string {
	var out []string
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, `"level":"ERROR"`) {
			out = append(out, line)
		}
	}
	return out
}
