package main

import "context"

// serverCommands run, migrate and back up the server.
func serverCommands() []command {
	return []command{
		{name: "serve", summary: "run the server (sandbox mode without a KakaoPay secret key)", usage: "[flags]",
			about: "Without KPCHECKOUT_KAKAOPAY_SECRET_KEY it runs the built-in KakaoPay sandbox, seeds a demo merchant\n" +
				"and prints its test API key and a checkout to try. Flags given before any command are serve's.",
			examples: []string{"kpcheckout serve", "KPCHECKOUT_ADDR=0.0.0.0:8080 KPCHECKOUT_BASE_URL=http://192.168.0.10:8080 kpcheckout serve",
				"kpcheckout serve --database-url postgres://kp:secret@db.internal/kp"},
			settings: settingsAll, run: serveCommand},
		{name: "migrate", summary: "bring the database schema up to date, or list what it lacks", usage: "[--dry-run]",
			examples: []string{"kpcheckout migrate --dry-run", "kpcheckout migrate"}, settings: settingsAll,
			run: func(ctx context.Context, c *cli, args []string) error {
				return migrateCommand(ctx, args, c.getenv, c.stdout, c.stderr)
			}},
		{name: "backup", summary: "write a consistent copy of the SQLite database, while serve runs", usage: "[--force] FILE",
			examples: []string{"kpcheckout backup /var/backups/kpcheckout-$(date +%F).db"}, settings: settingsAll,
			run: func(ctx context.Context, c *cli, args []string) error {
				return backupCommand(ctx, args, c.getenv, c.stdout, c.stderr)
			}},
	}
}

// databaseCommands read and write the server's database directly.
func databaseCommands() []command {
	return []command{
		{name: "merchant create", summary: "add a merchant; prints its id, API key and webhook secret, shown once",
			usage: "--name N [--webhook-url U] [--cid C] [--subscription-cid C] [--live]", required: []string{"name"},
			examples: []string{`kpcheckout merchant create --name "내 상점" --webhook-url https://shop.example/hooks`,
				`kpcheckout merchant create --name "내 상점" --cid CT12345678 --subscription-cid CS12345678 --live`},
			settings: settingsDatabase, run: func(ctx context.Context, c *cli, args []string) error {
				return createMerchant(ctx, args, c.getenv, c.stdout, c.stderr)
			}},
		{name: "merchant update", summary: "set the origins whose pages may frame a merchant's checkouts",
			usage:    "--merchant M --embed-origins https://shop.example[,…]",
			examples: []string{`kpcheckout merchant update --merchant "내 상점" --embed-origins https://shop.example`},
			settings: settingsDatabase, run: func(ctx context.Context, c *cli, args []string) error {
				return updateMerchant(ctx, args, c.getenv, c.stdout, c.stderr)
			}},
		{name: "user create", summary: "add a dashboard user to a merchant; prints the password, shown once",
			usage: "--merchant M --email E [--role owner|staff] [--password-stdin]", required: []string{"merchant", "email"},
			examples: []string{`kpcheckout user create --merchant "내 상점" --email owner@shop.example`,
				`printf '%s\n' "$PASSWORD" | kpcheckout user create --merchant mer_… --email staff@shop.example --role staff --password-stdin`},
			settings: settingsDatabase, run: func(ctx context.Context, c *cli, args []string) error {
				return createUser(ctx, args, c.getenv, c.stdin, c.stdout, c.stderr)
			}},
		{name: "user list", summary: "list a merchant's dashboard users", usage: "--merchant M", required: []string{"merchant"},
			examples: []string{`kpcheckout user list --merchant "내 상점"`},
			settings: settingsDatabase, run: func(ctx context.Context, c *cli, args []string) error {
				return listUsers(ctx, args, c.getenv, c.stdout, c.stderr)
			}},
		{name: "user password", summary: "give a user a new password (a forgotten one); their sessions end",
			usage: "--email E [--merchant M] [--password-stdin]", required: []string{"email"},
			examples: []string{"kpcheckout user password --email owner@shop.example",
				`kpcheckout user password --email owner@shop.example --merchant "내 상점"`},
			settings: settingsDatabase, run: func(ctx context.Context, c *cli, args []string) error {
				return resetPassword(ctx, args, c.getenv, c.stdin, c.stdout, c.stderr)
			}},
		{name: "checkout create", summary: "make a checkout and print its URL, without the API",
			usage: `--amount N | --item "name:quantity:unit_price" … [--mode subscription] [--merchant M]`,
			examples: []string{`kpcheckout checkout create --item "아메리카노:2:4500" --item "크루아상:1:2000"`,
				"kpcheckout checkout create --amount 9900 --mode subscription"},
			settings: settingsDatabase, run: func(ctx context.Context, c *cli, args []string) error {
				return createCheckout(ctx, args, c.getenv, c.stdout, c.stderr)
			}},
		webhookCmd("create", "add a webhook endpoint; prints its secret, shown once",
			"--merchant M --url U [--events t1,t2] [--description D]", []string{"url"},
			`kpcheckout webhook create --merchant "내 상점" --url https://shop.example/hooks --events checkout.paid,refund.succeeded`),
		webhookCmd("list", "list a merchant's webhook endpoints", "--merchant M", nil,
			`kpcheckout webhook list --merchant "내 상점"`),
		webhookCmd("update", "change a webhook endpoint, or disable and enable it",
			"ID --merchant M [--url U] [--events …] [--description D] [--disabled=true|false]", nil,
			`kpcheckout webhook update we_… --merchant "내 상점" --disabled=true`),
		webhookCmd("delete", "delete a webhook endpoint", "ID --merchant M", nil,
			`kpcheckout webhook delete we_… --merchant "내 상점"`),
	}
}

// webhookCmd is one of the webhook commands.
func webhookCmd(verb, summary, usage string, required []string, example string) command {
	return command{name: "webhook " + verb, summary: summary, usage: usage, required: required,
		examples: []string{example}, settings: settingsDatabase,
		run: func(ctx context.Context, c *cli, args []string) error {
			return webhookCommand(ctx, verb, args, c.getenv, c.stdout, c.stderr)
		}}
}

// serveCommand serves `kpcheckout serve`.
func serveCommand(ctx context.Context, c *cli, args []string) error {
	cfg, _, err := parseConfig("serve", args, c.getenv, c.stdout)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, c.stdout, newLogger(cfg, c.stderr))
}
