package views

// DashSettingsModel is the merchant's settings form: what is saved, or after a refusal what was
// typed with the message beside the field it is about.
type DashSettingsModel struct {
	Nav          DashNav
	Saved        bool // the last save went through: say so
	Name         string
	MinAmount    string
	MaxAmount    string
	EmbedOrigins string // one origin a line
	Ceiling      int64  // the highest max amount allowed
	Errors       map[string]string
}
